/**
 * The sandbox's device code flow (RFC 8628 as Entra serves it): /oauth2/v2.0/devicecode issues the
 * codes, /devicelogin is the page where a person approves one, and the token endpoint redeems it.
 */
import { randomBytes } from 'node:crypto';
import type { TenantStore } from './tenant';
import type { TenantUser } from './tenant-model';
import { escapeHtml, html, json, type SandboxRequest, type SandboxResponse } from './http';
import { grantDelegated, oauthError, page, parseScopes, unknownResource } from './identity-oauth';

interface DeviceCode {
  userCode: string;
  clientId: string;
  scopes: string[];
  status: 'pending' | 'approved' | 'denied';
  userId: string | null;
  expiresAt: number;
}

export type Redeemed = { ok: true; user: TenantUser; scopes: string[] } | { ok: false; response: SandboxResponse };

export class DeviceCodeFlow {
  private readonly devices = new Map<string, DeviceCode>();
  private readonly userCodes = new Map<string, string>();

  constructor(private readonly tenant: TenantStore) {}

  start(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const app = this.tenant.getApp(form.get('client_id') ?? '');
    if (!app) return oauthError(400, 'unauthorized_client', 700016, 'Application was not found in the directory.');
    if (!app.publicClient)
      return oauthError(
        400,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    const scopes = parseScopes(form.get('scope') ?? '', req.origin);
    if (!scopes)
      return unknownResource();
    const deviceCode = randomBytes(32).toString('base64url');
    const userCode = randomBytes(6)
      .toString('base64')
      .replace(/[^A-Z0-9]/gi, '')
      .toUpperCase()
      .padEnd(8, 'X')
      .slice(0, 9);
    this.devices.set(deviceCode, {
      userCode,
      clientId: app.appId,
      scopes: grantDelegated(app, scopes),
      status: 'pending',
      userId: null,
      expiresAt: this.tenant.clock.now().getTime() + 900_000,
    });
    this.userCodes.set(userCode, deviceCode);
    const uri = `${req.origin}/devicelogin`;
    return json(200, {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: uri,
      expires_in: 900,
      interval: 1,
      message: `To sign in, use a web browser to open the page ${uri} and enter the code ${userCode} to authenticate.`,
    });
  }

  /** Completes a device code sign-in (what the /devicelogin page does). Returns an error text or null. */
  approve(userCode: string, upn: string, password: string): string | null {
    const dcKey = this.userCodes.get(userCode.trim().toUpperCase());
    const dc = dcKey ? this.devices.get(dcKey) : undefined;
    if (!dc || dc.status !== 'pending') return 'That code is not valid or has already been used.';
    const who = this.tenant.verifyPassword(upn, password);
    if (!who) return 'Your account or password is incorrect.';
    dc.status = 'approved';
    dc.userId = who.user.id;
    return null;
  }

  loginPage(error: string | null, code = ''): SandboxResponse {
    return html(
      error ? 400 : 200,
      page(
        'Enter code',
        `<form method="post" action="/devicelogin">
  <label>Code <input name="user_code" value="${escapeHtml(code)}" autocomplete="off" required></label>
  <label>User name <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
        error,
      ),
    );
  }

  loginPost(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const err = this.approve(form.get('user_code') ?? '', form.get('username') ?? '', form.get('password') ?? '');
    if (err) return this.loginPage(err, form.get('user_code') ?? '');
    return html(
      200,
      page('Signed in', '<p id="done">You have signed in to the sandbox application. You can close this window.</p>', null),
    );
  }

  /** The token endpoint's device_code grant: the signed-in user once approved, else Entra's error. */
  redeem(deviceCode: string, clientId: string): Redeemed {
    const dc = this.devices.get(deviceCode);
    if (!dc || dc.clientId !== clientId) return { ok: false, response: oauthError(400, 'invalid_grant', 70000, 'The provided device code is invalid.') };
    if (dc.expiresAt < this.tenant.clock.now().getTime())
      return { ok: false, response: oauthError(400, 'expired_token', 70020, 'The provided authorization code has expired.') };
    if (dc.status === 'denied') return { ok: false, response: oauthError(400, 'authorization_declined', 70002, 'The user declined the sign-in.') };
    if (dc.status === 'pending' || !dc.userId) {
      return {
        ok: false,
        response: oauthError(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'),
      };
    }
    this.devices.delete(deviceCode);
    this.userCodes.delete(dc.userCode);
    const user = this.tenant.getUser(dc.userId);
    if (!user) return { ok: false, response: oauthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.') };
    return { ok: true, user, scopes: dc.scopes };
  }
}
