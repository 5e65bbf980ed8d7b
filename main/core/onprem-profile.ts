/**
 * The on-prem part of a connection profile (issue 7's `onPrem`): one source, or an array of them
 * (multi-domain / multi-forest). No secret lives here: `passwordEnv` names an environment
 * variable, or the host's vault supplies the password through the adapter's getPassword().
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues, ValidationError } from './errors';

const DN = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)=(?:[^,\\]|\\.)+(?:,\s*(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)=(?:[^,\\]|\\.)+)*$/;
const UPN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DOWN_LEVEL = /^[^\\/\s]+\\[^\\/\s]+$/;

export const dnString = z.string().trim().regex(DN, 'must be a distinguished name like OU=Staff,DC=contoso,DC=com');

export const LDAP_DEFAULTS = {
  pageSize: 1000,
  connectTimeoutMs: 10_000,
  operationTimeoutMs: 120_000,
  sourceAnchor: 'mS-DS-ConsistencyGuid',
} as const;

export const OnPremSource = z
  .object({
    /** Stable id within the profile; default derived from the URL's host. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits, . _ -').optional(),
    url: z
      .string()
      .trim()
      .regex(/^ldaps?:\/\/[^/\s:]+(?::\d{1,5})?\/?$/i, 'must be ldaps://host[:port] or ldap://host[:port]'),
    /** DN (CN=svc,OU=…), UPN (svc@contoso.com) or down-level (CONTOSO\svc). */
    bindDn: z
      .string()
      .trim()
      .refine((v) => DN.test(v) || UPN.test(v) || DOWN_LEVEL.test(v), 'must be a DN, a UPN (user@domain) or DOMAIN\\user'),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    baseDn: dnString,
    searchBases: z.array(dnString).min(1).optional(),
    /** PEM file with the CA(s) that issued the DC's certificate (private PKI); relative to the profile. */
    caFile: z.string().min(1).optional(),
    /** SHA-256 fingerprint of the DC's certificate (hex, colons optional): refuse any other. */
    certificatePin: z
      .string()
      .trim()
      .transform((v) => v.replace(/^sha256[:/]/i, '').replace(/:/g, '').toLowerCase())
      .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)'))
      .optional(),
    /** For ldap:// URLs: upgrade with StartTLS (default true). */
    startTls: z.boolean().default(true),
    /** Allow a simple bind without TLS (ldap:// with startTls false). Off by default: the password would travel in clear. */
    allowPlainLdap: z.boolean().default(false),
    /** Attribute whose bytes are the source anchor; falls back to objectGUID where empty. */
    sourceAnchor: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be an attribute name').default(LDAP_DEFAULTS.sourceAnchor),
    /** Extra LDAP filter ANDed with the user scope, e.g. (department=Sales). */
    filter: z.string().trim().min(3).optional(),
    pageSize: z.number().int().min(1).max(5000).default(LDAP_DEFAULTS.pageSize),
    timeouts: z
      .object({
        connectMs: z.number().int().min(100).max(600_000).default(LDAP_DEFAULTS.connectTimeoutMs),
        operationMs: z.number().int().min(100).max(3_600_000).default(LDAP_DEFAULTS.operationTimeoutMs),
      })
      .default({ connectMs: LDAP_DEFAULTS.connectTimeoutMs, operationMs: LDAP_DEFAULTS.operationTimeoutMs }),
    /** Other DCs (ldaps:// URLs) to check after a write, e.g. the one Entra Connect reads. */
    replicaDcs: z.array(z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/i, 'must be an ldap(s):// URL')).optional(),
  })
  .superRefine((s, ctx) => {
    if (/^ldap:/i.test(s.url) && !s.startTls && !s.allowPlainLdap) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowPlainLdap'],
        message: 'ldap:// without StartTLS would send the password in clear: use ldaps://, keep startTls, or set allowPlainLdap: true explicitly',
      });
    }
    const base = normDn(s.baseDn);
    (s.searchBases ?? []).forEach((b, i) => {
      if (!isUnder(normDn(b), base)) ctx.addIssue({ code: 'custom', path: ['searchBases', i], message: `'${b}' is not under baseDn '${s.baseDn}'` });
    });
  });
export type OnPremSource = z.infer<typeof OnPremSource>;
export type OnPremSourceInput = z.input<typeof OnPremSource>;

/** `onPrem` in a profile: one source or several. */
export const OnPremProfile = z.union([OnPremSource, z.array(OnPremSource).min(1)]);

/** Lower-cased, spaces after commas removed: for comparing DNs, not for display. */
export function normDn(dn: string): string {
  return dn.replace(/,\s+/g, ',').toLowerCase();
}

export function isUnder(dn: string, base: string): boolean {
  const d = normDn(dn);
  const b = normDn(base);
  return d === b || d.endsWith(`,${b}`);
}

/**
 * Parses `onPrem` from a profile: always an array, ids filled in, caFile resolved against the
 * profile's folder. Throws ValidationError naming the field (prefix e.g. 'onPrem').
 */
export function parseOnPremProfile(input: unknown, options: { profileDir?: string; prefix?: string } = {}): OnPremSource[] {
  const prefix = options.prefix ?? 'onPrem';
  const r = OnPremProfile.safeParse(input);
  if (!r.success) {
    const first = r.error.issues[0];
    const field = first ? [prefix, ...first.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[') : prefix;
    throw new ValidationError(field, formatIssues(r.error.issues, prefix).replace(/^[^:]*: /, ''), { cause: r.error });
  }
  const list = Array.isArray(r.data) ? r.data : [r.data];
  const seen = new Set<string>();
  return list.map((s, i) => {
    const id = s.id ?? new URL(s.url).hostname;
    if (seen.has(id)) throw new ValidationError(`${prefix}[${i}].id`, `duplicate source id '${id}': give each source its own id`);
    seen.add(id);
    const caFile = s.caFile && options.profileDir && !isAbsolute(s.caFile) ? resolve(options.profileDir, s.caFile) : s.caFile;
    return { ...s, id, caFile };
  });
}

/** A getPassword() that reads the variable the profile names, failing with its name when unset. */
export function passwordFromEnv(source: Pick<OnPremSource, 'passwordEnv' | 'id'>, env: Record<string, string | undefined>): () => Promise<string> {
  return async () => {
    if (!source.passwordEnv) throw new ValidationError(`onPrem(${source.id ?? ''}).passwordEnv`, 'no password source: set passwordEnv or store the password in the vault');
    const v = env[source.passwordEnv];
    if (!v) throw new ValidationError(`onPrem(${source.id ?? ''}).passwordEnv`, `environment variable ${source.passwordEnv} is not set or empty`);
    return v;
  };
}
