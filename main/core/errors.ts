/**
 * Typed errors. Every error an admin can see carries a message they can act on; the technical
 * cause is kept for the log. `kind` drives CLI exit codes and UI presentation.
 */
export type ErrorKind =
  | 'validation' // bad input from outside: profile, import, IPC payload, CLI argument
  | 'connection' // host unreachable, TLS failure, timeout
  | 'auth' // bind or sign-in refused
  | 'permission' // signed in, but a right or role is missing
  | 'conflict' // a value changed behind our back (compare-and-set refused)
  | 'not-found'
  | 'throttled'
  | 'cancelled'
  | 'partial' // finished with partial data
  | 'internal';

export class SyncDriftError extends Error {
  readonly kind: ErrorKind;
  /** Stable machine-readable code, e.g. 'LDAP_BIND_52E' or 'GRAPH_SOA_READONLY'. */
  readonly code: string;
  /** Extra facts for UI and logs; never secrets. */
  readonly details: Record<string, unknown>;

  constructor(kind: ErrorKind, code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SyncDriftError';
    this.kind = kind;
    this.code = code;
    this.details = options?.details ?? {};
  }
}

export class ValidationError extends SyncDriftError {
  /** Dotted path of the offending field, or `file:line`. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown; code?: string }) {
    super('validation', options?.code ?? 'VALIDATION', field ? `${field}: ${message}` : message, options);
    this.field = field;
  }
}

export class CancelledError extends SyncDriftError {
  constructor(what = 'The operation') {
    super('cancelled', 'CANCELLED', `${what} was cancelled.`);
  }
}

export function isSyncDriftError(e: unknown): e is SyncDriftError {
  return e instanceof SyncDriftError;
}

/** Serializable form that crosses the bridge or goes into a log: no stack, no cause objects. */
export interface ErrorInfo {
  kind: ErrorKind;
  code: string;
  message: string;
  field?: string;
  /** Set on internal errors a caller sees: the log line with the details carries the same value. */
  correlationId?: string;
}

export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof ValidationError) return { kind: e.kind, code: e.code, message: e.message, field: e.field };
  if (e instanceof SyncDriftError) return { kind: e.kind, code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { kind: 'internal', code: 'INTERNAL', message: `Unexpected error: ${message}` };
}

/**
 * What a caller outside the service (renderer, browser host client) may see of an error. Errors the
 * service raised on purpose (SyncDriftError) keep their message, written for the admin. Anything else
 * is a bug or an environment failure whose text can hold paths, host names or stack frames: the caller
 * gets a generic message with a short reference, and the details go to the log under that reference.
 */
export function toCallerErrorInfo(e: unknown, logger: { error(msg: string, fields?: Record<string, unknown>): void }, context: Record<string, unknown> = {}): ErrorInfo {
  if (e instanceof SyncDriftError && e.kind !== 'internal') return toErrorInfo(e);
  const correlationId = globalThis.crypto.randomUUID().slice(0, 8);
  logger.error('internal error', { ...context, correlationId, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  if (e instanceof SyncDriftError) return { ...toErrorInfo(e), correlationId };
  return { kind: 'internal', code: 'INTERNAL', message: `Something went wrong inside the service (reference ${correlationId}). The details are in the service log (Help → Logs).`, correlationId };
}

/** The message of toCallerErrorInfo, prefixed with what was being done, for messages carried in data (scan problems, events). */
export function callerMessage(e: unknown, logger: { error(msg: string, fields?: Record<string, unknown>): void }, what: string, context: Record<string, unknown> = {}): string {
  if (e instanceof SyncDriftError) return toCallerErrorInfo(e, logger, { what, ...context }).message;
  return `${what}: ${toCallerErrorInfo(e, logger, { what, ...context }).message}`;
}

/** Formats zod issues as `path.to.field: message` lines, naming the field as the bar asks. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ''): string {
  return issues
    .map((i) => {
      const path = [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter(Boolean)
        .join('.')
        .replace(/\.\[/g, '[');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}
