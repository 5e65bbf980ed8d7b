/**
 * `syncdrift evidence` and `syncdrift verify-evidence`. Exit codes follow the CLI contract (0 done,
 * 1 unexpected, 2 usage or input error) plus 6 for "the package does not verify": 4 already means
 * "finished with partial data" and 5 "drift found", so a failed verification gets its own code.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DriftReport } from '../core/model';
import type { Clock } from '../core/ports';
import { formatIssues, isSyncDriftError, ValidationError } from '../core/errors';
import { APP_VERSION } from '../core/version';
import { EVIDENCE_CLOUDS, type EvidenceInputData, secretsInEnv, verifyEvidence, writeEvidencePackage } from '../evidence';

export const EVIDENCE_EXIT = { ok: 0, unexpected: 1, usage: 2, notVerified: 6 } as const;

export interface EvidenceCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface EvidenceCommandDeps {
  /** Reads the full raw data of a scan from a workspace (main/workspace); absent = --workspace is refused. */
  loadWorkspaceInput?: (workspace: string, scanRef: string | null) => Promise<EvidenceInputData>;
  clock?: Clock;
}

export const EVIDENCE_USAGE = `Usage: syncdrift evidence --report FILE [--users LIST] [--mask] --out ZIP
       syncdrift evidence --workspace DIR [--scan ID] [--users LIST] [--mask] --out ZIP

Writes the support-case evidence package (zip) for the users of a scan.

  --report FILE     a drift report (syncdrift scan --format json), or an evidence input file
                    (JSON with "report", "onPremUsers", "cloudUsers", "auditRecords", "tenant", ...).
                    From a report alone the raw LDAP/Graph data is not available: the package is
                    built from the report rows and its summary says so.
  --workspace DIR   read the scan's full raw data from a workspace
  --scan ID         with --workspace: which scan (default the latest)
  --users LIST      UPNs, Entra ID object ids or sAMAccountNames, comma-separated, or @FILE (one a line);
                    default: every user that needs attention
  --mask            mask phone numbers (+1 803 ••• ••12); recorded in the manifest
  --out ZIP         the file to write
  --operator NAME   who builds the package (default: $USER)
  --tenant-id ID, --cloud NAME, --scope DN (repeatable): facts a bare report does not carry

Exit codes: 0 written, 2 usage or input error, 1 unexpected error.
`;

export const VERIFY_EVIDENCE_USAGE = `Usage: syncdrift verify-evidence ZIP [--json]

Checks every file of an evidence package against the SHA-256 in its manifest.json.
Exit codes: 0 every hash matches and no file is missing or extra; 6 the package does not verify
(each problem names the file); 2 usage error; 1 unexpected error.
`;


async function readJson(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(flag, `cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError(`${path}`, `is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function userList(raw: string | undefined, cwd: string): Promise<string[]> {
  if (raw === undefined) return [];
  if (raw.startsWith('@')) {
    const file = abs(raw.slice(1), cwd);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new ValidationError('--users', `cannot read ${file}`);
    }
    return text
      .split(/\r?\n|,/)
      .map((s) => s.trim())
      .filter((s) => s !== '' && !s.startsWith('#'));
  }
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ValidationError('--users', 'is empty');
  return list;
}

function abs(p: string, cwd: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/** A report file, or a full evidence input file (recognised by its "report" member). */
function inputFromFile(raw: unknown, file: string, facts: { tenantId: string | null; cloud: string | null; scope: string[]; operator: string }): EvidenceInputData {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'report' in raw) {
    const full = raw as Record<string, unknown>;
    return { operator: facts.operator, toolVersion: APP_VERSION, ...full } as EvidenceInputData;
  }
  const report = DriftReport.safeParse(raw);
  if (!report.success) throw new ValidationError(file, `is neither a drift report nor an evidence input: ${formatIssues(report.error.issues, 'report')}`);
  return {
    report: report.data,
    onPremUsers: null,
    cloudUsers: null,
    auditRecords: [],
    tenant: {
      tenantId: facts.tenantId,
      cloud: (facts.cloud as (typeof EVIDENCE_CLOUDS)[number] | null) ?? null,
      syncFeatures: { state: 'unknown', reason: 'not recorded: the package was built from a report file alone' },
    },
    profile: report.data.profile,
    operator: facts.operator,
    scope: { searchBases: facts.scope, note: null },
    toolVersion: APP_VERSION,
    session: null,
  };
}

function fail(io: EvidenceCommandIo, e: unknown): number {
  if (isSyncDriftError(e) && e.kind === 'validation') {
    io.stderr.write(`syncdrift: ${e.message}\n`);
    return EVIDENCE_EXIT.usage;
  }
  if (isSyncDriftError(e)) {
    io.stderr.write(`syncdrift: ${e.message}\n`);
    return EVIDENCE_EXIT.unexpected;
  }
  io.stderr.write(`syncdrift: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EVIDENCE_EXIT.unexpected;
}

/** `syncdrift evidence …` (args without the command name). */
export async function runEvidenceCommand(args: readonly string[], io: EvidenceCommandIo, deps: EvidenceCommandDeps = {}): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        report: { type: 'string' },
        workspace: { type: 'string' },
        scan: { type: 'string' },
        users: { type: 'string' },
        mask: { type: 'boolean' },
        out: { type: 'string' },
        operator: { type: 'string' },
        'tenant-id': { type: 'string' },
        cloud: { type: 'string' },
        scope: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.stderr.write(`syncdrift evidence: ${e instanceof Error ? e.message : String(e)}\n\n${EVIDENCE_USAGE}`);
    return EVIDENCE_EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(EVIDENCE_USAGE);
    return EVIDENCE_EXIT.ok;
  }
  try {
    const out = typeof values.out === 'string' ? abs(values.out, io.cwd) : null;
    if (!out) throw new ValidationError('--out', 'is required (the zip file to write)');
    const report = typeof values.report === 'string' ? abs(values.report, io.cwd) : null;
    const workspace = typeof values.workspace === 'string' ? abs(values.workspace, io.cwd) : null;
    if (!report && !workspace) throw new ValidationError('--report', 'is required (a drift report or evidence input file), or use --workspace');
    if (report && workspace) throw new ValidationError('--workspace', 'cannot be combined with --report');
    const cloud = typeof values.cloud === 'string' ? values.cloud : null;
    if (cloud !== null && !(EVIDENCE_CLOUDS as readonly string[]).includes(cloud)) throw new ValidationError('--cloud', `must be one of ${EVIDENCE_CLOUDS.join(', ')}`);
    const operator = typeof values.operator === 'string' && values.operator.trim() !== '' ? values.operator.trim() : (io.env.USER ?? io.env.USERNAME ?? 'unknown');
    const facts = { tenantId: typeof values['tenant-id'] === 'string' ? values['tenant-id'] : null, cloud, scope: (values.scope as string[] | undefined) ?? [], operator };

    let input: EvidenceInputData;
    if (workspace) {
      if (!deps.loadWorkspaceInput) {
        throw new ValidationError('--workspace', 'this build cannot read the raw scan data from a workspace yet; pass --report with a report or an evidence input file');
      }
      input = await deps.loadWorkspaceInput(workspace, typeof values.scan === 'string' ? values.scan : null);
    } else {
      input = inputFromFile(await readJson(report!, '--report'), report!, facts);
    }
    const users = await userList(typeof values.users === 'string' ? values.users : undefined, io.cwd);
    const written = await writeEvidencePackage(input, out, {
      users,
      mask: values.mask === true,
      ...(deps.clock ? { clock: deps.clock } : {}),
      secrets: secretsInEnv(io.env),
    });
    const m = written.manifest;
    io.stdout.write(
      `Wrote ${written.path}: ${m.users} user(s), ${Object.keys(m.files).length + 1} files${m.masked ? ', phone numbers masked' : ''}${m.dataSource === 'report-rows' ? ', built from report rows only (no raw snapshots)' : ''}.\n` +
        `manifest.json SHA-256: ${written.manifestSha256}\n`,
    );
    return EVIDENCE_EXIT.ok;
  } catch (e) {
    return fail(io, e);
  }
}

/** `syncdrift verify-evidence ZIP [--json]`. */
export async function runVerifyEvidenceCommand(args: readonly string[], io: EvidenceCommandIo): Promise<number> {
  let parsed: { values: Record<string, boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.stderr.write(`syncdrift verify-evidence: ${e instanceof Error ? e.message : String(e)}\n\n${VERIFY_EVIDENCE_USAGE}`);
    return EVIDENCE_EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(VERIFY_EVIDENCE_USAGE);
    return EVIDENCE_EXIT.ok;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr.write(`syncdrift verify-evidence: ZIP: exactly one package file is required\n\n${VERIFY_EVIDENCE_USAGE}`);
    return EVIDENCE_EXIT.usage;
  }
  try {
    const zip = abs(parsed.positionals[0]!, io.cwd);
    const r = await verifyEvidence(zip);
    if (parsed.values.json) {
      io.stdout.write(`${JSON.stringify(r.ok ? { ok: true, files: r.files, manifestSha256: r.manifestSha256 } : { ok: false, problems: r.problems, manifestSha256: r.manifestSha256 }, null, 2)}\n`);
    } else if (r.ok) {
      io.stdout.write(`OK: ${r.files.length} files match manifest.json (SHA-256 ${r.manifestSha256}); nothing missing, nothing extra.\n`);
    } else {
      for (const p of r.problems) io.stdout.write(`${p.kind.toUpperCase()}: ${p.file}: ${p.message}\n`);
      io.stderr.write(`syncdrift verify-evidence: ${zip} does not verify (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}).\n`);
    }
    return r.ok ? EVIDENCE_EXIT.ok : EVIDENCE_EXIT.notVerified;
  } catch (e) {
    return fail(io, e);
  }
}
