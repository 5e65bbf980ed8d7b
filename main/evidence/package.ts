/**
 * Builds the support-case evidence package: the files (pure, deterministic) and the zip (fixed
 * mtimes, sorted entries, no extra timestamp fields), then writes it atomically. Same input → same
 * bytes, except manifest.json's packagedAt.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import yazl from 'yazl';
import type { CloudUser, DriftRow, DriftStatus, OnPremUser } from '../core/model';
import { ATTENTION_STATUSES } from '../core/model';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { SyncDriftError, ValidationError } from '../core/errors';
import { parseAuditValue, parseDirectoryAudits, type MobileChange } from '../drift/audit';
import { timelineOf } from '../drift/timeline';
import { NOT_READABLE } from '../drift/other-mobile';
import { APP_NAME } from '../core/version';
import { renderAffectedUsersCsv } from './csv';
import { parseEvidenceInput, type EvidenceInput } from './input';
import { EvidenceManifest, MANIFEST_FORMAT, MANIFEST_NAME, sha256Hex } from './manifest';
import { maskPhone, PhoneMasker } from './mask';
import { renderViews } from './powershell-views';
import { SecretRedactor } from './redact';
import { stableStringify } from './stable-json';
import { renderSummaryHtml, renderSummaryMarkdown, type SummaryModel, type SummaryUser } from './summary';

export interface BuildEvidenceOptions {
  /** Users to include: UPNs, Entra ID object ids, sAMAccountNames or row keys. Empty = every row that needs attention. */
  users?: readonly string[];
  /** Mask phone numbers (`+1 803 ••• ••12`); recorded in the manifest. */
  mask?: boolean;
  /** The package time; defaults to the clock's now. It is written to manifest.json only. */
  packagedAt?: Date | string;
  clock?: Clock;
  /** Secrets the caller knows (client secret, bind password, tokens): redacted anywhere, and the build fails if one survives. */
  secrets?: ReadonlyArray<string | null | undefined>;
}

export interface EvidenceFiles {
  /** Every file of the package, manifest.json included, by path inside the zip. */
  files: Map<string, Buffer>;
  manifest: EvidenceManifest;
  /** SHA-256 of manifest.json: quote it in the support case to pin the whole package. */
  manifestSha256: string;
}

export interface EvidencePackage extends EvidenceFiles {
  zip: Buffer;
}

export interface WrittenEvidence extends EvidencePackage {
  path: string;
}

/** Statuses where a per-object override is the likely cause: what support is asked to revert. */
export const OVERRIDE_STATUSES: readonly DriftStatus[] = ['cloud-override', 'format-only', 'cloud-missing', 'onprem-missing'];

/**
 * DOS timestamps carry no zone and yazl reads local fields: built per call from local fields, so every
 * time zone writes the same bytes; one day after the DOS epoch, so yazl's clamp (1980-01-01 in the zone
 * it was loaded in) never applies.
 */
const fixedMtime = (): Date => new Date(1980, 0, 2, 0, 0, 0);

function onPremKey(sourceId: string, objectGuid: string): string {
  return `${sourceId}\u0000${objectGuid.toLowerCase()}`;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** users/<cloud id>.json, else users/anchor-<base64url of the source anchor>.json. */
function userFileName(row: DriftRow, taken: Set<string>): string {
  const base = row.cloud
    ? safeName(row.cloud.id)
    : row.onPrem
      ? `anchor-${safeName(row.onPrem.sourceAnchor.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))}`
      : `row-${safeName(row.key)}`;
  let name = `users/${base}.json`;
  for (let i = 2; taken.has(name.toLowerCase()); i++) name = `users/${base}-${i}.json`;
  taken.add(name.toLowerCase());
  return name;
}

function selectRows(rows: readonly DriftRow[], users: readonly string[] | undefined): DriftRow[] {
  const wanted = (users ?? []).map((u) => u.trim()).filter((u) => u !== '');
  let picked: DriftRow[];
  if (wanted.length === 0) {
    picked = rows.filter((r) => ATTENTION_STATUSES.includes(r.status));
  } else {
    const chosen = new Set<DriftRow>();
    for (const w of wanted) {
      const lw = w.toLowerCase();
      const hits = rows.filter((r) =>
        [r.upn, r.key, r.cloud?.id, r.cloud?.upn, r.onPrem?.upn, r.onPrem?.samAccountName].some((x) => x !== null && x !== undefined && x.toLowerCase() === lw),
      );
      if (hits.length === 0) throw new ValidationError('users', `no row of the report matches '${w}' (use a UPN, an Entra ID object id, a sAMAccountName or a row key)`, { code: 'EVIDENCE_UNKNOWN_USER' });
      for (const h of hits) chosen.add(h);
    }
    picked = [...chosen];
  }
  return picked.sort((a, b) => {
    const ua = a.upn.toLowerCase();
    const ub = b.upn.toLowerCase();
    if (ua !== ub) return ua < ub ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
}

type RawAudit = Record<string, unknown>;

function auditTargets(rec: RawAudit): string[] {
  const t = rec.targetResources;
  if (!Array.isArray(t)) return [];
  return t.map((x: unknown) => (x !== null && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string' ? (x as { id: string }).id : null)).filter((x): x is string => x !== null);
}

function auditOrder(a: RawAudit, b: RawAudit): number {
  const ta = Date.parse(String(a.activityDateTime));
  const tb = Date.parse(String(b.activityDateTime));
  if (ta !== tb) return ta - tb;
  const ia = String(a.id);
  const ib = String(b.id);
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

// ----- masking of the typed objects: only phone fields, so ids, SIDs and DNs stay exact

function maskRow(r: DriftRow): DriftRow {
  return {
    ...r,
    onPrem: r.onPrem ? { ...r.onPrem, value: maskPhone(r.onPrem.value), otherMobile: r.onPrem.otherMobile.map((v) => maskPhone(v)) } : null,
    cloud: r.cloud ? { ...r.cloud, value: maskPhone(r.cloud.value) } : null,
    normalized: { onPrem: maskPhone(r.normalized.onPrem), cloud: maskPhone(r.normalized.cloud) },
    ...(r.engine !== undefined ? { engine: r.engine ? maskEngine(r.engine) : null } : {}),
    ...(r.otherMobile ? { otherMobile: { ...r.otherMobile, onPrem: r.otherMobile.onPrem.map((v) => maskPhone(v)), normalized: r.otherMobile.normalized.map((v) => maskPhone(v)) } } : {}),
  };
}

function evidenceOtherMobile(row: DriftRow) {
  const o = row.otherMobile;
  if (!o) return { source: 'none', note: row.onPrem ? 'This report row predates the otherMobile comparison.' : 'No AD account is matched to this user.' };
  return { source: 'ad', onPrem: o.onPrem, normalized: o.normalized, changedAt: o.changedAt, cloud: NOT_READABLE, verdict: o.verdict, note: o.note };
}

function maskEngine(e: NonNullable<DriftRow['engine']>): NonNullable<DriftRow['engine']> {
  return { ...e, exported: e.exported ? { mobile: maskPhone(e.exported.mobile), otherMobile: e.exported.otherMobile.map((v) => maskPhone(v)) } : null };
}

function maskOnPrem(u: OnPremUser): OnPremUser {
  return { ...u, mobile: maskPhone(u.mobile), otherMobile: u.otherMobile.map((v) => maskPhone(v)), telephoneNumber: maskPhone(u.telephoneNumber) };
}

function maskCloud(u: CloudUser): CloudUser {
  return { ...u, mobilePhone: maskPhone(u.mobilePhone), businessPhones: u.businessPhones.map((v) => maskPhone(v)) };
}

function maskAudit(rec: RawAudit, masker: PhoneMasker): RawAudit {
  const targets = rec.targetResources;
  if (!Array.isArray(targets)) return rec;
  return {
    ...rec,
    targetResources: targets.map((t: unknown) => {
      if (t === null || typeof t !== 'object') return t;
      const mods = (t as { modifiedProperties?: unknown }).modifiedProperties;
      if (!Array.isArray(mods)) return t;
      return {
        ...t,
        modifiedProperties: mods.map((p: unknown) => {
          if (p === null || typeof p !== 'object') return p;
          const q = { ...(p as Record<string, unknown>) };
          for (const k of ['oldValue', 'newValue']) if (typeof q[k] === 'string') q[k] = masker.maskString(q[k]);
          return q;
        }),
      };
    }),
  };
}

function registerAudit(rec: RawAudit, masker: PhoneMasker): void {
  for (const t of Array.isArray(rec.targetResources) ? rec.targetResources : []) {
    const mods = t !== null && typeof t === 'object' ? (t as { modifiedProperties?: unknown }).modifiedProperties : null;
    if (!Array.isArray(mods)) continue;
    for (const p of mods) {
      if (p === null || typeof p !== 'object') continue;
      for (const k of ['oldValue', 'newValue'] as const) {
        const v = (p as Record<string, unknown>)[k];
        if (typeof v !== 'string') continue;
        try {
          const arr: unknown = JSON.parse(v);
          if (Array.isArray(arr)) masker.add(...arr.filter((x): x is string => typeof x === 'string'));
        } catch {
          masker.add(parseAuditValue(v));
        }
      }
    }
  }
}

function transcriptOf(users: ReadonlyArray<{ row: DriftRow; file: string; onPrem: OnPremUser | null; cloud: CloudUser | null }>, input: EvidenceInput): string {
  const scanAt = input.report.generatedAt;
  const out = [
    `${APP_NAME} ${input.toolVersion}: PowerShell views of the scan of ${scanAt}`,
    '',
    'Every view below is RENDERED from the data this scan read (LDAP for the on-premises view, Microsoft Graph for',
    'the cloud views) and laid out as the cmdlet shows it. None is a capture: MSOnline (Get-MsolUser) is retired,',
    'and Exchange Online has no API for its Get-User view.',
    '',
  ];
  if (users.length === 0) out.push('(No users in this package.)', '');
  for (const u of users) {
    out.push(`==== ${u.row.upn} (${u.row.status}; ${u.file}) ====`, '');
    for (const v of renderViews(u.row, u.onPrem, u.cloud, scanAt)) out.push(`---- ${v.title} ----`, v.text);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** Builds every file of the package (pure apart from hashing); throws if a known secret would be written. */
export function buildEvidenceFiles(rawInput: unknown, options: BuildEvidenceOptions = {}): EvidenceFiles {
  const parsed = parseEvidenceInput(rawInput);
  const redactor = new SecretRedactor(options.secrets ?? []);
  // Typed data: strings only (attribute names like pwdLastSet are not secrets). Opaque data: key rules too.
  const input: EvidenceInput = {
    ...redactor.redactStrings(parsed),
    auditRecords: parsed.auditRecords.map((r) => redactor.redactJson(r)),
    session: parsed.session ? redactor.redactJson(parsed.session) : null,
  };
  const mask = options.mask === true;
  const packagedAtRaw = options.packagedAt ?? (options.clock ?? systemClock).now();
  const packagedAt = typeof packagedAtRaw === 'string' ? new Date(packagedAtRaw) : packagedAtRaw;
  if (!Number.isFinite(packagedAt.getTime())) throw new ValidationError('packagedAt', 'is not a valid time');

  const rows = selectRows(input.report.rows, options.users);
  const dataSource: SummaryModel['dataSource'] = input.onPremUsers !== null && input.cloudUsers !== null ? 'snapshots' : 'report-rows';
  const onPremBy = new Map((input.onPremUsers ?? []).map((u) => [onPremKey(u.sourceId, u.objectGuid), u]));
  const cloudBy = new Map((input.cloudUsers ?? []).map((u) => [u.id, u]));
  const auditsBy = new Map<string, RawAudit[]>();
  for (const rec of input.auditRecords) for (const id of new Set(auditTargets(rec))) auditsBy.set(id, [...(auditsBy.get(id) ?? []), rec]);

  const masker = new PhoneMasker();
  const files = new Map<string, Buffer>();
  const taken = new Set<string>();
  const summaryUsers: SummaryUser[] = [];
  const transcriptUsers: { row: DriftRow; file: string; onPrem: OnPremUser | null; cloud: CloudUser | null }[] = [];

  for (const row of rows) {
    const file = userFileName(row, taken);
    const onPrem = row.onPrem ? (onPremBy.get(onPremKey(row.onPrem.sourceId, row.onPrem.objectGuid)) ?? null) : null;
    const cloud = row.cloud ? (cloudBy.get(row.cloud.id) ?? null) : null;
    const audits = row.cloud ? [...(auditsBy.get(row.cloud.id) ?? [])].sort(auditOrder) : [];
    const parsedAudits = parseDirectoryAudits(audits);
    const changes: MobileChange[] = row.cloud ? parsedAudits.changes.filter((c) => c.targetId === row.cloud!.id) : [];
    const latest = changes.reduce<MobileChange | null>((acc, c) => (acc === null || Date.parse(c.at) >= Date.parse(acc.at) ? c : acc), null);
    const askSupport = row.cloud !== null && !row.cloud.managed && OVERRIDE_STATUSES.includes(row.status);

    masker.add(row.onPrem?.value, row.cloud?.value, row.normalized.onPrem, row.normalized.cloud, ...(row.onPrem?.otherMobile ?? []), ...(row.otherMobile?.normalized ?? []));
    if (row.engine?.exported) masker.add(row.engine.exported.mobile, ...row.engine.exported.otherMobile);
    if (onPrem) masker.add(onPrem.mobile, onPrem.telephoneNumber, ...onPrem.otherMobile);
    if (cloud) masker.add(cloud.mobilePhone, ...cloud.businessPhones);
    for (const a of audits) registerAudit(a, masker);

    const outRow = mask ? maskRow(row) : row;
    const outOnPrem = onPrem && mask ? maskOnPrem(onPrem) : onPrem;
    const outCloud = cloud && mask ? maskCloud(cloud) : cloud;
    const outChanges = mask ? changes.map((c) => ({ ...c, oldValue: maskPhone(c.oldValue), newValue: maskPhone(c.newValue) })) : changes;
    const lastCloudChange = latest
      ? { at: latest.at, actor: latest.actor, syncWrite: latest.syncWrite }
      : row.cloud?.changeState === 'known' && row.cloud.changedAt
        ? { at: row.cloud.changedAt, actor: row.cloud.changedBy, syncWrite: false }
        : null;

    const doc = {
      format: 'syncdrift-evidence-user/1',
      upn: row.upn,
      verdict: { status: row.status, cause: row.cause, match: row.match, flags: row.flags, supportRequest: askSupport },
      timeline: timelineOf(row, { authorityChanges: parsedAudits.authorityChanges }),
      row: outRow,
      // The third side (issue 18): what the sync engine exported, by which rule, cited to the export's record.
      syncEngine: row.engine
        ? {
            source: row.engine.evidence[0]?.source ?? row.engine.engine,
            note: 'What the sync engine exported to Entra ID for this user (connector space of the Entra ID connector, or Cloud Sync), the rule that produced it, and the records of the exports it was read from.',
            engine: outRow.engine ?? null,
          }
        : { source: 'none', note: row.engine === null ? 'The sync engine exports given hold no object for this user.' : 'No sync engine exports were joined to this scan.', engine: null },
      onPrem: {
        source: onPrem ? 'snapshot' : row.onPrem ? 'report-row' : 'none',
        note: onPrem
          ? 'The AD account as the directory adapter read it: anchor, objectGUID, objectSid, DN, values and per-attribute replication metadata (changes).'
          : row.onPrem
            ? 'Raw AD data not available: see row.onPrem for the values the report kept.'
            : 'No AD account is matched to this user.',
        user: outOnPrem,
      },
      cloud: {
        source: cloud ? 'graph' : row.cloud ? 'report-row' : 'none',
        note: cloud
          ? 'The Entra ID user as Microsoft Graph returned it for the properties the scan selected; AlternateMobilePhones is not readable through Graph.'
          : row.cloud
            ? 'Raw Graph data not available: see row.cloud for the values the report kept.'
            : 'No Entra ID user is matched to this account.',
        user: outCloud,
      },
      // #17 point 11: the bypass pushes otherMobile too, and nothing can read the cloud's side of it.
      otherMobile: evidenceOtherMobile(outRow),
      auditRecords: mask ? audits.map((a) => maskAudit(a, masker)) : audits,
      mobileChanges: outChanges,
    };
    files.set(file, Buffer.from(stableStringify(doc), 'utf8'));
    summaryUsers.push({ row: outRow, file, askSupport, lastCloudChange });
    transcriptUsers.push({ row: outRow, file, onPrem: outOnPrem, cloud: outCloud });
  }

  files.set('affected-users.csv', Buffer.from(renderAffectedUsersCsv(summaryUsers), 'utf8'));
  files.set('transcript.txt', Buffer.from(transcriptOf(transcriptUsers, input), 'utf8'));
  if (input.session) {
    const s = mask ? masker.maskJson(input.session) : input.session;
    files.set('plan.json', Buffer.from(stableStringify(s.plan), 'utf8'));
    files.set('journal.json', Buffer.from(stableStringify(s.journal), 'utf8'));
    files.set('verification.json', Buffer.from(stableStringify(s.verification), 'utf8'));
  }
  const listed = [...files.keys(), 'summary.html', 'summary.md'].sort();
  const model: SummaryModel = { input, users: summaryUsers, masked: mask, dataSource, files: listed, selection: (options.users ?? []).some((u) => u.trim() !== '') ? 'listed' : 'attention' };
  files.set('summary.md', Buffer.from(renderSummaryMarkdown(model), 'utf8'));
  files.set('summary.html', Buffer.from(renderSummaryHtml(model), 'utf8'));

  const hashes: Record<string, string> = {};
  for (const name of [...files.keys()].sort()) hashes[name] = sha256Hex(files.get(name)!);
  const manifest = EvidenceManifest.parse({
    format: MANIFEST_FORMAT,
    tool: { name: APP_NAME, version: input.toolVersion },
    profile: input.profile,
    operator: input.operator,
    tenant: { id: input.tenant.tenantId, cloud: input.tenant.cloud, displayName: input.tenant.displayName },
    scanAt: input.report.generatedAt,
    packagedAt: packagedAt.toISOString(),
    scope: { searchBases: input.scope.searchBases, note: input.scope.note },
    masked: mask,
    dataSource,
    users: rows.length,
    session: input.session !== null,
    hashAlgorithm: 'SHA-256',
    files: hashes,
  });
  const manifestBytes = Buffer.from(stableStringify(manifest), 'utf8');
  files.set(MANIFEST_NAME, manifestBytes);

  const leaks = redactor.findLeaks(files);
  if (leaks.length > 0) {
    throw new SyncDriftError('internal', 'EVIDENCE_SECRET_LEAK', `The evidence package was not written: a secret or token would have appeared in ${leaks.join(', ')}.`, { details: { files: leaks } });
  }
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { files: sorted, manifest, manifestSha256: sha256Hex(manifestBytes) };
}

/** Zips files deterministically: sorted names, fixed DOS time, no extended timestamp, regular-file mode. */
export function zipFiles(files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    const mtime = fixedMtime();
    for (const name of [...files.keys()].sort()) {
      zip.addBuffer(files.get(name)!, name, { mtime, mode: 0o100644, compress: true, forceDosTimestamp: true });
    }
    zip.end();
  });
}

/** Builds the files and the zip in memory (the UI saves the bytes through its own dialog). */
export async function buildEvidencePackage(input: unknown, options: BuildEvidenceOptions = {}): Promise<EvidencePackage> {
  const built = buildEvidenceFiles(input, options);
  return { ...built, zip: await zipFiles(built.files) };
}

/** Builds and writes the package to `outPath` (temp file + rename, so a crash leaves no half zip). */
export async function writeEvidencePackage(input: unknown, outPath: string, options: BuildEvidenceOptions = {}): Promise<WrittenEvidence> {
  const pkg = await buildEvidencePackage(input, options);
  const tmp = `${outPath}.partial-${process.pid}`;
  try {
    await writeFile(tmp, pkg.zip, { mode: 0o600 });
    await rename(tmp, outPath);
  } catch (e) {
    await rm(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new SyncDriftError('validation', 'EVIDENCE_WRITE_FAILED', `Cannot write the evidence package to ${outPath}${code ? ` (${code})` : ''}: check that the folder exists and is writable.`, { cause: e });
  }
  return { ...pkg, path: outPath };
}
