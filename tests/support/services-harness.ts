/**
 * The service side every host composes (main/api/services.ts) in a fresh workspace, driven the way a
 * host drives it: channels through the router (validated as from a renderer), events collected, and
 * a scan of a profile read back page by page. The integration tests of the app's channels share it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/api/services';
import { createLogger } from '../../main/core/logger';
import { systemClock, type Network } from '../../main/core/ports';
import type { DriftRow } from '../../main/core/model';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import type { ErrorInfoWire } from '../../preload/contract';

export interface ServicesHarness {
  readonly dir: string;
  readonly events: Array<{ event: string; payload: unknown }>;
  /** The services of the open workspace (open() first). */
  readonly services: Services;
  /** Opens (or, after dispose, re-opens) the services over the same workspace folder. */
  open(): Promise<Services>;
  /** The router's envelope: `{ ok: true, value }` or `{ ok: false, error }` (`error` readable on both, for `r.error?.code`). */
  callRaw(channel: string, payload: unknown): Promise<{ ok: true; value: unknown; error?: undefined } | { ok: false; error: ErrorInfoWire }>;
  call<T = unknown>(channel: string, payload: unknown): Promise<T>;
  waitFor(event: string, pred?: (p: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  /** A scan of the profile to its end, then every row of it. */
  scan(profileId?: string): Promise<{ scanId: string; rows: DriftRow[]; scan: { state: string; problems: string[] } }>;
  /** Disposes the services; with `removeDir`, deletes the workspace folder too. */
  close(o?: { removeDir?: boolean }): Promise<void>;
}

export interface ServicesHarnessOptions {
  /**
   * The network live profiles' cloud clients use (shared with them, as the Electron host shares
   * net.fetch): one that trusts a sandbox tenant's CA lets a live profile point at that sandbox.
   */
  network?: Network;
  /** Sees every event as it is sent (e.g. to approve a device code while the sign-in waits for it). */
  onEvent?: (event: string, payload: unknown) => void;
}

export function servicesHarness(prefix: string, opts: ServicesHarnessOptions = {}): ServicesHarness {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const events: Array<{ event: string; payload: unknown }> = [];
  let current: Services | null = null;
  const h: ServicesHarness = {
    dir,
    events,
    get services(): Services {
      if (!current) throw new Error('servicesHarness: open() first');
      return current;
    },
    async open() {
      current = await createServices({
        host: 'test',
        workspaceDir: dir,
        logger: createLogger(() => {}),
        clock: systemClock,
        encryptor: createKeyFileEncryptor(join(dir, 'secret.key')),
        network: opts.network ?? { fetch, describe: () => 'test' },
        ...(opts.network ? { shareNetwork: true } : {}),
        send: (event, payload) => {
          events.push({ event, payload });
          opts.onEvent?.(event, payload);
        },
      });
      return current;
    },
    callRaw: (channel, payload) => h.services.router.dispatch(channel, payload, { origin: 'test' }),
    async call<T>(channel: string, payload: unknown): Promise<T> {
      const env = await h.callRaw(channel, payload);
      if (!env.ok) throw new Error(`${channel}: ${env.error.message}`);
      return env.value as T;
    },
    async waitFor(event, pred = () => true, timeoutMs = 120_000) {
      const started = Date.now();
      for (;;) {
        const hit = events.find((e) => e.event === event && pred(e.payload));
        if (hit) return hit.payload;
        if (Date.now() - started > timeoutMs) throw new Error(`no ${event} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async scan(profileId = 'sandbox') {
      const { operationId, scanId } = await h.call<{ operationId: string; scanId: string }>('scan.start', { profileId });
      const done = (await h.waitFor('scan.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { scan: { state: string; problems: string[] } };
      const rows: DriftRow[] = [];
      for (let offset = 0; ; ) {
        const page = await h.call<{ total: number; rows: DriftRow[] }>('rows.page', { scanId, offset, limit: 5000 });
        rows.push(...page.rows);
        offset += page.rows.length;
        if (offset >= page.total || page.rows.length === 0) break;
      }
      return { scanId, rows, scan: done.scan };
    },
    async close(o = {}) {
      await current?.dispose();
      current = null;
      if (o.removeDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
