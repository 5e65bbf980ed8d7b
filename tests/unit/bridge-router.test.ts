import { describe, expect, it } from 'vitest';
import { createServices } from '../../main/api/services';
import { createRouter } from '../../main/api/router';
import { createLogger, silentLogger } from '../../main/core/logger';
import { SyncDriftError } from '../../main/core/errors';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Handlers } from '../../main/api/router';

async function services() {
  const dir = mkdtempSync(join(tmpdir(), 'sd-router-'));
  return createServices({
    host: 'test',
    workspaceDir: dir,
    logger: silentLogger,
    clock: { now: () => new Date('2026-11-29T10:00:00Z') },
    encryptor: createKeyFileEncryptor(join(dir, 'k')),
    network: { fetch, describe: () => 'test' },
    send: () => {},
  });
}

const ctx = { origin: 'test' };

describe('the service side of the contract', () => {
  it('answers a valid call', async () => {
    const s = await services();
    const env = await s.router.dispatch('app.echo', { text: 'ping' }, ctx);
    expect(env).toEqual({ ok: true, value: { text: 'ping', receivedAt: '2026-11-29T10:00:00.000Z' } });
  });

  it('refuses an unknown channel before any handler runs', async () => {
    const s = await services();
    const env = await s.router.dispatch('fs.readFile', { path: '/etc/passwd' }, ctx);
    expect(env.ok).toBe(false);
    if (!env.ok) expect(env.error).toMatchObject({ kind: 'validation', code: 'UNKNOWN_CHANNEL' });
  });

  it('refuses a payload that violates the schema and names the field', async () => {
    const s = await services();
    const env = await s.router.dispatch('app.echo', { text: 42 }, ctx);
    expect(env.ok).toBe(false);
    if (!env.ok) {
      expect(env.error.code).toBe('INVALID_PAYLOAD');
      expect(env.error.field).toBe('text');
      expect(env.error.message).toMatch(/^text: invalid app\.echo payload: text: /);
    }
  });

  it('refuses unknown extra fields in a payload (strict schemas)', async () => {
    const s = await services();
    const env = await s.router.dispatch('app.echo', { text: 'x', __proto__polluted: true }, ctx);
    expect(env.ok).toBe(false);
  });

  it('refuses an over-long string with a message an admin can read', async () => {
    const s = await services();
    const env = await s.router.dispatch('app.echo', { text: 'x'.repeat(1001) }, ctx);
    expect(env.ok).toBe(false);
    if (!env.ok) expect(env.error.message).toContain('must be at most 1000 characters');
  });

  it('strips anything a handler returns beyond the declared output, so secrets cannot leak', async () => {
    const handlers = {
      'app.echo': () => ({ text: 'hi', receivedAt: 'now', clientSecret: 'TOP-SECRET-VALUE' }),
    } as unknown as Handlers;
    const router = createRouter(handlers, silentLogger);
    const env = await router.dispatch('app.echo', { text: 'hi' }, ctx);
    expect(JSON.stringify(env)).not.toContain('TOP-SECRET-VALUE');
  });

  it('turns an unexpected handler failure into a generic internal error with a reference; the details go only to the log', async () => {
    const lines: string[] = [];
    const handlers = {
      'app.echo': () => {
        throw new Error("ENOENT: no such file or directory, open '/home/admin/.config/syncdrift/workspace.db'");
      },
    } as unknown as Handlers;
    const env = await createRouter(handlers, createLogger((l) => lines.push(l))).dispatch('app.echo', { text: 'hi' }, ctx);
    expect(env).toMatchObject({ ok: false, error: { kind: 'internal', code: 'INTERNAL' } });
    if (env.ok) return;
    const wire = JSON.stringify(env);
    expect(wire).not.toContain('/home/admin');
    expect(wire).not.toContain('ENOENT');
    expect(wire).not.toMatch(/\bat \S+ \(/); // no stack frame
    expect(env.error.correlationId).toMatch(/^[0-9a-f]{8}$/);
    expect(env.error.message).toContain(env.error.correlationId);
    // The log has what the caller does not: the cause, under the same reference.
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.correlationId === env.error.correlationId);
    expect(String(logged?.error)).toContain('/home/admin/.config/syncdrift/workspace.db');
  });

  it('keeps the message of an error the service raised on purpose (it is written for the admin)', async () => {
    const handlers = {
      'app.echo': () => {
        throw new SyncDriftError('not-found', 'SCAN_NOT_FOUND', 'There is no scan s1 in this workspace.');
      },
    } as unknown as Handlers;
    const env = await createRouter(handlers, silentLogger).dispatch('app.echo', { text: 'hi' }, ctx);
    expect(env).toEqual({ ok: false, error: { kind: 'not-found', code: 'SCAN_NOT_FOUND', message: 'There is no scan s1 in this workspace.' } });
  });
});
