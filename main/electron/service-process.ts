/**
 * Runs main/api in an Electron utilityProcess (scans, SQLite and the sandbox never freeze the
 * window) and relays the contract: renderer -> ipcMain (sender checked) -> utility -> back.
 * The utility process asks the main process for what only it has (safeStorage).
 */
import { utilityProcess, safeStorage, shell, type UtilityProcess } from 'electron';
import { resolve as resolvePath, sep } from 'node:path';
import type { Envelope } from '../../preload/contract';

type FromService =
  | { type: 'result'; id: number; envelope: Envelope }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'encrypt'; id: number; plain: string }
  | { type: 'decrypt'; id: number; cipher: string }
  | { type: 'openPath'; id: number; path: string }
  | { type: 'ready' };

export interface ServiceProcess {
  invoke(channel: string, payload: unknown): Promise<Envelope>;
  onEvent(listener: (event: string, payload: unknown) => void): void;
  stop(): void;
}

export function startServiceProcess(
  entry: string,
  workspaceDir: string,
  versions: Record<string, string>,
): Promise<ServiceProcess> {
  const child: UtilityProcess = utilityProcess.fork(entry, [], { serviceName: 'SyncDrift services', stdio: 'inherit' });
  const pending = new Map<number, (e: Envelope) => void>();
  const listeners: Array<(event: string, payload: unknown) => void> = [];
  let nextId = 1;

  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The service process exited during start-up (code ${code}).`)));
    child.on('message', (msg: FromService) => {
      switch (msg.type) {
        case 'ready':
          resolve(api);
          break;
        case 'result':
          pending.get(msg.id)?.(msg.envelope);
          pending.delete(msg.id);
          break;
        case 'event':
          for (const l of listeners) l(msg.event, msg.payload);
          break;
        case 'encrypt':
          void safeStorage
            .encryptStringAsync(msg.plain)
            .then((b) => child.postMessage({ type: 'crypto', id: msg.id, ok: true, value: b.toString('base64') }))
            .catch((e: unknown) => child.postMessage({ type: 'crypto', id: msg.id, ok: false, error: String(e) }));
          break;
        case 'openPath': {
          // Only folders inside the workspace (the logs folder): the service cannot open arbitrary paths.
          const target = resolvePath(msg.path);
          const inside = target === resolvePath(workspaceDir) || target.startsWith(resolvePath(workspaceDir) + sep);
          const done = (ok: boolean) => child.postMessage({ type: 'crypto', id: msg.id, ok: true, value: ok ? 'opened' : 'refused' });
          if (!inside) done(false);
          else void shell.openPath(target).then((err) => done(err === ''));
          break;
        }
        case 'decrypt':
          void safeStorage
            .decryptStringAsync(Buffer.from(msg.cipher, 'base64'))
            .then((r) => child.postMessage({ type: 'crypto', id: msg.id, ok: true, value: r.result }))
            .catch((e: unknown) => child.postMessage({ type: 'crypto', id: msg.id, ok: false, error: String(e) }));
          break;
      }
    });
    child.postMessage({
      type: 'init',
      workspaceDir,
      versions,
      storageBackend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os',
    });

    const api: ServiceProcess = {
      invoke(channel, payload) {
        const id = nextId++;
        return new Promise((res) => {
          pending.set(id, res);
          child.postMessage({ type: 'invoke', id, channel, payload });
        });
      },
      onEvent(l) {
        listeners.push(l);
      },
      stop() {
        child.kill();
      },
    };
  });
}
