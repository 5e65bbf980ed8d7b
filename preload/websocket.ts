/**
 * Browser transport: the contract over a WebSocket to the loopback host (main/host). The per-launch
 * secret comes from the URL fragment (never part of a request line) and is sent as the first frame.
 */
import type { Transport } from './contract';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export function connectWebSocketTransport(url: string, secret: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, Pending>();
    const listeners = new Set<(event: string, payload: unknown) => void>();
    let nextId = 1;
    let ready = false;

    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello', secret })));
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
      const err = new Error(
        e.code === 4401
          ? 'The workbench refused this page: the launch secret is wrong or missing. Open the URL the workbench printed.'
          : `Connection to the workbench closed (${e.code}).`,
      );
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
