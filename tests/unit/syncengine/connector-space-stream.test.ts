/**
 * The connector-space XML is read as a stream (#18, bench:engine): chunks of any size give the same
 * objects and the same line-numbered errors as the whole text; the fast path for the engine's own
 * layout gives exactly what the tag-by-tag reader gives, and anything it does not know goes tag by
 * tag; the file reader streams from disk, refuses what is too big, can be cancelled, and reads an
 * export of more objects than a spread push can take.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, ValidationError } from '../../../main/core/errors';
import { connectExports } from '../../../main/sandbox/connect-rules';
import { seededConnectExports } from '../../support/connect-fixture';
import { CONNECT_LIMITS, ConnectorSpaceXmlReader, XmlReader, parseConnectorSpaceXml, readConnectExports, type CsObject } from '../../../main/syncengine';

const anchor = (i: number) => Buffer.from(`anchor-${String(i).padStart(8, '0')}`).toString('base64');
const EX = connectExports({
  entries: Array.from({ length: 40 }, (_, i) => ({
    anchor: anchor(i),
    dn: `CN=User ${i},OU=${i % 2 ? 'Sales' : 'Finance'},DC=contoso,DC=com`,
    mobile: i % 7 === 0 ? null : `+1 425 555 ${String(i).padStart(4, '0')}`,
    otherMobile: i % 5 === 0 ? ['+1 425 555 9000', '+1 425 555 9001'] : [],
    cloudId: i % 3 === 0 ? null : `0b7c2f9e-4d11-4c2a-9f5e-${String(i).padStart(12, '0')}`,
  })),
  rules: [{ name: 'Custom - Mobile E.164', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Sales,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '1' } }],
  adConnector: 'contoso.com',
  lastExportAt: '2026-12-06T10:00:00.000Z',
});

/** The sandbox export with objects the fast path does not know: an unapplied export, an error, an entity, a comment. */
const MIXED = EX.connectorSpaceXml
  .replace('</synchronized-hologram>\n    <connector>1</connector>', '</synchronized-hologram>\n    <unapplied-export><delta operation="update" dn="x"><attr name="mobile" operation="replace"><value>+14255550199</value></attr></delta></unapplied-export>\n    <connector>1</connector>')
  .replace(/(<cs-object cs-dn="CN=User 3,[^"]*"[^>]*>)/, '$1<!-- exported by hand -->')
  .replace('CN=User 5,OU=Sales', 'CN=User 5 R&amp;D,OU=Sales')
  .replace(/(<cs-object cs-dn="CN=User 8,[\s\S]*?<\/synchronized-hologram>)/, '$1\n    <export-errordetail><export-status><cd-error><error-name>DataValidationFailed</error-name></cd-error></export-status></export-errordetail>');

function chunked(text: string, size: number, options: { tagByTag?: boolean } = {}): CsObject[] {
  const r = new ConnectorSpaceXmlReader('cs.xml', 'Export-ADSyncToolsObjects', options);
  for (let i = 0; i < text.length; i += size) r.write(text.slice(i, i + size));
  return r.end();
}

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const dir = mkdtempSync(join(tmpdir(), 'syncdrift-cs-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('connector-space XML as a stream', () => {
  it('gives the same objects, lines included, whatever the chunk size', () => {
    const whole = parseConnectorSpaceXml(MIXED, 'cs.xml');
    expect(whole).toHaveLength(80);
    for (const size of [1, 2, 7, 64, 1000, 1 << 20]) expect(chunked(MIXED, size)).toEqual(whole);
  });

  it('reads the engine layout on the fast path to exactly what the tag-by-tag reader reads', () => {
    for (const text of [EX.connectorSpaceXml, MIXED]) expect(parseConnectorSpaceXml(text, 'cs.xml')).toEqual(chunked(text, 1 << 20, { tagByTag: true }));
    const mixed = parseConnectorSpaceXml(MIXED, 'cs.xml');
    expect(mixed[0]!.pendingExport?.get('mobile')).toEqual(['+14255550199']);
    expect(mixed.find((o) => o.dn.startsWith('CN=User 5 R&D'))).toBeDefined();
    expect(mixed.find((o) => o.dn.startsWith('CN=User 8,'))!.error).toBe('DataValidationFailed');
  });

  it('names the same line for an error whatever the chunk size', () => {
    const broken = MIXED.replace(/(<cs-object cs-dn="CN=User 12,[\s\S]*?)<\/synchronized-hologram>/, '$1');
    const whole = refusal(() => parseConnectorSpaceXml(broken, 'cs.xml')).message;
    expect(whole).toMatch(/^cs\.xml:\d+: closing tag <\/cs-object> does not match <synchronized-hologram> opened on line \d+/);
    for (const size of [1, 3, 100, 4096]) expect(refusal(() => chunked(broken, size)).message).toBe(whole);
    const twoValues = EX.connectorSpaceXml.replace('multivalued="false"><value>+1 425 555 0001</value>', 'multivalued="false"><value>+1 425 555 0001</value><value>+1</value>');
    expect(refusal(() => chunked(twoValues, 5)).message).toMatch(/^cs\.xml:\d+: single-valued attribute mobile has 2 values/);
    expect(refusal(() => chunked(EX.connectorSpaceXml.slice(0, -30), 50)).message).toMatch(/never closed|unterminated/);
  });

  it('reads an object far longer than the chunks (gathered, not re-copied per chunk) to the same object and lines', () => {
    // 3,000 otherMobile values: one object of ~90k characters, written in 64-character chunks.
    const values = Array.from({ length: 3000 }, (_, i) => `<value>+1 425 555 ${String(i).padStart(4, '0')}</value>`).join('');
    const long = EX.connectorSpaceXml.replace('<attr name="otherMobile" type="string" multivalued="true">', `<attr name="otherMobile" type="string" multivalued="true">${values}`);
    expect(long.length).toBeGreaterThan(EX.connectorSpaceXml.length + 80_000);
    const whole = parseConnectorSpaceXml(long, 'cs.xml');
    expect(whole.some((o) => (o.attributes.get('othermobile')?.length ?? 0) > 3000)).toBe(true);
    for (const size of [64, 4096, 65_536]) expect(chunked(long, size)).toEqual(whole);
    const broken = long.replace(/<\/synchronized-hologram>\s*<connector>1<\/connector>\s*<mv-link>[^<]*<\/mv-link>\s*<\/cs-object>\s*<\/cs-objects>/, '</cs-objects>');
    const message = refusal(() => parseConnectorSpaceXml(broken, 'cs.xml')).message;
    for (const size of [64, 4096]) expect(refusal(() => chunked(broken, size)).message).toBe(message);
  });

  it('keeps no tree of the file: the streamed root has no children when the file ends', () => {
    let seen = 0;
    const r = new XmlReader({ file: 'cs.xml', onRoot: () => true, onElement: () => seen++ });
    r.write(EX.connectorSpaceXml);
    expect(r.end().children).toHaveLength(0);
    expect(seen).toBe(80);
  });
});

describe('readConnectExports (files)', () => {
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('tells each file by its content, streams the XML and reports the bytes read', async () => {
    const files = [write('cs.xml', EX.connectorSpaceXml), write('rules.json', EX.rulesJson), write('runs.json', EX.runHistoryJson)];
    const events: number[] = [];
    const r = await readConnectExports(files, { onProgress: (e) => e.phase === 'engine-read' && events.push(e.done) });
    expect(r.files.map((f) => f.kind)).toEqual(['cs-xml', 'rules', 'runs']);
    expect(r.objects).toHaveLength(40);
    expect(events.at(-1)).toBe(r.files.reduce((n, f) => n + f.bytes, 0));
  });

  it('stops when cancelled and refuses a file over the limit before reading it', async () => {
    const files = [write('cs2.xml', EX.connectorSpaceXml)];
    const ctl = new AbortController();
    ctl.abort();
    await expect(readConnectExports(files, { signal: ctl.signal })).rejects.toBeInstanceOf(CancelledError);
    const big = write('big.json', `[{"DistinguishedName": "x"}${' '.repeat(1024)}]`);
    const limits = CONNECT_LIMITS as { jsonBytes: number };
    const saved = limits.jsonBytes;
    limits.jsonBytes = 512;
    try {
      await expect(readConnectExports([big])).rejects.toThrow(/big\.json: is 0 MiB: a JSON export may be at most/);
    } finally {
      limits.jsonBytes = saved;
    }
    await expect(readConnectExports([write('other.json', '{"Foo": 1}')])).rejects.toThrow(/other\.json: is none of the Connect exports/);
  });

  it('reads the same with blocking reads (the CLI\u2019s worker), characters split across chunks included', async () => {
    // Names of two-, three- and four-byte UTF-8 characters over ~40 chunks of 64 KiB: many a chunk
    // ends inside one, which the decoder must carry over although the buffer is reused.
    const ex = seededConnectExports(4000, (i) => `Zo\u00eb \u00c6r\u00f8 \u65e5\u672c ${'\u{1F4DE}'.repeat(i % 3)}${i}`);
    expect(Buffer.byteLength(ex.connectorSpaceXml)).toBeGreaterThan(20 * 64 * 1024);
    const files = [write('u8.xml', ex.connectorSpaceXml), write('u8-rules.json', ex.rulesJson)];
    const ticks = { stream: [] as number[], blocking: [] as number[] };
    const streamed = await readConnectExports(files, { onProgress: (e) => e.phase === 'engine-read' && ticks.stream.push(e.done) });
    const blocking = await readConnectExports(files, { blocking: true, onProgress: (e) => e.phase === 'engine-read' && ticks.blocking.push(e.done) });
    expect(blocking).toEqual(streamed);
    expect(blocking.objects.some((o) => o.onPremDn?.includes('\u{1F4DE}\u{1F4DE}'))).toBe(true);
    expect(ticks.blocking).toEqual(ticks.stream);

    // Cancelled between chunks; and a bad file fails the same way, naming its line.
    const ctl = new AbortController();
    await expect(readConnectExports(files, { blocking: true, signal: ctl.signal, onProgress: (e) => e.phase === 'engine-read' && e.done > 3 * 64 * 1024 && ctl.abort() })).rejects.toBeInstanceOf(CancelledError);
    const bad = write('bad-u8.xml', '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    await expect(readConnectExports([bad], { blocking: true })).rejects.toThrow('bad-u8.xml:3: closing tag </cs-objects> does not match <cs-object> opened on line 2');
  });

  it('reads an export of 150,000 objects (spreading them into push overflowed the call stack)', async () => {
    const obj = (i: number) => `<cs-object cs-dn="CN={${Buffer.from(anchor(i)).toString('hex').toUpperCase()}}" object-type="user" ma-name="contoso.onmicrosoft.com - AAD"><synchronized-hologram><entry dn="x"><attr name="sourceAnchor" type="string" multivalued="false"><value>${anchor(i)}</value></attr></entry></synchronized-hologram><connector>1</connector><mv-link>{m${i}}</mv-link></cs-object>\n`;
    const parts = ['<cs-objects>\n'];
    for (let i = 0; i < 150_000; i++) parts.push(obj(i));
    parts.push('</cs-objects>\n');
    const r = await readConnectExports([write('many.xml', parts.join(''))]);
    expect(r.objects).toHaveLength(150_000);
    expect(r.objects[149_999]!.evidence[0]).toMatchObject({ origin: 'many.xml', line: 150_001 });
  }, 60_000);
});
