/**
 * The join's hash table answers as a Map of the keys (lowered, for a caseless table) would: the first
 * number added for a key, -1 for a key not there, also when many keys share slots or a hash and when
 * lowering a key changes its length.
 */
import { describe, expect, it } from 'vitest';
import { KeyTable, caselessEquals, caselessKeyHash, keyHash } from '../../../main/syncengine/key-table';

// GUID-like ids in both cases, and keys past ASCII: the Kelvin sign lowers to k, İ to i + dot above.
const TRICKY = ['K-1', 'k-1', '\u212A-1', 'İx', 'i\u0307x', 'ix', 'IX', 'Σσ', 'σς', 'ΣΣ', 'ß', 'SS', 'ss', ''];

function keys(seed: number, count: number): string[] {
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rnd(16)]).join('');
  return Array.from({ length: count }, () => {
    const k = rnd(10) === 0 ? TRICKY[rnd(TRICKY.length)]! : `{${hex(8)}-${hex(4)}-4${hex(3)}}`;
    return rnd(3) === 0 ? k.toUpperCase() : k;
  });
}

function check(all: string[], caseless: boolean, capacity: number): void {
  const norm = (k: string) => (caseless ? k.toLowerCase() : k);
  const table = new KeyTable(capacity, (n) => all[n]!, caseless);
  const want = new Map<string, number>();
  for (let i = 0; i < all.length; i++) {
    const k = all[i]!;
    const before = want.get(norm(k));
    expect(table.get(k), `get ${JSON.stringify(k)} before adding`).toBe(before ?? -1);
    expect(table.add(k, i), `add ${JSON.stringify(k)}`).toBe(before ?? -1);
    if (before === undefined) want.set(norm(k), i);
  }
  for (const k of [...all, ...keys(99, 200)]) expect(table.get(k), `get ${JSON.stringify(k)}`).toBe(want.get(norm(k)) ?? -1);
}

describe('KeyTable', () => {
  it('numbers keys as a Map would, exactly or caselessly, the table full to its capacity', () => {
    const all = keys(1, 3000);
    const distinct = (caseless: boolean) => new Set(all.map((k) => (caseless ? k.toLowerCase() : k))).size;
    check(all, false, distinct(false));
    check(all, true, distinct(true));
    // Eight keys (caselessly: σς is ΣΣ lowered, ss is SS) in 16 slots, probing around the end.
    check(TRICKY, true, 8);
  });

  it('hashes and compares caselessly as toLowerCase() would', () => {
    for (const a of [...TRICKY, ...keys(2, 50)]) {
      expect(caselessKeyHash(a)).toBe(keyHash(a.toLowerCase()));
      for (const b of [...TRICKY, a.toUpperCase(), a.toLowerCase()]) expect(caselessEquals(a, b), `${a} ~ ${b}`).toBe(a.toLowerCase() === b.toLowerCase());
    }
  });
});
