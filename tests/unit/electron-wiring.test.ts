/**
 * Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), the items
 * that live in the main process's wiring, against small fakes of app/session/webContents/ipcMain/shell.
 * Window options are asserted in electron-window-options.test.ts, the CSP in app-protocol.test.ts, the
 * pure URL decisions in electron-guards.test.ts; this file checks that the wiring applies them.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, type Envelope } from '../../preload/contract';
import {
  broadcastEvent,
  EVENT_CHANNEL,
  guardApp,
  INVOKE_CHANNEL,
  openMainWindow,
  registerInvokeHandler,
} from '../../main/electron/wiring';
import { APP_URL } from '../../main/electron/window-options';
import {
  FakeApp,
  FakeBrowserWindow,
  FakeIpcMain,
  FakeSession,
  FakeShell,
  FakeWebContents,
  mainFrame,
  subFrame,
} from './electron-fakes';

const PERMISSIONS = ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid', 'serial', 'usb', 'fullscreen', 'unknown'];

describe('the app guards (checklist 5, 13, 14, 12, 15)', () => {
  let app: FakeApp;
  let session: FakeSession;
  let shell: FakeShell;
  let wc: FakeWebContents;
  beforeEach(() => {
    app = new FakeApp();
    session = new FakeSession();
    shell = new FakeShell();
    guardApp({ app, defaultSession: session, shell });
    wc = app.createWebContents();
  });

  it.each(['will-navigate', 'will-redirect'] as const)('%s stays inside app://syncdrift', (kind) => {
    expect(wc.navigate(kind, 'app://syncdrift/index.html#/grid')).toBe(true);
    for (const url of ['https://evil.example/', 'https://learn.microsoft.com/', 'file:///etc/passwd', 'app://other/', 'javascript:alert(1)', 'data:text/html,x'])
      expect(wc.navigate(kind, url), url).toBe(false);
  });

  it('refuses a sub-frame navigating away (will-frame-navigate)', () => {
    expect(wc.frameNavigate('app://syncdrift/index.html')).toBe(true);
    expect(wc.frameNavigate('https://evil.example/')).toBe(false);
  });

  it('refuses to attach a <webview>', () => {
    expect(wc.attachWebview()).toBe(false);
  });

  it('never opens a new window; a safe Microsoft link goes to the system browser instead', async () => {
    const doc = 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides';
    expect(wc.openWindow(doc)).toEqual({ action: 'deny' });
    const refused = ['http://learn.microsoft.com/', 'https://learn.microsoft.com.evil.example/', 'file:///C:/Windows/system32/calc.exe', 'javascript:alert(1)', 'smb://10.0.0.1/share', 'app://syncdrift/index.html'];
    for (const url of refused) expect(wc.openWindow(url), url).toEqual({ action: 'deny' });
    await Promise.resolve();
    expect(shell.external).toEqual([doc]);
  });

  it('guards every webContents the app creates, not just the first', () => {
    const second = app.createWebContents('app://syncdrift/index.html');
    expect(second.navigate('will-navigate', 'https://evil.example/')).toBe(false);
    expect(second.openWindow('https://evil.example/')).toEqual({ action: 'deny' });
  });

  it.each(PERMISSIONS)('denies the %s permission, asked or checked, on the default session', (permission) => {
    expect(session.request(permission)).toBe(false);
    expect(session.check(permission)).toBe(false);
  });

  it('denies permissions on a session created later, too', () => {
    const later = app.createSession();
    expect(later.request('media')).toBe(false);
    expect(later.check('notifications')).toBe(false);
  });
});

describe('the IPC handler (checklist 17: validate the sender of every IPC message)', () => {
  let ipc: FakeIpcMain;
  let relay: ReturnType<typeof vi.fn<(channel: string, payload: unknown) => Promise<Envelope>>>;
  beforeEach(() => {
    ipc = new FakeIpcMain();
    relay = vi.fn(async (channel: string) => ({ ok: true, value: { relayed: channel } }) as Envelope);
    registerInvokeHandler(ipc, relay);
  });

  it('registers exactly the one declared IPC channel', () => {
    expect([...ipc.handlers.keys()]).toEqual([INVOKE_CHANNEL]);
  });

  it('relays a declared channel from the main frame of app://syncdrift, channel and payload unchanged', async () => {
    const payload = { text: 'ping' };
    expect(await ipc.invoke(INVOKE_CHANNEL, mainFrame(), 'app.echo', payload)).toEqual({ ok: true, value: { relayed: 'app.echo' } });
    expect(relay).toHaveBeenCalledWith('app.echo', payload);
  });

  it.each([
    ['a sub-frame of the app', subFrame()],
    ['a foreign page', mainFrame('https://evil.example/')],
    ['a file:// page', mainFrame('file:///tmp/x.html')],
    ['the dev server', mainFrame('http://127.0.0.1:5173/')],
    ['a destroyed frame', null],
  ])('refuses %s before reading any argument', async (_name, frame) => {
    const reads: PropertyKey[] = [];
    const trap = <T extends object>(target: T) =>
      new Proxy(target, {
        get: (t, k) => (reads.push(k), Reflect.get(t, k)),
        has: (t, k) => (reads.push(k), Reflect.has(t, k)),
        ownKeys: (t) => (reads.push('ownKeys'), Reflect.ownKeys(t)),
        getOwnPropertyDescriptor: (t, k) => (reads.push(k), Reflect.getOwnPropertyDescriptor(t, k)),
      });
    const channel = trap({ toString: () => 'app.echo' });
    const payload = trap({ text: 'ping' });
    const r = (await ipc.invoke(INVOKE_CHANNEL, frame, channel, payload)) as Envelope;
    expect(r).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER' } });
    expect(reads).toEqual([]);
    expect(relay).not.toHaveBeenCalled();
  });

  it('refuses a frame whose properties throw (destroyed mid-call)', async () => {
    const frame = {
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
      parent: null,
    };
    expect(await ipc.invoke(INVOKE_CHANNEL, frame, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER' } });
    expect(relay).not.toHaveBeenCalled();
  });

  it.each(['app.nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null, { channel: 'app.info' }])(
    'refuses the undeclared channel %j from the trusted frame',
    async (channel) => {
      expect(await ipc.invoke(INVOKE_CHANNEL, mainFrame(), channel, {})).toMatchObject({ ok: false, error: { kind: 'validation', code: 'UNKNOWN_CHANNEL' } });
      expect(relay).not.toHaveBeenCalled();
    },
  );

  it('relays every channel the contract declares', async () => {
    for (const c of Object.keys(channels)) await ipc.invoke(INVOKE_CHANNEL, mainFrame(), c, {});
    expect(relay).toHaveBeenCalledTimes(Object.keys(channels).length);
  });
});

describe('service events to the renderer', () => {
  it('sends a declared event to the app window only, and drops an undeclared one', () => {
    const app = new FakeWebContents('app://syncdrift/index.html#/grid');
    const foreign = new FakeWebContents('https://evil.example/');
    const windows = [{ webContents: app }, { webContents: foreign }];
    broadcastEvent(windows, 'sandbox.changed', { reason: 'sync' });
    broadcastEvent(windows, 'secrets.dump', { all: true });
    expect(app.sent).toEqual([[EVENT_CHANNEL, 'sandbox.changed', { reason: 'sync' }]]);
    expect(foreign.sent).toEqual([]);
  });
});

describe('the main window (checklist 2-4, 18)', () => {
  beforeEach(() => {
    FakeBrowserWindow.created = [];
  });

  it('is built from the options factory: isolated, sandboxed, no Node, no webview', () => {
    const w = openMainWindow(FakeBrowserWindow, { preload: '/app/dist/electron/preload.cjs' });
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      preload: '/app/dist/electron/preload.cjs',
    });
    expect(w.options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
  });

  it('loads app://syncdrift, never file://, and shows only when ready', () => {
    const w = openMainWindow(FakeBrowserWindow, { preload: 'p' });
    expect(w.loaded).toEqual([APP_URL]);
    expect(APP_URL.startsWith('app://syncdrift/')).toBe(true);
    expect(w.shown).toBe(false);
    w.emit('ready-to-show');
    expect(w.shown).toBe(true);
  });

  it('hands the window to onClose so its geometry can be saved', () => {
    const onClose = vi.fn();
    const w = openMainWindow(FakeBrowserWindow, { preload: 'p', onClose });
    w.emit('close');
    expect(onClose).toHaveBeenCalledWith(w);
  });
});
