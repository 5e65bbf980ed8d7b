import { describe, expect, it } from 'vitest';
import metadata from 'libphonenumber-js/min/metadata';
import { PhoneNormalizer, parseOneFast, parseOneSlow, pickRegion, sameNumber } from '../../../main/drift/normalize';
import { seedPeople } from '../../../main/sandbox/seed';

const n = new PhoneNormalizer();
const norm = (v: string, region: string | null = 'US') => n.normalize(v, pickRegion(null, region));

describe('phone normalization', () => {
  it('reads national formats with the region', () => {
    expect(norm('(425) 555-0100')).toEqual({ value: '+14255550100', parsed: true, region: 'US' });
    expect(norm('020 7946 0958', 'GB')?.value).toBe('+442079460958');
    expect(norm('089 1234567', 'DE')?.value).toBe('+49891234567');
  });

  it('reads + forms and the German (0) trunk notation regardless of region', () => {
    expect(norm('+1 425 555 0100', 'GB')?.value).toBe('+14255550100');
    expect(norm('+49 (0)89 1234567', 'US')?.value).toBe('+49891234567');
    expect(norm('+44-20-7946-0958')?.value).toBe('+442079460958');
  });

  it('keeps extensions', () => {
    expect(norm('+1 425 555 0100 x123')?.value).toBe('+14255550100;ext=123');
    expect(norm('425.555.0100 ext. 7')?.value).toBe('+14255550100;ext=7');
    expect(sameNumber(norm('+1 425 555 0100 x1')!, norm('+1 425 555 0100')!, '+1 425 555 0100 x1', '+1 425 555 0100')).toBe(false);
  });

  it('flags garbage and compares it by digits', () => {
    const g = norm('call 425 555 0100 (cell)')!;
    expect(g.parsed).toBe(false);
    expect(g.value).toBe('4255550100');
    expect(sameNumber(g, norm('425-555-0100 (cell)!')!, 'call 425 555 0100 (cell)', '425-555-0100 (cell)!')).toBe(true);
    expect(norm('n/a')).toEqual({ value: '', parsed: false, region: 'US' });
    expect(sameNumber(norm('n/a')!, norm('N/A')!, 'n/a', 'N/A')).toBe(false);
  });

  it('does not read 00-prefixed numbers where the region dials 011', () => {
    expect(norm('0044 20 7946 0958', 'US')?.parsed).toBe(false);
    expect(norm('0044 20 7946 0958', 'DE')?.value).toBe('+442079460958');
  });

  it('treats blank as absent and caches per value and region', () => {
    expect(n.normalize('   ', 'US')).toBeNull();
    expect(n.normalize(null, 'US')).toBeNull();
    const local = new PhoneNormalizer();
    local.normalize('425 555 0100', 'US');
    local.normalize('425-555-0100', 'US');
    local.normalize('425.555.0100', 'US');
    expect(local.parses).toBe(1);
    local.normalize('425 555 0100', 'CA');
    expect(local.parses).toBe(2);
  });

  it('prefers the AD country and falls back to the default region', () => {
    expect(pickRegion('de', 'US')).toBe('DE');
    expect(pickRegion('XX', 'US')).toBe('US');
    expect(pickRegion(null, null)).toBeNull();
  });
});

describe('North American shortcut', () => {
  it('gives exactly what the full libphonenumber parse gives', async () => {
    const { parseOneSlow } = await import('../../../main/drift/normalize');
    const fresh = new PhoneNormalizer();
    // Deterministic spread over area codes, exchanges, formats and regions, incl. edge digits.
    const formats = [
      (a: string, b: string, c: string) => `+1 ${a} ${b} ${c}`,
      (a: string, b: string, c: string) => `(${a}) ${b}-${c}`,
      (a: string, b: string, c: string) => `${a}.${b}.${c}`,
      (a: string, b: string, c: string) => `1-${a}-${b}-${c}`,
      (a: string, b: string, c: string) => `+1${a}${b}${c}`,
      (a: string, b: string, c: string) => `${a}/${b} ${c}`,
    ];
    let checked = 0;
    for (let i = 0; i < 600; i++) {
      const a = String(200 + ((i * 37) % 800));
      const b = String((i * 53) % 1000).padStart(3, '0');
      const c = String((i * 7919) % 10000).padStart(4, '0');
      for (const region of ['US', 'CA', 'JM', 'GB', 'DE'] as const) {
        const v = formats[i % formats.length]!(a, b, c);
        const slow = parseOneSlow(v, region);
        expect(fresh.normalize(v, region), `${v} in ${region}`).toEqual(slow);
        checked++;
      }
    }
    expect(checked).toBe(3000);
  });
});

describe('E.164 shortcut', () => {
  // Every distinct number the sandbox seed produces (mobiles, other mobiles, desk phones, the
  // legacy cloud edits), in the forms it writes them: the bench's data, 20 % of it UK.
  const seedValues = (): string[] => {
    const out = new Set<string>();
    for (const p of seedPeople({ count: 100_000, seed: 7, domain: 'contoso.example' })) {
      if (p.mobile) out.add(p.mobile);
      for (const m of p.otherMobile) out.add(m);
      if (p.telephoneNumber) out.add(p.telephoneNumber);
      out.add(`+1 206 555 ${String(p.index % 10000).padStart(4, '0')}`);
    }
    return [...out];
  };

  it('gives exactly the full parse for every seed value, and leaves none of them to it in the US', () => {
    const values = seedValues();
    expect(values.length).toBeGreaterThan(35_000);
    const fast = { US: 0, GB: 0 };
    for (const region of ['US', 'GB'] as const) {
      for (const v of values) {
        const f = parseOneFast(v, region);
        if (!f) continue;
        fast[region]++;
        expect(f, `${v} in ${region}`).toEqual(parseOneSlow(v, region));
      }
    }
    // The seed writes + forms and US national forms: in the US all of them take a shortcut; in GB
    // every + form does, while "(425) 555-…" is a national number of another plan there.
    expect(fast.US).toBe(values.length);
    expect(fast.GB).toBe(values.filter((v) => v.startsWith('+')).length);
  });

  it('gives exactly the full parse for every calling code, length, leading digit and separator', () => {
    const codes = Object.keys(metadata.country_calling_codes);
    expect(codes.length).toBeGreaterThan(200);
    let fast = 0;
    let total = 0;
    for (const cc of codes) {
      for (let len = 1; len <= 18; len++) {
        for (const lead of '0125789') {
          const nsn = (lead + '3141592653589793238').slice(0, len);
          for (const v of [`+${cc}${nsn}`, `+${cc} ${nsn.slice(0, 3)} ${nsn.slice(3)}`.trim(), `+${cc}-${nsn}`]) {
            total++;
            const f = parseOneFast(v, 'US');
            if (!f) continue;
            fast++;
            expect(f, v).toEqual(parseOneSlow(v, 'US'));
          }
        }
      }
    }
    // Most combinations are decided without the full parse; the rest (national prefix, mixed lengths) are not guessed.
    expect(fast / total).toBeGreaterThan(0.5);
  });

  it('leaves national prefixes after the calling code to the full parse', () => {
    expect(parseOneFast('+44 020 7946 0958', 'US')).toBeNull();
    expect(parseOneFast('+44 (0)20 7946 0958', 'US')).toBeNull();
    expect(n.normalize('+44 020 7946 0958', 'US')?.value).toBe(parseOneSlow('+44 020 7946 0958', 'US').value);
    expect(parseOneFast('+44 20 7946 0958', 'US')).toEqual({ value: '+442079460958', parsed: true, region: 'US' });
  });
});
