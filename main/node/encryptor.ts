/**
 * Encryptor for plain-Node hosts (browser host, CLI): AES-256-GCM with a random key kept in an
 * owner-only file beside the workspace. It keeps secrets out of plain text on disk, but anyone who can
 * read the workspace can read the key, so it reports itself as not strong: the vault stores secrets
 * with it only after the admin consented for the workspace, as with Electron's `basic_text` on Linux.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Encryptor } from '../core/ports';
import { SyncDriftError } from '../core/errors';
import { keyFileBackend } from '../core/secret-storage';

const MAGIC = Buffer.from('SDE1');

export function createKeyFileEncryptor(keyFile: string): Encryptor {
  let key: Buffer | null = null;
  const loadKey = (): Buffer => {
    if (key) return key;
    if (existsSync(keyFile)) {
      key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
      if (key.length !== 32)
        throw new SyncDriftError(
          'internal',
          'BAD_KEYFILE',
          `The key file ${keyFile} is damaged (expected 32 bytes). Move it away to start with a new key; stored secrets must then be typed again.`,
        );
    } else {
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      key = randomBytes(32);
      writeFileSync(keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' });
      chmodSync(keyFile, 0o600);
    }
    return key;
  };
  return {
    backend: 'key-file',
    isStrong: false,
    description: keyFileBackend(keyFile).description,
    async encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', loadKey(), iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([MAGIC, iv, c.getAuthTag(), body]);
    },
    async decrypt(cipher) {
      if (cipher.length < 32 || !cipher.subarray(0, 4).equals(MAGIC))
        throw new SyncDriftError('internal', 'BAD_CIPHERTEXT', 'A stored secret is damaged; type it again.');
      const d = createDecipheriv('aes-256-gcm', loadKey(), cipher.subarray(4, 16));
      d.setAuthTag(cipher.subarray(16, 32));
      return Buffer.concat([d.update(cipher.subarray(32)), d.final()]).toString('utf8');
    },
  };
}
