/**
 * The Connect join's case-insensitive comparisons answer exactly as their toLowerCase() forms do,
 * also where lowering changes a string's length (İ) or depends on what follows (final Σ).
 */
import { describe, expect, it } from 'vitest';
import { endsWithLower, equalsLower, lowerCase, startsWithLower } from '../../../main/syncengine/lower-case';

// ASCII of both cases, characters whose lower case is longer (İ), context-dependent (Σ), unchanged
// (ß, ς, é), upper case past ASCII (É, Ω) and half a surrogate pair.
const ALPHABET = ['a', 'A', 'z', 'Z', 'i', 'I', '=', ',', ' ', 'İ', '\u0307', 'Σ', 'σ', 'ς', 'ß', 'é', 'É', 'Ω', '\ud801', '\udc00', '𐐀'];

function strings(seed: number, count: number, maxLength: number): string[] {
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
  return Array.from({ length: count }, () => Array.from({ length: rnd(maxLength + 1) }, () => ALPHABET[rnd(ALPHABET.length)]).join(''));
}

describe('case-insensitive comparisons without lowering', () => {
  it('lowerCase is toLowerCase, the same string when nothing changes', () => {
    for (const s of strings(1, 2000, 8)) expect(lowerCase(s)).toBe(s.toLowerCase());
    const mv = '{399a9476-33aa-b596-fbbd-301f8eabe35a}';
    expect(lowerCase(mv)).toBe(mv);
    expect(lowerCase('{399A9476-33AA-B596-FBBD-301F8EABE35A}')).toBe(mv);
  });

  it('equalsLower, startsWithLower and endsWithLower answer as toLowerCase() then ===, startsWith, endsWith', () => {
    const subjects = strings(2, 400, 6);
    // The wanted values are lower case, as a scoping condition's are once lowered.
    const wanted = [...strings(3, 120, 4).map((w) => w.toLowerCase()), ...subjects.slice(0, 60).map((s) => s.toLowerCase())];
    let matches = 0;
    for (const s of subjects) {
      const low = s.toLowerCase();
      for (const w of wanted) {
        expect(equalsLower(s, w), `${JSON.stringify(s)} === ${JSON.stringify(w)}`).toBe(low === w);
        expect(startsWithLower(s, w), `${JSON.stringify(s)} startsWith ${JSON.stringify(w)}`).toBe(low.startsWith(w));
        expect(endsWithLower(s, w), `${JSON.stringify(s)} endsWith ${JSON.stringify(w)}`).toBe(low.endsWith(w));
        if (low.endsWith(w) && w !== '') matches++;
      }
    }
    expect(matches).toBeGreaterThan(500);
  });

  it('a character whose lower case is longer shifts what follows it', () => {
    // 'İ'.toLowerCase() is 'i̇' (two characters): 'xİ' lowered ends with 'i̇' and is three long.
    expect(endsWithLower('xİ', 'i\u0307')).toBe(true);
    expect(endsWithLower('İ', 'i\u0307')).toBe(true);
    expect(equalsLower('İ', 'i\u0307')).toBe(true);
    expect(startsWithLower('İa', 'i\u0307a')).toBe(true);
    expect(endsWithLower('İa', '\u0307a')).toBe(true);
    expect(equalsLower('İA', 'ia')).toBe(false);
    expect(equalsLower('CN=Σ', 'cn=ς')).toBe('CN=Σ'.toLowerCase() === 'cn=ς');
  });
});
