/**
 * The service process's end of the relay (main/electron/service-host.ts), wired to main's real end
 * (service-port.ts) through an in-memory message pair, with a fake safeStorage and shell: what the
 * utilityProcess does under Electron, here under plain Node (issue 16 finding 10).
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServicePorts, Services } from '../../main/api/services';
import { createServices } from '../../main/api/services';
import { serveMainPort, isStrongBackend, type MainPortLike, type ServiceHostDeps } from '../../main/electron/service-host';
import { connectServiceProcess, weakStorageDialog, type UtilityProcessLike } from '../../main/electron/service-port';
import { FakeDialog, FakeSafeStorage, FakeShell } from './electron-fakes';

type Listener = (m: unknown) => void;

/** Two ends of a structured-clone message channel, delivered asynchronously like Electron's. */
function pair() {
  const toService: Listener[] = [];
  const toMain: Listener[] = [];
  const exitListeners: Array<(code: number) => void> = [];
  const fromService: unknown[] = [];
  const deliver = (ls: Listener[], m: unknown) => setTimeout(() => ls.forEach((l) => l(structuredClone(m))), 0);
  const child: UtilityProcessLike & { exit(code: number): void } = {
    on: (_e, l) => toMain.push(l),
    once: (_e, l) => exitListeners.push(l),
    postMessage: (m) => deliver(toService, m),
    kill: () => true,
    exit: (code) => exitListeners.forEach((l) => l(code)),
  };
  const port: MainPortLike & { say(m: unknown): void } = {
    on: (_e, l) => toService.push((m) => l({ data: m })),
    postMessage: (m) => {
      fromService.push(m);
      deliver(toMain, m);
    },
    /** Speak to the service as main would (or as a broken main would). */
    say: (m) => deliver(toService, m),
  };
  return { child, port, fromService };
}

let dir: string;
let log: string[];
let exits: number[];
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sd-host-')));
  log = [];
  exits = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const wait = (ms = 20) => new Promise((r) => setTimeout(r, ms));

function deps(createServicesImpl: ServiceHostDeps['createServices']): ServiceHostDeps {
  return {
    createServices: createServicesImpl,
    fetch: () => Promise.reject(new Error('no network in this test')),
    networkDescription: 'test',
    openLog: () => (line) => log.push(line),
    exit: (code) => exits.push(code),
  };
}

/** A service factory that records its ports and answers every call with the channel it got. */
function recordingFactory() {
  const seen: { ports?: ServicePorts } = {};
  const factory = async (ports: ServicePorts): Promise<Services> => {
    seen.ports = ports;
    return {
      router: { dispatch: async (channel: unknown) => ({ ok: true as const, value: { channel } }) },
    } as unknown as Services;
  };
  return { seen, factory };
}

describe('the service process end of the relay', () => {
  it('starts the real services behind main\'s real relay and answers a call (app.info)', async () => {
    const { child, port } = pair();
    serveMainPort(port, deps(createServices));
    const svc = await connectServiceProcess(child, { safeStorage: new FakeSafeStorage(), shell: new FakeShell(), workspaceDir: dir, versions: { electron: '45.0.0' }, platform: 'linux' });
    const env = await svc.invoke('app.info', {});
    expect(env.ok).toBe(true);
    expect(JSON.stringify(env)).toContain('45.0.0');
    const bad = await svc.invoke('no.such.channel', {});
    expect(bad).toMatchObject({ ok: false });
    expect(exits).toEqual([]);
  });

  it('secrets go through main\'s safeStorage and back; the backend decides isStrong', async () => {
    const { child, port } = pair();
    const { seen, factory } = recordingFactory();
    serveMainPort(port, deps(factory));
    const storage = new FakeSafeStorage('basic_text');
    await connectServiceProcess(child, { safeStorage: storage, shell: new FakeShell(), workspaceDir: dir, versions: {}, platform: 'linux' });
    const enc = seen.ports!.encryptor;
    expect(enc).toMatchObject({ backend: 'basic_text', isStrong: false });
    const cipher = await enc.encrypt('hunter2');
    expect(cipher.toString()).toBe('enc:hunter2');
    expect(await enc.decrypt(cipher)).toBe('hunter2');
    await expect(enc.decrypt(Buffer.from('not ours'))).rejects.toThrow(/The OS secret store refused/);
    expect(storage.calls).toEqual(['encrypt', 'decrypt', 'decrypt']);
    expect(isStrongBackend('gnome_libsecret')).toBe(true);
    expect(isStrongBackend('unknown')).toBe(false);
  });

  it('openPath reaches the shell only for what main allows', async () => {
    const { child, port } = pair();
    const { seen, factory } = recordingFactory();
    serveMainPort(port, deps(factory));
    const shell = new FakeShell();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'services.log'), '');
    await connectServiceProcess(child, { safeStorage: new FakeSafeStorage(), shell, workspaceDir: dir, versions: {}, platform: 'linux' });
    expect(await seen.ports!.openPath!(join(dir, 'logs', 'services.log'))).toBe(true);
    expect(await seen.ports!.openPath!('/etc/passwd')).toBe(false);
    expect(shell.opened).toEqual([join(dir, 'logs', 'services.log')]);
  });

  it('a call before init gets a typed answer, not silence', async () => {
    const { port, fromService } = pair();
    serveMainPort(port, deps(recordingFactory().factory));
    port.say({ type: 'invoke', id: 7, channel: 'app.info', payload: {} });
    await wait();
    expect(fromService).toEqual([{ type: 'result', id: 7, envelope: { ok: false, error: expect.objectContaining({ code: 'SERVICE_NOT_READY' }) } }]);
  });

  it('services that cannot start: the reason is logged, the process exits 1, waiting calls end typed', async () => {
    const { child, port } = pair();
    serveMainPort(
      port,
      deps(async () => {
        throw new Error(`SQLITE_CANTOPEN ${dir}/workspace.db`);
      }),
    );
    const connecting = connectServiceProcess(child, { safeStorage: new FakeSafeStorage(), shell: new FakeShell(), workspaceDir: dir, versions: {}, platform: 'linux' });
    port.say({ type: 'invoke', id: 3, channel: 'app.info', payload: {} });
    await wait();
    expect(exits).toEqual([1]);
    expect(log.join('\n')).toContain('SQLITE_CANTOPEN');
    child.exit(1);
    await expect(connecting).rejects.toThrow(/exited during start-up \(code 1\)/);
  });

  it('a handler that throws ends the call with a generic error and a reference, details only in the log', async () => {
    const { port, fromService } = pair();
    serveMainPort(
      port,
      deps(async () => ({ router: { dispatch: () => Promise.reject(new Error(`EACCES ${dir}/secret`)) } }) as unknown as Services),
    );
    port.say({ type: 'init', workspaceDir: dir, storageBackend: 'gnome_libsecret' });
    await wait();
    port.say({ type: 'invoke', id: 1, channel: 'app.info', payload: {} });
    await wait();
    const result = fromService.find((m) => (m as { type: string }).type === 'result') as { envelope: { ok: boolean; error: { code: string; message: string; correlationId: string } } };
    expect(result.envelope.ok).toBe(false);
    expect(result.envelope.error.code).toBe('INTERNAL');
    expect(result.envelope.error.message).not.toContain(dir);
    expect(log.join('\n')).toContain(result.envelope.error.correlationId);
  });

  it('malformed messages from main are dropped and logged; a malformed call is answered; a second init is ignored', async () => {
    const { port, fromService } = pair();
    const calls: ServicePorts[] = [];
    serveMainPort(
      port,
      deps(async (p) => {
        calls.push(p);
        return { router: { dispatch: async () => ({ ok: true, value: null }) } } as unknown as Services;
      }),
    );
    port.say({ type: 'init', workspaceDir: dir, storageBackend: 'gnome_libsecret' });
    await wait();
    port.say({ type: 'init', workspaceDir: '/elsewhere', storageBackend: 'basic_text' });
    port.say(null);
    port.say({ type: 'crypto', id: 99, ok: true, value: 'x' });
    port.say({ type: 'invoke', id: 5, channel: 'app.info', payload: {}, extra: 'field' });
    port.say({ type: 'init', workspaceDir: 'x'.repeat(5000), storageBackend: 'x' });
    await wait();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.workspaceDir).toBe(dir);
    expect(fromService).toContainEqual({ type: 'result', id: 5, envelope: { ok: false, error: expect.objectContaining({ code: 'BAD_MAIN_MESSAGE' }) } });
    expect(log.join('\n')).toMatch(/ignored a second init/);
    expect(log.join('\n')).toMatch(/dropped an answer from main to no open request/);
    expect(log.filter((l) => l.includes('dropped a malformed message')).length).toBe(3);
  });
});

/** A fake safeStorage whose cipher does not hold the plain text (the vault refuses one that does). */
class ScramblingSafeStorage extends FakeSafeStorage {
  override async encryptStringAsync(plainText: string): Promise<Buffer> {
    return super.encryptStringAsync(Buffer.from(plainText).toString('base64'));
  }
  override async decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    const r = await super.decryptStringAsync(encrypted);
    return { ...r, result: Buffer.from(r.result, 'base64').toString() };
  }
}

describe('the secret store the service names (issue 16 finding 7)', () => {
  const cases: Array<{ platform: NodeJS.Platform; selected: string; backend: string; isStrong: boolean; says: RegExp }> = [
    { platform: 'linux', selected: 'gnome_libsecret', backend: 'gnome_libsecret', isStrong: true, says: /libsecret/ },
    { platform: 'linux', selected: 'kwallet6', backend: 'kwallet6', isStrong: true, says: /KDE Wallet 6/ },
    { platform: 'linux', selected: 'basic_text', backend: 'basic_text', isStrong: false, says: /basic_text: no desktop keyring .*anyone who can read the workspace can decrypt/ },
    { platform: 'linux', selected: 'unknown', backend: 'unknown', isStrong: false, says: /unrecognised backend \(unknown\)/ },
    { platform: 'win32', selected: 'ignored on Windows', backend: 'dpapi', isStrong: true, says: /Windows DPAPI/ },
    { platform: 'darwin', selected: 'ignored on macOS', backend: 'keychain', isStrong: true, says: /macOS Keychain/ },
  ];
  for (const c of cases) {
    it(`${c.platform} with safeStorage's ${c.selected}: main's init passes the schema and the Encryptor is ${c.backend}, ${c.isStrong ? 'strong' : 'weak'}`, async () => {
      const { child, port, fromService } = pair();
      const { seen, factory } = recordingFactory();
      serveMainPort(port, { ...deps(factory), platform: c.platform });
      await connectServiceProcess(child, { safeStorage: new FakeSafeStorage(c.selected), shell: new FakeShell(), workspaceDir: dir, versions: { electron: '45.0.0' }, platform: c.platform });
      // Every field main's init carries is one the service accepts: nothing dropped, it started.
      expect(log.filter((l) => l.includes('dropped a malformed message'))).toEqual([]);
      expect(fromService).toContainEqual({ type: 'ready' });
      expect(exits).toEqual([]);
      const enc = seen.ports!.encryptor;
      expect({ backend: enc.backend, isStrong: enc.isStrong }).toEqual({ backend: c.backend, isStrong: c.isStrong });
      expect(enc.description).toMatch(c.says);
    });
  }

  it('a backend name the platform does not have is treated as weak, never as strong', async () => {
    const { port } = pair();
    const { seen, factory } = recordingFactory();
    const started = serveMainPort(port, { ...deps(factory), platform: 'linux' });
    // What main sends on Windows/macOS ('os'), arriving at a Linux service.
    port.say({ type: 'init', workspaceDir: dir, storageBackend: 'os' });
    await wait();
    await started.started();
    expect(seen.ports!.encryptor).toMatchObject({ backend: 'os', isStrong: false });
    expect(isStrongBackend('os', 'linux')).toBe(false);
    expect(isStrongBackend('basic_text', 'linux')).toBe(false);
  });

  it('over the relay with basic_text, the real services refuse to store a typed secret until the admin consents', async () => {
    const { child, port } = pair();
    serveMainPort(port, { ...deps(createServices), platform: 'linux' });
    const storage = new ScramblingSafeStorage('basic_text');
    // Main's own dialog: the first question declined, the second answered yes.
    const dialog = new FakeDialog(0);
    const svc = await connectServiceProcess(child, { safeStorage: storage, shell: new FakeShell(), confirmWeakStorage: weakStorageDialog(dialog, () => ({}), 'linux'), workspaceDir: dir, versions: {}, platform: 'linux' });
    const store = await svc.invoke('secrets.storage', {});
    expect(store).toMatchObject({ ok: true, value: { backend: 'basic_text', strong: false, storingAllowed: false, consent: null } });
    const document = {
      name: 'Contoso',
      onPrem: { url: 'ldaps://dc01.contoso.test:636', bindDn: 'svc-syncdrift@contoso.test', baseDn: 'DC=contoso,DC=test' },
      cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'clientSecret', secretEnv: 'SYNCDRIFT_CLIENT_SECRET' } },
      defaultRegion: 'US',
    };
    const refused = await svc.invoke('profiles.save', { document, secrets: { clientSecret: 'Relay-Secret-5d2e' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'WEAK_SECRET_STORAGE' } });
    expect(JSON.stringify(refused)).toMatch(/basic_text/);
    expect(storage.calls).toEqual([]);
    // A page calling the channel is not the consent: the admin declined main's dialog, nothing is recorded.
    const declined = await svc.invoke('secrets.consent', { action: 'accept', backend: 'basic_text' });
    expect(declined).toMatchObject({ ok: false, error: { code: 'SECRET_STORAGE_CONSENT_DECLINED' } });
    expect(await svc.invoke('secrets.storage', {})).toMatchObject({ ok: true, value: { storingAllowed: false, consent: null } });
    expect(await svc.invoke('profiles.save', { document, secrets: { clientSecret: 'Relay-Secret-5d2e' } })).toMatchObject({ ok: false, error: { code: 'WEAK_SECRET_STORAGE' } });
    dialog.response = 1;
    const consented = await svc.invoke('secrets.consent', { action: 'accept', backend: 'basic_text' });
    expect(dialog.asked).toHaveLength(2);
    expect(consented).toMatchObject({ ok: true, value: { storingAllowed: true, consent: { backend: 'basic_text' } } });
    expect(await svc.invoke('profiles.save', { document, secrets: { clientSecret: 'Relay-Secret-5d2e' } })).toMatchObject({ ok: true });
    expect(storage.calls).toEqual(['encrypt']);
  });
});
