import { describe, expect, it } from 'vitest';
import { TextFit, type MeasureChar } from '../../renderer/src/grid/text-fit';

/** Advances like a proportional font: 'W' wide, 'i' narrow, fractional so rounding up matters. */
const advances: Record<string, number> = { W: 12.3, i: 3.2, ' ': 3.6, a: 7.1, é: 7.1 };

function measurer(): { measure: MeasureChar; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    measure: (font, ch) => {
      calls.push(`${font}|${ch}`);
      return font === 'bad' ? Number.NaN : (advances[ch] ?? 7.5);
    },
  };
}

describe('TextFit (which grid cells need a clip)', () => {
  const col = (contentWidth: number, font = '400 13px sans-serif') => ({ font, contentWidth });

  it('bounds the width by each advance plus half a pixel, plus a pixel', () => {
    const fit = new TextFit(measurer().measure);
    // (12.3 + 0.5) * 3 + 1 = 39.4
    expect(fit.fits('WWW', col(39.5))).toBe(true);
    expect(fit.fits('WWW', col(39.3))).toBe(false);
    // (3.2 + 0.5) * 3 + 1 = 12.1: narrow text fits where its length alone would not tell
    expect(fit.fits('iii', col(12.2))).toBe(true);
    expect(fit.fits('', col(0))).toBe(true);
  });

  it('never claims a fit for characters it cannot bound or a font it cannot measure', () => {
    const fit = new TextFit(measurer().measure);
    expect(fit.fits('é', col(100))).toBe(true); // Latin-1 is bounded
    expect(fit.fits('电话', col(1000))).toBe(false);
    expect(fit.fits('a\u0301', col(1000))).toBe(false); // combining mark
    expect(fit.fits('😀', col(1000))).toBe(false);
    expect(fit.fits('a\tb', col(1000))).toBe(false);
    expect(fit.fits('a', col(1000, 'bad'))).toBe(false);
  });

  it('measures each character once per font', () => {
    const m = measurer();
    const fit = new TextFit(m.measure);
    fit.fits('aaaa', col(1000));
    fit.fits('aWa', col(1000));
    fit.fits('a', col(1000, '400 12.5px monospace'));
    expect(m.calls).toEqual(['400 13px sans-serif|a', '400 13px sans-serif|W', '400 12.5px monospace|a']);
  });
});
