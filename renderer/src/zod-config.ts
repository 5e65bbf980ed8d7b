/**
 * Imported first by the renderer's entry: zod 4 compiles fast parsers with `new Function` unless
 * told not to, and merely probing for that raises a CSP violation under `script-src 'self'`.
 * Must run before any schema is built (zod reads the flag at construction).
 */
import { z } from 'zod';

z.config({ jitless: true });
