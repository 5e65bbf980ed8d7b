/**
 * Finds the contract: Electron's preload exposes `window.syncdrift`; elsewhere the page was opened by
 * the loopback host with the launch secret in the URL fragment. The fragment is removed from the
 * address bar at once so it does not linger in history or screenshots.
 */
import type { SyncDriftApi } from '../../preload/contract';
import { createBridgeApi } from '../../preload/client';
import { connectWebSocketTransport } from '../../preload/websocket';

declare global {
  interface Window {
    syncdrift?: SyncDriftApi;
  }
}

export async function connectBridge(): Promise<SyncDriftApi> {
  if (window.syncdrift) return window.syncdrift;
  const params = new URLSearchParams(window.location.hash.slice(1));
  const secret = params.get('k') ?? sessionStorage.getItem('syncdrift.k') ?? '';
  if (params.has('k')) {
    sessionStorage.setItem('syncdrift.k', secret);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/bridge`;
  return createBridgeApi(await connectWebSocketTransport(wsUrl, secret));
}
