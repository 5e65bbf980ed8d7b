/**
 * Case-insensitive comparisons for the per-object paths of the Connect join (they run for every user).
 * Each gives exactly the answer of its `s.toLowerCase()` form, without lowering when it need not:
 * V8 copies a sliced string (what the readers' owned strings are) on toLowerCase() even when no
 * character changes, and the copy has no hash yet, so a Map lookup on it hashes it again. Pure.
 */

/** A character toLowerCase() may change: A-Z, or anything past ASCII (left to toLowerCase). */
const MAY_CHANGE = /[A-Z\u0080-\uffff]/;

/** s.toLowerCase(), the same string when no character would change (no copy, its hash kept). */
export function lowerCase(s: string): string {
  return MAY_CHANGE.test(s) ? s.toLowerCase() : s;
}

// The comparisons below read s one character at a time and lower A-Z themselves. They stop at the first
// character past ASCII and answer with toLowerCase(): lowering one may change the length (İ becomes two
// characters), which shifts everything after it. ASCII characters lower on their own, whatever is
// around them, so a run of them read from the end that is compared (start for startsWith, end for
// endsWith) lines up with toLowerCase()'s result.

/** s.toLowerCase() === low, for low in lower case. */
export function equalsLower(s: string, low: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c >= 128) return s.toLowerCase() === low;
    if (c >= 65 && c <= 90) c += 32;
    if (i >= low.length || c !== low.charCodeAt(i)) return false;
  }
  return n === low.length;
}

/** s.toLowerCase().startsWith(low), for low in lower case. */
export function startsWithLower(s: string, low: string): boolean {
  const n = low.length;
  for (let i = 0; i < n; i++) {
    if (i >= s.length) return false;
    let c = s.charCodeAt(i);
    if (c >= 128) return s.toLowerCase().startsWith(low);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== low.charCodeAt(i)) return false;
  }
  return true;
}

/** s.toLowerCase().endsWith(low), for low in lower case. */
export function endsWithLower(s: string, low: string): boolean {
  const n = low.length;
  const off = s.length - n;
  for (let i = n - 1; i >= 0; i--) {
    if (off + i < 0) return false;
    let c = s.charCodeAt(off + i);
    if (c >= 128) return s.toLowerCase().endsWith(low);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== low.charCodeAt(i)) return false;
  }
  return true;
}
