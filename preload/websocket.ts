/**
 * Browser transport: the contract over a WebSocket to the loopback host (main/host). The host lets
 * the upgrade through only with the session cookie the page got for its launch nonce (renderer
 * bridge.ts); the first frame is a small hello.
 */
import type { Transport } from './contract';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** What the admin sees when the host refused this page (no session: the link was used, expired or is not the host's). */
export const REFUSED_MESSAGE =
  'The workbench refused this page: each link it prints works once, for 2 minutes. Press Enter in the terminal where it runs for a new link, and open that.';

export function connectWebSocketTransport(url: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, Pending>();
    const listeners = new Set<(event: string, payload: unknown) => void>();
    let nextId = 1;
    let ready = false;

    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello' })));
    ws.addEventListener('message', (m) => {
      let msg: { type?: string; id?: number; envelope?: unknown; event?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (msg.type === 'welcome' && !ready) {
        ready = true;
        resolve(transport);
      } else if (msg.type === 'result' && typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        p?.resolve(msg.envelope);
      } else if (msg.type === 'event' && typeof msg.event === 'string') {
        for (const l of listeners) l(msg.event, msg.payload);
      }
    });
    ws.addEventListener('close', (e) => {
      // A refused upgrade (403) reaches a browser only as an abnormal close (1006) before the welcome.
      const err = new Error(!ready && (e.code === 1006 || e.code === 4401) ? REFUSED_MESSAGE : `Connection to the workbench closed (${e.code}).`);
      if (!ready) reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });

    const transport: Transport = {
      invoke(channel, payload) {
        if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('Not connected to the workbench service.'));
        const id = nextId++;
        return new Promise((res, rej) => {
          pending.set(id, { resolve: res, reject: rej });
          ws.send(JSON.stringify({ type: 'invoke', id, channel, payload }));
        });
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  });
}
