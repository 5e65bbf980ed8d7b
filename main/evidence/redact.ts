/**
 * Secrets never enter a package. Inputs come from services that should not carry any, but the
 * session JSON is opaque to us and a journal may quote an error that quoted a header; so every value
 * goes through here: keys that name a secret lose their value, token-shaped strings are cut out, and
 * the secrets the caller knows (profile client secret, bind password, tokens) are replaced wherever
 * they occur. A final scan of every file (`findLeaks`) refuses to write a package that still has one.
 */

export const REDACTED = '[redacted]';

/** Key names whose values are secrets whatever they hold. */
const SECRET_KEY = /(secret|passw(or)?d|pwd|token|authorization|cookie|credential|private[-_]?key|assertion|api[-_]?key|client[-_]?key|signature)/i;
/** A JWT (header.payload[.signature]) or an Authorization header value. */
const TOKEN_IN_TEXT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** Known secrets shorter than this are not searched for: they would match ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** Environment variables whose values are secrets a package must never contain (by name). */
const SECRET_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|PASSPHRASE)/i;

/** The values of the environment's secret-named variables (what the CLI and the app both pass as known secrets). */
export function secretsInEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => SECRET_ENV.test(k) && typeof v === 'string' && v.length >= MIN_SECRET_LENGTH)
    .map(([, v]) => v as string);
}

export class SecretRedactor {
  private readonly secrets: string[];

  constructor(knownSecrets: ReadonlyArray<string | null | undefined> = []) {
    this.secrets = [...new Set(knownSecrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort(
      (a, b) => b.length - a.length,
    );
  }

  redactText(text: string): string {
    let out = text.replace(TOKEN_IN_TEXT, REDACTED);
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** A deep copy with every string redacted; keys are left alone (typed data: `pwdLastSet` is no secret). */
  redactStrings<T>(value: T): T {
    return this.walk(value, false) as T;
  }

  /** A deep copy with secret-named keys emptied and every string redacted (opaque data). */
  redactJson<T>(value: T): T {
    return this.walk(value, true) as T;
  }

  private walk(value: unknown, keyRules: boolean): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v, keyRules));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = keyRules && isSecretKey(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : this.walk(v, keyRules);
      }
      return out;
    }
    return value;
  }

  /**
   * Names every file that contains a known secret (plainly, base64 or URL-encoded) or a token-shaped
   * string; empty means clean.
   */
  findLeaks(files: ReadonlyMap<string, Buffer>): string[] {
    const needles = this.secrets.flatMap((s) => [s, Buffer.from(s, 'utf8').toString('base64'), encodeURIComponent(s)]);
    const leaks: string[] = [];
    for (const [name, data] of files) {
      const text = data.toString('utf8');
      TOKEN_IN_TEXT.lastIndex = 0;
      if (needles.some((n) => text.includes(n)) || TOKEN_IN_TEXT.test(text)) leaks.push(name);
      TOKEN_IN_TEXT.lastIndex = 0;
    }
    return leaks;
  }
}

/** True for keys like clientSecret, access_token, password, Authorization; a harmless match (deltaToken) only costs a value. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}
