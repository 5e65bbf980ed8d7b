/**
 * Finds the contract: Electron's preload exposes `window.syncdrift`; elsewhere the page was opened by
 * the loopback host with a single-use launch nonce in the URL fragment. The fragment is removed from
 * the address bar at once, and the nonce is traded (POST /session) for an HttpOnly session cookie that
 * page script never sees; a reload or a second tab of this browser reuses the cookie.
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
  const nonce = params.get('n');
  if (params.has('n')) history.replaceState(null, '', window.location.pathname + window.location.search);
  if (nonce) {
    // A used or expired link is refused here; the cookie of an earlier launch may still open the bridge.
    await fetch('/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ nonce }), credentials: 'same-origin' }).catch(() => null);
  }
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/bridge`;
  return createBridgeApi(await connectWebSocketTransport(wsUrl));
}
