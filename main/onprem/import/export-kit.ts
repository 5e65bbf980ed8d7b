/**
 * The export kit: the exact commands a customer runs (on a domain-joined Windows machine with
 * RSAT) to produce files the offline import reads without losing bytes. `Export-Csv` on its own
 * writes 'System.Byte[]' for byte arrays and a type name for multi-values; the calculated
 * properties below keep them (Base64, joined with '|'). ldifde writes binary values as Base64.
 */
import { CSV_MULTI_SEPARATOR } from './csv';
import { EXPORTED_ATTRIBUTES } from '../entry';

export interface ExportKitFile {
  name: string;
  content: string;
}

/** Attributes both exports read (derived from what the LDAP scan reads). */
export const EXPORT_ATTRIBUTES = EXPORTED_ATTRIBUTES;

const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

export function exportKitFiles(options: { baseDn?: string; server?: string } = {}): ExportKitFile[] {
  const base = options.baseDn ?? 'DC=contoso,DC=com';
  const server = options.server ?? '';
  const ldifde = [
    '@echo off',
    'rem SyncDrift export kit: users as LDIF. ldifde writes binary values (objectGUID, objectSid,',
    'rem mS-DS-ConsistencyGuid, replPropertyMetaData) as Base64, so nothing is lost.',
    'rem Run in a command prompt on a domain-joined machine with RSAT (AD DS tools).',
    `set BASE=${base}`,
    server ? `set SERVER=-s ${server}` : 'set SERVER=',
    `ldifde -f syncdrift-users.ldf %SERVER% -d "%BASE%" -p subtree -r "${USER_FILTER}" -l "${EXPORT_ATTRIBUTES.join(',')}"`,
    'echo Wrote syncdrift-users.ldf: import it with  syncdrift import --ldif syncdrift-users.ldf ...',
    '',
  ].join('\r\n');
  const b64 = (attr: string) => `@{n='${attr}';e={ if ($null -eq $_.'${attr}') { '' } else { [Convert]::ToBase64String([byte[]]$_.'${attr}') } }}`;
  const ps = [
    '# SyncDrift export kit: users as CSV without losing bytes.',
    "# A plain 'Get-ADUser | Export-Csv' writes 'System.Byte[]' for byte arrays and a type name for",
    '# multi-valued attributes: the calculated properties below keep byte arrays as Base64, the GUID',
    `# in .NET text form, the SID as S-1-5-..., and join multi-values with '${CSV_MULTI_SEPARATOR}'.`,
    '# Needs the ActiveDirectory module (RSAT). Run:  powershell -ExecutionPolicy Bypass -File export-csv.ps1',
    'param(',
    `  [string]$SearchBase = '${base}',`,
    `  [string]$Server = '${server}',`,
    "  [string]$OutFile = 'syncdrift-users.csv'",
    ')',
    "$ErrorActionPreference = 'Stop'",
    'Import-Module ActiveDirectory',
    `$props = @(${EXPORT_ATTRIBUTES.filter((a) => !['objectClass', 'mailNickname', 'msExchRecipientTypeDetails'].includes(a)).map((a) => `'${a}'`).join(', ')})`,
    '# Exchange attributes exist only where the Exchange schema was installed.',
    '$query = @{ LDAPFilter = ' + `'${USER_FILTER}'` + '; SearchBase = $SearchBase; ResultPageSize = 1000 }',
    '$srv = @{}',
    'if ($Server) { $query.Server = $Server; $srv.Server = $Server }',
    '$schemaNc = (Get-ADRootDSE @srv).schemaNamingContext',
    "$hasExchange = [bool](Get-ADObject -SearchBase $schemaNc -LDAPFilter '(lDAPDisplayName=msExchRecipientTypeDetails)' @srv)",
    "if ($hasExchange) { $props += 'mailNickname', 'msExchRecipientTypeDetails' }",
    '$query.Properties = $props',
    'Get-ADUser @query | Select-Object `',
    "  @{n='DistinguishedName';e={ $_.DistinguishedName }},",
    "  @{n='ObjectGUID';e={ $_.ObjectGUID.ToString() }},",
    "  @{n='objectSid';e={ $_.SID.Value }},",
    `  ${b64('mS-DS-ConsistencyGuid')},`,
    "  @{n='userPrincipalName';e={ $_.userPrincipalName }},",
    "  @{n='sAMAccountName';e={ $_.sAMAccountName }},",
    "  @{n='displayName';e={ $_.displayName }},",
    "  @{n='mobile';e={ $_.mobile }},",
    `  @{n='otherMobile';e={ ($_.otherMobile) -join '${CSV_MULTI_SEPARATOR}' }},`,
    "  @{n='telephoneNumber';e={ $_.telephoneNumber }},",
    "  @{n='c';e={ $_.c }},",
    "  @{n='whenChanged';e={ $_.whenChanged.ToUniversalTime().ToString('o') }},",
    "  @{n='uSNChanged';e={ $_.uSNChanged }},",
    "  @{n='isCriticalSystemObject';e={ $_.isCriticalSystemObject }},",
    "  @{n='adminDescription';e={ $_.adminDescription }},",
    "  @{n='mailNickname';e={ $_.mailNickname }},",
    "  @{n='msExchRecipientTypeDetails';e={ $_.msExchRecipientTypeDetails }},",
    `  ${b64('replPropertyMetaData')} |`,
    '  Export-Csv -Path $OutFile -NoTypeInformation -Encoding UTF8',
    'Write-Host "Wrote $OutFile: import it with  syncdrift import --adcsv $OutFile ..."',
    '',
  ].join('\r\n');
  const readme = [
    'SyncDrift export kit',
    '====================',
    '',
    'For partners who receive exports instead of access to the domain controllers. Run ONE of:',
    '',
    '  export-ldif.cmd   ldifde (built into Windows Server / RSAT): writes syncdrift-users.ldf',
    '  export-csv.ps1    PowerShell ActiveDirectory module: writes syncdrift-users.csv',
    '',
    `Both read the users under ${base} with the attributes SyncDrift needs:`,
    `  ${EXPORT_ATTRIBUTES.join(', ')}`,
    '',
    "Do not export with a plain 'Get-ADUser ... | Export-Csv': it writes 'System.Byte[]' instead",
    'of mS-DS-ConsistencyGuid and the replication metadata, and SyncDrift refuses such a file.',
    'The files contain phone numbers (personal data): hand them over through a protected channel.',
    '',
  ].join('\r\n');
  return [
    { name: 'export-ldif.cmd', content: ldifde },
    { name: 'export-csv.ps1', content: ps },
    { name: 'README.txt', content: readme },
  ];
}
