/**
 * What the CLI needs from the other capabilities, as named factories. main() takes them as an
 * argument (tests pass their own); `defaultCliServices` is the production wiring (main/cli/sources.ts:
 * LDAP adapters + cloud client for live scans, the app's sandbox runtime for the demo).
 */
import type { Profile } from '../core/profile';
import { SyncDriftError } from '../core/errors';
import type { OnPremDirectory } from '../onprem/port';
import { importLdifFile } from '../onprem/import/ldif';
import { importAdCsvFile } from '../onprem/import/csv';
import { exportKitFiles } from '../onprem/import/export-kit';
import { openDemoSources, openLiveSources } from './sources';
import type { CliContext, DemoSources, ScanSources } from './context';

export interface ExportKitFile {
  name: string;
  content: string;
}

export interface CliServices {
  /** Live scan: an LDAP adapter per profile source and the signed-in cloud client (main/onprem + main/cloud). */
  openLiveSources(profile: Profile, ctx: CliContext): Promise<ScanSources>;
  /** The sandbox demo directory and tenant (main/sandbox): no arguments, no credentials. */
  openDemoSources(ctx: CliContext): Promise<DemoSources>;
  /** Offline on-prem export: ldifde LDIF or the export kit's CSV (main/onprem/import). */
  openOnPremImport(input: { ldif: string | null; adcsv: string | null; anchorAttribute?: string; sourceId?: string }): Promise<OnPremDirectory>;
  /** Files of the export kit (AD side from main/onprem, Entra side from the CLI). */
  exportKit(opts: { baseDn: string | null; server: string | null }): ExportKitFile[];
}

/** Commands for the Entra ID side of the export kit (Microsoft Graph PowerShell SDK). */
export function entraExportKit(): ExportKitFile[] {
  const props = [
    'Id',
    'UserPrincipalName',
    'DisplayName',
    'MobilePhone',
    'BusinessPhones',
    'OnPremisesSyncEnabled',
    'OnPremisesImmutableId',
    'OnPremisesSecurityIdentifier',
    'OnPremisesLastSyncDateTime',
    'OnPremisesDistinguishedName',
    'OnPremisesDomainName',
    'OnPremisesSamAccountName',
    'OnPremisesUserPrincipalName',
  ];
  const ps = [
    '# SyncDrift export kit: Entra ID users and mobile-phone audit records.',
    '# Needs the Microsoft Graph PowerShell SDK (Install-Module Microsoft.Graph -Scope CurrentUser).',
    '# onPremises* properties come back only when named, hence -Property.',
    "Connect-MgGraph -Scopes 'User.Read.All','AuditLog.Read.All','Directory.Read.All' -NoWelcome",
    `$props = @(${props.map((p) => `'${p}'`).join(', ')})`,
    'Get-MgUser -All -Property $props | Select-Object $props |',
    '  ConvertTo-Json -Depth 4 | Out-File -Encoding utf8 syncdrift-entra-users.json',
    '# Optional: who changed mobile numbers in the cloud (7 or 30 days of retention).',
    "Get-MgAuditLogDirectoryAudit -All -Filter \"activityDisplayName eq 'Update user'\" |",
    '  ConvertTo-Json -Depth 8 | Out-File -Encoding utf8 syncdrift-entra-audit.json',
    "Write-Host 'Wrote syncdrift-entra-users.json and syncdrift-entra-audit.json.'",
    "Write-Host 'Then: syncdrift import --ldif syncdrift-users.ldf --graph-json syncdrift-entra-users.json --audit-json syncdrift-entra-audit.json'",
    '',
  ].join('\r\n');
  return [{ name: 'export-entra.ps1', content: ps }];
}

export const defaultCliServices: CliServices = {
  openLiveSources,
  openDemoSources,
  async openOnPremImport(input) {
    const opts = { ...(input.anchorAttribute ? { anchorAttribute: input.anchorAttribute } : {}), ...(input.sourceId ? { sourceId: input.sourceId } : {}) };
    if (input.ldif) return importLdifFile(input.ldif, opts);
    if (input.adcsv) return importAdCsvFile(input.adcsv, opts);
    throw new SyncDriftError('validation', 'USAGE', '--ldif or --adcsv is required');
  },
  exportKit(opts) {
    return [...exportKitFiles({ ...(opts.baseDn ? { baseDn: opts.baseDn } : {}), ...(opts.server ? { server: opts.server } : {}) }), ...entraExportKit()];
  },
};
