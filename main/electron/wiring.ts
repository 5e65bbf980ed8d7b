/**
 * The Electron main process's guards, as functions of the Electron objects they wire (app, session,
 * webContents, ipcMain, shell, BrowserWindow). main.ts passes the real ones; tests/unit/electron-wiring.test.ts
 * passes small fakes, so every item of Electron's security checklist that lives in code has an assertion
 * that runs without an Electron binary (https://www.electronjs.org/docs/latest/tutorial/security).
 * No runtime electron import: this module loads under plain Node.
 */
import { isChannelName, isEventName, type Envelope } from '../../preload/contract';
import { isAppUrl, isSafeExternalUrl, isTrustedSender } from './guards';
import { APP_URL, createWindowOptions, type WindowState } from './window-options';

/** The one IPC channel the preload invokes, and the one it listens on. Nothing else is registered. */
export const INVOKE_CHANNEL = 'syncdrift:invoke';
export const EVENT_CHANNEL = 'syncdrift:event';

export interface PreventableEvent {
  preventDefault(): void;
}

export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-frame-navigate', listener: (details: PreventableEvent & { url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
}

export interface AppLike {
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): unknown;
  on(event: 'session-created', listener: (session: SessionLike) => void): unknown;
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

/** Every permission (camera, notifications, clipboard, HID, …) is refused, asked or merely checked. */
export function denyAllPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Guards every webContents the app ever creates and every session: navigation and redirects stay on
 * app://syncdrift, no <webview> attaches, no new window opens (an https link to a known Microsoft host
 * goes to the system browser instead), and permissions are denied.
 */
export function guardApp(deps: { app: AppLike; defaultSession: SessionLike; shell: ShellLike }): void {
  const { app, shell } = deps;
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (details) => {
      if (!isAppUrl(details.url)) details.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url).catch(() => undefined);
      return { action: 'deny' };
    });
  });
  denyAllPermissions(deps.defaultSession);
  app.on('session-created', (session) => denyAllPermissions(session));
}

export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
}

function refusal(code: string, message: string): Envelope {
  return { ok: false, error: { kind: 'validation', code, message } };
}

function senderIsTrusted(event: InvokeEventLike): boolean {
  try {
    const f = event.senderFrame;
    return isTrustedSender(f ? { url: f.url, parent: f.parent } : null);
  } catch {
    // A frame destroyed while the call was in flight throws on access: not trusted.
    return false;
  }
}

/**
 * Registers the one invoke handler. The sender frame is checked before any argument is read (a
 * sub-frame or a foreign page never gets its payload parsed in the main process); then the channel
 * must be one the contract declares; only then does the call reach the service process.
 */
export function registerInvokeHandler(
  ipcMain: IpcMainLike,
  invoke: (channel: string, payload: unknown) => Promise<Envelope>,
): void {
  ipcMain.handle(INVOKE_CHANNEL, (event, ...args) => {
    if (!senderIsTrusted(event)) {
      return refusal('UNTRUSTED_SENDER', 'Refused: the request did not come from the workbench window.');
    }
    const [channel, payload] = args;
    if (!isChannelName(channel)) {
      return refusal('UNKNOWN_CHANNEL', `Unknown channel: ${typeof channel === 'string' ? channel.slice(0, 80) : typeof channel}`);
    }
    return invoke(channel, payload);
  });
}

export interface WindowWebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  getURL(): string;
}

/** Pushes a service event to the app's own windows only, and only a declared event. */
export function broadcastEvent(
  windows: ReadonlyArray<{ webContents: WindowWebContentsLike }>,
  event: string,
  payload: unknown,
): void {
  if (!isEventName(event)) return;
  for (const w of windows) {
    if (isAppUrl(w.webContents.getURL())) w.webContents.send(EVENT_CHANNEL, event, payload);
  }
}

export interface BrowserWindowLike {
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  show(): void;
  loadURL(url: string): Promise<void>;
}

/** Creates the one window from the options factory (window-options.ts) and loads app://, never file://. */
export function openMainWindow<W extends BrowserWindowLike>(
  BrowserWindow: new (options: ReturnType<typeof createWindowOptions>) => W,
  opts: { preload: string; state?: WindowState; dark?: boolean; devTools?: boolean; onClose?: (w: W) => void },
): W {
  const w = new BrowserWindow(
    createWindowOptions({ preload: opts.preload, state: opts.state, dark: opts.dark, devTools: opts.devTools }),
  );
  w.once('ready-to-show', () => w.show());
  if (opts.onClose) w.on('close', () => opts.onClose!(w));
  void w.loadURL(APP_URL);
  return w;
}
