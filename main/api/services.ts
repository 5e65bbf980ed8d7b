/**
 * Composition root of the service side: builds every service from the ports a host supplies and
 * returns the contract's handlers. Hosts (Electron utilityProcess, browser host, tests) call this;
 * nothing here knows which host it runs in.
 */
import type { Clock, Encryptor, Logger, Network } from '../core/ports';
import { createRouter, validatedEventSink, type Handlers, type Router } from './router';
import { Operations } from './operations';
import { APP_NAME, APP_VERSION } from './version';

export interface ServicePorts {
  host: 'electron' | 'browser' | 'test';
  workspaceDir: string;
  logger: Logger;
  clock: Clock;
  encryptor: Encryptor;
  network: Network;
  /** Pushes an event to every connected renderer. */
  send: (event: string, payload: unknown) => void;
  /** Extra runtime versions the host knows (electron, chrome). */
  versions?: Record<string, string>;
}

export interface Services {
  router: Router;
  dispose(): Promise<void>;
}

export async function createServices(ports: ServicePorts): Promise<Services> {
  const ops = new Operations();
  const emit = validatedEventSink(ports.send, ports.logger);
  void emit;

  const handlers: Handlers = {
    'app.info': () => ({
      name: APP_NAME,
      version: APP_VERSION,
      host: ports.host,
      sandbox: true,
      platform: process.platform,
      versions: { node: process.versions.node, ...(ports.versions ?? {}) },
      workspacePath: ports.workspaceDir,
    }),
    'app.echo': ({ text }) => ({ text, receivedAt: ports.clock.now().toISOString() }),
    'op.cancel': ({ operationId }) => ({ cancelled: ops.cancel(operationId) }),
  };

  return {
    router: createRouter(handlers, ports.logger),
    async dispose() {
      ops.cancelAll();
    },
  };
}
