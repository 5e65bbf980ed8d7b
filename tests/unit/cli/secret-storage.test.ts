/**
 * The CLI shows what protects the secrets a workspace keeps and records or withdraws the admin's
 * consent to that weak store (issue 16 finding 7): the same record the app's vault reads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../../main/cli/syncdrift';
import { SecretVault } from '../../../main/api/secrets';
import { createKeyFileEncryptor } from '../../../main/node/encryptor';
import { openWorkspace } from '../../../main/workspace/workspace';

let dir: string;
const clock = { now: () => new Date('2026-12-06T12:45:00Z') };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-cli-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { SYNCDRIFT_HOME: join(dir, 'home') }, cwd: dir, isTTY: false, clock };
  return { code: await main(argv, io), out, err };
}

describe('syncdrift secret-storage', () => {
  it('names the key file beside the workspace as weak and says nothing is kept without consent', async () => {
    const r = await run(['secret-storage', '--workspace', 'ws/workspace.db']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`protected by: key file ${join(dir, 'ws', 'secret.key')} beside the workspace, readable by anyone who can read the workspace (weak)`);
    expect(r.out).toMatch(/consent: none.*--accept-weak-secret-storage/);
  });

  it('records consent with its time, the vault then stores, and --revoke --forget deletes secrets and kept sign-ins', async () => {
    const accepted = await run(['secret-storage', '--workspace', 'ws/workspace.db', '--accept-weak-secret-storage', '--json']);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.out)).toMatchObject({ backend: 'key-file', storingAllowed: true, consent: { backend: 'key-file', at: '2026-12-06T12:45:00.000Z' } });

    const file = join(dir, 'ws', 'workspace.db');
    const ws = openWorkspace(file);
    await new SecretVault(ws, createKeyFileEncryptor(join(dir, 'ws', 'secret.key'))).put('p1', 'onprem:dc01', 'Bind-Password-5b1d', 'identity');
    ws.close();
    mkdirSync(join(dir, 'ws', 'sign-ins'));
    writeFileSync(join(dir, 'ws', 'sign-ins', 'abc.bin'), 'ciphertext');
    expect((await run(['secret-storage', '--workspace', 'ws/workspace.db'])).out).toMatch(/you agreed on 2026-12-06T12:45:00.000Z.*\n.*1 secret\(s\); kept sign-ins beside it: 1/);

    const revoked = await run(['secret-storage', '--workspace', 'ws/workspace.db', '--revoke', '--forget', '--json']);
    expect(JSON.parse(revoked.out)).toMatchObject({ consent: null, storingAllowed: false, storedSecrets: 0, keptSignIns: 0 });
    expect(existsSync(join(dir, 'ws', 'sign-ins', 'abc.bin'))).toBe(false);
  });

  it('refuses --forget without --revoke, and --revoke with the consent flag', async () => {
    expect((await run(['secret-storage', '--forget'])).code).toBe(2);
    expect((await run(['secret-storage', '--revoke', '--accept-weak-secret-storage'])).code).toBe(2);
  });
});
