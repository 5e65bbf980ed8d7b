/** Issue 16 finding 1: a profile may send its client secret only to a Microsoft sign-in host, or to a declared loopback sandbox. */
import { describe, expect, it } from 'vitest';
import { MICROSOFT_AUTHORITY_HOSTS, parseProfile } from '../../main/core/profile';
import { onPremIdentity, cloudIdentity } from '../../main/api/secrets';
import { CLOUDS } from '../../main/cloud/clouds';

const doc = (cloud: Record<string, unknown>) => ({
  name: 'Contoso',
  onPrem: { url: 'ldaps://dc01.contoso.test:636', bindDn: 'svc@contoso.test', baseDn: 'DC=contoso,DC=test' },
  cloud: { tenantId: 'contoso.onmicrosoft.com', clientId: 'app', auth: { type: 'deviceCode' }, ...cloud },
});

describe('cloud.authorityHost', () => {
  it('knows the national clouds, the same hosts as main/cloud', () => {
    for (const c of Object.values(CLOUDS)) expect(MICROSOFT_AUTHORITY_HOSTS).toContain(c.authorityHost);
    expect(MICROSOFT_AUTHORITY_HOSTS).toEqual(expect.arrayContaining(['https://login.microsoftonline.com', 'https://login.microsoftonline.us', 'https://login.chinacloudapi.cn']));
  });

  it('accepts a Microsoft sign-in host for a named cloud', () => {
    expect(parseProfile(doc({ environment: 'usgov', authorityHost: 'https://login.microsoftonline.us' }), { dir: '/' }).cloud.authorityHost).toBe('https://login.microsoftonline.us');
  });

  it('refuses any other host outside the sandbox, naming the field', () => {
    for (const host of ['https://127.0.0.1:8443', 'https://login.microsoftonline.com.evil.example', 'https://evil.example']) {
      expect(() => parseProfile(doc({ environment: 'global', authorityHost: host }), { dir: '/' })).toThrow(/cloud\.authorityHost: must be a Microsoft sign-in host/);
    }
  });

  it('lets a declared sandbox use loopback hosts only', () => {
    expect(parseProfile(doc({ environment: 'sandbox', authorityHost: 'https://127.0.0.1:8443', graphBaseUrl: 'https://127.0.0.1:8443' }), { dir: '/' }).cloud.environment).toBe('sandbox');
    expect(() => parseProfile(doc({ environment: 'sandbox', authorityHost: 'https://evil.example', graphBaseUrl: 'https://127.0.0.1:8443' }), { dir: '/' })).toThrow(/cloud\.authorityHost: must be a loopback/);
    expect(() => parseProfile(doc({ environment: 'sandbox' }), { dir: '/' })).toThrow(/cloud\.authorityHost: is required/);
  });
});

describe('secret identities', () => {
  const base = { url: 'ldaps://dc01:636', bindDn: 'svc', replicaDcs: ['ldaps://dc02:636'], passwordEnv: 'PW' };
  it('change with every address, the account and the env var', () => {
    const id = onPremIdentity(base);
    for (const changed of [{ url: 'ldap://127.0.0.1:1389' }, { bindDn: 'other' }, { replicaDcs: ['ldaps://dc02:636', 'ldap://127.0.0.1'] }, { passwordEnv: 'OTHER' }]) {
      expect(onPremIdentity({ ...base, ...changed })).not.toBe(id);
    }
    const c = { environment: 'global', authorityHost: 'https://login.microsoftonline.com', tenantId: 't', clientId: 'c', secretEnv: 'S' };
    for (const changed of [{ authorityHost: 'https://127.0.0.1' }, { tenantId: 'u' }, { clientId: 'd' }, { secretEnv: 'T' }]) {
      expect(cloudIdentity({ ...c, ...changed })).not.toBe(cloudIdentity(c));
    }
  });
});
