/**
 * Electron preload (sandboxed, built as one CommonJS bundle). Exposes exactly the typed API, nothing
 * else: no ipcRenderer, no channel strings beyond the contract's own.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridgeApi } from './client';
import type { Transport } from './contract';

const transport: Transport = {
  invoke: (channel, payload) => ipcRenderer.invoke('syncdrift:invoke', channel, payload),
  subscribe(listener) {
    const handler = (_e: unknown, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on('syncdrift:event', handler);
    return () => {
      ipcRenderer.removeListener('syncdrift:event', handler);
    };
  },
};

contextBridge.exposeInMainWorld('syncdrift', createBridgeApi(transport));
