/**
 * The main process's relay to the service utilityProcess (main/electron/service-port.ts), with a fake
 * child, safeStorage and shell. The service process parses directory data, zips and imports, so main
 * treats what it sends as untrusted: schema-checked, bounded, and only three narrow powers (the OS secret
 * store, opening a folder or log-like file inside the workspace, asking the admin in main's own dialog
 * to consent to the selected weak secret store).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectServiceProcess,
  decideOpenPath,
  MAX_CIPHER_CHARS,
  MAX_PLAIN_CHARS,
  weakStorageDialog,
  type ServiceProcess,
} from '../../main/electron/service-port';
import { FakeDialog, FakeSafeStorage, FakeShell, FakeUtilityProcess } from './electron-fakes';

let root: string;
let ws: string;
let outside: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'sd-port-')));
  ws = join(root, 'workspace');
  outside = join(root, 'outside');
  mkdirSync(join(ws, 'logs'), { recursive: true });
  mkdirSync(join(ws, 'evidence'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(ws, 'logs', 'services.log'), 'log');
  for (const f of ['diag.txt', 'plan.json', 'rows.csv', 'package.zip', 'workspace.db', 'secret.key', 'run.exe', 'x.sh', 'LOUD.LOG'])
    writeFileSync(join(ws, 'evidence', f), 'x');
  writeFileSync(join(outside, 'passwd.txt'), 'x');
  symlinkSync(outside, join(ws, 'escape'));
  symlinkSync(join(outside, 'passwd.txt'), join(ws, 'logs', 'link.log'));
  symlinkSync(join(ws, 'evidence', 'secret.key'), join(ws, 'logs', 'innocent.log'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('what openPath may open', () => {
  it.each([
    ['the workspace', () => ws],
    ['the logs folder', () => join(ws, 'logs')],
    ['a log', () => join(ws, 'logs', 'services.log')],
    ['a .txt', () => join(ws, 'evidence', 'diag.txt')],
    ['a .json', () => join(ws, 'evidence', 'plan.json')],
    ['a .csv', () => join(ws, 'evidence', 'rows.csv')],
    ['a .zip', () => join(ws, 'evidence', 'package.zip')],
    ['an upper-case .LOG', () => join(ws, 'evidence', 'LOUD.LOG')],
  ])('opens %s', (_n, p) => {
    expect(decideOpenPath(p(), ws)).toEqual({ ok: true, path: p() });
  });

  it.each([
    ['the database', () => join(ws, 'evidence', 'workspace.db'), 'only folders'],
    ['the key file', () => join(ws, 'evidence', 'secret.key'), 'only folders'],
    ['an executable', () => join(ws, 'evidence', 'run.exe'), 'only folders'],
    ['a script', () => join(ws, 'evidence', 'x.sh'), 'only folders'],
    ['a folder outside', () => outside, 'outside the workspace'],
    ['a .txt outside', () => join(outside, 'passwd.txt'), 'outside the workspace'],
    ['a ../ escape', () => join(ws, 'logs', '..', '..', 'outside', 'passwd.txt'), 'outside the workspace'],
    ['a symlinked folder pointing outside', () => join(ws, 'escape'), 'outside the workspace'],
    ['a file through a symlinked folder', () => join(ws, 'escape', 'passwd.txt'), 'outside the workspace'],
    ['a .log symlink to a file outside', () => join(ws, 'logs', 'link.log'), 'outside the workspace'],
    ['a .log symlink to the key file', () => join(ws, 'logs', 'innocent.log'), 'only folders'],
    ['a sibling whose name starts like the workspace', () => `${ws}-evil`, 'does not exist'],
    ['a relative path', () => 'logs', 'absolute'],
    ['a path with NUL', () => `${ws}/logs\0.txt`, 'absolute'],
    ['a path that does not exist', () => join(ws, 'nope.log'), 'does not exist'],
  ])('refuses %s', (_n, p, reason) => {
    const d = decideOpenPath(p(), ws);
    expect(d.ok).toBe(false);
    expect(d.ok ? '' : d.reason).toContain(reason);
  });

  it('refuses a sibling directory whose name extends the workspace name', () => {
    mkdirSync(`${ws}-evil`, { recursive: true });
    expect(decideOpenPath(`${ws}-evil`, ws)).toMatchObject({ ok: false, reason: expect.stringContaining('outside the workspace') });
  });
});

describe('the service relay', () => {
  let child: FakeUtilityProcess;
  let safe: FakeSafeStorage;
  let shell: FakeShell;
  let errors: string[];
  let started: Promise<ServiceProcess>;
  beforeEach(() => {
    child = new FakeUtilityProcess();
    safe = new FakeSafeStorage('basic_text');
    shell = new FakeShell();
    errors = [];
    started = connectServiceProcess(child, {
      safeStorage: safe,
      shell,
      workspaceDir: ws,
      versions: { electron: '45.5.0' },
      platform: 'linux',
      onProtocolError: (m) => errors.push(m),
    });
  });
  const ready = async () => {
    child.say({ type: 'ready' });
    return started;
  };

  it('starts the service with the workspace and the real secret-store backend, resolves on ready', async () => {
    expect(child.posted[0]).toEqual({ type: 'init', workspaceDir: ws, versions: { electron: '45.5.0' }, storageBackend: 'basic_text' });
    const api = await ready();
    expect(typeof api.invoke).toBe('function');
  });

  it('sends no Linux backend name on Windows or macOS (the service describes DPAPI or the Keychain itself)', () => {
    const other = new FakeUtilityProcess();
    void connectServiceProcess(other, { safeStorage: safe, shell, workspaceDir: ws, versions: {}, platform: 'win32', onProtocolError: () => {} });
    expect(other.posted[0]).toMatchObject({ type: 'init', storageBackend: 'os' });
  });

  it('rejects when the service exits during start-up', async () => {
    child.exit(3);
    await expect(started).rejects.toThrow(/code 3/);
  });

  it('relays an invoke and its answer by id', async () => {
    const api = await ready();
    const p = api.invoke('app.echo', { text: 'ping' });
    const sent = child.posted.find((m) => m.type === 'invoke')!;
    expect(sent).toMatchObject({ channel: 'app.echo', payload: { text: 'ping' } });
    child.say({ type: 'result', id: sent.id, envelope: { ok: true, value: { text: 'ping' } } });
    expect(await p).toEqual({ ok: true, value: { text: 'ping' } });
  });

  it('turns a malformed answer into a typed error instead of passing it to the renderer', async () => {
    const api = await ready();
    const p = api.invoke('app.info', {});
    const id = child.posted.find((m) => m.type === 'invoke')!.id;
    child.say({ type: 'result', id, envelope: { ok: false, error: { message: 'no kind, no code', stack: '/home/x' } } });
    expect(await p).toEqual({ ok: false, error: { kind: 'internal', code: 'BAD_SERVICE_MESSAGE', message: 'The service process sent a malformed answer.' } });
    expect(errors.join('\n')).toMatch(/result: envelope/);
  });

  it('ends pending calls with a typed error when the service dies, and refuses new ones', async () => {
    const api = await ready();
    const p = api.invoke('app.info', {});
    child.exit(9);
    expect(await p).toMatchObject({ ok: false, error: { code: 'SERVICE_EXITED' } });
    expect(await api.invoke('app.info', {})).toMatchObject({ ok: false, error: { code: 'SERVICE_EXITED' } });
  });

  it('forwards a declared, well-formed event and drops an undeclared or off-contract one', async () => {
    const api = await ready();
    const seen: unknown[] = [];
    api.onEvent((e, p) => seen.push([e, p]));
    child.say({ type: 'event', event: 'sandbox.changed', payload: { reason: 'sync' } });
    child.say({ type: 'event', event: 'secrets.dump', payload: {} });
    child.say({ type: 'event', event: 'auth.signInUrl', payload: { profileId: 'p', url: 'javascript:alert(1)' } });
    child.say({ type: 'event', event: '__proto__', payload: {} });
    expect(seen).toEqual([['sandbox.changed', { reason: 'sync' }]]);
    expect(errors).toHaveLength(3);
  });

  it.each([
    ['an unknown message type with an id', { type: 'exec', id: 7, command: 'rm -rf /' }, 7],
    ['an encrypt without text', { type: 'encrypt', id: 8 }, 8],
    ['an encrypt of a number', { type: 'encrypt', id: 9, plain: 42 }, 9],
    ['an encrypt with an extra field', { type: 'encrypt', id: 10, plain: 'x', path: '/etc' }, 10],
    ['a decrypt of non-base64', { type: 'decrypt', id: 11, cipher: 'not base64!' }, 11],
    ['an openPath of a number', { type: 'openPath', id: 12, path: 7 }, 12],
    ['a message without a type', { id: 13 }, 13],
  ])('answers %s with a typed refusal and does nothing else', async (_n, msg, id) => {
    await ready();
    child.say(msg);
    await flush();
    expect(child.replyTo(id)).toMatchObject({ ok: false, error: expect.stringContaining('refused') });
    expect(safe.calls).toEqual([]);
    expect(shell.opened).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it.each([[null], ['ready'], [42], [[]], [{ type: 'encrypt', id: '1', plain: 'x' }], [{ type: 'result', id: -1, envelope: { ok: true, value: 1 } }]])(
    'ignores %j (no id to answer) but reports it',
    async (msg) => {
      await ready();
      const before = child.posted.length;
      child.say(msg);
      await flush();
      expect(child.posted.length).toBe(before);
      expect(errors).toHaveLength(1);
    },
  );

  it('encrypts and decrypts through safeStorage, base64 on the wire', async () => {
    await ready();
    child.say({ type: 'encrypt', id: 1, plain: 's3cret' });
    await flush();
    const cipher = child.replyTo(1)!.value as string;
    expect(Buffer.from(cipher, 'base64').toString()).toBe('enc:s3cret');
    child.say({ type: 'decrypt', id: 2, cipher });
    await flush();
    expect(child.replyTo(2)).toEqual({ type: 'crypto', id: 2, ok: true, value: 's3cret' });
  });

  it('bounds the strings handed to safeStorage', async () => {
    await ready();
    child.say({ type: 'encrypt', id: 1, plain: 'x'.repeat(MAX_PLAIN_CHARS) });
    child.say({ type: 'encrypt', id: 2, plain: 'x'.repeat(MAX_PLAIN_CHARS + 1) });
    child.say({ type: 'decrypt', id: 3, cipher: 'A'.repeat(MAX_CIPHER_CHARS + 4) });
    child.say({ type: 'decrypt', id: 4, cipher: '' });
    await flush();
    expect(child.replyTo(1)).toMatchObject({ ok: true });
    expect(child.replyTo(2)).toMatchObject({ ok: false, error: expect.stringContaining('plain') });
    expect(child.replyTo(3)).toMatchObject({ ok: false, error: expect.stringContaining('cipher') });
    expect(child.replyTo(4)).toMatchObject({ ok: false });
    expect(safe.calls).toEqual(['encrypt']);
  });

  it('passes a safeStorage failure back as a refusal', async () => {
    await ready();
    child.say({ type: 'decrypt', id: 5, cipher: Buffer.from('tampered').toString('base64') });
    await flush();
    expect(child.replyTo(5)).toMatchObject({ ok: false, error: expect.stringContaining('decrypting') });
  });

  it('opens the logs folder and refuses what the checks refuse, without calling the shell', async () => {
    await ready();
    child.say({ type: 'openPath', id: 1, path: join(ws, 'logs') });
    child.say({ type: 'openPath', id: 2, path: join(ws, 'escape') });
    child.say({ type: 'openPath', id: 3, path: join(ws, 'evidence', 'secret.key') });
    child.say({ type: 'openPath', id: 4, path: '/etc' });
    await flush();
    expect(shell.opened).toEqual([join(ws, 'logs')]);
    expect(child.replyTo(1)).toMatchObject({ ok: true, value: 'opened' });
    for (const id of [2, 3, 4]) expect(child.replyTo(id)).toMatchObject({ ok: true, value: 'refused' });
  });

  it('opens the realpath, not the link the service named', async () => {
    await ready();
    symlinkSync(join(ws, 'logs'), join(ws, 'logs-link'));
    child.say({ type: 'openPath', id: 1, path: join(ws, 'logs-link') });
    await flush();
    expect(shell.opened).toEqual([join(ws, 'logs')]);
  });

  it('declines every weak-storage consent when main has no dialog to ask it with', async () => {
    await ready();
    child.say({ type: 'confirmWeakStorage', id: 1, backend: 'basic_text' });
    await flush();
    expect(child.replyTo(1)).toMatchObject({ ok: true, value: 'declined' });
    expect(errors.join()).toMatch(/no dialog/);
  });

  it('kills the child on stop', async () => {
    (await ready()).stop();
    expect(child.killed).toBe(true);
  });
});

describe('the weak-storage consent: main asks the admin itself', () => {
  const win = { id: 'main-window' };
  function relay(dialog: FakeDialog, backend = 'basic_text', windowOf: () => unknown = () => win) {
    const child = new FakeUtilityProcess();
    const errors: string[] = [];
    const started = connectServiceProcess(child, {
      safeStorage: new FakeSafeStorage(backend),
      shell: new FakeShell(),
      confirmWeakStorage: weakStorageDialog(dialog, windowOf, 'linux'),
      workspaceDir: ws,
      versions: {},
      platform: 'linux',
      onProtocolError: (m) => errors.push(m),
    });
    child.say({ type: 'ready' });
    return { child, errors, started };
  }

  it('says yes only for the second button of its own dialog, modal to the window, Cancel the default', async () => {
    const yes = new FakeDialog(1);
    const a = relay(yes);
    await a.started;
    a.child.say({ type: 'confirmWeakStorage', id: 1, backend: 'basic_text' });
    await flush();
    expect(a.child.replyTo(1)).toMatchObject({ ok: true, value: 'accepted' });
    expect(yes.asked).toHaveLength(1);
    expect(yes.asked[0]!.window).toBe(win);
    expect(yes.asked[0]!.options).toMatchObject({ defaultId: 0, cancelId: 0, buttons: ['Cancel', 'Store with weak protection'] });
    expect(yes.asked[0]!.options.message).toMatch(/basic_text/);

    const no = new FakeDialog(0);
    const b = relay(no);
    await b.started;
    b.child.say({ type: 'confirmWeakStorage', id: 1, backend: 'basic_text' });
    await flush();
    expect(b.child.replyTo(1)).toMatchObject({ ok: true, value: 'declined' });
  });

  it('declines without asking for a backend main did not select, and without a window', async () => {
    const dialog = new FakeDialog(1);
    const a = relay(dialog);
    await a.started;
    a.child.say({ type: 'confirmWeakStorage', id: 1, backend: 'key-file' });
    await flush();
    expect(a.child.replyTo(1)).toMatchObject({ ok: true, value: 'declined' });
    expect(dialog.asked).toHaveLength(0);
    expect(a.errors.join()).toMatch(/not the selected backend/);
    const b = relay(dialog, 'basic_text', () => null);
    await b.started;
    b.child.say({ type: 'confirmWeakStorage', id: 2, backend: 'basic_text' });
    await flush();
    expect(b.child.replyTo(2)).toMatchObject({ ok: true, value: 'declined' });
    expect(dialog.asked).toHaveLength(0);
  });

  it('never asks about a strong store, and refuses a malformed question', async () => {
    const dialog = new FakeDialog(1);
    const a = relay(dialog, 'gnome_libsecret');
    await a.started;
    a.child.say({ type: 'confirmWeakStorage', id: 1, backend: 'gnome_libsecret' });
    a.child.say({ type: 'confirmWeakStorage', id: 2, backend: '' });
    await flush();
    expect(a.child.replyTo(1)).toMatchObject({ ok: true, value: 'declined' });
    expect(a.child.replyTo(2)).toMatchObject({ ok: false, error: expect.stringContaining('backend') });
    expect(dialog.asked).toHaveLength(0);
  });

  it('keeps one dialog open at a time: a flood of questions gets declines, not a queue of dialogs', async () => {
    const dialog = new FakeDialog(1, true);
    const a = relay(dialog);
    await a.started;
    for (let id = 1; id <= 5; id++) a.child.say({ type: 'confirmWeakStorage', id, backend: 'basic_text' });
    await flush();
    expect(dialog.asked).toHaveLength(1);
    for (let id = 2; id <= 5; id++) expect(a.child.replyTo(id)).toMatchObject({ ok: true, value: 'declined' });
    dialog.answerAll();
    await flush();
    expect(a.child.replyTo(1)).toMatchObject({ ok: true, value: 'accepted' });
  });
});
