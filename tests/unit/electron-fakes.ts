/**
 * Small stand-ins for the Electron objects main/electron/wiring.ts and service-port.ts take as
 * parameters. They record what the wiring registered and let a test fire the events Electron would
 * fire; they decide nothing themselves, so every verdict a test sees comes from the wiring.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import type {
  AppLike,
  BrowserWindowLike,
  InvokeEventLike,
  IpcMainLike,
  PreventableEvent,
  SessionLike,
  ShellLike,
  WebContentsLike,
} from '../../main/electron/wiring';
import type { OpenPathShellLike, SafeStorageLike, UtilityProcessLike } from '../../main/electron/service-port';

type Listener = (...args: never[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => unknown)(...args);
  }
}

export class FakeEvent implements PreventableEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends Emitter implements WebContentsLike {
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  constructor(private url = 'app://syncdrift/index.html') {
    super();
  }
  setWindowOpenHandler(handler: (d: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  /** Fires will-navigate / will-redirect as Electron does; true when the wiring let it through. */
  navigate(kind: 'will-navigate' | 'will-redirect', url: string): boolean {
    const e = new FakeEvent();
    this.emit(kind, e, url);
    return !e.defaultPrevented;
  }
  frameNavigate(url: string): boolean {
    const e = Object.assign(new FakeEvent(), { url });
    this.emit('will-frame-navigate', e);
    return !e.defaultPrevented;
  }
  attachWebview(): boolean {
    const e = new FakeEvent();
    this.emit('will-attach-webview', e, {}, {});
    return !e.defaultPrevented;
  }
  openWindow(url: string): { action: string } {
    if (!this.windowOpenHandler) throw new Error('no window open handler was set');
    return this.windowOpenHandler({ url });
  }
  readonly sent: unknown[][] = [];
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  getURL(): string {
    return this.url;
  }
}

export class FakeSession implements SessionLike {
  requestHandler: Parameters<SessionLike['setPermissionRequestHandler']>[0] = null;
  checkHandler: Parameters<SessionLike['setPermissionCheckHandler']>[0] = null;
  setPermissionRequestHandler(h: Parameters<SessionLike['setPermissionRequestHandler']>[0]): void {
    this.requestHandler = h;
  }
  setPermissionCheckHandler(h: Parameters<SessionLike['setPermissionCheckHandler']>[0]): void {
    this.checkHandler = h;
  }
  /** What the request handler answers; 'unanswered' if it never called back (a hung prompt). */
  request(permission: string): boolean | 'no handler' | 'unanswered' {
    if (!this.requestHandler) return 'no handler';
    let answer: boolean | 'unanswered' = 'unanswered';
    this.requestHandler({}, permission, (granted) => {
      answer = granted;
    });
    return answer;
  }
  check(permission: string): boolean | 'no handler' {
    return this.checkHandler ? this.checkHandler({}, permission) : 'no handler';
  }
}

export class FakeApp extends Emitter implements AppLike {
  createWebContents(url?: string): FakeWebContents {
    const wc = new FakeWebContents(url);
    this.emit('web-contents-created', {}, wc);
    return wc;
  }
  createSession(): FakeSession {
    const s = new FakeSession();
    this.emit('session-created', s);
    return s;
  }
}

export class FakeShell implements ShellLike, OpenPathShellLike {
  readonly external: string[] = [];
  readonly opened: string[] = [];
  async openExternal(url: string): Promise<void> {
    this.external.push(url);
  }
  async openPath(path: string): Promise<string> {
    this.opened.push(path);
    return '';
  }
}

export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  invoke(channel: string, frame: InvokeEventLike['senderFrame'], ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(h({ senderFrame: frame }, ...args));
  }
}

/** Main frame / sub-frame of a page, as WebFrameMain exposes them. */
export const mainFrame = (url = 'app://syncdrift/index.html') => ({ url, parent: null });
export const subFrame = (url = 'app://syncdrift/index.html') => ({ url, parent: mainFrame() });

/** A reversible stand-in for the OS store: it tags the text so a test sees it went through. */
export class FakeSafeStorage implements SafeStorageLike {
  readonly calls: string[] = [];
  constructor(private backend = 'gnome_libsecret') {}
  async encryptStringAsync(plainText: string): Promise<Buffer> {
    this.calls.push('encrypt');
    return Buffer.from(`enc:${plainText}`);
  }
  async decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    this.calls.push('decrypt');
    const s = encrypted.toString();
    if (!s.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return { result: s.slice(4), shouldReEncrypt: false };
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

/** The service utilityProcess: records what main posts to it, lets the test speak as the service. */
export class FakeUtilityProcess extends Emitter implements UtilityProcessLike {
  readonly posted: Array<Record<string, unknown>> = [];
  killed = false;
  postMessage(message: unknown): void {
    this.posted.push(message as Record<string, unknown>);
  }
  kill(): boolean {
    this.killed = true;
    return true;
  }
  /** The service sends a message to main. */
  say(message: unknown): void {
    this.emit('message', message);
  }
  exit(code: number): void {
    this.emit('exit', code);
  }
  /** Main's answers to the service's requests (type 'crypto'), by request id. */
  replyTo(id: number): Record<string, unknown> | undefined {
    return this.posted.find((m) => m.type === 'crypto' && m.id === id);
  }
}

export class FakeBrowserWindow extends Emitter implements BrowserWindowLike {
  static created: FakeBrowserWindow[] = [];
  readonly loaded: string[] = [];
  shown = false;
  readonly webContents = new FakeWebContents();
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  show(): void {
    this.shown = true;
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
  }
}

/** Electron's dialog.showMessageBox: records each question and answers with the button the test chose. */
export class FakeDialog {
  readonly asked: Array<{ window: unknown; options: { message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number } }> = [];
  private release: Array<() => void> = [];
  constructor(
    public response = 0,
    private readonly hold = false,
  ) {}
  async showMessageBox(window: unknown, options: { message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number }): Promise<{ response: number }> {
    this.asked.push({ window, options });
    if (this.hold) await new Promise<void>((r) => this.release.push(r));
    return { response: this.response };
  }
  /** Answers the questions a holding dialog keeps open. */
  answerAll(): void {
    for (const r of this.release.splice(0)) r();
  }
}
