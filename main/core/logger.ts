import type { Logger, LogLevel } from './ports';

/** Keys whose values are never written to a log, whatever the caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|assertion|private|credential|code_verifier|refresh/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured JSON-lines logger; secrets are redacted by key name before anything is written. */
export function createLogger(write: (line: string) => void, opts: { level?: LogLevel; bindings?: Record<string, unknown> } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const bindings = opts.bindings ?? {};
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const rec = { t: new Date().toISOString(), level, msg, ...(redact(bindings) as object), ...(redact(fields ?? {}) as object) };
    write(JSON.stringify(rec));
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (b) => createLogger(write, { level: opts.level ?? 'info', bindings: { ...bindings, ...b } }),
  };
}

export const silentLogger: Logger = createLogger(() => {});
