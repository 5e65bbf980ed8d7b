/**
 * JSON with a fixed key order (sorted, recursively) and a trailing newline, so two packages of the
 * same scan are byte-identical and diff cleanly. Pure; runs in the renderer too.
 */

/** Returns a copy of `value` with object keys sorted; rejects what JSON cannot carry faithfully. */
export function canonicalize(value: unknown, path = '$', seen: Set<object> = new Set()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be written as JSON`);
    return value;
  }
  if (typeof value === 'undefined') return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') throw new TypeError(`${path}: a ${typeof value} cannot be written as JSON`);
  if (seen.has(value)) throw new TypeError(`${path}: circular reference`);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v, i) => canonicalize(v, `${path}[${i}]`, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = canonicalize((value as Record<string, unknown>)[k], `${path}.${k}`, seen);
      if (v !== undefined) out[k] = v;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Sorted keys, two-space indent, LF line ends, final newline. */
export function stableStringify(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}
