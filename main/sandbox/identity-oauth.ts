/**
 * What the sandbox's identity endpoints share (identity.ts, identity-device.ts, identity-authorize.ts):
 * Entra-shaped OAuth errors (AADSTS codes), scope parsing against the Graph resource, loopback
 * redirect matching and the sign-in page frame.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { SandboxApp } from './tenant-model';
import { escapeHtml, json, type SandboxResponse } from './http';

/** Graph's application id; the `aud` of Graph access tokens. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
export const TOKEN_LIFETIME_S = 3600;

/** Claims the Graph side reads from a verified access token. */
export interface AccessClaims extends JWTPayload {
  tid: string;
  oid: string;
  appid: string;
  app_displayname?: string;
  idtyp: 'app' | 'user';
  scp?: string;
  roles?: string[];
  wids?: string[];
  upn?: string;
  name?: string;
}

export function oauthError(status: number, error: string, code: number, description: string): SandboxResponse {
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

/** A scope naming a resource other than Graph (parseScopes answered null). */
export function unknownResource(): SandboxResponse {
  return oauthError(400, 'invalid_resource', 500011, 'The resource principal named in the scope was not found in the tenant.');
}

export function b64urlSha256(s: string): string {
  return createHash('sha256').update(s, 'ascii').digest('base64url');
}

/** Loopback redirect URIs match regardless of port, as Entra documents for native apps. */
export function redirectMatches(registered: string, actual: string): boolean {
  try {
    const r = new URL(registered);
    const a = new URL(actual);
    const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
    const path = (u: URL) => u.pathname.replace(/\/+$/, '');
    if (r.protocol === 'http:' && loopback(r.hostname) && loopback(a.hostname))
      return r.hostname === a.hostname && path(r) === path(a);
    return r.href.replace(/\/+$/, '') === a.href.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

/** Splits requested scopes into Graph permission names and OIDC scopes; null = foreign resource. */
export function parseScopes(raw: string, origin: string): { graph: string[]; oidc: string[]; isDefault: boolean } | null {
  const graph: string[] = [];
  const oidc: string[] = [];
  let isDefault = false;
  const prefixes = [`${origin}/`, 'https://graph.microsoft.com/', `${GRAPH_APP_ID}/`];
  for (const s of raw.split(/\s+/).filter(Boolean)) {
    if (OIDC_SCOPES.has(s)) {
      oidc.push(s);
      continue;
    }
    const prefix = prefixes.find((p) => s.startsWith(p));
    const name = prefix ? s.slice(prefix.length) : s.includes('/') ? null : s;
    if (name === null) return null;
    if (name === '.default') isDefault = true;
    else graph.push(name);
  }
  return { graph, oidc, isDefault };
}

export function grantDelegated(app: SandboxApp, requested: { graph: string[]; isDefault: boolean }): string[] {
  if (requested.isDefault) return [...app.delegatedScopes];
  return requested.graph.filter((s) => app.delegatedScopes.includes(s));
}

export function page(title: string, body: string, error: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - SyncDrift sandbox tenant</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.4rem}button{padding:.5rem 1.2rem}.error{color:#a4262c}.note{color:#605e5c;font-size:.85rem}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Sandbox tenant: a local imitation of Microsoft Entra ID for training and tests. No real account is involved.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${body}
</body></html>`;
}
