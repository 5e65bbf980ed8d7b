/**
 * The CLI's delegated sign-in across commands (main/cli/cloud-sign-in.ts): each command is its own
 * process, so without SYNCDRIFT_KEEP_SIGN_IN every one asks for a device code; with it the msal
 * cache is kept beside the workspace, encrypted with the workspace key file. Real sandbox tenant
 * over HTTPS, real msal device-code flow; each "command" is a fresh client, as a new process would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEEP_SIGN_IN_ENV, keptSignInFile, openCliCloudClient } from '../../main/cli/cloud-sign-in';
import { parseProfile, type Profile } from '../../main/core/profile';
import { createLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import { enterDeviceCode, startCloudSandbox, type CloudSandbox } from '../support/cloud-sandbox';

let env: CloudSandbox;
let profile: Profile;
beforeAll(async () => {
  env = await startCloudSandbox({ seed: { count: 10 } });
  profile = parseProfile(
    {
      name: 'Sandbox over HTTPS',
      onPrem: { url: 'ldaps://127.0.0.1:1', bindDn: 'CN=x,DC=example,DC=test', passwordEnv: 'SD_UNUSED', baseDn: 'DC=example,DC=test' },
      cloud: { environment: 'sandbox', tenantId: env.sb.tenantId, clientId: env.sb.apps.workbench.appId, auth: { type: 'deviceCode' }, authorityHost: env.sb.origin, graphBaseUrl: env.sb.origin },
    },
    { dir: tmpdir() },
  );
});
afterAll(async () => {
  await env?.close();
});

/** One CLI command: a fresh client; counts device codes (and enters them as the Global Administrator). */
async function command(workspaceFile: string | null, vars: Record<string, string>, acceptWeakSecretStorage = false) {
  let deviceCodes = 0;
  const notices: string[] = [];
  const client = await openCliCloudClient({
    profile,
    env: vars,
    network: env.network,
    logger: createLogger(() => {}),
    clock: systemClock,
    workspaceFile,
    acceptWeakSecretStorage,
    onDeviceCode: (i) => {
      deviceCodes++;
      void enterDeviceCode(env.network, i.verificationUri, i.userCode, env.sb.users.globalAdmin);
    },
    notify: (l) => notices.push(l),
  });
  const org = await client.getOrganization();
  return { deviceCodes, notices, org };
}

describe('CLI sign-ins', () => {
  it(`with ${KEEP_SIGN_IN_ENV}=1: one device code, then the kept sign-in; ciphertext on disk; deleting the file signs out`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-cli-signin-'));
    const ws = join(dir, 'workspace.db');
    const keep = { [KEEP_SIGN_IN_ENV]: '1' };
    // The key file beside the workspace is a weak store: without the admin's consent the command
    // stops before any sign-in, naming the store and the flag (issue 16 finding 7).
    await expect(command(ws, keep)).rejects.toMatchObject({
      code: 'WEAK_SECRET_STORAGE',
      message: expect.stringMatching(new RegExp(`key file ${join(dir, 'secret.key').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} beside the workspace.*--accept-weak-secret-storage`)),
    });
    expect(existsSync(join(dir, 'sign-ins'))).toBe(false);
    const first = await command(ws, keep, true);
    expect(first.deviceCodes).toBe(1);
    expect(first.notices.join('\n')).toMatch(/Recorded your consent \(.*\) to keep secrets in this workspace protected only by key file/);
    expect(first.org.id).toBe(env.sb.tenantId);
    const file = keptSignInFile(ws, profile);
    expect(first.notices.join('\n')).toContain(`Sign-in kept in ${file}`);
    const bytes = readFileSync(file).toString('latin1');
    expect(bytes).not.toMatch(/RefreshToken|refresh_token|"secret"|AccessToken/);

    // The consent is recorded in the workspace: later commands need no flag, and say what protects the sign-in.
    const second = await command(ws, keep);
    expect(second.deviceCodes).toBe(0);
    expect(second.notices.join('\n')).toMatch(/Secret storage: key file .* \(you agreed /);
    expect(second.notices.join('\n')).toMatch(/Using the sign-in of .* kept in/);
    expect(second.org.id).toBe(env.sb.tenantId);

    rmSync(file);
    const third = await command(ws, keep);
    expect(third.deviceCodes).toBe(1);
  }, 120_000);

  it('without it (or with --no-save): every command asks again and nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-cli-signin-off-'));
    const ws = join(dir, 'workspace.db');
    expect((await command(ws, {})).deviceCodes).toBe(1);
    expect((await command(ws, {})).deviceCodes).toBe(1);
    expect(existsSync(join(dir, 'sign-ins'))).toBe(false);
    const noSave = await command(null, { [KEEP_SIGN_IN_ENV]: '1' });
    expect(noSave.deviceCodes).toBe(1);
    expect(noSave.notices.join('\n')).toMatch(/ignored with --no-save/);
  }, 120_000);
});
