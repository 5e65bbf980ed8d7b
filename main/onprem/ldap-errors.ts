/**
 * LDAP, TLS and socket failures turned into errors an AD admin can act on. AD puts a Win32
 * sub-code into the bind error's diagnostic text ("… data 52e, v4563"); Samba does the same.
 */
import { SyncDriftError } from '../core/errors';

export const AD_BIND_SUBCODES: Readonly<Record<string, string>> = {
  '525': 'the account does not exist (check bindDn)',
  '52e': 'the password is wrong',
  '530': 'the account may not log on at this time (logon hours)',
  '531': 'the account may not log on from this workstation (userWorkstations)',
  '532': 'the password has expired',
  '533': 'the account is disabled',
  '701': 'the account has expired',
  '773': 'the password must be changed before first use',
  '775': 'the account is locked out',
};

const TLS_UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

function errCode(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e) {
    const c = (e as { code: unknown }).code;
    return typeof c === 'string' ? c : typeof c === 'number' ? String(c) : undefined;
  }
  return undefined;
}

function causeChain(e: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    out.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Maps a failure while connecting or binding. */
export function mapConnectError(e: unknown, ctx: { url: string; bindDn?: string }): SyncDriftError {
  if (e instanceof SyncDriftError) return e;
  const who = ctx.bindDn ? ` for ${ctx.bindDn}` : '';
  const msg = messageOf(e);
  const resultCode = e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number' ? (e as { code: number }).code : undefined;
  if (resultCode === 49) {
    const sub = /data ([0-9a-f]{3})/i.exec(msg)?.[1]?.toLowerCase();
    const text = sub ? AD_BIND_SUBCODES[sub] : undefined;
    if (sub && text) {
      return new SyncDriftError('auth', `LDAP_BIND_${sub.toUpperCase()}`, `LDAP bind refused${who}: ${text} (AD ${sub}).`, { cause: e, details: { url: ctx.url, subCode: sub } });
    }
    return new SyncDriftError('auth', 'LDAP_BIND_INVALID', `LDAP bind refused${who}: invalid credentials${sub ? ` (AD ${sub})` : ''}.`, { cause: e, details: { url: ctx.url } });
  }
  if (resultCode === 8 || resultCode === 13) {
    return new SyncDriftError('auth', 'LDAP_STRONG_AUTH', `${ctx.url} requires a protected connection for simple bind: use ldaps:// or StartTLS.`, { cause: e });
  }
  if (resultCode === 48) return new SyncDriftError('auth', 'LDAP_BIND_METHOD', `${ctx.url} refused the simple bind${who}: the DC does not accept this kind of bind.`, { cause: e });
  for (const c of causeChain(e)) {
    const code = errCode(c);
    if (!code) continue;
    if (TLS_UNTRUSTED.has(code)) {
      return new SyncDriftError('connection', 'LDAP_TLS_UNTRUSTED', `TLS to ${ctx.url} failed: the DC's certificate is not issued by a trusted CA (${code}). Set caFile to the PEM of the CA that issued it.`, { cause: e });
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new SyncDriftError('connection', 'LDAP_TLS_NAME', `TLS to ${ctx.url} failed: the DC's certificate does not name this host (${messageOf(c)}). Connect by a name or IP the certificate lists.`, { cause: e });
    }
    if (code === 'CERT_HAS_EXPIRED') return new SyncDriftError('connection', 'LDAP_TLS_EXPIRED', `TLS to ${ctx.url} failed: the DC's certificate has expired. Renew it on the DC.`, { cause: e });
    if (code === 'CERT_NOT_YET_VALID') return new SyncDriftError('connection', 'LDAP_TLS_NOT_YET_VALID', `TLS to ${ctx.url} failed: the DC's certificate is not valid yet (check the clocks).`, { cause: e });
    if (code === 'ECONNREFUSED') return new SyncDriftError('connection', 'LDAP_REFUSED', `Nothing accepts connections at ${ctx.url} (connection refused): check the host, the port and the firewall.`, { cause: e });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new SyncDriftError('connection', 'LDAP_DNS', `The host of ${ctx.url} cannot be resolved (DNS).`, { cause: e });
    if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'].includes(code)) return new SyncDriftError('connection', 'LDAP_UNREACHABLE', `${ctx.url} is unreachable (${code}): check the network path and the firewall.`, { cause: e });
    if (code === 'ECONNRESET' || code === 'EPIPE') return new SyncDriftError('connection', 'LDAP_RESET', `${ctx.url} closed the connection (${code}); if this is ldaps://, check that the port speaks TLS.`, { cause: e });
    if (code === 'LDAP_TLS_PIN') return new SyncDriftError('connection', 'LDAP_TLS_PIN', `TLS to ${ctx.url} failed: ${messageOf(c)}`, { cause: e });
  }
  if (/Connection timeout|timed out/i.test(msg)) return new SyncDriftError('connection', 'LDAP_TIMEOUT', `${ctx.url} did not answer in time (${msg}).`, { cause: e });
  if (/wrong version number|packet length too long|unknown protocol/i.test(msg)) {
    return new SyncDriftError('connection', 'LDAP_TLS_PROTOCOL', `TLS to ${ctx.url} failed: the port does not speak TLS (use ldap:// with StartTLS on 389, or ldaps:// on 636).`, { cause: e });
  }
  return new SyncDriftError('connection', 'LDAP_CONNECT', `Connecting to ${ctx.url} failed: ${msg}`, { cause: e });
}

/** Maps a failure of a search or modify on a bound connection. */
export function mapOperationError(e: unknown, ctx: { url: string; dn?: string; bindDn?: string; operation: 'search' | 'modify' }): SyncDriftError {
  if (e instanceof SyncDriftError) return e;
  const code = e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined;
  const on = ctx.dn ? ` on ${ctx.dn}` : '';
  if (code === 50) {
    const right = ctx.operation === 'modify' ? "'Write mobile' (Write Property on the mobile attribute, or the Personal-Information property set)" : "'Read' on the objects and attributes scanned";
    return new SyncDriftError('permission', 'LDAP_INSUFFICIENT_RIGHTS', `The bind account${ctx.bindDn ? ` ${ctx.bindDn}` : ''} lacks ${right}${on}. Delegate it on the OU (Delegate Control…) or use an account that has it.`, { cause: e });
  }
  if (code === 32) return new SyncDriftError('not-found', 'LDAP_NO_SUCH_OBJECT', `No such object${on} on ${ctx.url} (moved or deleted since the scan?).`, { cause: e });
  if (code === 3) {
    return new SyncDriftError('connection', 'LDAP_TIME_LIMIT', `${ctx.url} stopped the ${ctx.operation}${on} at its time limit: raise timeouts.operationMs in the profile (it is also the time limit asked of the DC), or scan smaller search bases. The DC's own policy (MaxQueryDuration) may cap it.`, { cause: e });
  }
  if (code === 51 || code === 52 || code === 53) return new SyncDriftError('connection', 'LDAP_BUSY', `${ctx.url} is busy or unwilling right now (LDAP ${code}): ${messageOf(e)}`, { cause: e });
  if (typeof code === 'number') return new SyncDriftError('internal', `LDAP_${code}`, `LDAP ${ctx.operation}${on} failed on ${ctx.url}: ${messageOf(e)} (LDAP result ${code}).`, { cause: e });
  return mapConnectError(e, { url: ctx.url, bindDn: ctx.bindDn });
}
