import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ICachePlugin } from '@azure/msal-node';
import { createTokenCachePlugin, fileTokenCacheStore, memoryTokenCacheStore } from '../../main/cloud/token-cache';
import { createLogger } from '../../main/core/logger';
import type { Encryptor } from '../../main/core/ports';

/** A real AES-GCM encryptor, as a key-file backend would be. */
function aesEncryptor(isStrong = true): Encryptor {
  const key = randomBytes(32);
  return {
    backend: isStrong ? 'test-aes' : 'basic_text',
    isStrong,
    description: isStrong ? 'test AES key' : 'Electron safeStorage with basic_text',
    encrypt: async (plain) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt: async (buf) => {
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      d.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

/** Minimal msal cache context around a serialized cache string. */
function context(serialized: { value: string }, changed: boolean) {
  return {
    cacheHasChanged: changed,
    tokenCache: { serialize: () => serialized.value, deserialize: (s: string) => void (serialized.value = s) },
  } as unknown as Parameters<ICachePlugin['afterCacheAccess']>[0];
}

const CACHE = JSON.stringify({ Account: {}, RefreshToken: { rt1: { secret: 'refresh-token-value' } }, AccessToken: {}, IdToken: {}, AppMetadata: {} });

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('token cache plugin', () => {
  it('writes the cache encrypted to a file only readable by the owner and reads it back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-cache-'));
    const path = join(dir, 'sub', 'tokens.bin');
    const enc = aesEncryptor();
    const logs: string[] = [];
    const plugin = createTokenCachePlugin({ encryptor: enc, store: fileTokenCacheStore(path), logger: createLogger((l) => logs.push(l)) });
    await plugin.afterCacheAccess(context({ value: CACHE }, true));
    const raw = await readFile(path);
    expect(raw.toString('latin1')).not.toContain('refresh-token-value');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const fresh = createTokenCachePlugin({ encryptor: enc, store: fileTokenCacheStore(path), logger: createLogger(() => {}) });
    const target = { value: '' };
    await fresh.beforeCacheAccess(context(target, false));
    expect(target.value).toBe(CACHE);
    expect(plugin.persistence.mode).toBe('encrypted');
    expect(logs.join('\n')).not.toContain('refresh-token-value');
  });

  it('keeps tokens in memory only under a weak backend unless the admin allowed persisting', async () => {
    const store = memoryTokenCacheStore();
    const refused = createTokenCachePlugin({ encryptor: aesEncryptor(false), store, logger: createLogger(() => {}) });
    await refused.afterCacheAccess(context({ value: CACHE }, true));
    expect(store.bytes).toBeNull();
    expect(refused.persistence).toMatchObject({ mode: 'memory', backend: 'basic_text' });
    const allowed = createTokenCachePlugin({ encryptor: aesEncryptor(false), store, weakEncryption: 'allow', logger: createLogger(() => {}) });
    await allowed.afterCacheAccess(context({ value: CACHE }, true));
    expect(store.bytes).not.toBeNull();
    expect(allowed.persistence.mode).toBe('weak');
  });

  it('starts clean when the stored cache cannot be decrypted (other machine, reset keyring)', async () => {
    const store = memoryTokenCacheStore();
    await store.write(Buffer.from('not a ciphertext at all, definitely longer than 28 bytes'));
    const plugin = createTokenCachePlugin({ encryptor: aesEncryptor(), store, logger: createLogger(() => {}) });
    const target = { value: 'untouched' };
    await plugin.beforeCacheAccess(context(target, false));
    expect(target.value).toBe('untouched');
    expect(store.bytes).toBeNull();
  });
});
