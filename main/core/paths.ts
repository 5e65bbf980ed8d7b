/**
 * Resolves a request path inside a served folder, refusing anything that could escape it:
 * `..` segments (also percent-encoded, e.g. `..%2f`), backslashes, NUL bytes and absolute paths.
 * Pure string logic shared by the app:// protocol handler and the browser host.
 * Returns the relative path (POSIX separators) or null when the request must be refused.
 */
export function resolveServedPath(urlPathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  for (const s of segments) {
    if (s === '..' || s === '.' || /^[a-zA-Z]:$/.test(s)) return null;
  }
  const rel = segments.join('/');
  return rel === '' ? 'index.html' : rel;
}

/** The Content-Security-Policy every host serves the renderer with. */
export function contentSecurityPolicy(opts: { connectSrc?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${opts.connectSrc?.length ? ' ' + opts.connectSrc.join(' ') : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const MIME_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

export function mimeTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_TYPES[ext] ?? 'application/octet-stream';
}
