/**
 * Honest permission check: for each capability, granted / missing (naming exactly what to grant) /
 * unknown, from what the platform tells a client without parsing access tokens (they are opaque by
 * Microsoft's rules): the delegated scopes msal returns, directory roles from the ID token's `wids`,
 * the application roles the admin says the app holds, and the answer of a cheap probe request.
 */
import type { AuthSession } from './auth';

export const CAPABILITIES = ['scanUsers', 'readAuditLog', 'readBypass', 'flipBypass', 'writeMobilePhone', 'readSyncBehavior', 'writeSyncBehavior', 'restartSyncJob'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const CAPABILITY_LABEL: Record<Capability, string> = {
  scanUsers: 'Scan users (read mobilePhone and on-premises attributes)',
  readAuditLog: 'Read the audit log (who changed a value, and when)',
  readBypass: 'Read the BypassDirSyncOverrides feature',
  flipBypass: 'Enable the BypassDirSyncOverrides feature',
  writeMobilePhone: 'Write mobilePhone through Graph (cloud-managed or unsynced users)',
  readSyncBehavior: "Read a user's onPremisesSyncBehavior (source of authority)",
  writeSyncBehavior: "Switch a user's source of authority to the cloud",
  restartSyncJob: "Restart the Cloud Sync job (the full cycle of a Cloud Sync remediation)",
};

/** Directory role template ids (stable across tenants and clouds). */
export const ROLE = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  reportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  authenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  privilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  hybridIdentityAdministrator: '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
} as const;

const ROLE_NAME: Record<string, string> = {
  [ROLE.globalAdministrator]: 'Global Administrator',
  [ROLE.globalReader]: 'Global Reader',
  [ROLE.reportsReader]: 'Reports Reader',
  [ROLE.securityReader]: 'Security Reader',
  [ROLE.securityAdministrator]: 'Security Administrator',
  [ROLE.userAdministrator]: 'User Administrator',
  [ROLE.authenticationAdministrator]: 'Authentication Administrator',
  [ROLE.privilegedAuthenticationAdministrator]: 'Privileged Authentication Administrator',
  [ROLE.hybridIdentityAdministrator]: 'Hybrid Identity Administrator',
  [ROLE.applicationAdministrator]: 'Application Administrator',
  [ROLE.cloudApplicationAdministrator]: 'Cloud Application Administrator',
};

export const roleName = (id: string): string => ROLE_NAME[id.toLowerCase()] ?? id;

interface Requirement {
  /** Any one of these delegated permissions is enough; empty = no delegated path. */
  delegated: readonly string[];
  /** Also needed on top of one of `delegated` (audit log needs Directory.Read.All too). */
  delegatedAlso?: readonly string[];
  /** Any one of these directory roles is needed for a delegated sign-in; empty = none needed. */
  roles: readonly string[];
  /** Any one of these application permissions; empty = no application path exists. */
  app: readonly string[];
  appAlso?: readonly string[];
  why?: string;
}

/**
 * What each capability needs (Microsoft Graph permission reference; where the documentation is
 * silent, docs/cloud.md says what was assumed). The first entry of each list is the least privileged.
 */
export const REQUIREMENTS: Record<Capability, Requirement> = {
  scanUsers: { delegated: ['User.Read.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'], roles: [], app: ['User.Read.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'] },
  readAuditLog: {
    delegated: ['AuditLog.Read.All'],
    delegatedAlso: ['Directory.Read.All'],
    roles: [ROLE.reportsReader, ROLE.securityReader, ROLE.securityAdministrator, ROLE.globalReader, ROLE.globalAdministrator],
    app: ['AuditLog.Read.All'],
    appAlso: ['Directory.Read.All'],
  },
  readBypass: {
    delegated: ['OnPremDirectorySynchronization.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All'],
    roles: [ROLE.globalAdministrator],
    app: [],
    why: 'Microsoft offers no application permission for onPremisesSynchronization: only a delegated sign-in of a Global Administrator can read it.',
  },
  flipBypass: {
    delegated: ['OnPremDirectorySynchronization.ReadWrite.All'],
    roles: [ROLE.globalAdministrator],
    app: [],
    why: 'Microsoft offers no application permission for onPremisesSynchronization: only a delegated sign-in of a Global Administrator can change it.',
  },
  writeMobilePhone: {
    delegated: ['User-Phone.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: [ROLE.authenticationAdministrator, ROLE.privilegedAuthenticationAdministrator, ROLE.userAdministrator, ROLE.globalAdministrator],
    app: ['User-Phone.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  readSyncBehavior: {
    delegated: ['User-OnPremisesSyncBehavior.ReadWrite.All'],
    roles: [ROLE.hybridIdentityAdministrator, ROLE.globalAdministrator],
    app: ['User-OnPremisesSyncBehavior.ReadWrite.All'],
  },
  writeSyncBehavior: {
    delegated: ['User-OnPremisesSyncBehavior.ReadWrite.All'],
    roles: [ROLE.hybridIdentityAdministrator, ROLE.globalAdministrator],
    app: ['User-OnPremisesSyncBehavior.ReadWrite.All'],
  },
  // POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/restart (Graph v1.0 reference).
  restartSyncJob: {
    delegated: ['Synchronization.ReadWrite.All'],
    roles: [ROLE.hybridIdentityAdministrator, ROLE.applicationAdministrator, ROLE.cloudApplicationAdministrator, ROLE.globalAdministrator],
    app: ['Synchronization.ReadWrite.All', 'Application.ReadWrite.OwnedBy'],
  },
};

export type PermissionState = 'granted' | 'missing' | 'unknown';
export type EvidenceSource = 'scopes' | 'wids' | 'app-roles' | 'probe' | 'rule';

export interface CapabilityCheck {
  capability: Capability;
  label: string;
  state: PermissionState;
  /** For 'missing': exactly what to grant ("User-Phone.ReadWrite.All (application) + admin consent"). */
  grant: string | null;
  reason: string;
  source: EvidenceSource;
}

/** A probe's outcome: the HTTP status a cheap request got (403 = refused), or null if not probed. */
export type ProbeOutcome = { status: number; message?: string };

const has = (granted: ReadonlySet<string>, any: readonly string[]) => any.some((p) => granted.has(p.toLowerCase()));
const orList = (xs: readonly string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);

/** Pure evaluation of one session against every capability; probes override inference. */
export function evaluatePermissions(session: Pick<AuthSession, 'kind' | 'grantedScopes' | 'directoryRoleIds' | 'appRoles'>, probes: Partial<Record<Capability, ProbeOutcome>> = {}): CapabilityCheck[] {
  return CAPABILITIES.map((c) => evaluateOne(c, session, probes[c]));
}

function evaluateOne(capability: Capability, s: Pick<AuthSession, 'kind' | 'grantedScopes' | 'directoryRoleIds' | 'appRoles'>, probe: ProbeOutcome | undefined): CapabilityCheck {
  const req = REQUIREMENTS[capability];
  const base = { capability, label: CAPABILITY_LABEL[capability] };
  const inferred = s.kind === 'app' ? inferApp(req, s.appRoles) : inferDelegated(req, s.grantedScopes, s.directoryRoleIds);
  if (probe) {
    if (probe.status === 403) {
      return { ...base, state: 'missing', grant: inferred.grant ?? missingText(req, s.kind), reason: `Graph refused the probe request with 403${probe.message ? `: ${probe.message}` : ''}.`, source: 'probe' };
    }
    if (probe.status >= 200 && probe.status < 300) return { ...base, state: 'granted', grant: null, reason: `Graph answered the probe request (HTTP ${probe.status}).`, source: 'probe' };
  }
  return { ...base, ...inferred };
}

function missingText(req: Requirement, kind: 'delegated' | 'app'): string {
  if (kind === 'app') return req.app.length ? `${orList(req.app)} (application permission) with admin consent` : 'a delegated sign-in (no application permission exists)';
  const roles = req.roles.length ? ` and the ${orList(req.roles.map(roleName))} role` : '';
  return `${orList(req.delegated)} (delegated)${req.delegatedAlso ? ` + ${req.delegatedAlso.join(' + ')}` : ''}${roles}`;
}

function inferApp(req: Requirement, appRoles: readonly string[] | null): Omit<CapabilityCheck, 'capability' | 'label'> {
  if (req.app.length === 0) return { state: 'missing', grant: 'a delegated sign-in as Global Administrator', reason: req.why ?? 'No application permission exists for this capability.', source: 'rule' };
  if (appRoles === null) return { state: 'unknown', grant: null, reason: 'msal does not report the roles of an app-only token; state them in the profile or run the probe.', source: 'app-roles' };
  const granted = new Set(appRoles.map((r) => r.toLowerCase()));
  const main = has(granted, req.app);
  const also = !req.appAlso || has(granted, req.appAlso);
  if (main && also) return { state: 'granted', grant: null, reason: 'The profile states the application permission is granted.', source: 'app-roles' };
  const need = [!main ? orList(req.app) : null, !also && req.appAlso ? req.appAlso.join(' + ') : null].filter(Boolean).join(' + ');
  return { state: 'missing', grant: `${need} (application permission) with admin consent`, reason: 'The profile does not list this application permission.', source: 'app-roles' };
}

function inferDelegated(req: Requirement, scopes: readonly string[], wids: readonly string[] | null): Omit<CapabilityCheck, 'capability' | 'label'> {
  if (req.delegated.length === 0) return { state: 'missing', grant: 'an application permission', reason: req.why ?? 'No delegated permission exists.', source: 'rule' };
  const granted = new Set(scopes.map((x) => x.toLowerCase()));
  const main = has(granted, req.delegated);
  const also = !req.delegatedAlso || has(granted, req.delegatedAlso);
  if (!main || !also) {
    const need = [!main ? orList(req.delegated) : null, !also && req.delegatedAlso ? req.delegatedAlso.join(' + ') : null].filter(Boolean).join(' + ');
    return { state: 'missing', grant: `${need} (delegated) with admin consent`, reason: 'The sign-in did not return this permission among its scopes.', source: 'scopes' };
  }
  if (req.roles.length === 0) return { state: 'granted', grant: null, reason: 'The delegated permission is granted.', source: 'scopes' };
  if (wids === null) {
    return { state: 'unknown', grant: null, reason: `The permission is granted, but the ID token carried no directory roles (wids), so whether you hold ${orList(req.roles.map(roleName))} is unknown; a probe can tell.`, source: 'wids' };
  }
  const roles = new Set(wids.map((w) => w.toLowerCase()));
  if (req.roles.some((r) => roles.has(r))) {
    const held = req.roles.filter((r) => roles.has(r)).map(roleName);
    return { state: 'granted', grant: null, reason: `The permission is granted and you hold ${held.join(', ')}.`, source: 'wids' };
  }
  return { state: 'missing', grant: `the ${orList(req.roles.map(roleName))} role for the signed-in admin`, reason: `The permission is granted, but the signed-in account holds none of the roles Microsoft documents for it.`, source: 'wids' };
}
