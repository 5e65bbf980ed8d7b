/**
 * The connection profile file (issue 7's JSON): name, one or more on-prem sources, the cloud side,
 * defaultRegion. No secret lives in it: `passwordEnv` and `secretEnv` name environment variables,
 * certificates are files. Validation errors name the field; relative paths resolve against the
 * profile's folder. The on-prem source schema is main/core/onprem-profile.ts's (one definition).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, basename } from 'node:path';
import { z } from 'zod';
import { ValidationError } from './errors';
import { OnPremSource, parseOnPremProfile } from './onprem-profile';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const httpsOrigin = z
  .string()
  .url('must be a URL')
  .refine((s) => s.startsWith('https://'), 'must be an https:// URL');

export const CloudAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('clientSecret'), secretEnv: envName }),
  z.strictObject({ type: z.literal('certificate'), certificateFile: z.string().min(1), privateKeyFile: z.string().min(1), passphraseEnv: envName.optional() }),
  z.strictObject({ type: z.literal('deviceCode') }),
  z.strictObject({ type: z.literal('interactive') }),
]);
export type CloudAuth = z.infer<typeof CloudAuth>;

/**
 * The Microsoft sign-in hosts of every named cloud, national clouds included (main/cloud/clouds.ts's
 * CLOUDS; core may not import main/cloud, tests/unit/profile-authority.test.ts checks both agree),
 * plus msal's own name for China (login.partner.microsoftonline.cn, docs/cloud.md "Clouds").
 */
const DEFAULT_AUTHORITY: Readonly<Record<'global' | 'usgov' | 'usgovdod' | 'china', string>> = {
  global: 'https://login.microsoftonline.com',
  usgov: 'https://login.microsoftonline.us',
  usgovdod: 'https://login.microsoftonline.us',
  china: 'https://login.chinacloudapi.cn',
};
export const MICROSOFT_AUTHORITY_HOSTS: readonly string[] = [...new Set([...Object.values(DEFAULT_AUTHORITY), 'https://login.partner.microsoftonline.cn'])];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const originOf = (s: string) => new URL(s).origin.toLowerCase();

export const ProfileCloudSection = z
  .strictObject({
    /** 'sandbox': the built-in sandbox tenant on this machine (loopback hosts only, named explicitly). */
    environment: z.enum(['global', 'usgov', 'usgovdod', 'china', 'sandbox']).default('global'),
    tenantId: z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant id (GUID) or a domain name'),
    clientId: z.string().min(1),
    auth: CloudAuth,
    authorityHost: httpsOrigin.optional(),
    graphBaseUrl: httpsOrigin.optional(),
    /**
     * The tenant syncs with Cloud Sync: its configuration's service principal (Enterprise
     * applications, named after the AD domain). A scan then joins the job's mapping and provisioning
     * logs as the sync engine's view (docs/cloud.md "Cloud Sync").
     */
    cloudSync: z
      .strictObject({
        servicePrincipalId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be the object id (GUID) of the Cloud Sync configuration\'s service principal'),
        /** Days of provisioning logs to read (1-30, default 30). */
        logDays: z.number().int().min(1).max(30).optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    // A client secret goes to the authority host in the token request: only Microsoft's may get it.
    if (c.environment === 'sandbox') {
      for (const f of ['authorityHost', 'graphBaseUrl'] as const) {
        const v = c[f];
        if (!v) ctx.addIssue({ code: 'custom', path: [f], message: "is required when environment is 'sandbox'" });
        else if (!LOOPBACK.has(new URL(v).hostname.toLowerCase())) ctx.addIssue({ code: 'custom', path: [f], message: "must be a loopback address (127.0.0.1, localhost, [::1]) when environment is 'sandbox'" });
      }
    } else if (c.authorityHost && !MICROSOFT_AUTHORITY_HOSTS.includes(originOf(c.authorityHost))) {
      ctx.addIssue({ code: 'custom', path: ['authorityHost'], message: `must be a Microsoft sign-in host (${MICROSOFT_AUTHORITY_HOSTS.join(', ')}); only a profile whose environment is 'sandbox' may name another host` });
    }
  });
export type ProfileCloudSection = z.infer<typeof ProfileCloudSection>;

/** The sign-in host a profile's token requests (and its client secret) go to. */
export function authorityHostOf(cloud: Pick<ProfileCloudSection, 'environment' | 'authorityHost'>): string {
  if (cloud.authorityHost) return originOf(cloud.authorityHost);
  return cloud.environment === 'sandbox' ? '' : DEFAULT_AUTHORITY[cloud.environment];
}

const ProfileShape = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty'),
  onPrem: z.unknown(),
  cloud: ProfileCloudSection,
  defaultRegion: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO region such as US or DE')
    .transform((s) => s.toUpperCase())
    .optional(),
});

export interface Profile {
  name: string;
  onPrem: OnPremSource[];
  cloud: ProfileCloudSection;
  defaultRegion: string | null;
  /** Folder relative paths were resolved against. */
  dir: string;
}

function pathOf(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  return [prefix, ...path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
    .filter(Boolean)
    .join('.')
    .replace(/\.\[/g, '[');
}

const ONPREM_KEYS = new Set(Object.keys((OnPremSource as unknown as { shape: Record<string, unknown> }).shape));

/** Validates a parsed profile document; throws ValidationError naming the first bad field. */
export function parseProfile(doc: unknown, opts: { dir: string }): Profile {
  const r = ProfileShape.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const keys = i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys : undefined;
    const field = keys?.length ? pathOf([...i.path, keys[0]!]) : pathOf(i.path);
    const message = keys?.length ? 'unknown field (check the spelling)' : i.path.length === 0 && i.code === 'invalid_type' ? 'the profile must be a JSON object' : i.message;
    throw new ValidationError(field || '(root)', message, { cause: r.error, code: 'PROFILE_INVALID' });
  }
  if (r.data.onPrem === undefined) throw new ValidationError('onPrem', 'is required: one source object or an array of them', { code: 'PROFILE_INVALID' });
  // The on-prem schema strips unknown keys; a misspelt optional field must not vanish silently.
  const list = Array.isArray(r.data.onPrem) ? r.data.onPrem : [r.data.onPrem];
  list.forEach((s, i) => {
    if (s === null || typeof s !== 'object') return;
    const bad = Object.keys(s).find((k) => !ONPREM_KEYS.has(k));
    if (bad) throw new ValidationError(Array.isArray(r.data.onPrem) ? `onPrem[${i}].${bad}` : `onPrem.${bad}`, 'unknown field (check the spelling)', { code: 'PROFILE_INVALID' });
  });
  const onPrem = parseOnPremProfile(r.data.onPrem, { profileDir: opts.dir, prefix: 'onPrem' });
  const cloud = r.data.cloud;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(opts.dir, p));
  const auth: CloudAuth = cloud.auth.type === 'certificate' ? { ...cloud.auth, certificateFile: abs(cloud.auth.certificateFile), privateKeyFile: abs(cloud.auth.privateKeyFile) } : cloud.auth;
  return { name: r.data.name, onPrem, cloud: { ...cloud, auth }, defaultRegion: r.data.defaultRegion ?? null, dir: opts.dir };
}

/** Reads and validates a profile file; errors name the file and the field. */
export async function loadProfile(file: string): Promise<Profile> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ValidationError('--profile', code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? String(e)})`, { code: 'PROFILE_UNREADABLE' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new ValidationError(basename(file), `not valid JSON (${e instanceof Error ? e.message : String(e)})`, { code: 'PROFILE_INVALID' });
  }
  try {
    return parseProfile(doc, { dir: dirname(abs) });
  } catch (e) {
    if (e instanceof ValidationError) {
      const err = new ValidationError(e.field, `${e.message.replace(`${e.field}: `, '')} (in ${basename(file)})`, { cause: e, code: e.code });
      throw err;
    }
    throw e;
  }
}

/** The cloud section in the shape main/cloud's createCloudClient takes (`profileCloud`). */
export function toCloudClientProfile(cloud: ProfileCloudSection): { cloud: string; tenant: string; clientId: string; authorityHost?: string; graphBaseUrl?: string } {
  return {
    cloud: cloud.environment === 'sandbox' ? 'custom' : cloud.environment,
    tenant: cloud.tenantId,
    clientId: cloud.clientId,
    ...(cloud.authorityHost ? { authorityHost: cloud.authorityHost } : {}),
    ...(cloud.graphBaseUrl ? { graphBaseUrl: cloud.graphBaseUrl } : {}),
  };
}
