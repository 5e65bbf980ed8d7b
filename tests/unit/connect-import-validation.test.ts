/**
 * What the app's Connect export import accepts from outside (#18): the contract's payload (files,
 * names, sizes), the file names the service writes under, and the stored import read back from the
 * workspace, which is trusted only when it still reads as one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECT_IMPORT_MAX_CHARS, channels } from '../../preload/contract';
import { formatIssues } from '../../main/core/errors';
import { assertExportFileName } from '../../main/api/connect-import-service';
import { openWorkspace, type Workspace } from '../../main/workspace/workspace';
import { EngineObject as EngineObjectSchema, type EngineObject } from '../../main/core/engine-view';

const input = channels['connectExport.import'].input;
const problems = (payload: unknown): string => {
  const r = input.safeParse(payload);
  return r.success ? '' : formatIssues(r.error.issues);
};
const file = (name: string, text = '<cs-objects/>') => ({ name, text });

describe('the connectExport.import payload', () => {
  it('accepts a profile and up to 32 named export texts', () => {
    expect(problems({ profileId: 'sandbox', files: [file('cs.xml'), file('rules.json', '[{"Precedence": 1}]')] })).toBe('');
    expect(problems({ profileId: 'sandbox', files: Array.from({ length: 32 }, (_, i) => file(`cs-${i}.xml`)) })).toBe('');
  });

  it('names the field of what it refuses', () => {
    expect(problems({ profileId: 'sandbox', files: [] })).toBe('files: give at least one export file');
    expect(problems({ profileId: 'sandbox', files: Array.from({ length: 33 }, (_, i) => file(`cs-${i}.xml`)) })).toBe('files: at most 32 files in one import');
    expect(problems({ profileId: 'sandbox', files: [file('cs.xml', '')] })).toBe('files[0].text: the file is empty');
    expect(problems({ profileId: 'sandbox', files: [file('')] })).toBe('files[0].name: must not be empty');
    expect(problems({ profileId: '', files: [file('cs.xml')] })).toBe('profileId: must not be empty');
    expect(problems({ profileId: 'sandbox', files: [{ ...file('cs.xml'), path: '/etc/passwd' }] })).toMatch(/^files\[0\]: .*path/);
  });

  it('refuses files that together exceed what one import carries', () => {
    const half = 'x'.repeat(CONNECT_IMPORT_MAX_CHARS / 2 + 1);
    expect(problems({ profileId: 'sandbox', files: [file('a.xml', half), file('b.xml', half)] })).toMatch(/^files: the files hold 200000002 characters together: at most about 200 MB in one import$/);
  });
});

describe('the file names an import is written under', () => {
  it('takes plain names, with spaces and dots', () => {
    expect(() => assertExportFileName('AAD connector space (2026-12-01).xml', 'files[0].name')).not.toThrow();
  });
  it.each(['../cs.xml', 'sub/cs.xml', 'C:\\exports\\cs.xml', '..', '.', 'cs\u0000.xml', 'line\nbreak.json', 'x'.repeat(256)])('refuses %j, naming the field', (name) => {
    expect(() => assertExportFileName(name, 'files[2].name')).toThrow(/^files\[2\]\.name: /);
  });
});

describe('the stored import', () => {
  let dir: string;
  let ws: Workspace;
  const obj: EngineObject = {
    engine: 'connect',
    sourceAnchor: 'AAAAAAAAAAAAAAAAAAAAAA==',
    onPremDn: 'CN=Test,OU=Pune,DC=corp,DC=contoso,DC=com',
    cloudId: null,
    state: 'exported',
    exported: { mobile: '+91 98765 43210', otherMobile: [] },
    exportedAt: '2026-12-01T10:00:00Z',
    rule: null,
    reason: null,
    evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: 12 }],
  };
  const info = { importedAt: '2026-12-07T09:00:00.000Z', objects: 1, files: [{ file: 'cs.xml', kind: 'cs-xml' as const, bytes: 100 }], stats: { aadUsers: 1, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 0 } };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sd-connect-store-'));
    ws = openWorkspace(join(dir, 'workspace.db'));
  });
  afterEach(() => {
    ws.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one import per profile and replaces it whole', () => {
    ws.engineImports.put('p1', info, [obj]);
    ws.engineImports.put('p2', { ...info, objects: 0 }, []);
    expect(ws.engineImports.get('p1')).toEqual({ info, objects: [obj] });
    ws.engineImports.put('p1', { ...info, objects: 2 }, [obj, obj]);
    expect(ws.engineImports.get('p1')?.objects).toHaveLength(2);
    expect(ws.engineImports.get('p2')?.objects).toEqual([]);
    expect(ws.engineImports.delete('p1')).toBe(true);
    expect(ws.engineImports.get('p1')).toBeNull();
  });

  it('ignores stored objects that no longer read as an import instead of joining them', () => {
    ws.engineImports.put('p1', info, [obj]);
    ws.blobs.put('engine-import:connect-objects:p1', '{"format":"syncdrift-connect-import/1","objects":[{"engine":"connect"}]}');
    expect(ws.engineImports.get('p1')).toBeNull();
    ws.blobs.put('engine-import:connect-objects:p1', 'not json');
    expect(ws.engineImports.get('p1')).toBeNull();
    ws.blobs.delete('engine-import:connect-objects:p1');
    expect(ws.engineImports.info('p1')).toBeNull();
  });

  it('writes a rule and a citation the objects share once, and reads them back shared', () => {
    const rule = { name: 'Custom - Mobile E.164', precedence: 50, expression: 'IIF(Left([mobile],1)="+",[mobile],"+91" & [mobile])', sources: ['mobile'], connector: 'corp.contoso.com' };
    const run = { source: 'Get-ADSyncRunProfileResult' as const, origin: 'runs.json', line: 4 };
    const objects: EngineObject[] = Array.from({ length: 50 }, (_, i) => ({ ...obj, sourceAnchor: `anchor${i}==`, rule, evidence: [{ ...obj.evidence[0]!, line: 12 + i }, run] }));
    ws.engineImports.put('p1', { ...info, objects: 50 }, objects);
    const raw = ws.blobs.get('engine-import:connect-objects:p1')!.toString('utf8');
    expect(raw.split(rule.expression.replace(/"/g, '\\"')).length - 1).toBe(1);
    expect(raw.split('runs.json').length - 1).toBe(1);
    const back = ws.engineImports.get('p1')!.objects;
    expect(back).toEqual(objects);
    expect(new Set(back.map((o) => o.rule)).size).toBe(1);
    expect(new Set(back.map((o) => o.evidence[1])).size).toBe(1);
  });

  it('still reads an import stored in the first format (every object whole)', () => {
    ws.engineImports.put('p1', info, [obj]);
    ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify({ format: 'syncdrift-connect-import/1', objects: [obj] }));
    expect(ws.engineImports.get('p1')).toEqual({ info, objects: [obj] });
  });

  it('still reads an import stored in the second format (one object per user, shared rules by index)', () => {
    ws.engineImports.put('p1', info, [obj]);
    const v2 = { format: 'syncdrift-connect-import/2', rules: [], evidence: obj.evidence, objects: [{ ...obj, rule: null, evidence: [0] }] };
    ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify(v2));
    expect(ws.engineImports.get('p1')).toEqual({ info, objects: [obj] });
    v2.objects[0]!.evidence = [7];
    ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify(v2));
    expect(ws.engineImports.get('p1')).toBeNull();
  });

  it('still reads an import stored in the third format (whole citations in a table)', () => {
    ws.engineImports.put('p1', info, [obj]);
    const cites = obj.evidence.map((_, i) => i);
    const v3 = {
      format: 'syncdrift-connect-import/3',
      count: 1,
      tables: { rules: [], evidence: obj.evidence, engine: [obj.engine], state: [obj.state], exportedAt: [obj.exportedAt], reason: [obj.reason] },
      columns: { engine: [0], sourceAnchor: [obj.sourceAnchor], onPremDn: [obj.onPremDn], cloudId: [obj.cloudId], state: [0], exportedMobile: [obj.exported!.mobile], exportedOther: [obj.exported!.otherMobile], exportedAt: [0], rule: [null], reason: [0], evidence: [cites] },
    };
    ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify(v3));
    expect(ws.engineImports.get('p1')).toEqual({ info, objects: [obj] });
    v3.columns.evidence = [[obj.evidence.length]];
    ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify(v3));
    expect(ws.engineImports.get('p1')).toBeNull();
  });

  it('writes each citation site once and its line beside it, and reads a citation without a line back as one', () => {
    const objects: EngineObject[] = Array.from({ length: 20 }, (_, i) => ({ ...obj, sourceAnchor: `anchor${i}==`, evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: 3 + 12 * i }, { source: 'sandbox', origin: 'sim', line: null }] }));
    ws.engineImports.put('p1', { ...info, objects: 20 }, objects);
    const raw = JSON.parse(ws.blobs.get('engine-import:connect-objects:p1')!.toString('utf8')) as { format: string; tables: { evidence: unknown[] } };
    expect(raw.format).toBe('syncdrift-connect-import/4');
    expect(raw.tables.evidence).toEqual([{ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml' }, { source: 'sandbox', origin: 'sim' }]);
    expect(ws.engineImports.get('p1')!.objects).toEqual(objects);
  });

  it('reads back in columns exactly the objects it was given, of every shape', () => {
    const rule = { name: 'Custom', precedence: 50, expression: 'direct', sources: ['mobile'], connector: null };
    const objects: EngineObject[] = [
      obj,
      { ...obj, sourceAnchor: null, onPremDn: null, exported: null, exportedAt: null, state: 'not-exported', reason: 'a disconnector', evidence: [] },
      { ...obj, engine: 'cloud-sync', cloudId: '0b3c2e9a-1111-4222-8333-444455556666', exported: { mobile: null, otherMobile: ['+1 425 555 0100', '+44 20 7946 0000'] }, rule, state: 'pending', reason: 'pending' },
      { ...obj, exportedAt: '2026-12-02T08:30:00.000+01:00', rule, state: 'error', reason: 'the last export of this object failed: x' },
    ];
    ws.engineImports.put('p1', { ...info, objects: objects.length }, objects);
    const back = ws.engineImports.get('p1')!.objects;
    expect(back).toEqual(objects);
    // What the schema gives for the same objects: no key more, none less, in its order.
    expect(JSON.stringify(back)).toBe(JSON.stringify(objects.map((o) => EngineObjectSchema.parse(o))));
    expect(back[2]!.rule).toBe(back[3]!.rule);
  });

  describe('ignores a stored import whose columns do not check, instead of joining them', () => {
    type V3 = { count: number; tables: Record<string, unknown[]>; columns: Record<string, unknown[]> };
    const tampered: Array<[string, (v: V3) => void]> = [
      ['an evidence index it does not hold', (v) => (v.columns['evidence']![0] = [7])],
      ['a rule index it does not hold', (v) => (v.columns['rule']![0] = 3)],
      ['a fractional index', (v) => (v.columns['state']![0] = 0.5)],
      ['a negative index', (v) => (v.columns['reason']![0] = -1)],
      ['a column shorter than the count', (v) => v.columns['onPremDn']!.pop()],
      ['a count larger than the columns', (v) => (v.count = 2)],
      ['a missing column', (v) => delete v.columns['cloudId']],
      ['a number where a DN goes', (v) => (v.columns['onPremDn']![0] = 42)],
      ['a number among the other mobiles', (v) => (v.columns['exportedOther']![0] = [5])],
      ['a mobile without an export', (v) => ((v.columns['exportedOther']![0] = null), (v.columns['exportedMobile']![0] = '+1'))],
      ['a state the app does not know', (v) => (v.tables['state']![0] = 'exported-ish')],
      ['an export time that is not one', (v) => (v.tables['exportedAt']![0] = 'yesterday')],
      ['a citation without its source', (v) => (v.tables['evidence']![0] = { origin: 'cs.xml' })],
      ['a citation site it does not hold', (v) => (v.columns['evidence']![0] = [7, 3])],
      ['a citation without its line', (v) => (v.columns['evidence']![0] = [0])],
      ['a negative line', (v) => (v.columns['evidence']![0] = [0, -3])],
      ['a fractional line', (v) => (v.columns['evidence']![0] = [0, 2.5])],
      ['a line that is text', (v) => (v.columns['evidence']![0] = [0, '12'])],
      ['a format it does not know', (v) => ((v as unknown as { format: string }).format = 'syncdrift-connect-import/9')],
    ];
    it.each(tampered)('%s', (_what, edit) => {
      ws.engineImports.put('p1', info, [obj]);
      const stored = JSON.parse(ws.blobs.get('engine-import:connect-objects:p1')!.toString('utf8')) as V3;
      edit(stored);
      ws.blobs.put('engine-import:connect-objects:p1', JSON.stringify(stored));
      expect(ws.engineImports.get('p1')).toBeNull();
    });
  });

  it('writes the shown info and the objects together or not at all', () => {
    ws.engineImports.put('p1', info, [obj]);
    expect(() => ws.engineImports.put('p1', { ...info, objects: -1 }, [obj, obj])).toThrow();
    expect(ws.engineImports.get('p1')).toEqual({ info, objects: [obj] });
  });
});
