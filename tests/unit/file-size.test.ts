/**
 * #19's size rule (docs/ARCHITECTURE.md, Rules that keep the house livable): a product file over 500
 * lines must say why at its top, so a newcomer meets the reason before the length.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const MAX = 500;
const REASON = 'Over ~500 lines on purpose';

function productFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(p).isDirectory()) return productFiles(p);
    return /\.(ts|tsx|mjs)$/.test(name) ? [p] : [];
  });
}

describe('file size (#19)', () => {
  it('no product file is over 500 lines without a reason at its top', () => {
    const files = ['main', 'renderer', 'preload'].flatMap((d) => productFiles(join(root, d)));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines <= MAX) return [];
      const head = text.split('\n').slice(0, 40).join('\n');
      return head.includes(REASON) ? [] : [`${relative(root, f)} (${lines} lines)`];
    });
    expect(offenders, `over ${MAX} lines without "${REASON}" in the opening comment`).toEqual([]);
  });
});
