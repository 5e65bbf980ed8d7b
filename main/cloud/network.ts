/**
 * The Network port under plain Node (CLI, browser host, tests): undici with EnvHttpProxyAgent, so
 * HTTPS_PROXY/NO_PROXY are honoured, an optional app-set proxy, the profile's extra CA files added
 * to Node's bundled roots (TLS-inspecting proxies re-sign with a corporate CA), and a timeout on
 * every request. The Electron host supplies net.fetch instead; everything here accepts any Fetch.
 *
 * msal-node's default HTTP client calls the global fetch and ignores proxies, so `msalNetworkClient`
 * adapts the port to msal's INetworkModule: sign-in and Graph then leave through the same door.
 */
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { SyncDriftError, ValidationError } from '../core/errors';
import type { Fetch, Network } from '../core/ports';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface NodeNetworkOptions {
  /** Proxy set in the app (http://host:port); wins over the environment when given. */
  proxyUrl?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax). Defaults to the environment's NO_PROXY. */
  noProxy?: string;
  /** PEM files with extra trusted CAs (a TLS-inspecting proxy's root). */
  extraCaFiles?: readonly string[];
  /** Extra trusted CAs as PEM text (tests, or a CA pasted into the profile). */
  extraCaPem?: readonly string[];
  /** Whole-request timeout unless a call asks for its own. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Environment to read HTTPS_PROXY/HTTP_PROXY/NO_PROXY from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface NodeNetwork extends Network {
  /** Closes pooled connections (tests, CLI exit). */
  close(): Promise<void>;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function loadCaFiles(files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      throw new ValidationError(f, `cannot read the extra CA file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e, code: 'CA_FILE_UNREADABLE' });
    }
    const blocks = text.match(PEM_BLOCK);
    if (!blocks || blocks.length === 0) {
      throw new ValidationError(f, 'no PEM certificate (-----BEGIN CERTIFICATE-----) found in the extra CA file', { code: 'CA_FILE_INVALID' });
    }
    out.push(...blocks);
  }
  return out;
}

function validateProxyUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValidationError('network.proxyUrl', `not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValidationError('network.proxyUrl', 'must start with http:// or https://');
  return u.toString();
}

/** Adds a per-request timeout (and the caller's signal) to any Fetch. */
export function withTimeout(fetch: Fetch, defaultTimeoutMs = DEFAULT_TIMEOUT_MS): Fetch {
  return async (input, init) => {
    const ms = init?.timeoutMs ?? defaultTimeoutMs;
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const { timeoutMs: _t, ...rest } = init ?? {};
    try {
      return await fetch(input, { ...rest, signal });
    } catch (e) {
      if (timeout.aborted && !init?.signal?.aborted) {
        const host = new URL(String(input)).host;
        throw new SyncDriftError('connection', 'NETWORK_TIMEOUT', `No answer from ${host} within ${Math.round(ms / 1000)} s. Check the network, the proxy setting, or raise the timeout.`, { cause: e, details: { host, timeoutMs: ms } });
      }
      throw e;
    }
  };
}

/** Creates the Node network port: undici + EnvHttpProxyAgent + extra CAs + timeouts. */
export async function createNodeNetwork(opts: NodeNetworkOptions = {}): Promise<NodeNetwork> {
  const env = opts.env ?? process.env;
  const extra = [...(await loadCaFiles(opts.extraCaFiles ?? [])), ...(opts.extraCaPem ?? [])];
  const ca = extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
  const appProxy = opts.proxyUrl ? validateProxyUrl(opts.proxyUrl) : undefined;
  // Empty strings (not undefined) stop EnvHttpProxyAgent from reading process.env behind our back.
  const httpsProxy = appProxy ?? env.https_proxy ?? env.HTTPS_PROXY ?? '';
  const httpProxy = appProxy ?? env.http_proxy ?? env.HTTP_PROXY ?? '';
  const noProxy = opts.noProxy ?? env.no_proxy ?? env.NO_PROXY ?? '';
  const tls = ca ? { ca } : {};
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy,
    httpsProxy,
    noProxy,
    connect: { ...tls, timeout: opts.connectTimeoutMs ?? 10_000 },
    requestTls: tls,
    proxyTls: tls,
    headersTimeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    bodyTimeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const raw: Fetch = async (input, init) => {
    const res = await undiciFetch(input, { ...(init as Record<string, unknown>), dispatcher } as Parameters<typeof undiciFetch>[1]);
    // undici's Response is the WHATWG Response the port promises; only the TS declarations differ.
    return res as unknown as Response;
  };
  const proxyText = httpsProxy ? `proxy ${redactProxy(httpsProxy)}${appProxy ? ' (set in the app)' : ' (HTTPS_PROXY)'}` : 'no proxy';
  const description = `Node undici: ${proxyText}${noProxy ? `, NO_PROXY=${noProxy}` : ''}, ${extra.length} extra CA certificate(s), timeout ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`;
  return {
    fetch: withTimeout(raw, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    describe: () => description,
    close: () => dispatcher.close(),
  };
}

/** Wraps a host-supplied fetch (Electron net.fetch) as the port, adding timeouts. */
export function createNetworkFromFetch(fetch: Fetch, description: string, timeoutMs = DEFAULT_TIMEOUT_MS): Network {
  return { fetch: withTimeout(fetch, timeoutMs), describe: () => description };
}

function redactProxy(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.origin === 'null' ? url : `${u.protocol}//${u.username ? '***@' : ''}${u.host}`;
  } catch {
    return '(invalid proxy URL)';
  }
}

/**
 * msal-node's `system.networkClient` over the Network port. msal expects JSON bodies and lower-case
 * header names; a non-JSON answer (a proxy's HTML error page) becomes a clear connection error.
 */
export function msalNetworkClient(network: Network, timeoutMs = DEFAULT_TIMEOUT_MS): INetworkModule {
  const send = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    const res = await network.fetch(url, {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      timeoutMs: timeout ?? timeoutMs,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text.length === 0 ? {} : JSON.parse(text);
    } catch (e) {
      const host = new URL(url).host;
      throw new SyncDriftError('connection', 'SIGNIN_NON_JSON', `The sign-in service at ${host} answered HTTP ${res.status} with something that is not JSON; a proxy or captive portal may be in the way.`, { cause: e, details: { host, status: res.status } });
    }
    return { headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}
