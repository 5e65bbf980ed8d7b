/**
 * Entry of the utilityProcess: Electron's parentPort and net.fetch handed to service-host.ts, which
 * composes main/api and answers the relayed contract (and is what the unit tests run).
 */
import { net } from 'electron';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServices } from '../api/services';
import { serveMainPort, type MainPortLike } from './service-host';

serveMainPort((process as unknown as { parentPort: MainPortLike }).parentPort, {
  createServices,
  // Timeouts on every request come from the cloud client's adapter; proxy and trust from Chromium's net stack.
  fetch: (input: string | URL, init?: RequestInit) => net.fetch(String(input), init),
  networkDescription: 'Electron net.fetch (system proxy and PAC, OS certificate store)',
  openLog: (workspaceDir) => {
    mkdirSync(join(workspaceDir, 'logs'), { recursive: true, mode: 0o700 });
    const stream = createWriteStream(join(workspaceDir, 'logs', 'services.log'), { flags: 'a', mode: 0o600 });
    return (line) => stream.write(`${line}\n`);
  },
  exit: (code) => process.exit(code),
});
