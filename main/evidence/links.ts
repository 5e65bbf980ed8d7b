/**
 * Microsoft documentation the summary cites, in one place so a moved page is fixed once.
 * Links are plain anchors: the summary loads nothing from them.
 */
export interface DocLink {
  title: string;
  url: string;
  /** What the page says, in the words the summary uses. */
  says: string;
}

export const DOC_LINKS = {
  bypassHowTo: {
    title: 'How to use the BypassDirSyncOverrides feature of a Microsoft Entra tenant',
    url: 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides',
    says:
      'Once a synchronized user\u2019s MobilePhone or AlternateMobilePhones is updated in the cloud (admin portal, PowerShell, the user\u2019s profile page), the sync API no longer honours updates to these attributes from on-premises AD ("DirSyncOverrides"). The tenant feature bypassDirSyncOverridesEnabled makes AD mobile/otherMobile win again for every user, after a full sync cycle.',
  },
  syncResource: {
    title: 'Microsoft Graph: onPremisesDirectorySynchronization resource',
    url: 'https://learn.microsoft.com/en-us/graph/api/resources/onpremisesdirectorysynchronization?view=graph-rest-1.0',
    says: 'The tenant\u2019s directory synchronization settings; features.bypassDirSyncOverridesEnabled is read and set here (delegated permission only).',
  },
  syncFeatures: {
    title: 'Microsoft Graph: onPremisesDirectorySynchronizationFeature resource',
    url: 'https://learn.microsoft.com/en-us/graph/api/resources/onpremisesdirectorysynchronizationfeature?view=graph-rest-1.0',
    says: 'bypassDirSyncOverridesEnabled: when true, persists the values of Mobile and OtherMobile in on-premises AD during sync cycles instead of the MobilePhone or AlternateMobilePhones values in Microsoft Entra ID.',
  },
  april2025: {
    title: 'How to use the BypassDirSyncOverrides feature of a Microsoft Entra tenant (revised 2025-04-09)',
    url: 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides',
    says:
      'The 2025-04-09 revision: MobilePhone and AlternateMobilePhones of synchronized users can no longer be changed in the cloud, only through sync; overrides set before remain. The supported way to make AD win again is bypassDirSyncOverridesEnabled followed by Start-ADSyncSyncCycle -PolicyType Initial ("only objects with a different MobilePhone or AlternateMobilePhones value will be updated").',
  },
  graphBreakingChange2020: {
    title: 'Breaking change to Microsoft Graph Users API (2020): updates to on-premises sync-enabled user contact numbers are no longer allowed',
    url: 'https://devblogs.microsoft.com/microsoft365dev/breaking-change-to-microsoft-graph-users-api-updates-to-on-premises-sync-enabled-user-contact-numbers-are-no-longer-allowed/',
    says: 'Since October 2020 Graph refuses to update mobilePhone of users mastered on-premises.',
  },
  fieldReport: {
    title: 'Office 365: The mystery of mobile phone\u2026 (Microsoft support blog archive)',
    url: 'https://learn.microsoft.com/en-us/archive/blogs/timmcmic/office-365-the-mystery-of-mobile-phone',
    says: 'The behaviour observed in support escalations; "a support case can be utilized to discuss options with product support services."',
  },
} as const satisfies Record<string, DocLink>;
