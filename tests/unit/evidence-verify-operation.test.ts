/**
 * evidence.verify through the router is a long operation like a scan: it answers an operation id at
 * once, reports op.progress (phase 'verify'), ends with evidence.verified, and op.cancel stops it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/api/services';
import { silentLogger } from '../../main/core/logger';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { writeZip } from '../support/evidence-zip';

const dir = mkdtempSync(join(tmpdir(), 'sd-verify-op-'));
const events: Array<{ event: string; payload: Record<string, unknown> }> = [];
let s: Services;

beforeAll(async () => {
  s = await createServices({
    host: 'test',
    workspaceDir: dir,
    logger: silentLogger,
    clock: { now: () => new Date('2026-11-29T10:00:00Z') },
    encryptor: createKeyFileEncryptor(join(dir, 'secret.key')),
    network: { fetch, describe: () => 'test' },
    send: (event, payload) => events.push({ event, payload: payload as Record<string, unknown> }),
  });
});
afterAll(async () => {
  await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (channel: string, payload: unknown) => {
  const env = await s.router.dispatch(channel, payload, { origin: 'test' });
  if (!env.ok) throw new Error(`${channel}: ${env.error.message}`);
  return env.value as Record<string, unknown>;
};

function finished(operationId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const hit = events.find((e) => e.event === 'evidence.verified' && e.payload.operationId === operationId);
      if (hit) return resolve(hit.payload);
      if (Date.now() - started > timeoutMs) return reject(new Error('no evidence.verified'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('evidence.verify as an operation', () => {
  it('answers an operation id, reports progress and ends with the verdict', async () => {
    const zip = await writeZip([['users/a.json', Buffer.alloc(3 * 1024 * 1024, 0x61)]]);
    const { operationId } = await call('evidence.verify', { zipBase64: zip.toString('base64') });
    expect(operationId).toEqual(expect.any(String));
    const end = await finished(operationId as string);
    expect(end).toMatchObject({ operationId, state: 'done', ok: false, problems: expect.arrayContaining([expect.objectContaining({ kind: 'missing', file: 'manifest.json' })]) });
    const progress = events.filter((e) => e.event === 'op.progress' && e.payload.operationId === operationId);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p) => p.payload.phase === 'verify')).toBe(true);
    expect(progress.at(-1)!.payload).toMatchObject({ done: 3 * 1024 * 1024, total: 3 * 1024 * 1024 });
  });

  it('stops on op.cancel and says so', async () => {
    const zip = await writeZip(Array.from({ length: 16 }, (_, i) => [`users/${i}.json`, Buffer.alloc(4 * 1024 * 1024, 0x30 + i)] as const));
    const { operationId } = await call('evidence.verify', { zipBase64: zip.toString('base64') });
    expect(await call('op.cancel', { operationId })).toEqual({ cancelled: true });
    const end = await finished(operationId as string);
    expect(end).toMatchObject({ state: 'cancelled', ok: false, problems: [] });
    const progress = events.filter((e) => e.event === 'op.progress' && e.payload.operationId === operationId);
    expect(progress.every((p) => (p.payload.done as number) < 64 * 1024 * 1024)).toBe(true);
  });
});
