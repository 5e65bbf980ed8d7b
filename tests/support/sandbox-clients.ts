/**
 * Real clients pointed at a sandbox tenant: msal-node's network module and the Graph SDK's fetch both
 * go through an undici Agent that trusts the sandbox CA (and nothing else is changed process-wide:
 * NODE_TLS_REJECT_UNAUTHORIZED stays untouched).
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { Client, type FetchOptions } from '@microsoft/microsoft-graph-client';
import type { SandboxTenant } from '../../main/sandbox/server';

export function sandboxAgent(caPem: string): Agent {
  return new Agent({ connect: { ca: caPem } });
}

/** msal-node networkClient over undici with the sandbox CA. */
export function msalNetwork(agent: Agent): INetworkModule {
  const call = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const res = await undiciFetch(url, {
      method,
      headers: options?.headers,
      body: method === 'POST' ? options?.body : undefined,
      dispatcher: agent,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    return { status: res.status, headers, body: (text ? JSON.parse(text) : {}) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => call('GET', url, options),
    sendPostRequestAsync: (url, options) => call('POST', url, options),
  };
}

/** The real Graph SDK client against the sandbox, with a token callback. */
export function sandboxGraphClient(sb: SandboxTenant, agent: Agent, getToken: () => Promise<string>): Client {
  return Client.initWithMiddleware({
    baseUrl: sb.origin,
    defaultVersion: 'v1.0',
    customHosts: new Set([new URL(sb.origin).hostname]),
    authProvider: { getAccessToken: getToken },
    // undici's `dispatcher` is a fetch option Node honours but the DOM RequestInit type does not name.
    fetchOptions: { dispatcher: agent } as unknown as FetchOptions,
  });
}
