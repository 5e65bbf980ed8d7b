import { describe, expect, it } from 'vitest';
import { isAppUrl, isSafeExternalUrl, isTrustedSender } from '../../main/electron/guards';

describe('the IPC sender check', () => {
  it('accepts the main frame of the app origin', () => {
    expect(isTrustedSender({ url: 'app://syncdrift/index.html', parent: null })).toBe(true);
  });
  it('refuses a sub-frame even on the app origin', () => {
    expect(isTrustedSender({ url: 'app://syncdrift/index.html', parent: {} })).toBe(false);
  });
  it.each([
    'https://evil.example/',
    'file:///etc/passwd',
    'app://other/index.html',
    'app://user:pw@syncdrift/',
    'http://127.0.0.1:3000/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isTrustedSender({ url, parent: null })).toBe(false);
  });
  it('refuses a missing frame (destroyed before the call arrived)', () => {
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('navigation and external links', () => {
  it('allows navigation only inside the app', () => {
    expect(isAppUrl('app://syncdrift/index.html#/grid')).toBe(true);
    expect(isAppUrl('https://learn.microsoft.com/')).toBe(false);
  });
  it('opens only https links to known Microsoft documentation hosts', () => {
    expect(
      isSafeExternalUrl('https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides'),
    ).toBe(true);
    expect(isSafeExternalUrl('http://learn.microsoft.com/')).toBe(false);
    expect(isSafeExternalUrl('https://learn.microsoft.com.evil.example/')).toBe(false);
    expect(isSafeExternalUrl('file:///C:/Windows/system32/calc.exe')).toBe(false);
    expect(isSafeExternalUrl('https://user:pw@learn.microsoft.com/')).toBe(false);
  });
  it('opens the sign-in pages of every national cloud and the device-code page, nothing that merely looks like them', () => {
    for (const url of [
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=x',
      'https://login.microsoftonline.us/t/oauth2/v2.0/authorize',
      'https://login.chinacloudapi.cn/t/oauth2/v2.0/authorize',
      'https://microsoft.com/devicelogin',
    ])
      expect(isSafeExternalUrl(url), url).toBe(true);
    expect(isSafeExternalUrl('https://login.microsoftonline.com.evil.example/oauth2')).toBe(false);
    expect(isSafeExternalUrl('https://127.0.0.1:8443/t/oauth2/v2.0/authorize')).toBe(false);
  });
});
