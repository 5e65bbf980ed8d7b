/**
 * The cloud table: which sign-in host and Graph root a profile talks to, and the msal-node
 * configuration that keeps every token request on that cloud. msal-node, left alone, asks
 * login.microsoftonline.com for instance discovery of any authority it does not know; a GCC High
 * admin or a custom host (proxy, sandbox) must never leak a request there, so every authority we
 * build carries its own cloud-discovery and OpenID metadata.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../core/errors';

export const CloudName = z.enum(['global', 'usgov', 'usgovdod', 'china', 'custom']);
export type CloudName = z.infer<typeof CloudName>;

export interface CloudEndpoints {
  /** https origin of the sign-in service, without a trailing slash. */
  authorityHost: string;
  /** https origin of Microsoft Graph, without a trailing slash or version. */
  graphBaseUrl: string;
  label: string;
}

/** DOMAIN.md "Clouds". M365 GCC signs in and reads Graph on the global endpoints. */
export const CLOUDS: Readonly<Record<Exclude<CloudName, 'custom'>, CloudEndpoints>> = {
  global: { authorityHost: 'https://login.microsoftonline.com', graphBaseUrl: 'https://graph.microsoft.com', label: 'Global (and M365 GCC)' },
  usgov: { authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://graph.microsoft.us', label: 'US Government L4 (GCC High)' },
  usgovdod: { authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://dod-graph.microsoft.us', label: 'US Government L5 (DoD)' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn', label: 'China (21Vianet)' },
};

const httpsOrigin = z
  .string()
  .url()
  .refine((s) => new URL(s).protocol === 'https:', 'must be an https:// URL')
  .refine((s) => {
    const u = new URL(s);
    return (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  }, 'must be a bare origin such as https://login.example.net (no path, query or fragment)');

/** The cloud part of a connection profile, as stored and as typed by an admin. */
export const ProfileCloud = z
  .object({
    cloud: CloudName.default('global'),
    /** Tenant id (GUID) or verified domain; 'organizations' only for a first interactive sign-in. */
    tenant: z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant id (GUID) or a domain name'),
    /** Application (client) id of the admin's app registration. */
    clientId: z.string().min(1),
    /** Overrides for 'custom' (required there) or to route a named cloud through another host. */
    authorityHost: httpsOrigin.optional(),
    graphBaseUrl: httpsOrigin.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.cloud === 'custom') {
      if (!p.authorityHost) ctx.addIssue({ code: 'custom', path: ['authorityHost'], message: "is required when cloud is 'custom'" });
      if (!p.graphBaseUrl) ctx.addIssue({ code: 'custom', path: ['graphBaseUrl'], message: "is required when cloud is 'custom'" });
    }
  });
export type ProfileCloud = z.input<typeof ProfileCloud>;

export interface ResolvedCloud {
  name: CloudName;
  tenant: string;
  clientId: string;
  authorityHost: string;
  graphBaseUrl: string;
  /** `${authorityHost}/${tenant}` */
  authority: string;
  /** host[:port] of the sign-in service, as msal compares it. */
  authorityHostAndPort: string;
}

const trimOrigin = (s: string) => new URL(s).origin;

/** Validates a profile's cloud section and resolves it to concrete endpoints. */
export function resolveCloud(input: unknown, field = 'cloud'): ResolvedCloud {
  const parsed = ProfileCloud.safeParse(input);
  if (!parsed.success) throw new ValidationError(field, formatIssues(parsed.error.issues));
  const p = parsed.data;
  const base = p.cloud === 'custom' ? undefined : CLOUDS[p.cloud];
  const authorityHost = trimOrigin(p.authorityHost ?? base?.authorityHost ?? '');
  const graphBaseUrl = trimOrigin(p.graphBaseUrl ?? base?.graphBaseUrl ?? '');
  return {
    name: p.cloud,
    tenant: p.tenant,
    clientId: p.clientId,
    authorityHost,
    graphBaseUrl,
    authority: `${authorityHost}/${p.tenant}`,
    authorityHostAndPort: new URL(authorityHost).host.toLowerCase(),
  };
}

/**
 * Scopes on the cloud's own Graph host. `.default` asks for whatever the app registration has
 * been consented, which is also what the permission check wants to see in `result.scopes`.
 */
export function graphScopes(cloud: Pick<ResolvedCloud, 'graphBaseUrl'>, permissions?: readonly string[]): string[] {
  if (!permissions || permissions.length === 0) return [`${cloud.graphBaseUrl}/.default`];
  return permissions.map((p) => `${cloud.graphBaseUrl}/${p}`);
}

/** Strips the Graph resource from a granted scope: 'https://graph.microsoft.us/User.Read.All' -> 'User.Read.All'. */
export function scopeName(scope: string): string {
  const i = scope.lastIndexOf('/');
  return i >= 0 ? scope.slice(i + 1) : scope;
}

/** OpenID configuration for the authority, in the shape msal's `authorityMetadata` expects. */
export function authorityMetadata(cloud: ResolvedCloud): Record<string, string> {
  const a = cloud.authority;
  return {
    token_endpoint: `${a}/oauth2/v2.0/token`,
    authorization_endpoint: `${a}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${a}/oauth2/v2.0/logout`,
    device_authorization_endpoint: `${a}/oauth2/v2.0/devicecode`,
    jwks_uri: `${a}/discovery/v2.0/keys`,
    issuer: `${cloud.authorityHost}/{tenantid}/v2.0`,
  };
}

/** Instance-discovery answer naming only this cloud's host, so msal never asks another cloud. */
export function cloudDiscoveryMetadata(cloud: ResolvedCloud): { tenant_discovery_endpoint: string; metadata: Array<{ preferred_network: string; preferred_cache: string; aliases: string[] }> } {
  const host = cloud.authorityHostAndPort;
  return {
    tenant_discovery_endpoint: `${cloud.authority}/v2.0/.well-known/openid-configuration`,
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** The `auth` part of an msal-node Configuration for this cloud (without credentials). */
export function msalAuthOptions(cloud: ResolvedCloud): {
  clientId: string;
  authority: string;
  knownAuthorities: string[];
  authorityMetadata: string;
  cloudDiscoveryMetadata: string;
} {
  return {
    clientId: cloud.clientId,
    authority: cloud.authority,
    knownAuthorities: [cloud.authorityHostAndPort],
    authorityMetadata: JSON.stringify(authorityMetadata(cloud)),
    cloudDiscoveryMetadata: JSON.stringify(cloudDiscoveryMetadata(cloud)),
  };
}
