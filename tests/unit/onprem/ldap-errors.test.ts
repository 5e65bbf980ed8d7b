/**
 * The bind-error mapping on the diagnostic texts DCs really send. The Windows lines are the format
 * Windows Server DCs return ("80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error,
 * data <Win32 code>, v…"; the Win32 codes are Microsoft's System Error Codes, e.g. 0x525 =
 * ERROR_NO_SUCH_USER 1317). No Windows DC was available here, so the lines are the ones Windows DCs
 * are widely quoted with (vendor documentation for AD LDAP binds: dotCMS, Fortinet); the Samba
 * lines were captured from the Samba 4.17 test DC (tests/integration/ldap-bind-errors.test.ts
 * reproduces each of them live).
 */
import { InvalidCredentialsError, TimeLimitExceededError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { AD_BIND_SUBCODES, mapConnectError, mapOperationError } from '../../../main/onprem/ldap-errors';

const WINDOWS_2003 = (code: string) => `80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data ${code}, v893`;
const WINDOWS_2008 = (code: string) => `80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${code}, v1db1`;
/** Samba 4.17 sends the 2008 shape; ldapts appends the result code. Captured verbatim. */
const SAMBA = (code: string) => `80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${code}, v1db1 Code: 0x31`;

const ctx = { url: 'ldaps://dc1.contoso.com', bindDn: 'svc-sync@contoso.com' };

describe('AD bind sub-codes', () => {
  const expected: Record<string, RegExp> = {
    '525': /does not exist \(check bindDn\)/,
    '52e': /password is wrong/,
    '530': /logon hours/,
    '531': /workstation \(userWorkstations\)/,
    '532': /password has expired/,
    '533': /disabled/,
    '701': /account has expired/,
    '773': /must be changed before first use/,
    '775': /locked out/,
  };

  it('covers every documented sub-code', () => {
    expect(Object.keys(AD_BIND_SUBCODES).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [code, text] of Object.entries(expected)) {
    for (const [label, line] of [
      ['Windows 2003', WINDOWS_2003(code)],
      ['Windows 2008+', WINDOWS_2008(code)],
      ['Samba', SAMBA(code)],
    ] as const) {
      it(`maps ${code} from a ${label} DC`, () => {
        const e = mapConnectError(new InvalidCredentialsError(line), ctx);
        expect(e.kind).toBe('auth');
        expect(e.code).toBe(`LDAP_BIND_${code.toUpperCase()}`);
        expect(e.message).toMatch(text);
        expect(e.message).toContain(`for ${ctx.bindDn}`);
        expect(e.message).toContain(`(AD ${code})`);
        expect(e.details).toMatchObject({ subCode: code });
      });
    }
  }

  it('keeps an unknown sub-code visible and falls back to invalid credentials', () => {
    const e = mapConnectError(new InvalidCredentialsError(WINDOWS_2008('52f')), ctx);
    expect(e.code).toBe('LDAP_BIND_INVALID');
    expect(e.message).toContain('(AD 52f)');
    const plain = mapConnectError(new InvalidCredentialsError('Invalid credentials'), ctx);
    expect(plain.code).toBe('LDAP_BIND_INVALID');
  });
});

describe('operation errors', () => {
  it('turns a DC time limit into what to change, not a bare result code', () => {
    const e = mapOperationError(new TimeLimitExceededError(), { url: 'ldaps://dc1.contoso.com', dn: 'OU=Staff,DC=contoso,DC=com', operation: 'search' });
    expect(e).toMatchObject({ kind: 'connection', code: 'LDAP_TIME_LIMIT' });
    expect(e.message).toMatch(/stopped the search on OU=Staff,DC=contoso,DC=com at its time limit: raise timeouts\.operationMs/);
  });
});
