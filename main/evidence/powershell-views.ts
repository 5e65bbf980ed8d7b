/**
 * The three PowerShell views of the field report (on-prem Exchange `Get-User | fl *mobile*`,
 * MSOnline `Get-MsolUser | fl *mobile*`, Exchange Online `Get-User | fl *mobile*`), RENDERED from the
 * scan's LDAP and Graph data. They are not captures: MSOnline is retired and Exchange Online has no
 * API for its Get-User, so every view says where its values came from and when they were read.
 * Pure (no Node APIs): the evidence package and the UI details drawer share it.
 */
import type { CloudUser, DriftRow, OnPremUser } from '../core/model';
import { maskPhone } from './mask';

export interface PowerShellView {
  title: string;
  text: string;
}

export interface RenderViewsOptions {
  /** Mask phone numbers (`+1 803 ••• ••12`). */
  mask?: boolean;
}

/** `fl` output: property names padded to one width, `Name : value`, blank lines around. */
function formatList(props: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...props.map(([k]) => k.length));
  return `\n${props.map(([k, v]) => `${k.padEnd(width)} : ${v}`.trimEnd()).join('\n')}\n`;
}

/** PowerShell shows a string as is, $null as nothing, an empty collection as {}. */
function psString(v: string | null | undefined): string {
  return v ?? '';
}

function psIdentity(v: string): string {
  return /[\s'"`$;&|(){}]/.test(v) ? `'${v.replace(/'/g, "''")}'` : v;
}

function label(kind: string, readFrom: string, at: string): string {
  return [
    `# RENDERED by SyncDrift Workbench from ${readFrom} read at ${at}.`,
    `# Not a capture of ${kind}: the values are the scan's data, laid out as that cmdlet would show them.`,
  ].join('\n');
}

/**
 * Renders the three views for one drift row. `onPremUser`/`cloudUser` are the raw snapshot objects
 * when available; otherwise the row's own copy of the values is used and the view says so.
 */
export function renderViews(
  row: DriftRow,
  onPremUser: OnPremUser | null | undefined,
  cloudUser: CloudUser | null | undefined,
  scanTime: string,
  options: RenderViewsOptions = {},
): PowerShellView[] {
  const m = (v: string | null | undefined): string => psString(options.mask && v ? maskPhone(v) : v);
  const views: PowerShellView[] = [];

  // On-premises Exchange Management Shell: reads AD `mobile`.
  const onPremSam = onPremUser?.samAccountName ?? row.onPrem?.samAccountName ?? null;
  const onPremId = onPremSam ?? onPremUser?.upn ?? row.onPrem?.upn ?? onPremUser?.dn ?? row.onPrem?.dn ?? null;
  const onPremMobile = onPremUser ? onPremUser.mobile : (row.onPrem?.value ?? null);
  const onPremSource = onPremUser ? 'the on-premises AD (LDAP) data' : "the drift report's copy of the AD data";
  // AD otherMobile (#17 point 11) from the same LDAP data, as Get-ADUser shows a multi-valued
  // attribute ({a, b}; {} when empty). Its cloud copy has no reader: the line after it says so.
  const onPremOther = onPremUser ? onPremUser.otherMobile : (row.otherMobile?.onPrem ?? row.onPrem?.otherMobile ?? []);
  const otherShown = `{${onPremOther.filter((v) => v.trim() !== '').map((v) => m(v)).join(', ')}}`;
  const adView = onPremId
    ? `\nPS C:\\> Get-ADUser ${psIdentity(onPremId)} -Properties mobile,otherMobile | fl mobile,otherMobile\n${formatList([
        ['mobile', m(onPremMobile)],
        ['otherMobile', otherShown],
      ])}# AlternateMobilePhones (Entra ID\u2019s copy of otherMobile): not readable through Graph v1.0, so its cloud values cannot be shown.\n`
    : '';
  views.push({
    title: `On-premises Exchange Management Shell: Get-User (RENDERED from AD data read at ${scanTime})`,
    text: onPremId
      ? `${label('the on-premises Exchange Management Shell', onPremSource, scanTime)}\n\n[PS] C:\\>Get-User ${psIdentity(onPremId)} | fl *mobile*\n${formatList([['MobilePhone', m(onPremMobile)]])}${adView}`
      : `${label('the on-premises Exchange Management Shell', onPremSource, scanTime)}\n\n# No on-premises account is matched to this row: nothing to show.\n`,
  });

  // MSOnline (retired): Get-MsolUser showed MobilePhone and AlternateMobilePhones.
  const cloudUpn = cloudUser?.userPrincipalName ?? row.cloud?.upn ?? null;
  const cloudMobile = cloudUser ? cloudUser.mobilePhone : (row.cloud?.value ?? null);
  const cloudSource = cloudUser ? 'the Microsoft Graph data' : "the drift report's copy of the Graph data";
  views.push({
    title: `MSOnline: Get-MsolUser (RENDERED from Graph data read at ${scanTime}; MSOnline is retired)`,
    text: cloudUpn
      ? `${label('MSOnline (retired)', cloudSource, scanTime)}\n# AlternateMobilePhones is not readable through Microsoft Graph: shown as (unknown), not as {}.\n\nPS C:\\> Get-MsolUser -UserPrincipalName ${psIdentity(cloudUpn)} | fl *mobile*\n${formatList([
          ['AlternateMobilePhones', '(unknown)'],
          ['MobilePhone', m(cloudMobile)],
        ])}`
      : `${label('MSOnline (retired)', cloudSource, scanTime)}\n\n# No Entra ID user is matched to this row: nothing to show.\n`,
  });

  // Exchange Online shows what Entra ID holds (GAL, contact card).
  views.push({
    title: `Exchange Online PowerShell: Get-User (RENDERED from Graph data read at ${scanTime}; Exchange Online has no API for this view)`,
    text: cloudUpn
      ? `${label('Exchange Online PowerShell', cloudSource, scanTime)}\n# Exchange Online shows the value Entra ID holds; its own copy may lag Entra ID by minutes.\n\nPS C:\\> Get-User ${psIdentity(cloudUpn)} | fl *mobile*\n${formatList([['MobilePhone', m(cloudMobile)]])}`
      : `${label('Exchange Online PowerShell', cloudSource, scanTime)}\n\n# No Entra ID user is matched to this row: nothing to show.\n`,
  });
  return views;
}
