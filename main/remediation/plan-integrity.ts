/**
 * Plan files carry an integrity check (issue 16 finding 2). `syncdrift plan` and `undo --restore-out`
 * sign what they write with an HMAC-SHA256 key that lives beside the workspace file
 * (`<workspace>.plan-key`, owner-only); `syncdrift apply` verifies it before it reads anything else. A plan edited after it was
 * written (a value changed, a row or a bypass step added), one without the check, or one signed by
 * another workspace's key is refused whole, naming the file and what is wrong.
 *
 * What this protects: a plan that passed through other hands (a ticket, a shared folder, a partner's
 * mail) or was edited by hand. It does not protect against someone who can read the workspace folder:
 * they can read the key too (docs/ARCHITECTURE.md, Trust boundary).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { ValidationError } from '../core/errors';
import { canonicalize } from '../evidence/stable-json';
import { Plan, parsePlan } from './plan-schema';

export const PLAN_INTEGRITY_ALG = 'HMAC-SHA256';
/** The key lives beside its workspace file: `workspace.db` → `workspace.db.plan-key`. */
export const PLAN_KEY_SUFFIX = '.plan-key';
const KEY_BYTES = 32;

export interface PlanIntegrity {
  alg: typeof PLAN_INTEGRITY_ALG;
  /** First 16 hex digits of SHA-256 of the key: names the workspace key without revealing it. */
  keyId: string;
  mac: string;
}

export function planKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** HMAC over the plan as the schema reads it, keys sorted: whitespace and key order do not matter. */
export function planMac(plan: Plan, key: Buffer): string {
  const canonical = JSON.stringify(canonicalize(Plan.parse(plan)));
  return createHmac('sha256', key).update(canonical).digest('hex');
}

/** The plan file's text: the plan's own fields, then `integrity`. */
export function signedPlanText(plan: Plan, key: Buffer): string {
  const integrity: PlanIntegrity = { alg: PLAN_INTEGRITY_ALG, keyId: planKeyId(key), mac: planMac(plan, key) };
  return `${JSON.stringify({ ...plan, integrity }, null, 2)}\n`;
}

/**
 * Reads a plan file and checks its integrity before the plan's own fields are trusted; throws a
 * ValidationError (PLAN_UNSIGNED, PLAN_FOREIGN_KEY, PLAN_TAMPERED) naming the file.
 */
export function verifyPlanText(text: string, key: Buffer, file = 'plan'): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(file, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ValidationError(file, 'is not a JSON object');
  const { integrity, ...rest } = raw as Record<string, unknown>;
  if (integrity === undefined) {
    throw new ValidationError(`${file}.integrity`, 'is missing: this plan was not written by syncdrift plan (or was written by a version without plan signing). Make the plan again with syncdrift plan; nothing was written.', { code: 'PLAN_UNSIGNED' });
  }
  const i = integrity as Partial<PlanIntegrity> | null;
  if (typeof i !== 'object' || i === null || i.alg !== PLAN_INTEGRITY_ALG || typeof i.keyId !== 'string' || typeof i.mac !== 'string' || !/^[0-9a-f]{64}$/.test(i.mac)) {
    throw new ValidationError(`${file}.integrity`, `must be {"alg":"${PLAN_INTEGRITY_ALG}","keyId":…,"mac":<64 hex digits>}; nothing was written`, { code: 'PLAN_TAMPERED' });
  }
  const ours = planKeyId(key);
  if (i.keyId !== ours) {
    throw new ValidationError(`${file}.integrity.keyId`, `is ${i.keyId}: the plan was signed by another workspace's key (this workspace's is ${ours}). Apply it with the --workspace it was planned with, or make the plan again here; nothing was written.`, { code: 'PLAN_FOREIGN_KEY' });
  }
  const plan = parsePlan(rest, file);
  const expected = Buffer.from(planMac(plan, key), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(i.mac, 'hex'))) {
    throw new ValidationError(file, 'was changed after syncdrift plan wrote it (its integrity check does not match its content). Nothing was written: review how the file was changed and make the plan again from the scan.', { code: 'PLAN_TAMPERED' });
  }
  return plan;
}

/**
 * The workspace's plan-signing key at `path`, created (owner-only, exclusive create) on first use.
 * A file of the wrong size is refused rather than replaced: replacing it would silently invalidate
 * (or, worse, re-key) every plan signed with it.
 */
export function loadOrCreatePlanKey(path: string): Buffer {
  // Written whole to a private temporary file, then hard-linked into place: link() fails if the key
  // exists, so two processes never see a half-written key and the first one's key wins.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw new ValidationError(path, `cannot create the plan-signing key (${(e as { code?: string }).code ?? String(e)})`, { cause: e });
  } finally {
    rmSync(tmp, { force: true });
  }
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (e) {
    throw new ValidationError(path, `cannot read the plan-signing key (${(e as { code?: string }).code ?? String(e)})`, { cause: e });
  }
  if (key.length !== KEY_BYTES) throw new ValidationError(path, `is ${key.length} bytes, a plan-signing key is ${KEY_BYTES}: it was damaged or replaced; move it away to start a new key (plans signed with the old one must then be made again)`, { code: 'PLAN_KEY_INVALID' });
  return key;
}
