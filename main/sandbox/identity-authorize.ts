/**
 * The sandbox's authorization code + PKCE flow: /oauth2/v2.0/authorize shows the sign-in page and
 * answers the redirect URI (query or form_post, as msal-node asks), the token endpoint redeems the code.
 */
import { randomBytes } from 'node:crypto';
import type { TenantStore } from './tenant';
import { escapeHtml, html, type SandboxRequest, type SandboxResponse } from './http';
import { b64urlSha256, grantDelegated, oauthError, page, parseScopes, redirectMatches } from './identity-oauth';

interface AuthCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: 'S256' | 'plain';
  scopes: string[];
  userId: string;
  nonce: string | null;
  expiresAt: number;
}

interface PendingAuthorize {
  clientId: string;
  redirectUri: string;
  state: string | null;
  nonce: string | null;
  scopes: string[];
  challenge: string;
  method: 'S256' | 'plain';
  responseMode: 'query' | 'form_post';
  expiresAt: number;
}

export type RedeemedCode = { ok: true; code: AuthCode } | { ok: false; response: SandboxResponse };

export class AuthorizeFlow {
  private readonly codes = new Map<string, AuthCode>();
  private readonly pending = new Map<string, PendingAuthorize>();

  constructor(private readonly tenant: TenantStore) {}

  get(req: SandboxRequest): SandboxResponse {
    const q = req.query;
    const app = this.tenant.getApp(q.get('client_id') ?? '');
    if (!app)
      return html(
        400,
        page('Sign-in error', '', `AADSTS700016: Application with identifier '${q.get('client_id') ?? ''}' was not found.`),
      );
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!app.redirectUris.some((r) => redirectMatches(r, redirectUri))) {
      return html(
        400,
        page(
          'Sign-in error',
          '',
          `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application.`,
        ),
      );
    }
    if (q.get('response_type') !== 'code')
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'unsupported_response_type',
        'Only response_type=code is supported.',
      );
    const challenge = q.get('code_challenge');
    const method = (q.get('code_challenge_method') ?? 'plain') as 'S256' | 'plain';
    if (!challenge || (method !== 'S256' && method !== 'plain')) {
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'invalid_request',
        'AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
      );
    }
    const scopes = parseScopes(q.get('scope') ?? '', req.origin);
    if (!scopes)
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'invalid_resource',
        'AADSTS500011: The resource principal was not found.',
      );
    const rid = randomBytes(18).toString('base64url');
    this.pending.set(rid, {
      clientId: app.appId,
      redirectUri,
      state: q.get('state'),
      nonce: q.get('nonce'),
      scopes: grantDelegated(app, scopes),
      challenge,
      method,
      responseMode: q.get('response_mode') === 'form_post' ? 'form_post' : 'query',
      expiresAt: this.tenant.clock.now().getTime() + 600_000,
    });
    return this.signInPage(req, rid, q.get('login_hint') ?? '', null);
  }

  private signInPage(req: SandboxRequest, rid: string, hint: string, error: string | null): SandboxResponse {
    const action = `${req.path}`;
    return html(
      error ? 400 : 200,
      page(
        'Sign in',
        `<form method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="rid" value="${escapeHtml(rid)}">
  <label>User name <input name="username" value="${escapeHtml(hint)}" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
        error,
      ),
    );
  }

  post(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const rid = form.get('rid') ?? '';
    const p = this.pending.get(rid);
    if (!p || p.expiresAt < this.tenant.clock.now().getTime())
      return html(400, page('Sign-in error', '', 'This sign-in request has expired. Start again from the application.'));
    const who = this.tenant.verifyPassword(form.get('username') ?? '', form.get('password') ?? '');
    if (!who) return this.signInPage(req, rid, form.get('username') ?? '', 'Your account or password is incorrect.');
    this.pending.delete(rid);
    const code = `sbxac.${randomBytes(32).toString('base64url')}`;
    this.codes.set(code, {
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      challenge: p.challenge,
      method: p.method,
      scopes: p.scopes,
      userId: who.user.id,
      nonce: p.nonce,
      expiresAt: this.tenant.clock.now().getTime() + 600_000,
    });
    const fields: [string, string][] = [['code', code]];
    if (p.state !== null) fields.push(['state', p.state]);
    fields.push([
      'client_info',
      Buffer.from(JSON.stringify({ uid: who.user.id, utid: this.tenant.tenantId })).toString('base64url'),
    ]);
    if (p.responseMode === 'form_post') {
      // As Entra does: a page whose form posts the response to the redirect URI (msal-node 7 requires it).
      const nonce = randomBytes(16).toString('base64');
      const inputs = fields.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
      const res = html(
        200,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Working...</title></head><body><form method="post" action="${escapeHtml(p.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script nonce="${nonce}">document.forms[0].submit()</script></body></html>`,
      );
      res.headers['content-security-policy'] =
        `default-src 'none'; script-src 'nonce-${nonce}'; form-action http://localhost:* http://127.0.0.1:*`;
      res.headers['cache-control'] = 'no-store';
      return res;
    }
    const target = new URL(p.redirectUri);
    for (const [k, v] of fields) target.searchParams.set(k, v);
    return { status: 302, headers: { location: target.href, 'cache-control': 'no-store' }, body: '' };
  }

  private redirectError(redirectUri: string, state: string | null, error: string, description: string): SandboxResponse {
    const target = new URL(redirectUri);
    target.searchParams.set('error', error);
    target.searchParams.set('error_description', description);
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { location: target.href }, body: '' };
  }

  /**
   * The token endpoint's authorization_code grant, up to client authentication: the code (single use,
   * unexpired, this client's), the redirect URI it was issued for, and the PKCE verifier.
   */
  redeem(code: string, clientId: string, redirectUri: string, verifier: string): RedeemedCode {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt < this.tenant.clock.now().getTime() || entry.clientId !== clientId) {
      return {
        ok: false,
        response: oauthError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        ),
      };
    }
    if (!redirectMatches(entry.redirectUri, redirectUri)) {
      return { ok: false, response: oauthError(400, 'invalid_grant', 50148, 'The redirect_uri does not match the one used in the authorization request.') };
    }
    const expected = entry.method === 'S256' ? b64urlSha256(verifier) : verifier;
    if (!verifier || expected !== entry.challenge) {
      return { ok: false, response: oauthError(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.') };
    }
    return { ok: true, code: entry };
  }
}
