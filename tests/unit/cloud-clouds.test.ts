import { ConfidentialClientApplication, PublicClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { CLOUDS, graphScopes, msalAuthOptions, resolveCloud, scopeName } from '../../main/cloud/clouds';
import { ValidationError } from '../../main/core/errors';

const TENANT = '11111111-2222-3333-4444-555555555555';

/** Records every URL msal asks for and answers like a token service would; the behaviour under test is msal's endpoint choice. */
function recordingNetwork(): INetworkModule & { urls: string[]; bodies: string[] } {
  const urls: string[] = [];
  const bodies: string[] = [];
  const answer = <T>(url: string): NetworkResponse<T> => {
    if (url.includes('/devicecode')) {
      return { status: 200, headers: {}, body: { user_code: 'ABCD-EFGH', device_code: 'dc', verification_uri: 'https://example.invalid/device', expires_in: 900, interval: 1, message: 'enter ABCD-EFGH' } as T };
    }
    if (url.includes('/token')) return { status: 200, headers: {}, body: { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'opaque', scope: 'https://graph.microsoft.com/.default' } as T };
    return { status: 404, headers: {}, body: { error: 'not_found' } as T };
  };
  return {
    urls,
    bodies,
    sendGetRequestAsync: async <T>(url: string) => {
      urls.push(url);
      return answer<T>(url);
    },
    sendPostRequestAsync: async <T>(url: string, o?: { body?: string }) => {
      urls.push(url);
      bodies.push(o?.body ?? '');
      return answer<T>(url);
    },
  };
}

describe('cloud table', () => {
  it('resolves the four named clouds to the hosts DOMAIN.md lists', () => {
    expect(resolveCloud({ cloud: 'global', tenant: TENANT, clientId: 'c' }).graphBaseUrl).toBe('https://graph.microsoft.com');
    expect(resolveCloud({ cloud: 'usgov', tenant: TENANT, clientId: 'c' })).toMatchObject({ authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://graph.microsoft.us' });
    expect(resolveCloud({ cloud: 'usgovdod', tenant: TENANT, clientId: 'c' })).toMatchObject({ authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://dod-graph.microsoft.us' });
    expect(resolveCloud({ cloud: 'china', tenant: TENANT, clientId: 'c' })).toMatchObject({ authorityHost: 'https://login.chinacloudapi.cn', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn' });
  });

  it('requires both hosts for a custom cloud and names the missing field', () => {
    expect(() => resolveCloud({ cloud: 'custom', tenant: TENANT, clientId: 'c', authorityHost: 'https://127.0.0.1:8443' })).toThrow(/graphBaseUrl: is required/);
    try {
      resolveCloud({ cloud: 'custom', tenant: TENANT, clientId: 'c', authorityHost: 'http://127.0.0.1', graphBaseUrl: 'https://g.example' });
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).message).toMatch(/authorityHost: must be an https/);
    }
  });

  it('builds scopes on the cloud\'s own Graph host', () => {
    const gov = resolveCloud({ cloud: 'usgov', tenant: TENANT, clientId: 'c' });
    expect(graphScopes(gov)).toEqual(['https://graph.microsoft.us/.default']);
    expect(graphScopes(gov, ['User.Read.All'])).toEqual(['https://graph.microsoft.us/User.Read.All']);
    expect(scopeName('https://graph.microsoft.us/User.Read.All')).toBe('User.Read.All');
  });

  for (const name of Object.keys(CLOUDS) as Array<keyof typeof CLOUDS>) {
    it(`msal asks only ${CLOUDS[name].authorityHost} for a ${name} client-credentials token`, async () => {
      const cloud = resolveCloud({ cloud: name, tenant: TENANT, clientId: 'app' });
      const net = recordingNetwork();
      const cca = new ConfidentialClientApplication({ auth: { ...msalAuthOptions(cloud), clientSecret: 's' }, system: { networkClient: net } });
      const r = await cca.acquireTokenByClientCredential({ scopes: graphScopes(cloud) });
      expect(r?.accessToken).toBe('opaque');
      expect(net.urls.length).toBeGreaterThan(0);
      for (const u of net.urls) expect(new URL(u).origin).toBe(CLOUDS[name].authorityHost);
      expect(net.urls.at(-1)).toMatch(new RegExp(`^${CLOUDS[name].authorityHost}/${TENANT}/oauth2/v2.0/token`));
      expect(decodeURIComponent(net.bodies.at(-1) ?? '')).toContain(`scope=${CLOUDS[name].graphBaseUrl}/.default`);
    });
  }

  it('keeps a custom host (sandbox, proxy) away from login.microsoftonline.com in the device-code flow', async () => {
    const cloud = resolveCloud({ cloud: 'custom', tenant: TENANT, clientId: 'app', authorityHost: 'https://127.0.0.1:9443', graphBaseUrl: 'https://127.0.0.1:9444' });
    const net = recordingNetwork();
    const pca = new PublicClientApplication({ auth: msalAuthOptions(cloud), system: { networkClient: net } });
    let code = '';
    await pca
      .acquireTokenByDeviceCode({ scopes: graphScopes(cloud), deviceCodeCallback: (r) => (code = r.userCode), timeout: 5 })
      .catch(() => undefined); // the canned token answer lacks an id_token; the URLs are what matter here
    expect(code).toBe('ABCD-EFGH');
    expect(net.urls.some((u) => u.startsWith(`https://127.0.0.1:9443/${TENANT}/oauth2/v2.0/devicecode`))).toBe(true);
    for (const u of net.urls) expect(new URL(u).host).toBe('127.0.0.1:9443');
  });
});
