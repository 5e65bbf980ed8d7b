/**
 * Entry of the utilityProcess: composes main/api with Electron's ports (net.fetch for the network,
 * safeStorage through the main process for secrets) and answers the relayed contract.
 */
import { net } from 'electron';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServices } from '../api/services';
import { createNetworkFromFetch } from '../cloud/network';
import { createLogger } from '../core/logger';
import { systemClock, type Encryptor } from '../core/ports';

interface ParentPort {
  on(event: 'message', l: (e: { data: unknown }) => void): void;
  postMessage(m: unknown): void;
}
const port = (process as unknown as { parentPort: ParentPort }).parentPort;

const cryptoPending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
let cryptoId = 1;
function askMain(type: 'encrypt' | 'decrypt' | 'openPath', field: 'plain' | 'cipher' | 'path', value: string): Promise<string> {
  const id = cryptoId++;
  return new Promise((resolve, reject) => {
    cryptoPending.set(id, { resolve, reject });
    port.postMessage({ type, id, [field]: value });
  });
}

let servicesPromise: ReturnType<typeof createServices> | null = null;

port.on('message', ({ data }) => {
  const msg = data as {
    type: string;
    id: number;
    channel?: string;
    payload?: unknown;
    ok?: boolean;
    value?: string;
    error?: string;
    workspaceDir?: string;
    versions?: Record<string, string>;
    storageBackend?: string;
  };
  if (msg.type === 'init' && !servicesPromise) {
    const workspaceDir = msg.workspaceDir ?? '.';
    mkdirSync(join(workspaceDir, 'logs'), { recursive: true, mode: 0o700 });
    const stream = createWriteStream(join(workspaceDir, 'logs', 'services.log'), { flags: 'a', mode: 0o600 });
    const backend = msg.storageBackend ?? 'os';
    const encryptor: Encryptor = {
      backend,
      isStrong: backend !== 'basic_text' && backend !== 'unknown',
      encrypt: async (plain) => Buffer.from(await askMain('encrypt', 'plain', plain), 'base64'),
      decrypt: (cipher) => askMain('decrypt', 'cipher', cipher.toString('base64')),
    };
    servicesPromise = createServices({
      host: 'electron',
      workspaceDir,
      logger: createLogger((l) => stream.write(l + '\n')),
      clock: systemClock,
      encryptor,
      // Timeouts on every request come from the cloud client's adapter; proxy and trust from Chromium's net stack.
      network: createNetworkFromFetch((input, init) => net.fetch(String(input), init), 'Electron net.fetch (system proxy and PAC, OS certificate store)'),
      send: (event, payload) => port.postMessage({ type: 'event', event, payload }),
      versions: msg.versions,
      openPath: async (path) => (await askMain('openPath', 'path', path)) === 'opened',
      shareNetwork: true,
    });
    void servicesPromise.then(() => port.postMessage({ type: 'ready' }));
  } else if (msg.type === 'invoke' && servicesPromise) {
    void servicesPromise
      .then((s) => s.router.dispatch(msg.channel, msg.payload, { origin: 'electron-renderer' }))
      .then((envelope) => port.postMessage({ type: 'result', id: msg.id, envelope }));
  } else if (msg.type === 'crypto') {
    const p = cryptoPending.get(msg.id);
    cryptoPending.delete(msg.id);
    if (msg.ok && typeof msg.value === 'string') p?.resolve(msg.value);
    else p?.reject(new Error(`The OS secret store refused: ${msg.error ?? 'unknown error'}`));
  }
});
