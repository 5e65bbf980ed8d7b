/**
 * summary.md and summary.html: what was observed, what Microsoft documents, the tenant's sync state,
 * the counts, and what is asked of support. Both come from one SummaryModel so they never disagree.
 * The HTML is self-contained and printable: one inline <style> (allowed by its own CSP hash), no
 * scripts, no images, no fonts, nothing fetched. Pure; values arrive already masked when masking is on.
 */
import { createHash } from 'node:crypto';
import type { DriftRow, DriftStatus } from '../core/model';
import { DriftStatus as DriftStatusSchema } from '../core/model';
import { formatTime } from '../drift/cause';
import type { EvidenceInput } from './input';
import { DOC_LINKS } from './links';

export interface SummaryUser {
  row: DriftRow;
  file: string;
  /** True when this user is in the support request (override likely, cloud user still synced). */
  askSupport: boolean;
  lastCloudChange: { at: string; actor: string | null; syncWrite: boolean } | null;
}

export interface SummaryModel {
  input: EvidenceInput;
  users: SummaryUser[];
  masked: boolean;
  dataSource: 'snapshots' | 'report-rows';
  /** Files of the package other than manifest.json and the summaries themselves. */
  files: string[];
  selection: 'attention' | 'listed';
}

export const STATUS_WORDS: Record<DriftStatus, string> = {
  'cloud-override': 'Different numbers (cloud value edited in the cloud; AD changes ignored)',
  'format-only': 'Same number written differently (cloud text edited in the cloud)',
  'cloud-missing': 'AD has a number, Entra ID is empty',
  'onprem-missing': 'Entra ID has a number, AD is empty',
  'pending-sync': 'AD changed after the last sync (next cycle should carry it)',
  'in-sync': 'In sync',
  'rule-formatted': 'Reformatted by a sync rule (Entra ID holds what the engine exported)',
  'unmatched-onprem': 'AD account without an Entra ID twin',
  'unmatched-cloud': 'Synced Entra ID user without an AD twin in the scanned scope',
};

function cloudName(c: string | null): string {
  switch (c) {
    case 'global':
      return 'Global (login.microsoftonline.com)';
    case 'usgov':
      return 'US Government L4 / GCC High';
    case 'usgovdod':
      return 'US Government L5 / DoD';
    case 'china':
      return 'China (21Vianet)';
    case 'custom':
      return 'Custom endpoints';
    default:
      return 'unknown (not in the input)';
  }
}

function bypassText(m: SummaryModel): string {
  const f = m.input.tenant.syncFeatures;
  if (f.state === 'unknown') return `unknown: ${f.reason}`;
  return f.bypassDirSyncOverridesEnabled ? 'enabled (true)' : 'not enabled (false)';
}

/** Plain facts as [label, value] pairs, shared by both renderings. */
function facts(m: SummaryModel): [string, string][] {
  const t = m.input.tenant;
  return [
    ['Organization', t.displayName ?? 'unknown'],
    ['Tenant id', t.tenantId ?? 'unknown (not in the input)'],
    ['Cloud', cloudName(t.cloud)],
    ['Profile', m.input.profile],
    ['Operator', m.input.operator],
    ['Scan time', `${m.input.report.generatedAt} (${formatTime(m.input.report.generatedAt)})`],
    ['Scope (search bases)', m.input.scope.searchBases.length > 0 ? m.input.scope.searchBases.join('; ') : 'not recorded'],
    ...(m.input.scope.note ? ([['Scope note', m.input.scope.note]] as [string, string][]) : []),
    ['Tool', `SyncDrift Workbench ${m.input.toolVersion}`],
    ['Phone numbers', m.masked ? 'masked (country code, area group and last two digits kept)' : 'shown in full'],
  ];
}

function syncFacts(m: SummaryModel): [string, string][] {
  const t = m.input.tenant;
  const out: [string, string][] = [
    ['Directory synchronization (organization.onPremisesSyncEnabled)', t.onPremisesSyncEnabled === null ? 'unknown' : String(t.onPremisesSyncEnabled)],
    ['Last sync of the tenant (onPremisesLastSyncDateTime)', t.onPremisesLastSyncDateTime ? `${t.onPremisesLastSyncDateTime} (${formatTime(t.onPremisesLastSyncDateTime)})` : 'unknown'],
    ['Sync engine', t.syncEngine === 'connect-sync' ? 'Microsoft Entra Connect Sync' : t.syncEngine === 'cloud-sync' ? 'Microsoft Entra Cloud Sync' : 'unknown'],
    ['bypassDirSyncOverridesEnabled', bypassText(m)],
  ];
  if (t.syncFeatures.state === 'known') {
    const other = Object.entries(t.syncFeatures.features)
      .filter(([k]) => k !== 'bypassDirSyncOverridesEnabled')
      .sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [k, v] of other) out.push([k, String(v)]);
  }
  return out;
}

function counts(m: SummaryModel): [string, string, number][] {
  const by = m.input.report.summary.byStatus;
  return DriftStatusSchema.options.map((s) => [s, STATUS_WORDS[s], by[s] ?? 0] as [string, string, number]);
}

function observed(m: SummaryModel): string[] {
  const s = m.input.report.summary;
  const by = s.byStatus;
  const overrides = (by['cloud-override'] ?? 0) + (by['format-only'] ?? 0) + (by['cloud-missing'] ?? 0) + (by['onprem-missing'] ?? 0);
  const lines = [
    `The scan compared AD \`mobile\` with Entra ID \`mobilePhone\` for ${s.onPremUsers} in-scope AD accounts and ${s.cloudUsers} synchronized Entra ID users.`,
    `${overrides} matched users hold a cloud value that differs from AD (different number, same number written differently, or one side empty) although sync reports success: the pattern of a per-object DirSyncOverrides flag.`,
    `This package covers ${m.users.length} user(s) (${m.selection === 'listed' ? 'the users the operator listed' : 'every user that needs attention'}); ${m.users.filter((u) => u.askSupport).length} of them are in the request below.`,
  ];
  if (m.dataSource === 'report-rows') {
    lines.push(
      'Built from the drift report rows only: the raw LDAP and Graph snapshots and the audit records were not available, so each user file carries the report\u2019s copy of the values (no replication metadata beyond the report\u2019s change time, no Graph object as returned).',
    );
  }
  return lines;
}

function behaviour(): { text: string; link: { title: string; url: string } }[] {
  return [
    {
      text: 'Entra Connect copies AD `mobile` to Entra ID `mobilePhone` (and `otherMobile` to `AlternateMobilePhones`) on every cycle. Until 2025 these two values could also be edited in the cloud. The first cloud edit set a hidden per-object flag (DirSyncOverrides): from then on Entra ID ignores every on-premises change to them for that user, and sync still reports success. Graph does not expose the flag.',
      link: DOC_LINKS.bypassHowTo,
    },
    {
      text: 'The tenant-wide feature `bypassDirSyncOverridesEnabled` on the Graph onPremisesSynchronization resource makes AD win again, after a full (initial) sync cycle, for every user whose values differ: not only the listed ones. Cloud values overwritten that way cannot be written back through Graph.',
      link: DOC_LINKS.syncResource,
    },
    { text: 'The feature\u2019s definition: when true, the AD values of Mobile and OtherMobile persist during sync cycles instead of the cloud values.', link: DOC_LINKS.syncFeatures },
    {
      text: 'Since April 2025 MobilePhone and AlternateMobilePhones of synchronized users can no longer be changed in the cloud, only through sync. Overrides created before remain, and so do the differences.',
      link: DOC_LINKS.april2025,
    },
    { text: 'Graph has refused to update mobilePhone of on-premises-mastered users since October 2020; cloud edits came through the admin portal, the user\u2019s profile page or MSOnline.', link: DOC_LINKS.graphBreakingChange2020 },
    { text: 'The field report of this behaviour ends: a support case can be used to discuss options with product support services.', link: DOC_LINKS.fieldReport },
  ];
}

function ask(m: SummaryModel): { intro: string[]; ids: SummaryUser[]; notes: string[] } {
  const ids = m.users.filter((u) => u.askSupport);
  // Microsoft's troubleshooting guidance no longer offers a per-object revert through support; it
  // points to the bypass. So the package asks for what support can do today: confirm what only
  // Microsoft can see (the hidden flag) and advise on the supported remedy and its reach.
  const intro = [
    `Please confirm that a DirSyncOverrides flag for the mobile phone attributes (MobilePhone, AlternateMobilePhones) is what keeps the on-premises values from applying for the ${ids.length} Entra ID object id(s) listed below (sync reports success; Graph does not expose the flag), and advise on the supported remedy for them.`,
    'Microsoft\u2019s guidance (the BypassDirSyncOverrides how-to, revised 2025-04-09) no longer offers a per-object revert; it points to the tenant-wide feature `BypassDirSyncOverridesEnabled` followed by a full (initial) sync cycle. We have not enabled it yet because it overwrites the cloud values of every synchronized user whose values differ, including users not listed here, and those values cannot be written back through Graph. Please tell us whether anything other than the bypass applies to these objects, and confirm which users the bypass would change.',
  ];
  const notes: string[] = [];
  if (ids.some((u) => u.row.status === 'onprem-missing')) {
    notes.push('For users whose AD `mobile` is empty (status onprem-missing), the bypass and a full cycle most likely clear the cloud value: our reading of "overwrite all the different values", not stated by Microsoft.');
  }
  // #17 point 11: the bypass persists OtherMobile too, and nothing can read the cloud's side of it.
  const withOther = m.users.filter((u) => (u.row.otherMobile?.onPrem ?? u.row.onPrem?.otherMobile ?? []).length > 0).length;
  notes.push(
    `${withOther} user(s) in this package have AD otherMobile values (in their user files and affected-users.csv). AlternateMobilePhones is not readable through Graph v1.0, so its cloud values are not in this package and whether they differ is unknown: the bypass would push AD\u2019s otherMobile values wherever they differ, and nothing can verify it afterwards.`,
  );
  if (ids.length === 0) notes.push('No user in this package points at an override: the request is informational.');
  return { intro, ids, notes };
}

function value(v: string | null | undefined): string {
  return v === null || v === undefined || v === '' ? '(empty)' : v;
}

// ---------------------------------------------------------------------------------------------
// Markdown

function mdEscape(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1').replace(/\r?\n/g, ' ');
}

/** Inline code that cannot be broken out of: a fence longer than any backtick run inside. */
function mdCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

export function renderSummaryMarkdown(m: SummaryModel): string {
  const out: string[] = [];
  const org = m.input.tenant.displayName ?? m.input.tenant.tenantId ?? 'unknown tenant';
  out.push(`# Mobile phone drift (DirSyncOverrides): evidence for ${mdEscape(org)}`, '');
  out.push('| Fact | Value |', '|---|---|');
  for (const [k, v] of facts(m)) out.push(`| ${mdEscape(k)} | ${mdEscape(v)} |`);
  out.push('', '## What was observed', '');
  for (const l of observed(m)) out.push(`- ${l}`);
  out.push('', '## Documented behaviour', '');
  for (const b of behaviour()) out.push(`- ${b.text} See [${mdEscape(b.link.title)}](${b.link.url}).`);
  out.push('', '## The tenant\u2019s sync state and features', '', '| Setting | Value |', '|---|---|');
  for (const [k, v] of syncFacts(m)) out.push(`| ${mdEscape(k)} | ${mdEscape(v)} |`);
  out.push('', '## Counts by status (whole scan)', '', '| Status | Meaning | Users |', '|---|---|---:|');
  for (const [s, w, n] of counts(m)) out.push(`| ${s} | ${mdEscape(w)} | ${n} |`);
  out.push('', '## Users in this package', '');
  if (m.users.length === 0) out.push('None.');
  else {
    out.push('| User | Entra ID object id | Status | AD mobile | Entra ID mobilePhone | Last cloud change | File |', '|---|---|---|---|---|---|---|');
    for (const u of m.users) {
      const lc = u.lastCloudChange ? `${formatTime(u.lastCloudChange.at)} by ${u.lastCloudChange.actor ?? 'unnamed'}${u.lastCloudChange.syncWrite ? ' (sync)' : ''}` : (u.row.cloud?.changeState ?? 'n/a');
      out.push(
        `| ${mdEscape(u.row.upn)} | ${u.row.cloud ? mdCode(u.row.cloud.id) : 'none'} | ${u.row.status} | ${mdCode(value(u.row.onPrem?.value))} | ${mdCode(value(u.row.cloud?.value))} | ${mdEscape(lc)} | ${mdEscape(u.file)} |`,
      );
    }
    out.push('');
    for (const u of m.users) out.push(`- **${mdEscape(u.row.upn)}**: ${mdEscape(u.row.cause)}`);
  }
  const a = ask(m);
  out.push('', '## What we ask of support', '');
  for (const l of a.intro) out.push(l, '');
  if (a.ids.length > 0) {
    out.push('| Entra ID object id | User | onPremisesImmutableId |', '|---|---|---|');
    for (const u of a.ids) out.push(`| ${mdCode(u.row.cloud!.id)} | ${mdEscape(u.row.upn)} | ${mdCode(u.row.cloud!.immutableId ?? u.row.onPrem?.sourceAnchor ?? '')} |`);
    out.push('');
  }
  for (const n of a.notes) out.push(`- ${n}`);
  out.push('', '## In this package', '');
  out.push('- `manifest.json`: tool version, profile, tenant, operator, scan and package times, scope, masking, and the SHA-256 of every other file.');
  for (const f of m.files) out.push(`- \`${f}\``);
  out.push(
    '',
    'The PowerShell views in `transcript.txt` are RENDERED from the scan\u2019s LDAP and Graph data: MSOnline is retired and Exchange Online has no API for its Get-User view.',
    '',
    'Check integrity with `syncdrift verify-evidence <this zip>`, or compare each file\u2019s SHA-256 with `manifest.json`.',
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Our template prose: escaped, with `code` spans rendered. */
function htmlProse(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid #c8c8c8; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; }
code { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: .92em; overflow-wrap: anywhere; }
.ask { border: 2px solid #0f6cbd; padding: .5rem 1rem; background: #f3f8fd; }
.note { color: #444; }
a { color: #0f5a9c; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  a::after { content: " (" attr(href) ")"; font-size: .85em; color: #444; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  .ask { background: none; }
}
`.trim();

function kvTable(rows: [string, string][]): string {
  return `<table>\n${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</table>`;
}

export function renderSummaryHtml(m: SummaryModel): string {
  const org = m.input.tenant.displayName ?? m.input.tenant.tenantId ?? 'unknown tenant';
  const styleHash = createHash('sha256').update(STYLE, 'utf8').digest('base64');
  const b: string[] = [];
  b.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  // Nothing may load: no scripts, no images, no fonts, no frames; only this one style block.
  b.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'none'; form-action 'none'; base-uri 'none'">`);
  b.push('<meta name="referrer" content="no-referrer">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  b.push(`<title>Mobile phone drift evidence: ${escapeHtml(org)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>');
  b.push(`<h1>Mobile phone drift (DirSyncOverrides): evidence for ${escapeHtml(org)}</h1>`);
  b.push(kvTable(facts(m)));
  b.push('<h2>What was observed</h2>', `<ul>\n${observed(m).map((l) => `<li>${htmlProse(l)}</li>`).join('\n')}\n</ul>`);
  b.push(
    '<h2>Documented behaviour</h2>',
    `<ul>\n${behaviour()
      .map((x) => `<li>${htmlProse(x.text)} See <a href="${escapeHtml(x.link.url)}" rel="noreferrer">${escapeHtml(x.link.title)}</a>.</li>`)
      .join('\n')}\n</ul>`,
  );
  b.push('<h2>The tenant\u2019s sync state and features</h2>', kvTable(syncFacts(m)));
  b.push(
    '<h2>Counts by status (whole scan)</h2>',
    `<table>\n<tr><th>Status</th><th>Meaning</th><th>Users</th></tr>\n${counts(m)
      .map(([s, w, n]) => `<tr><td><code>${escapeHtml(s)}</code></td><td>${escapeHtml(w)}</td><td class="num">${n}</td></tr>`)
      .join('\n')}\n</table>`,
  );
  b.push('<h2>Users in this package</h2>');
  if (m.users.length === 0) b.push('<p>None.</p>');
  else {
    b.push('<table>', '<tr><th>User</th><th>Entra ID object id</th><th>Status</th><th>AD mobile</th><th>Entra ID mobilePhone</th><th>Last cloud change</th><th>Likely cause</th></tr>');
    for (const u of m.users) {
      const lc = u.lastCloudChange ? `${formatTime(u.lastCloudChange.at)} by ${u.lastCloudChange.actor ?? 'unnamed'}${u.lastCloudChange.syncWrite ? ' (sync)' : ''}` : (u.row.cloud?.changeState ?? 'n/a');
      b.push(
        `<tr><td>${escapeHtml(u.row.upn)}<br><span class="note">${escapeHtml(u.file)}</span></td><td><code>${escapeHtml(u.row.cloud?.id ?? 'none')}</code></td><td><code>${u.row.status}</code></td><td><code>${escapeHtml(value(u.row.onPrem?.value))}</code></td><td><code>${escapeHtml(value(u.row.cloud?.value))}</code></td><td>${escapeHtml(lc)}</td><td>${escapeHtml(u.row.cause)}</td></tr>`,
      );
    }
    b.push('</table>');
  }
  const a = ask(m);
  b.push('<h2>What we ask of support</h2>', '<div class="ask">', ...a.intro.map((l) => `<p>${htmlProse(l)}</p>`));
  if (a.ids.length > 0) {
    b.push('<table>', '<tr><th>Entra ID object id</th><th>User</th><th>onPremisesImmutableId</th></tr>');
    for (const u of a.ids) b.push(`<tr><td><code>${escapeHtml(u.row.cloud!.id)}</code></td><td>${escapeHtml(u.row.upn)}</td><td><code>${escapeHtml(u.row.cloud!.immutableId ?? u.row.onPrem?.sourceAnchor ?? '')}</code></td></tr>`);
    b.push('</table>');
  }
  b.push(`<ul>\n${a.notes.map((n) => `<li>${htmlProse(n)}</li>`).join('\n')}\n</ul>`, '</div>');
  b.push(
    '<h2>In this package</h2>',
    `<ul>\n<li><code>manifest.json</code>: tool version, profile, tenant, operator, scan and package times, scope, masking, and the SHA-256 of every other file.</li>\n${m.files.map((f) => `<li><code>${escapeHtml(f)}</code></li>`).join('\n')}\n</ul>`,
    '<p class="note">The PowerShell views in <code>transcript.txt</code> are RENDERED from the scan\u2019s LDAP and Graph data: MSOnline is retired and Exchange Online has no API for its Get-User view.</p>',
    '<p class="note">Check integrity with <code>syncdrift verify-evidence &lt;this zip&gt;</code>, or compare each file\u2019s SHA-256 with <code>manifest.json</code>.</p>',
  );
  b.push('</body>', '</html>', '');
  return b.join('\n');
}
