/**
 * Decides, without layout, whether a cell's text certainly fits its column, so only the cells that
 * may overflow get a clip (overflow hidden + ellipsis). Every clip is a paint chunk of its own: with
 * all ~400 mounted cells clipped, paint and layerization were the largest cost of a scrolled frame.
 *
 * The bound is the sum of each character's advance plus half a pixel (a hinted font snaps advances
 * to the nearest device pixel) plus a pixel. Kerning and ligatures only narrow Latin text, so the
 * bound never underestimates. Characters outside U+0020–U+017F (Basic Latin, Latin-1, Latin
 * Extended-A: no combining marks, no complex shaping) are not bounded: such text is clipped, as is
 * any text when no measurer exists (jsdom, or before the grid has read its fonts). A wrong "fits"
 * would let text run into the next cell; a wrong "may overflow" only costs a clip.
 */

const FIRST = 0x20;
const LAST = 0x17f;

/** Advance width in CSS px of one character in a CSS font (canvas measureText in the renderer). */
export type MeasureChar = (font: string, ch: string) => number;

export interface ColumnFont {
  /** CSS font for the canvas: style weight size family. */
  font: string;
  /** The cell's content-box width in px (column width minus horizontal padding). */
  contentWidth: number;
}

export class TextFit {
  private readonly advances = new Map<string, Float32Array>();

  constructor(private readonly measure: MeasureChar) {}

  /** True only when `text` is certain to fit `contentWidth` px in `font`. */
  fits(text: string, column: ColumnFont): boolean {
    if (text.length === 0) return true;
    let table = this.advances.get(column.font);
    if (!table) {
      table = new Float32Array(LAST - FIRST + 1).fill(Number.NaN);
      this.advances.set(column.font, table);
    }
    let width = 1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < FIRST || code > LAST) return false;
      let w = table[code - FIRST]!;
      if (Number.isNaN(w)) {
        w = this.measure(column.font, text[i]!);
        w = Number.isFinite(w) && w > 0 ? w + 0.5 : code === 0x20 ? 0.5 : Number.POSITIVE_INFINITY;
        table[code - FIRST] = w;
      }
      width += w;
      if (width > column.contentWidth) return false;
    }
    return true;
  }
}

/** A canvas measurer where one exists (OffscreenCanvas: Chromium, Electron), else null. */
export function canvasMeasurer(): MeasureChar | null {
  if (typeof OffscreenCanvas !== 'function') return null;
  const ctx = new OffscreenCanvas(1, 1).getContext('2d');
  if (!ctx) return null;
  let current = '';
  let valid = false;
  return (font, ch) => {
    if (font !== current) {
      // An unparsable font leaves the previous one in place: detect it rather than measure the wrong font.
      ctx.font = '1px serif';
      const sentinel = ctx.font;
      ctx.font = font;
      valid = ctx.font !== sentinel;
      current = font;
    }
    return valid ? ctx.measureText(ch).width : Number.NaN;
  };
}
