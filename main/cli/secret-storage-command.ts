/**
 * `syncdrift secret-storage`: what protects the secrets this workspace keeps (the key file beside
 * it: weak), whether the admin agreed to that, and the way to agree (--accept-weak-secret-storage,
 * taken off the command line by main()) or to withdraw (--revoke, with --forget to delete what is
 * kept). The same consent record the app's vault reads (main/api/secrets.ts; issue 16 finding 7).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SecretVault, type SecretStorageStatus } from '../api/secrets';
import { ValidationError } from '../core/errors';
import { systemClock } from '../core/ports';
import { ACCEPT_WEAK_SECRET_STORAGE_FLAG } from '../core/secret-storage';
import { openWorkspace } from '../workspace/workspace';
import { cliEncryptor, KEEP_SIGN_IN_ENV } from './cloud-sign-in';
import { workspaceFileFor } from './remediation-commands';
import type { CliIO } from './syncdrift';

const USAGE = `syncdrift secret-storage: show what protects the secrets this workspace keeps, and the admin's consent

Options:
  --workspace FILE                 the workspace database (default: the usual one)
  ${ACCEPT_WEAK_SECRET_STORAGE_FLAG}    agree, for this workspace, to keep secrets with the key file beside it
  --revoke                         withdraw that consent (kept secrets stay unless --forget)
  --forget                         with --revoke: delete every secret and kept sign-in of this workspace
  --json                           print the state as JSON
`;

function keptSignIns(workspaceFile: string): string[] {
  const dir = join(dirname(workspaceFile), 'sign-ins');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => join(dir, f)) : [];
}

export async function runSecretStorageCommand(args: readonly string[], io: CliIO): Promise<number> {
  let values: { workspace?: string | undefined; revoke?: boolean | undefined; forget?: boolean | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { workspace: { type: 'string' }, revoke: { type: 'boolean' }, forget: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ValidationError('secret-storage', e instanceof Error ? e.message : String(e), { code: 'USAGE' });
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.forget && !values.revoke) throw new ValidationError('--forget', 'only goes with --revoke', { code: 'USAGE' });
  if (values.revoke && io.acceptWeakSecretStorage) throw new ValidationError('--revoke', `cannot go with ${ACCEPT_WEAK_SECRET_STORAGE_FLAG}`, { code: 'USAGE' });
  const clock = io.clock ?? systemClock;
  const file = workspaceFileFor(io, values.workspace ?? null);
  const ws = openWorkspace(file, { clock });
  let status: SecretStorageStatus;
  try {
    const vault = new SecretVault(ws, cliEncryptor(file));
    status = vault.storage();
    if (io.acceptWeakSecretStorage && !status.storingAllowed) status = vault.consent(status.backend, clock.now());
    if (values.revoke) {
      status = vault.revokeConsent({ forgetStored: values.forget ?? false });
      if (values.forget) for (const f of keptSignIns(file)) rmSync(f, { force: true });
    }
  } finally {
    ws.close();
  }
  const signIns = keptSignIns(file);
  if (values.json) {
    io.stdout.write(JSON.stringify({ workspace: file, ...status, keptSignIns: signIns.length }, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `Secret storage of ${file}:`,
    `  protected by: ${status.description}${status.strong ? '' : ' (weak)'}`,
    status.consent
      ? `  consent: you agreed on ${status.consent.at} to keep secrets with this protection (withdraw: syncdrift secret-storage --revoke)`
      : `  consent: none, so no secret or sign-in is kept (${KEEP_SIGN_IN_ENV}=1 stops with an error); agree with ${ACCEPT_WEAK_SECRET_STORAGE_FLAG}`,
    `  kept in the workspace: ${status.storedSecrets} secret(s); kept sign-ins beside it: ${signIns.length}`,
  ];
  if (status.warning) lines.push(`  warning: ${status.warning}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
