/**
 * Ports: what services receive instead of reaching for globals. Each host (Electron, browser host,
 * CLI, tests) supplies its own implementations.
 */

/** Encrypts secrets at rest (Electron safeStorage, or a key file under plain Node). */
export interface Encryptor {
  /** Human-readable description of the backend, e.g. 'gnome_libsecret' or 'basic_text'. */
  readonly backend: string;
  /** False where the backend offers no real protection (Linux basic_text, a key file): callers must warn, and the vault stores only with the admin's consent. */
  readonly isStrong: boolean;
  /** What protects the data, in one sentence an admin can judge (main/core/secret-storage.ts). */
  readonly description: string;
  encrypt(plain: string): Promise<Buffer>;
  decrypt(cipher: Buffer): Promise<string>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * The network port: one fetch for MSAL's networkClient and the Graph client. In Electron it is
 * net.fetch (system proxy, OS certificate store); under Node undici with EnvHttpProxyAgent and the
 * profile's extra CAs.
 */
export type Fetch = (input: string | URL, init?: RequestInit & { timeoutMs?: number }) => Promise<Response>;

export interface Network {
  fetch: Fetch;
  /** What the port does about proxies and CAs, for diagnostics. */
  describe(): string;
}
