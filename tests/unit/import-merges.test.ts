/**
 * Imports never lose a user silently: a record that swallowed the next one (an LDIF record missing
 * its blank line), the same user twice (a file concatenated with itself, a CSV row repeated, a Graph
 * page saved twice) and two users with one anchor all refuse the whole import, naming the line or
 * the record of both copies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../main/core/errors';
import { importAdCsv } from '../../main/onprem/import/csv';
import { importLdif } from '../../main/onprem/import/ldif';
import { parseGraphUsersJson } from '../../main/cloud/import';
import { contosoGraphPage } from './cli/contoso';
import { parseLdif as parseSandboxLdif } from '../../main/sandbox/ldif';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/onprem/${name}`, import.meta.url), 'utf8');
const LDIF = fixture('samba-users.ldf');
const CSV = fixture('samba-users.csv').replace(/^\uFEFF/, '');

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('the import was accepted');
}

/** 1-based line of the n-th (0-based) line starting with `dn:` */
const dnLine = (text: string, n: number) => text.split('\r\n').map((l, i) => ({ l, i })).filter(({ l }) => l.startsWith('dn:'))[n]!.i + 1;

describe('LDIF records that run into each other', () => {
  it('refuses a record missing its blank line instead of merging two users, naming the second dn line', () => {
    const second = dnLine(LDIF, 1);
    const lines = LDIF.split('\r\n');
    expect(lines[second - 2]).toBe('');
    lines.splice(second - 2, 1); // the blank line before the second record
    const e = refusal(() => importLdif(lines.join('\r\n'), { file: 'users.ldf' }));
    expect(e.field).toBe(`users.ldf:${second - 1}`);
    expect(e.message).toMatch(/a second 'dn:' inside the record that starts on line 1: records must be separated by a blank line/);
  });

  it('refuses a single-valued attribute written twice in one record', () => {
    const text = LDIF.replace('mobile: +1 425 555 0199\r\n', 'mobile: +1 425 555 0199\r\nmobile: +1 425 555 0100\r\n');
    const e = refusal(() => importLdif(text, { file: 'users.ldf' }));
    expect(e.message).toMatch(/^users\.ldf:\d+: mobile appears twice in the record that starts on line 1/);
  });

  it('refuses the same user twice (a file concatenated with itself), naming both records', () => {
    const total = LDIF.split('\r\n').length;
    const e = refusal(() => importLdif(`${LDIF}\r\n${LDIF}`, { file: 'users.ldf' }));
    expect(e.message).toMatch(new RegExp(`^users\\.ldf:${total + 1}: CN=Excluded By Description,OU=Special,DC=syncdrift,DC=test is already the record on line 1`));
  });

  it('refuses two users that carry one objectGUID under different names, naming both lines', () => {
    const guid = /objectGUID:: (\S+)/.exec(LDIF)![1]!;
    const other = /objectGUID:: (\S+)/g;
    other.exec(LDIF);
    const secondGuid = other.exec(LDIF)![1]!;
    const text = LDIF.replace(`objectGUID:: ${secondGuid}`, `objectGUID:: ${guid}`);
    const e = refusal(() => importLdif(text, { file: 'users.ldf' }));
    expect(e.message).toMatch(/^users\.ldf:41: objectGUID 1f0a0639-9fb5-4bd7-92ab-0df2a4c305c8 is already the user on line 1/);
  });
});

describe('the sandbox seed LDIF', () => {
  it('refuses a record missing its blank line too', () => {
    const text = 'dn: CN=A,DC=x\nobjectClass: user\nsAMAccountName: a\ndn: CN=B,DC=x\nobjectClass: user\nsAMAccountName: b\n';
    expect(() => parseSandboxLdif(text, 'seed.ldf')).toThrow(/seed\.ldf:4: a second "dn:" inside the record that starts on line 1/);
  });
});

describe('CSV rows for one user', () => {
  const lines = CSV.split('\r\n');

  it('refuses a repeated row, naming both lines', () => {
    const text = [...lines.slice(0, 3), lines[1], ...lines.slice(3)].join('\r\n');
    const e = refusal(() => importAdCsv(text, { file: 'users.csv' }));
    expect(e.message).toMatch(/^users\.csv:4: CN=Excluded By Description,OU=Special,DC=syncdrift,DC=test is already the row on line 2/);
  });

  it('refuses two rows with one source anchor, naming both lines', () => {
    const anchor = (l: string) => l.split('","')[3];
    const withAnchor = lines.findIndex((l, i) => i > 0 && anchor(l) !== '');
    const target = lines.findIndex((l, i) => i > 0 && i !== withAnchor && anchor(l) === '');
    const parts = lines[target]!.split('","');
    parts[3] = anchor(lines[withAnchor]!)!;
    const copy = [...lines];
    copy[target] = parts.join('","');
    const e = refusal(() => importAdCsv(copy.join('\r\n'), { file: 'users.csv' }));
    const [first, second] = [withAnchor, target].sort((a, b) => a - b);
    expect(e.message).toMatch(new RegExp(`^users\\.csv:${second! + 1}: source anchor \\S+ is already the user on line ${first! + 1}`));
  });
});

describe('Graph users with one id', () => {
  it('refuses two users with the same id instead of keeping the first, naming both records', () => {
    const page = contosoGraphPage() as { value: Array<Record<string, unknown>> };
    const twin = { ...page.value[0]!, mobilePhone: '+1 206 555 0199', displayName: 'Impostor' };
    page.value.push(twin);
    const e = refusal(() => parseGraphUsersJson(JSON.stringify(page), 'users.json'));
    expect(e.message).toMatch(new RegExp(`^users\\.json: value\\[${page.value.length - 1}\\]: id ${page.value[0]!.id as string} is already the user at value\\[0\\]`));
  });

  it('refuses two users with one onPremisesImmutableId (Entra keeps it unique), naming both records', () => {
    const page = contosoGraphPage() as { value: Array<Record<string, unknown>> };
    page.value[1] = { ...page.value[1]!, onPremisesImmutableId: page.value[0]!.onPremisesImmutableId };
    const e = refusal(() => parseGraphUsersJson(JSON.stringify(page), 'users.json'));
    expect(e.message).toMatch(/^users\.json: value\[1\]: onPremisesImmutableId \S+ is already the user at value\[0\]/);
  });
});
