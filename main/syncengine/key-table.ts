/**
 * A hash table from string keys to numbers (indexes into the caller's list of objects), sized once
 * for the number of keys it will hold: what the Connect join looks its 100k metaverse ids and
 * anchors up in. A Map there cost most of the join's time: it grows by rehashing (reading every key
 * again, each a cache miss), a chain walk reads each candidate key, and all of it is fresh memory.
 * Here one typed array holds each key's hash and number side by side; a candidate key is read (from
 * the caller's objects, through `keyOf`) only when its full hash matches. Caseless tables compare
 * keys as toLowerCase() would, without lowering them. Pure.
 */

export class KeyTable {
  /** [hash, number + 1] per slot; 0 in the second is an empty slot. */
  private readonly cells: Int32Array;
  private readonly mask: number;

  constructor(
    capacity: number,
    /** The key of a number added. */
    private readonly keyOf: (n: number) => string,
    /** Keys equal when their toLowerCase() is. */
    private readonly caseless = false,
  ) {
    // At most four keys in five slots: with the hash beside each number a probe past a slot costs
    // a comparison of two numbers in the same cache line, rarely more.
    let slots = 16;
    while (slots * 0.8 < capacity) slots *= 2;
    this.cells = new Int32Array(slots * 2);
    this.mask = slots - 1;
  }

  /** The number of the key equal to `key`, or -1. */
  get(key: string): number {
    const h = this.caseless ? caselessKeyHash(key) : keyHash(key);
    const cells = this.cells;
    const mask = this.mask;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const n = cells[2 * slot + 1]!;
      if (n === 0) return -1;
      if (cells[2 * slot] === h && this.equal(this.keyOf(n - 1), key)) return n - 1;
    }
  }

  /** The number of the key equal to `key` already there, or -1 when there was none and `n` is added for it. */
  add(key: string, n: number): number {
    const h = this.caseless ? caselessKeyHash(key) : keyHash(key);
    const cells = this.cells;
    const mask = this.mask;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const m = cells[2 * slot + 1]!;
      if (m === 0) {
        cells[2 * slot] = h;
        cells[2 * slot + 1] = n + 1;
        return -1;
      }
      if (cells[2 * slot] === h && this.equal(this.keyOf(m - 1), key)) return m - 1;
    }
  }

  private equal(a: string, b: string): boolean {
    return a === b || (this.caseless && caselessEquals(a, b));
  }
}

/** FNV-1a of the characters, its bits spread to the low ones (the slot). */
export function keyHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** keyHash(s.toLowerCase()), lowering A-Z as it reads; past ASCII toLowerCase() decides (it may change the length). */
export function caselessKeyHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c >= 128) return keyHash(s.toLowerCase());
    h = Math.imul(h ^ c, 0x01000193);
  }
  return mix(h);
}

/**
 * a.toLowerCase() === b.toLowerCase(), lowering A-Z as it reads. Up to the first place where the two
 * differ by a character past ASCII, the lowered strings line up (what comes before is the same
 * character in both, or ASCII), so a difference in A-Z there is an answer; from it on toLowerCase()
 * decides.
 */
export function caselessEquals(a: string, b: string): boolean {
  if (a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      let x = a.charCodeAt(i);
      let y = b.charCodeAt(i);
      if (x === y) continue;
      if (x >= 128 || y >= 128) return a.toLowerCase() === b.toLowerCase();
      if (x >= 65 && x <= 90) x += 32;
      if (y >= 65 && y <= 90) y += 32;
      if (x !== y) return false;
    }
    return true;
  }
  return a.toLowerCase() === b.toLowerCase();
}
