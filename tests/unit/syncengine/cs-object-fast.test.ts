/**
 * The connector-space fast path (cs-object-fast.ts) against the tag-by-tag reader: for the sandbox
 * export and for single objects mutated in every way the scanner has to notice, fastCsObject either
 * declines (null: the object is read tag by tag, which names any error) or gives exactly the
 * CsObject the tag-by-tag reader gives; whole files give the same objects, lines and errors with
 * and without the fast path at any chunk size. And it does take the engine's own layout, so a
 * scanner that declined everything would fail here.
 */
import { describe, expect, it } from 'vitest';
import { connectExports } from '../../../main/sandbox/connect-rules';
import { ConnectorSpaceXmlReader, type CsObject } from '../../../main/syncengine';
import { CsObjectScanner, fastCsObject, isJsSpace } from '../../../main/syncengine/cs-object-fast';

const anchor = (i: number) => Buffer.from(`anchor-${String(i).padStart(8, '0')}`).toString('base64');
const EX_INPUT: Parameters<typeof connectExports>[0] = {
  entries: Array.from({ length: 30 }, (_, i) => ({
    anchor: anchor(i),
    dn: `CN=User ${i},OU=${i % 2 ? 'Sales' : 'Finance'},DC=contoso,DC=com`,
    mobile: i % 7 === 0 ? null : `+1 425 555 ${String(i).padStart(4, '0')}`,
    otherMobile: i % 5 === 0 ? ['+1 425 555 9000', '+1 425 555 9001'] : [],
    cloudId: i % 3 === 0 ? null : `0b7c2f9e-4d11-4c2a-9f5e-${String(i).padStart(12, '0')}`,
  })),
  rules: [{ name: 'Custom - Mobile E.164', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Sales,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '1' } }],
  adConnector: 'contoso.com',
  lastExportAt: '2026-12-06T10:00:00.000Z',
};
const EX = connectExports(EX_INPUT);
const OBJECTS = EX.connectorSpaceXml.match(/<cs-object [\s\S]*?<\/cs-object>/g)!;
/** An Entra object with sourceAnchor, cloudAnchor and mobile; one with a two-valued otherMobile; an AD object. */
const AAD = OBJECTS.find((o) => o.includes('cloudAnchor') && o.includes('name="mobile"'))!;
const MULTI = OBJECTS.find((o) => o.includes('<value>+1 425 555 9001</value>'))!;
const AD = OBJECTS.find((o) => o.includes('name="distinguishedName"'))!;

type Read = { objects: CsObject[] } | { error: string };

/**
 * A scanner that has read the sandbox objects and every object checked so far, so it reads the next
 * one with the layout it remembers (see Memo in cs-object-fast.ts); fastCsObject starts afresh.
 */
const warm = new CsObjectScanner();
const readOne = (scanner: CsObjectScanner, object: string) => {
  const text = `<cs-objects>\n${object}\n</cs-objects>\n`;
  return scanner.read(text, 13, text.indexOf('</cs-object>') + 12, 2, 'cs.xml', 'Export-ADSyncToolsObjects', null);
};
for (const o of [AAD, MULTI, AD]) readOne(warm, o);

function read(xml: string, size: number, tagByTag: boolean, keep: ReadonlySet<string> | null = null): Read {
  const r = new ConnectorSpaceXmlReader('cs.xml', 'Export-ADSyncToolsObjects', { tagByTag, keep });
  try {
    for (let i = 0; i < xml.length; i += size) r.write(xml.slice(i, i + size));
    return { objects: r.end() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * One object in a file of its own: what fastCsObject makes of it (given what the reader would give
 * it: from its '<' to the end of its first `</cs-object>`, on line 2) must be null or exactly what
 * the tag-by-tag reader reads; the whole file reads the same with and without the fast path.
 */
function check(object: string, root = '<cs-objects>'): CsObject | null {
  const xml = `${root}\n${object}\n</cs-objects>\n`;
  const from = root.length + 1;
  const close = xml.indexOf('</cs-object>', from);
  const hint = /ma-name="([^"]*)"/.exec(root)?.[1] ?? null;
  const fast = close === -1 ? null : fastCsObject(xml, from, close + 12, 2, 'cs.xml', 'Export-ADSyncToolsObjects', hint);
  const warmed = close === -1 ? null : warm.read(xml, from, close + 12, 2, 'cs.xml', 'Export-ADSyncToolsObjects', hint);
  const slow = read(xml, 1 << 20, true);
  if (fast !== null) expect(slow).toEqual({ objects: [fast] });
  if (warmed !== null) expect(slow, 'with the layout remembered').toEqual({ objects: [warmed] });
  expect(warmed === null).toBe(fast === null);
  expect(read(xml, 1 << 20, false)).toEqual(slow);
  // What it remembered from this object changes nothing for the engine's own layout.
  for (const o of [AAD, MULTI, AD]) expect(readOne(warm, o)).toEqual(readOne(new CsObjectScanner(), o));
  return fast;
}

/** `text` with `from` replaced by `to` (which must be there: a mutation that changes nothing tests nothing). */
function mutate(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`${String(from)} is not in the object`);
  return out;
}

describe('fastCsObject', () => {
  it('takes every object of the sandbox export, to what the tag-by-tag reader reads', () => {
    expect(OBJECTS).toHaveLength(60);
    for (const o of OBJECTS) expect(check(o)).not.toBeNull();
    expect(check(MULTI)!.attributes.get('othermobile')).toEqual(['+1 425 555 9000', '+1 425 555 9001']);
    expect(check(AAD)!.aad).toBe(true);
    expect(check(AD)!.aad).toBe(false);
  });

  it('takes the holograms a real export carries (every imported attribute), to what the tag-by-tag reader reads', () => {
    const full = connectExports({ ...EX_INPUT, hologram: 'full' }).connectorSpaceXml;
    const objects = full.match(/<cs-object [\s\S]*?<\/cs-object>/g)!;
    expect(objects).toHaveLength(60);
    for (const o of objects) expect(check(o)).not.toBeNull();
    // About fifty attribute names across the two connectors: the whole file reads as tag by tag, at any chunk size.
    const names = new Set([...full.matchAll(/<attr name="([^"]+)"/g)].map((m) => m[1]));
    expect(names.size).toBeGreaterThan(40);
    const slow = read(full, 1 << 20, true);
    expect(read(full, 4096, false)).toEqual(slow);
    expect((slow as { objects: CsObject[] }).objects[1]!.attributes.get('proxyaddresses')).toHaveLength(3);
  });

  describe('keeping only some attributes (the join\u2019s)', () => {
    const keep = new Set(['sourceanchor', 'mobile', 'othermobile', 'distinguishedname']);
    const full = connectExports({ ...EX_INPUT, hologram: 'full' }).connectorSpaceXml;

    it('reads the same objects fast and tag by tag, with only the kept attributes, every value as read in full', () => {
      const slow = read(full, 1 << 20, true, keep) as { objects: CsObject[] };
      expect(read(full, 4096, false, keep)).toEqual(slow);
      const all = (read(full, 1 << 20, true) as { objects: CsObject[] }).objects;
      expect(slow.objects).toHaveLength(all.length);
      slow.objects.forEach((o, i) => {
        const want = new Map([...all[i]!.attributes].filter(([k]) => keep.has(k)));
        expect(o.attributes).toEqual(want);
        expect({ ...o, attributes: null }).toEqual({ ...all[i]!, attributes: null });
      });
      expect(slow.objects.some((o) => o.attributes.has('othermobile'))).toBe(true);
    });

    it('takes every object of a full export on the fast path: a name not kept in one object is no duplicate in the next', () => {
      const scanner = new CsObjectScanner(keep);
      let at = full.indexOf('<cs-object ');
      let read = 0;
      while (at >= 0) {
        const end = full.indexOf('</cs-object>', at) + 12;
        expect(scanner.read(full, at, end, 1, 'cs.xml', 'Export-ADSyncToolsObjects', null), `the object at ${at}`).not.toBeNull();
        read++;
        at = full.indexOf('<cs-object ', end);
      }
      expect(read).toBeGreaterThan(10);
    });

    // An attribute whose values are not kept is still checked: the file reads to the same error either way.
    for (const [what, from, to] of [
      ['an attribute not kept, twice', '<attr name="company" type="string" multivalued="false">', '<attr name="company" type="string" multivalued="false"><value>x</value></attr><attr name="Company" type="string" multivalued="false">'],
      ['a single-valued attribute not kept, with two values', '<value>Contoso Ltd</value>', '<value>Contoso Ltd</value><value>Fabrikam</value>'],
      ['an attribute not kept, in another spelling, twice', '<attr name="company" type="string" multivalued="false">', '<attr type="string" name="company"><value>x</value></attr><attr  name="company" type="string" multivalued="false">'],
    ] as const) {
      it(`refuses ${what}, naming the line, fast or not`, () => {
        const bad = mutate(full, from, to);
        const slow = read(bad, 1 << 20, true, keep);
        expect(slow).toMatchObject({ error: expect.stringMatching(/^cs\.xml:\d+: /) });
        expect(read(bad, 4096, false, keep)).toEqual(slow);
        expect(read(bad, 1 << 20, true)).toEqual(slow);
      });
    }
  });

  it('reads an object anywhere in the buffer, and only the object it is given', () => {
    const text = `${AD}\n  ${AAD}`;
    const at = text.indexOf('<cs-object', 1);
    const end = text.indexOf('</cs-object>', at) + 12;
    const o = fastCsObject(text, at, end, 7, 'cs.xml', 'Export-ADSyncToolsObjects', null);
    expect(o?.dn).toMatch(/^CN=\{[0-9A-F]+\}$/);
    expect(o?.evidence).toEqual({ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: 7 });
    // Not to the end of its own </cs-object>: declined.
    expect(fastCsObject(text, at, end - 1, 7, 'cs.xml', 'Export-ADSyncToolsObjects', null)).toBeNull();
    expect(fastCsObject(text, 0, text.length, 1, 'cs.xml', 'Export-ADSyncToolsObjects', null)).toBeNull();
    expect(fastCsObject(text, 1, end, 1, 'cs.xml', 'Export-ADSyncToolsObjects', null)).toBeNull();
  });

  // [what, the object, whether the fast path takes it]
  const cases: [string, string, boolean][] = [
    // Declined: the tag-by-tag reader reads these (or refuses them, naming the line).
    ['an entity in a value', mutate(AAD, '<value>+1 425 555', '<value>R&amp;D +1 425 555'), false],
    ['an entity in an attribute value', mutate(AD, 'OU=Finance', 'OU=R&amp;D'), false],
    ['a bare & in a value', mutate(AAD, '<value>+1 425 555', '<value>R&D +1 425 555'), false],
    ["a '<' in a value", mutate(AAD, '<value>+1 425 555', '<value><b/>+1 425 555'), false],
    ["a '<' in the mv-link text", mutate(AAD, /<mv-link>\{/, '<mv-link><x/>{'), false],
    ["a '<' in the connector text", mutate(AAD, '<connector>1', '<connector><x/>1'), false],
    ["a '<' in an attribute value", mutate(AD, 'object-type="user"', 'object-type="us<er"'), false],
    ["a '<' in an attr's name", mutate(AAD, 'name="mobile"', 'name="mo<bile"'), false],
    ["a '<' in an attr's type", mutate(AAD, 'name="mobile" type="string"', 'name="mobile" type="str<ing"'), false],
    ['single quotes on a cs-object attribute', mutate(AAD, 'object-type="user"', "object-type='user'"), false],
    ['single quotes on an attr name', mutate(AAD, 'name="mobile"', "name='mobile'"), false],
    ['a duplicate cs-object attribute', mutate(AD, 'object-type="user"', 'object-type="user" object-type="group"'), false],
    ['a duplicate cs-dn', mutate(AD, ' id="', ' cs-dn="CN=other" id="'), false],
    ['a duplicate entry attribute', mutate(AD, /<entry dn="([^"]*)"/, '<entry dn="$1" dn="x"'), false],
    ['a duplicate attr tag attribute', mutate(AAD, 'name="mobile" type="string"', 'name="mobile" type="string" type="int"'), false],
    ['a duplicate mv-link attribute', mutate(AAD, '<mv-link>', '<mv-link lineage-rule="a" lineage-rule="b">'), false],
    ['a duplicate attr name differing only by case', mutate(AAD, 'name="mobile"', 'name="sourceanchor"'), false],
    ['a duplicate attr name, same case', mutate(AAD, 'name="mobile"', 'name="sourceAnchor"'), false],
    ['two values on multivalued="false"', mutate(AAD, /(name="mobile" type="string" multivalued="false"><value>[^<]*<\/value>)/, '$1<value>+1</value>'), false],
    ['two values on multivalued="false" in another order', mutate(AAD, /<attr name="mobile" type="string" multivalued="false">(<value>[^<]*<\/value>)/, '<attr multivalued="false" name="mobile">$1<value>+1</value>'), false],
    ['hologram closed as synchronized-hologram', mutate(AAD, '<synchronized-hologram>', '<hologram>'), false],
    ['synchronized-hologram closed as hologram', mutate(AAD, '</synchronized-hologram>', '</hologram>'), false],
    ['a hologram with an attribute', mutate(AAD, '<synchronized-hologram>', '<synchronized-hologram x="1">'), false],
    ['no cs-dn', mutate(AD, /cs-dn="[^"]*" /, ''), false],
    ['an empty cs-dn', mutate(AD, /cs-dn="[^"]*"/, 'cs-dn=""'), false],
    ['an attr without a name', mutate(AAD, 'name="mobile" ', ''), false],
    ['an attr with an empty name', mutate(AAD, 'name="mobile"', 'name=""'), false],
    ['an unknown child of cs-object', mutate(AAD, '<connector>', '<x-extra>1</x-extra>\n    <connector>'), false],
    ['an unknown child of entry', mutate(AAD, '</entry>', '<x-extra/></entry>'), false],
    ['an unapplied export', mutate(AAD, '</synchronized-hologram>', '</synchronized-hologram><unapplied-export><delta operation="update" dn="x"><attr name="mobile" operation="replace"><value>+1</value></attr></delta></unapplied-export>'), false],
    ['an export error', mutate(AAD, '</synchronized-hologram>', '</synchronized-hologram><export-errordetail><export-status><cd-error><error-name>DataValidationFailed</error-name></cd-error></export-status></export-errordetail>'), false],
    ['a value with an attribute', mutate(AAD, '<value>+1 425 555', '<value x="1">+1 425 555'), false],
    ['a comment between objects parts', mutate(AAD, '<connector>', '<!-- exported by hand --><connector>'), false],
    ['a comment in a value', mutate(AAD, '<value>+1 425 555', '<value><!-- x -->+1 425 555'), false],
    ['a CDATA value', mutate(AAD, /<value>(\+1 425 555 [0-9]+)<\/value>/, '<value><![CDATA[$1]]></value>'), false],
    ['white space between attr and value', mutate(AAD, 'multivalued="false"><value>+1 425', 'multivalued="false"> <value>+1 425'), false],
    ['white space between two values', mutate(MULTI, '</value><value>', '</value> <value>'), false],
    ['white space before </attr>', mutate(AAD, /(\+1 425 555 [0-9]+<\/value>)<\/attr>/, '$1 </attr>'), false],
    ['white space in an end tag', mutate(AAD, '</connector>', '</connector >'), false],
    ['white space in the last end tag', mutate(AAD, '</cs-object>', '</cs-object >'), false],
    ['a self-closing entry', mutate(AAD, /<entry dn="([^"]*)">[\s\S]*<\/entry>/, '<entry dn="$1"/>'), false],
    ['a self-closing mv-link', mutate(AAD, /<mv-link>[^<]*<\/mv-link>/, '<mv-link/>'), false],
    ['no connector', mutate(AAD, /<connector>1<\/connector>\s*/, ''), false],
    ['no mv-link', mutate(AAD, /\s*<mv-link>[^<]*<\/mv-link>/, ''), false],
    ['no hologram', mutate(AAD, /<synchronized-hologram>[\s\S]*<\/synchronized-hologram>\s*/, ''), false],
    ['mv-link before connector', mutate(AAD, /(<connector>1<\/connector>)(\s*)(<mv-link>[^<]*<\/mv-link>)/, '$3$2$1'), false],
    ['no space before an attribute', mutate(AD, '" id="', '"id="'), false],
    ['an attribute without a value', mutate(AD, ' id="', ' selected id="'), false],
    ['an attribute name starting with a digit', mutate(AD, ' id="', ' 1d="1" id="'), false],
    ['U+00A0 between tags', mutate(AAD, '\n    <connector>', '\n\u00a0   <connector>'), false],
    ['a form feed between tags', mutate(AAD, '\n    <connector>', '\n\f    <connector>'), false],
    ['a vertical tab between attrs', mutate(AAD, '\n      <attr name="mobile"', '\v<attr name="mobile"'), false],
    ['U+FEFF before </cs-object>', mutate(AAD, '\n  </cs-object>', '\ufeff</cs-object>'), false],
    ['U+00A0 before a cs-object attribute', mutate(AD, ' id="', '\u00a0id="'), false],
    ['U+00A0 before an entry attribute', mutate(AD, '<entry dn=', '<entry\u00a0dn='), false],
    ['U+2028 around an =', mutate(AD, 'object-type="user"', 'object-type\u2028=\u2028"user"'), false],
    ['U+00A0 between attr tag attributes', mutate(AAD, 'name="mobile" type=', 'name="mobile"\u00a0type='), false],
    ['more than 16 cs-object attributes', mutate(AD, ' id="', ` ${Array.from({ length: 16 }, (_, i) => `x${i}="${i}"`).join(' ')} id="`), false],
    // Taken, to exactly what the tag-by-tag reader reads.
    ['CRLF line endings', AAD.replace(/\n/g, '\r\n'), true],
    ['CRLF line endings, AD object', AD.replace(/\n/g, '\r\n'), true],
    ['tabs for indentation', AAD.replace(/\n +/g, (m) => `\n${'\t'.repeat(m.length - 1)}`), true],
    ['no white space between tags', AAD.replace(/>\s+</g, '><'), true],
    ['an attr tag with its attributes in another order', mutate(AAD, 'name="mobile" type="string" multivalued="false"', 'multivalued="false" type="string" name="mobile"'), true],
    ['an attr tag with an extra attribute', mutate(AAD, 'name="mobile" type="string" multivalued="false"', 'name="mobile" type="string" multivalued="false" x-origin="rule 7"'), true],
    ['an attr tag without type or multivalued', mutate(AAD, 'name="mobile" type="string" multivalued="false"', 'name="mobile"'), true],
    ['an attr tag with white space around = and between attributes', mutate(AAD, 'name="mobile" type="string" multivalued="false"', '\n  name = "mobile"\ttype="string"\r\n multivalued=\t"false" '), true],
    ['an attr tag with another type', mutate(AAD, 'name="mobile" type="string"', 'name="mobile" type="reference-dn"'), true],
    ['an attr tag with an empty type', mutate(AAD, 'name="mobile" type="string"', 'name="mobile" type=""'), true],
    ['multivalued="FALSE" (not "false": not single-valued)', mutate(AAD, /(name="mobile" type="string" multivalued=)"false"(><value>[^<]*<\/value>)/, '$1"FALSE"$2<value>+1</value>'), true],
    ['multivalued="true" with one value', mutate(AAD, 'name="mobile" type="string" multivalued="false"', 'name="mobile" type="string" multivalued="true"'), true],
    ['a name in upper case', mutate(AAD, 'name="mobile"', 'name="MOBILE"'), true],
    ['a name that is not ASCII', mutate(AAD, 'name="mobile"', 'name="Mobil\u00c9-\u0130x"'), true],
    ['a name with white space and > in it', mutate(AAD, 'name="mobile"', 'name=" mo bile>"'), true],
    ['values with >, quotes and new lines', mutate(AAD, /<value>\+1 425 555 ([0-9]+)<\/value>/, '<value>\n a>b "c" \'d\'\n$1 </value>'), true],
    ['values that are not ASCII', mutate(AAD, /<value>\+1 425 555 ([0-9]+)<\/value>/, '<value>\u65e5\u672c \u00e9 $1 \ud83d\udcf1</value>'), true],
    ['an empty value', mutate(AAD, /<value>\+1 425 555 [0-9]+<\/value>/, '<value></value>'), true],
    ['an attribute value with > and new lines', mutate(AD, 'object-type="user"', 'object-type="us>er\nx"'), true],
    ['an attribute with a namespace prefix', mutate(AD, ' id="', ' xmlns:x="urn:x" x:id="1" id="'), true],
    ['attributes on new lines', mutate(AD, /" (id|object-type|ma-name)="/g, '"\n      $1 = "'), true],
    ['cs-object attributes in another order', mutate(AD, /cs-dn="([^"]*)" (id="[^"]*") (object-type="[^"]*") (ma-name="[^"]*")/, '$4 $3 cs-dn="$1" $2'), true],
    ['no object-type', mutate(AD, / object-type="[^"]*"/, ''), true],
    ['no ma-name', mutate(AD, / ma-name="[^"]*"/, ''), true],
    ['16 cs-object attributes', mutate(AD, ' id="', ` ${Array.from({ length: 12 }, (_, i) => `x${i}="${i}"`).join(' ')} id="`), true],
    ['a cs-dn with white space around CN={hex}', mutate(AAD, /cs-dn="([^"]*)"/, 'cs-dn=" \t$1\n"'), true],
    ['a cs-dn CN={} with no hex', mutate(AAD, /cs-dn="[^"]*"/, 'cs-dn="CN={}"').replace(/ ma-name="[^"]*"/, ''), true],
    ['a cs-dn CN={xyz} (not hex)', mutate(AAD, /cs-dn="[^"]*"/, 'cs-dn="CN={XYZ}"').replace(/ ma-name="[^"]*"/, ''), true],
    ['an AAD DN with no ma-name', mutate(AAD, / ma-name="[^"]*"/, ''), true],
    ['an AAD connector name in other case with spaces', mutate(AAD, /ma-name="[^"]*"/, 'ma-name=" tenant.onmicrosoft.com - aad "'), true],
    ['the old hologram element', mutate(mutate(AAD, '<synchronized-hologram>', '<hologram>'), '</synchronized-hologram>', '</hologram>'), true],
    ['an empty entry', mutate(AAD, /<entry dn="([^"]*)">[\s\S]*<\/entry>/, '<entry dn="$1"></entry>'), true],
    ['an entry of white space only', mutate(AAD, /<entry dn="([^"]*)">[\s\S]*<\/entry>/, '<entry dn="$1">\n     \n     </entry>'), true],
    ['an entry without attributes', mutate(AAD, /<entry dn="[^"]*">/, '<entry>'), true],
    ['an attr with zero values', mutate(AAD, /(name="mobile" type="string" multivalued="false">)<value>[^<]*<\/value>/, '$1'), true],
    ['an attr with zero values, multivalued', mutate(MULTI, /(name="otherMobile" type="string" multivalued="true">)(<value>[^<]*<\/value>)+/, '$1'), true],
    ['a long multivalued attr', mutate(MULTI, '<value>+1 425 555 9001</value>', Array.from({ length: 40 }, (_, i) => `<value>+1 425 555 ${9100 + i}</value>`).join('')), true],
    ['mv-link with a lineage-rule', mutate(AAD, '<mv-link>', '<mv-link lineage-rule="In from AD - User Join">'), true],
    ['mv-link with an empty lineage-rule', mutate(AAD, '<mv-link>', '<mv-link lineage-rule="">'), true],
    ['mv-link with a lineage-rule and other attributes', mutate(AAD, '<mv-link>', '<mv-link  lineage-id="{1}"\n lineage-rule = "Out to AAD - User Identity" lineage-type="sync-rule" >'), true],
    ['an empty mv-link', mutate(AAD, /<mv-link>[^<]*<\/mv-link>/, '<mv-link></mv-link>'), true],
    ['an mv-link of white space (U+00A0 too)', mutate(AAD, /<mv-link>[^<]*<\/mv-link>/, '<mv-link> \u00a0\n </mv-link>'), true],
    ['an mv-link id with white space around', mutate(AAD, /<mv-link>([^<]*)<\/mv-link>/, '<mv-link>\n\u00a0 $1\u2003\n</mv-link>'), true],
    ['connector 0', mutate(AAD, '<connector>1</connector>', '<connector>0</connector>'), true],
    ['connector 0 with white space (U+00A0 too)', mutate(AAD, '<connector>1</connector>', '<connector>\n\u00a0 0\t</connector>'), true],
    ['connector 00', mutate(AAD, '<connector>1</connector>', '<connector>00</connector>'), true],
    ['an empty connector', mutate(AAD, '<connector>1</connector>', '<connector></connector>'), true],
    ['connector text', mutate(AAD, '<connector>1</connector>', '<connector>normal-disconnector</connector>'), true],
  ];
  for (const [what, object, takes] of cases) {
    it(`${takes ? 'takes' : 'declines'} ${what}`, () => {
      const o = check(object);
      if (takes) expect(o).not.toBeNull();
      else expect(o).toBeNull();
    });
  }

  it('takes the connector of the root when the object names none', () => {
    const o = check(mutate(AD, / ma-name="[^"]*"/, ''), '<cs-objects ma-name="fabrikam.com">');
    expect(o?.connector).toBe('fabrikam.com');
    expect(check(mutate(AAD, / ma-name="[^"]*"/, ''), '<cs-objects ma-name="fabrikam.onmicrosoft.com - AAD">')?.aad).toBe(true);
    expect(check(AD, '<cs-objects ma-name="fabrikam.com">')?.connector).toBe('contoso.com');
  });

  it('takes for white space exactly what a RegExp \\s (and String.prototype.trim) take', () => {
    for (let c = 0; c <= 0xffff; c++) expect(isJsSpace(c), `U+${c.toString(16)}`).toBe(/\s/.test(String.fromCharCode(c)));
  });
});

describe('whole files, with and without the fast path', () => {
  const valid = cases().filter(([, , takes]) => takes).map(([, o]) => o);
  const declined = cases().filter(([, , takes]) => !takes).map(([, o]) => o);
  function cases(): [string, string, boolean][] {
    // The same objects the single-object cases use: the taken ones all in one file, and each declined one among them.
    return [
      ['sandbox', OBJECTS.join('\n  '), true],
      ['crlf', OBJECTS.slice(0, 6).join('\n  ').replace(/\n/g, '\r\n'), true],
      ['lineage', mutate(AAD, '<mv-link>', '<mv-link lineage-rule="In from AD - User Join">'), true],
      ['reordered attr', mutate(AAD, 'name="mobile" type="string" multivalued="false"', 'type="string" multivalued="false"  name="mobile"'), true],
      ['connector 0', mutate(AD, '<connector>1</connector>', '<connector>0</connector>'), true],
      ['empty entry', mutate(AAD, /<entry dn="([^"]*)">[\s\S]*<\/entry>/, '<entry dn="$1"></entry>'), true],
      ['entity', mutate(AAD, '<value>+1 425 555', '<value>R&amp;D +1 425 555'), false],
      ['comment', mutate(AAD, '<connector>', '<!-- by hand --><connector>'), false],
      ['nbsp', mutate(AAD, '\n    <connector>', '\n\u00a0   <connector>'), false],
      ['single quotes', mutate(AAD, 'object-type="user"', "object-type='user'"), false],
      ['unknown child', mutate(AAD, '<connector>', '<x-extra>1</x-extra>\n    <connector>'), false],
      ['old hologram', mutate(mutate(AAD, '<synchronized-hologram>', '<hologram>'), '</synchronized-hologram>', '</hologram>'), true],
      ['duplicate attr', mutate(AAD, 'name="mobile"', 'name="sourceanchor"'), false],
      ['two values', mutate(AAD, /(name="mobile" type="string" multivalued="false"><value>[^<]*<\/value>)/, '$1<value>+1</value>'), false],
      ['mismatched hologram', mutate(AAD, '</synchronized-hologram>', '</hologram>'), false],
      ['no cs-dn', mutate(AD, /cs-dn="[^"]*" /, ''), false],
      ['duplicate entry attribute', mutate(AD, /<entry dn="([^"]*)"/, '<entry dn="$1" dn="x"'), false],
      ['nbsp in a tag', mutate(AD, '<entry dn=', '<entry\u00a0dn='), false],
    ];
  }
  const file = (objects: string[]) => `<?xml version="1.0" encoding="utf-8"?>\n<cs-objects>\n  ${objects.join('\n  ')}\n</cs-objects>\n`;

  function same(xml: string): Read {
    const whole = read(xml, 1 << 20, true);
    for (const size of [1, 7, 4096, 1 << 20]) {
      expect(read(xml, size, false), `fast path, chunks of ${size}`).toEqual(whole);
      if (size !== 1 << 20) expect(read(xml, size, true), `tag by tag, chunks of ${size}`).toEqual(whole);
    }
    return whole;
  }

  it('reads the taken objects to the same objects and lines', () => {
    const r = same(file(valid));
    expect('objects' in r && r.objects.length).toBe(OBJECTS.length + 6 + 5);
    if ('objects' in r) expect(new Set(r.objects.map((o) => o.evidence.line)).size).toBe(r.objects.length);
  });

  it('reads each declined object among the others to the same objects, or the same error with its line', () => {
    let errors = 0;
    for (const o of declined) {
      const r = same(file([...OBJECTS.slice(0, 5), o, ...OBJECTS.slice(5, 9)]));
      if ('error' in r) {
        errors++;
        expect(r.error).toMatch(/^cs\.xml:\d+: /);
      }
    }
    expect(errors).toBeGreaterThanOrEqual(5);
  });
});
