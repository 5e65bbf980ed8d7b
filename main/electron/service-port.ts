/**
 * The main process's side of the service utilityProcess, as a function of the child process,
 * safeStorage and shell it is given (service-process.ts passes Electron's; tests/unit/electron-service-port.test.ts
 * passes fakes). The service process is less trusted than main: it parses directory data, zips and
 * imports, so every message it sends is checked against a schema before main acts on it, and what it
 * may ask for is narrow: encrypt/decrypt a bounded string, open a folder or a log-like file inside the
 * workspace, ask the admin (main's own dialog) to consent to the selected weak secret store. No runtime electron import: this module loads under plain Node.
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { EnvelopeSchema, events, isEventName, type Envelope } from '../../preload/contract';
import { safeStorageBackend } from '../core/secret-storage';

/**
 * Largest string the service may hand to safeStorage: secrets are short, but the msal token cache
 * snapshot (several accounts' refresh and access tokens) is encrypted through the same port.
 */
export const MAX_PLAIN_CHARS = 1024 * 1024;
/** Base64 of the largest ciphertext main will decrypt (plain bound plus the OS store's overhead). */
export const MAX_CIPHER_CHARS = 2 * 1024 * 1024;
export const MAX_PATH_CHARS = 4096;
/** Files the service may ask the OS to open: logs, the diagnostics text, exports and evidence packages. */
export const OPENABLE_EXTENSIONS: ReadonlySet<string> = new Set(['.log', '.txt', '.json', '.csv', '.zip']);

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const FromService = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('result'), id: Id, envelope: EnvelopeSchema }).strict(),
  z.object({ type: z.literal('event'), event: z.string().max(100), payload: z.unknown() }).strict(),
  z.object({ type: z.literal('encrypt'), id: Id, plain: z.string().max(MAX_PLAIN_CHARS) }).strict(),
  z
    .object({
      type: z.literal('decrypt'),
      id: Id,
      cipher: z
        .string()
        .min(1)
        .max(MAX_CIPHER_CHARS)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    })
    .strict(),
  z.object({ type: z.literal('openPath'), id: Id, path: z.string().min(1).max(MAX_PATH_CHARS) }).strict(),
  z.object({ type: z.literal('confirmWeakStorage'), id: Id, backend: z.string().min(1).max(64) }).strict(),
]);
export type FromServiceMessage = z.infer<typeof FromService>;

export interface UtilityProcessLike {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(message: unknown): void;
  kill(): boolean;
}

export interface SafeStorageLike {
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string }>;
  getSelectedStorageBackend(): string;
}

/**
 * Asks the admin, in a native dialog of the main process, whether secrets may be stored protected
 * only by `backend`; true only for an explicit yes. The page cannot see or answer it.
 */
export type ConfirmWeakStorage = (backend: string) => Promise<boolean>;

export interface MessageBoxDialogLike<W> {
  showMessageBox(window: W, options: { type: 'warning'; title: string; message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number; noLink: boolean }): Promise<{ response: number }>;
}

/**
 * The consent question as main asks it, in a dialog modal to the window: its own words (from the
 * backend main selected, not from the service or the page), "Cancel" the default, yes only for the
 * second button. No window, no question: declined.
 */
export function weakStorageDialog<W>(dialog: MessageBoxDialogLike<W>, windowOf: () => W | null, platform: NodeJS.Platform): ConfirmWeakStorage {
  return async (backend) => {
    const win = windowOf();
    if (win === null) return false;
    const store = safeStorageBackend(platform, backend);
    if (store.strong) return false;
    const { response } = await dialog.showMessageBox(win, {
      type: 'warning',
      title: 'Store secrets with weak protection?',
      message: `Store bind passwords, client secrets and sign-ins in this workspace protected only by ${store.description}?`,
      detail: 'Anyone who can read the workspace folder (a copy, a backup, another local user) can read them. Cancel to keep typing them or to set the environment variables the profiles name.',
      buttons: ['Cancel', 'Store with weak protection'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    });
    return response === 1;
  };
}

export interface OpenPathShellLike {
  openPath(path: string): Promise<string>;
}

export interface ServiceProcess {
  invoke(channel: string, payload: unknown): Promise<Envelope>;
  onEvent(listener: (event: string, payload: unknown) => void): void;
  stop(): void;
}

export type OpenPathDecision = { ok: true; path: string } | { ok: false; reason: string };

/**
 * What openPath may open: an absolute path whose realpath (symlinks resolved) is the workspace or
 * inside it, and is a folder or a regular file with an OPENABLE_EXTENSIONS extension. Returns the
 * realpath, which is what gets opened (a link swapped in afterwards does not redirect it).
 */
export function decideOpenPath(raw: string, workspaceDir: string): OpenPathDecision {
  if (!isAbsolute(raw) || raw.includes('\0')) return { ok: false, reason: 'path: must be an absolute path' };
  let real: string;
  let root: string;
  try {
    real = realpathSync(raw);
    root = realpathSync(workspaceDir);
  } catch {
    return { ok: false, reason: 'path: does not exist' };
  }
  const rel = relative(root, real);
  if (rel.startsWith('..') || isAbsolute(rel)) return { ok: false, reason: 'path: is outside the workspace' };
  const st = statSync(real);
  if (st.isDirectory()) return { ok: true, path: real };
  if (st.isFile() && OPENABLE_EXTENSIONS.has(extname(real).toLowerCase())) return { ok: true, path: real };
  return { ok: false, reason: `path: only folders and ${[...OPENABLE_EXTENSIONS].join(' ')} files may be opened` };
}

function serviceError(code: string, message: string): Envelope {
  return { ok: false, error: { kind: 'internal', code, message } };
}

function idOf(raw: unknown): number | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return Id.safeParse(id).success ? (id as number) : null;
}

/**
 * Starts the relay on an already forked child: sends 'init', resolves when the service says 'ready'.
 * `onProtocolError` hears every message main refused (for the main-process log).
 */
export function connectServiceProcess(
  child: UtilityProcessLike,
  deps: {
    safeStorage: SafeStorageLike;
    shell: OpenPathShellLike;
    /** Absent: every consent is declined (a host that cannot ask cannot be told yes). */
    confirmWeakStorage?: ConfirmWeakStorage;
    workspaceDir: string;
    versions: Record<string, string>;
    platform: NodeJS.Platform;
    onProtocolError?: (message: string) => void;
  },
): Promise<ServiceProcess> {
  const { safeStorage, shell, workspaceDir } = deps;
  const pending = new Map<number, (e: Envelope) => void>();
  const listeners: Array<(event: string, payload: unknown) => void> = [];
  let nextId = 1;
  let exited: number | null = null;
  let confirming = false;
  const reportError = (m: string) => deps.onProtocolError?.(m);
  const reply = (id: number, r: { ok: true; value: string } | { ok: false; error: string }) =>
    child.postMessage({ type: 'crypto', id, ...r });

  const api: ServiceProcess = {
    invoke(channel, payload) {
      if (exited !== null) return Promise.resolve(serviceError('SERVICE_EXITED', `The service process has exited (code ${exited}).`));
      const id = nextId++;
      return new Promise((res) => {
        pending.set(id, res);
        child.postMessage({ type: 'invoke', id, channel, payload });
      });
    },
    onEvent(l) {
      listeners.push(l);
    },
    stop() {
      child.kill();
    },
  };

  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      exited = code;
      reject(new Error(`The service process exited during start-up (code ${code}).`));
      for (const settle of pending.values()) settle(serviceError('SERVICE_EXITED', `The service process exited (code ${code}).`));
      pending.clear();
    });
    child.on('message', (raw: unknown) => {
      const parsed = FromService.safeParse(raw);
      if (!parsed.success) {
        const type = (raw as { type?: unknown } | null)?.type;
        const issue = parsed.error.issues[0];
        const what = `${typeof type === 'string' ? type.slice(0, 40) : typeof type}: ${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`;
        reportError(`refused a message from the service process (${what})`);
        const id = idOf(raw);
        if (id === null) return;
        if (type === 'result') {
          // The renderer's call ends with a typed error instead of off-contract data (or a hang).
          pending.get(id)?.(serviceError('BAD_SERVICE_MESSAGE', 'The service process sent a malformed answer.'));
          pending.delete(id);
        } else {
          reply(id, { ok: false, error: `refused (${what})` });
        }
        return;
      }
      const msg = parsed.data;
      switch (msg.type) {
        case 'ready':
          resolve(api);
          break;
        case 'result':
          pending.get(msg.id)?.(msg.envelope);
          pending.delete(msg.id);
          break;
        case 'event': {
          if (!isEventName(msg.event)) {
            reportError(`refused an undeclared event from the service process (${msg.event.slice(0, 40)})`);
            break;
          }
          const payload = events[msg.event].safeParse(msg.payload);
          if (!payload.success) {
            reportError(`refused an off-contract '${msg.event}' event from the service process`);
            break;
          }
          for (const l of listeners) l(msg.event, payload.data);
          break;
        }
        case 'encrypt':
          void safeStorage
            .encryptStringAsync(msg.plain)
            .then((b) => reply(msg.id, { ok: true, value: b.toString('base64') }))
            .catch((e: unknown) => reply(msg.id, { ok: false, error: String(e) }));
          break;
        case 'decrypt':
          void safeStorage
            .decryptStringAsync(Buffer.from(msg.cipher, 'base64'))
            .then((r) => reply(msg.id, { ok: true, value: r.result }))
            .catch((e: unknown) => reply(msg.id, { ok: false, error: String(e) }));
          break;
        case 'confirmWeakStorage': {
          // Only the backend main itself selected can be consented to, one dialog at a time: a
          // service (or a page behind it) asking again and again gets declines, not a queue of dialogs.
          const own = deps.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
          if (msg.backend !== own || !deps.confirmWeakStorage || confirming) {
            reportError(`declined a weak-storage consent for the service process (${msg.backend !== own ? 'not the selected backend' : confirming ? 'a dialog is already open' : 'no dialog'})`);
            reply(msg.id, { ok: true, value: 'declined' });
            break;
          }
          confirming = true;
          void deps
            .confirmWeakStorage(own)
            .then((yes) => reply(msg.id, { ok: true, value: yes ? 'accepted' : 'declined' }))
            .catch(() => reply(msg.id, { ok: true, value: 'declined' }))
            .finally(() => (confirming = false));
          break;
        }
        case 'openPath': {
          const decision = decideOpenPath(msg.path, workspaceDir);
          if (!decision.ok) {
            reportError(`refused to open a path for the service process (${decision.reason})`);
            reply(msg.id, { ok: true, value: 'refused' });
          } else {
            void shell
              .openPath(decision.path)
              .then((err) => reply(msg.id, { ok: true, value: err === '' ? 'opened' : 'refused' }))
              .catch(() => reply(msg.id, { ok: true, value: 'refused' }));
          }
          break;
        }
      }
    });
    child.postMessage({
      type: 'init',
      workspaceDir,
      versions: deps.versions,
      // Only Linux has a choice of backends (and basic_text, which protects nothing); elsewhere the
      // service names DPAPI or the Keychain from its platform (main/core/secret-storage.ts).
      storageBackend: deps.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os',
    });
  });
}
