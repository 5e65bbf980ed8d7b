/**
 * The Entra Connect side of the engine view: connector-space objects (AAD connector and AD connectors),
 * sync rules and run history turned into one EngineObject per user, with the rule that produced the
 * exported mobile (multi-forest precedence: the lowest precedence number in scope with a value wins).
 * Nothing is merged or dropped silently: two AAD connector objects for one anchor are refused, naming
 * both; AD connector objects without an Entra ID twin become not-exported objects that say why. Pure.
 */
import { ValidationError } from '../core/errors';
import type { EngineEvidence, EngineObject, EngineRule } from '../core/engine-view';
import { decodeAadDn, type CsObject } from './connector-space';
import { scopeTest, type PhoneFlow, type SyncRuleInfo } from './sync-rules';
import { KeyTable } from './key-table';
import { lastExports, type ConnectorRun } from './run-history';

export interface ConnectInput {
  csObjects: readonly CsObject[];
  rules?: readonly SyncRuleInfo[];
  /** File the rules came from, for the evidence citation. */
  rulesFile?: string | null;
  runs?: readonly ConnectorRun[];
  runsFile?: string | null;
}

export interface ConnectStats {
  aadUsers: number;
  adOnly: number;
  /** AAD connector objects of other types (groups, contacts, devices): not users, left out and counted. */
  otherTypes: number;
  rulesTouchingMobile: number;
}

/** The connector-space attributes the join reads whatever the rules (lower case, as CsObject keys). */
const JOIN_READS = ['sourceanchor', 'cloudanchor', 'mobile', 'othermobile', 'ms-ds-consistencyguid', 'objectguid', 'onpremisesdistinguishedname'];

/**
 * Every attribute the join may read: JOIN_READS and each attribute any of the rules flows from or
 * scopes on (all rules, not only those touching mobile: a superset costs little). What the XML reader
 * keeps (ConnectorSpaceXmlReader `keep`); the join over what it kept is the join over every attribute.
 */
export function attributesTheJoinReads(rules: readonly SyncRuleInfo[]): Set<string> {
  const out = new Set(JOIN_READS);
  for (const r of rules) {
    for (const f of r.flows) for (const a of f.sources) out.add(a.toLowerCase());
    for (const group of r.scope) for (const c of group) out.add(c.attribute.toLowerCase());
  }
  return out;
}

function first(attrs: Map<string, string[]>, name: string): string | null {
  const v = attrs.get(name);
  return v && v.length > 0 && v[0] !== '' ? v[0]! : null;
}

const USER_TYPE = /^(user|person|inetorgperson)$/i;

function isUser(o: CsObject): boolean {
  const t = o.objectType;
  return t === '' || t === 'user' || USER_TYPE.test(t);
}

/** Base64 of an AD connector object's anchor bytes: mS-DS-ConsistencyGuid, else objectGUID (as exported, base64). */
function adAnchor(o: CsObject): string | null {
  const v = first(o.attributes, 'ms-ds-consistencyguid') ?? first(o.attributes, 'objectguid');
  return v && /^[A-Za-z0-9+/]+={0,2}$/.test(v) ? v : null;
}

/** The object id in a cloud anchor `User_<guid>`, lower case; null for anything else. */
function cloudIdOf(cloudAnchor: string | null): string | null {
  // What /^User_([0-9a-fA-F-]{36})$/ says, by character (this runs for every user).
  if (cloudAnchor === null || cloudAnchor.length !== 41 || !cloudAnchor.startsWith('User_')) return null;
  let upper = false;
  for (let i = 5; i < 41; i++) {
    const c = cloudAnchor.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || c === 45) continue;
    if (c >= 65 && c <= 70) upper = true;
    else return null;
  }
  const id = cloudAnchor.slice(5);
  return upper ? id.toLowerCase() : id;
}

/** The key one AAD connector object is refused twice by: its source anchor, else its DN. */
function anchorKey(sourceAnchor: string | null, o: CsObject): string {
  return sourceAnchor ?? `dn:${o.dn.toLowerCase()}`;
}

/** Source and cloud anchor of an AAD connector object: its attributes, else what its DN carries. */
function anchorsOf(o: CsObject): { sourceAnchor: string | null; cloudAnchor: string | null } {
  const sourceAnchor = first(o.attributes, 'sourceanchor');
  const cloudAnchor = first(o.attributes, 'cloudanchor');
  if (sourceAnchor !== null && cloudAnchor !== null) return { sourceAnchor, cloudAnchor };
  // The DN carries one of the two anchors: decoded only when the attributes do not say.
  const decoded = decodeAadDn(o.dn);
  return { sourceAnchor: sourceAnchor ?? decoded?.sourceAnchor ?? null, cloudAnchor: cloudAnchor ?? decoded?.cloudAnchor ?? null };
}

/** A run as the users it covers cite it. */
interface RunInfo {
  run: ConnectorRun;
  evidence: EngineEvidence;
  /** The reason an exported object carries when the run did not succeed. */
  failed: string | null;
}

interface RuleChoice {
  rule: PreparedRule;
  source: CsObject | null;
  scopeKnown: boolean;
}

function phoneFlow(r: SyncRuleInfo): PhoneFlow | undefined {
  return r.flows.find((f) => f.destination === 'mobile');
}

/** A rule with what every user asks of it worked out once per join. */
interface PreparedRule {
  rule: SyncRuleInfo;
  flow: PhoneFlow;
  /** The flow's source attributes in lower case (the attribute maps' keys). */
  sources: string[];
  scope: (attrs: Map<string, string[]> | null) => boolean | null;
  /** The Get-ADSyncRule citation, one object for every user the rule covers. */
  evidence: EngineEvidence;
  /** One EngineRule per connector: every user the rule produced shares it (read-only). */
  engineRules: Map<string | null, EngineRule>;
}

function prepare(rule: SyncRuleInfo, rulesFile: string | null | undefined): PreparedRule {
  const flow = phoneFlow(rule)!;
  const evidence: EngineEvidence = { source: 'Get-ADSyncRule', origin: rulesFile ?? 'Get-ADSyncRule', line: rule.line };
  return { rule, flow, sources: flow.sources.map((a) => a.toLowerCase()), scope: scopeTest(rule), evidence, engineRules: new Map() };
}

/** The rule chosen when there are no AD connector objects to read: precedence alone, scope unknown. */
function chooseWithoutSources(rules: readonly PreparedRule[]): RuleChoice | null {
  for (const rule of rules) {
    const s = rule.scope(null);
    if (s !== false) return { rule, source: null, scopeKnown: s === true };
  }
  return null;
}

/**
 * The contributing rule in precedence order: first in scope whose source object has a value. The
 * sources are ad[head], then ad[next[head]] and on while next is not -1 (next null: head alone).
 */
function choose(rules: readonly PreparedRule[], ad: readonly CsObject[], head: number, next: Int32Array | null, connectorIdOf: (o: CsObject) => string | null): RuleChoice | null {
  let fallback: RuleChoice | null = null;
  for (const rule of rules) {
    const flow = rule.flow;
    const ruleConnector = rule.rule.connectorId;
    for (let i = head; i !== -1; i = next ? next[i]! : -1) {
      const src = ad[i]!;
      if (ruleConnector) {
        const id = connectorIdOf(src);
        if (id && id !== ruleConnector) continue;
      }
      const s = rule.scope(src.attributes);
      if (s === false) continue;
      let hasValue = flow.flowType === 'constant';
      for (let k = 0; !hasValue && k < rule.sources.length; k++) hasValue = first(src.attributes, rule.sources[k]!) !== null;
      if (hasValue) return { rule, source: src, scopeKnown: s === true };
      fallback ??= { rule, source: src, scopeKnown: s === true };
    }
  }
  return fallback;
}

function engineRuleOf(c: RuleChoice): EngineRule {
  const connector = c.source?.connector ?? c.rule.rule.connectorId;
  let r = c.rule.engineRules.get(connector);
  if (!r) {
    r = { name: c.rule.rule.name, precedence: c.rule.rule.precedence, expression: c.rule.flow.expression, sources: c.rule.flow.sources, connector };
    c.rule.engineRules.set(connector, r);
  }
  return r;
}

const where = (e: EngineEvidence): string => `${e.origin}${e.line ? `:${e.line}` : ''}`;

/** What the join needs of the rules and the run history, worked out once. */
interface Context {
  inbound: PreparedRule[];
  outbound: PreparedRule[];
  connectorIdOf: (o: CsObject) => string | null;
  /** The last export run of an object's connector (null: none), as the users it covers cite it. */
  runOf: (o: CsObject) => RunInfo | null;
}

function context(input: ConnectInput, rules: readonly SyncRuleInfo[], idByName: Map<string, string>): Context {
  const prepared = (direction: SyncRuleInfo['direction']) =>
    rules
      .filter((r) => r.direction === direction)
      .sort((a, b) => a.precedence - b.precedence)
      .map((r) => prepare(r, input.rulesFile));
  // Objects of one connector mostly follow each other: the last connector's answer is kept.
  const idByConnector = new Map<string, string | null>();
  let lastIdConnector: string | null = null;
  let lastId: string | null = null;
  const connectorIdOf = (o: CsObject): string | null => {
    if (o.connectorId) return o.connectorId;
    const c = o.connector;
    if (!c) return null;
    if (c === lastIdConnector) return lastId;
    let id = idByConnector.get(c);
    if (id === undefined) idByConnector.set(c, (id = idByName.get(c.toLowerCase()) ?? null));
    lastIdConnector = c;
    return (lastId = id);
  };
  // The run citation is the same for every user it covers: one object each, shared.
  const exportsByConnector = lastExports(input.runs ?? []);
  const infoByRun = new Map<ConnectorRun, RunInfo>();
  const infoOf = (run: ConnectorRun | undefined): RunInfo | null => {
    if (!run) return null;
    let info = infoByRun.get(run);
    if (!info) {
      const failed = !/^success$/i.test(run.result) && !/^completed/i.test(run.result);
      info = {
        run,
        evidence: { source: 'Get-ADSyncRunProfileResult', origin: input.runsFile ?? 'Get-ADSyncRunProfileResult', line: run.line },
        failed: failed ? `the last export run on ${run.connector} ended "${run.result}"` : null,
      };
      infoByRun.set(run, info);
    }
    return info;
  };
  const onlyRun = exportsByConnector.size === 1 ? infoOf([...exportsByConnector.values()][0]) : null;
  const runByConnector = new Map<string, RunInfo | null>();
  let lastRunConnector: string | null = null;
  let lastRun: RunInfo | null = null;
  const runOf = (o: CsObject): RunInfo | null => {
    const c = o.connector;
    if (!c) return onlyRun;
    if (c === lastRunConnector) return lastRun;
    let info = runByConnector.get(c);
    if (info === undefined) runByConnector.set(c, (info = infoOf(exportsByConnector.get(c.toLowerCase()))));
    lastRunConnector = c;
    return (lastRun = info);
  };
  return { inbound: prepared('inbound'), outbound: prepared('outbound'), connectorIdOf, runOf };
}

/**
 * AD connector objects by metaverse id (caseless): `byMv` gives the first of an id (its index in
 * `ad`, the group's head). Mostly an id has one AD object; when one has more (multi-forest), chains
 * are kept: next[i] is the object after ad[i] with its id (-1: none), headOf[i] ad[i]'s head (both
 * null while every id has one object). joined[h] once an Entra ID connector object links head h.
 */
interface MetaverseGroups {
  byMv: KeyTable;
  next: Int32Array | null;
  headOf: Int32Array | null;
  joined: Uint8Array;
}

function metaverseGroups(ad: readonly CsObject[]): MetaverseGroups {
  const byMv = new KeyTable(ad.length, (h) => ad[h]!.mvId!, true);
  let next: Int32Array | null = null;
  let tail: Int32Array | null = null;
  let headOf: Int32Array | null = null;
  for (let i = 0; i < ad.length; i++) {
    const mvId = ad[i]!.mvId;
    if (!mvId) continue;
    const h = byMv.add(mvId, i);
    if (h === -1) continue;
    if (!next || !tail || !headOf) {
      next = new Int32Array(ad.length).fill(-1);
      tail = new Int32Array(ad.length);
      headOf = new Int32Array(ad.length);
      for (let j = 0; j < ad.length; j++) tail[j] = headOf[j] = j;
    }
    next[tail[h]!] = i;
    tail[h] = i;
    headOf[i] = h;
  }
  return { byMv, next, headOf, joined: new Uint8Array(ad.length) };
}

/** One EngineObject per Entra ID connector user, in the order of the export. */
function entraObjects(ctx: Context, aad: readonly CsObject[], ad: readonly CsObject[], groups: MetaverseGroups, objects: EngineObject[], stats: ConnectStats): void {
  const { byMv, next, joined } = groups;
  const outChoice = chooseWithoutSources(ctx.outbound);
  const inChoiceAlone = chooseWithoutSources(ctx.inbound);
  // The anchors added so far, by index in `aad` (read only to tell two keys of one hash apart).
  const byAnchor = new KeyTable(aad.length, (j) => anchorKey(anchorsOf(aad[j]!).sourceAnchor, aad[j]!));
  for (let i = 0; i < aad.length; i++) {
    const o = aad[i]!;
    const attrs = o.attributes;
    let sourceAnchor = first(attrs, 'sourceanchor');
    let cloudAnchor = first(attrs, 'cloudanchor');
    if (sourceAnchor === null || cloudAnchor === null) ({ sourceAnchor, cloudAnchor } = anchorsOf(o));
    // Each object adds its key until one is there already: the index of the first holder.
    const twice = byAnchor.add(anchorKey(sourceAnchor, o), i);
    if (twice !== -1) {
      const prev = aad[twice]!;
      throw new ValidationError(where(o.evidence), `Entra ID connector object ${o.dn} has the source anchor ${sourceAnchor ?? '(none)'} of the object at ${where(prev.evidence)}: one user twice (two exports of the same object?); import each object once`);
    }
    stats.aadUsers++;
    const head = o.mvId ? byMv.get(o.mvId) : -1;
    if (head !== -1) joined[head] = 1;
    const inChoice = head === -1 ? inChoiceAlone : choose(ctx.inbound, ad, head, next, ctx.connectorIdOf);
    const pick = inChoice && inChoice.rule.flow.flowType !== 'direct' ? inChoice : outChoice && outChoice.rule.flow.flowType !== 'direct' ? outChoice : (inChoice ?? outChoice);
    const run = ctx.runOf(o);
    const evidence: EngineEvidence[] = pick
      ? run
        ? [o.evidence, pick.rule.evidence, run.evidence]
        : [o.evidence, pick.rule.evidence]
      : run
        ? [o.evidence, run.evidence]
        : [o.evidence];
    // The readers hand out owned strings (xml-reader.ts ownString): kept as they are, they keep no
    // chunk of the export alive. The arrays are copied: an engine object shares nothing with the CsObject.
    const otherMobile = attrs.get('othermobile');
    const exported = { mobile: first(attrs, 'mobile'), otherMobile: otherMobile === undefined || otherMobile.length === 0 ? [] : otherMobile.slice() };
    const pending = o.pendingExport;
    let state: EngineObject['state'] = 'exported';
    let reason: string | null = pick && !pick.scopeKnown ? `rule chosen by precedence; its scoping filter could not be evaluated from the export` : null;
    if (o.error) {
      state = 'error';
      reason = `the last export of this object failed: ${o.error}`;
    } else if (!o.connectorState) {
      state = 'not-exported';
      reason = 'a disconnector in the Entra ID connector space: not joined, so nothing is exported for it';
    } else if (pending && (pending.has('mobile') || pending.has('othermobile'))) {
      state = 'pending';
      reason = 'the engine holds an unapplied export of mobile/otherMobile: the next export run sends it';
      exported.mobile = pending.has('mobile') ? (pending.get('mobile')![0] ?? null) : exported.mobile;
      if (pending.has('othermobile')) exported.otherMobile = [...pending.get('othermobile')!];
    } else if (run && run.failed !== null) {
      reason = run.failed;
    }
    objects.push({
      engine: 'connect',
      sourceAnchor,
      onPremDn: head !== -1 ? ad[head]!.dn : first(attrs, 'onpremisesdistinguishedname'),
      cloudId: cloudIdOf(cloudAnchor),
      state,
      exported,
      exportedAt: run ? (run.run.endedAt ?? null) : null,
      rule: pick ? engineRuleOf(pick) : null,
      reason,
      evidence,
    });
  }
}

/** AD connector objects no Entra ID connector object joins: the engine never exports them. */
function adOnlyObjects(ad: readonly CsObject[], groups: MetaverseGroups, objects: EngineObject[], stats: ConnectStats): void {
  const { headOf, joined } = groups;
  const adSeen = new Set<string>();
  const adSeenKey = (o: CsObject): string => `${o.connector ?? ''}|${o.dn.toLowerCase()}`;
  // An object without a metaverse id is no head and in no chain: never joined.
  const isJoined = (i: number): boolean => joined[headOf ? headOf[i]! : i] === 1;
  for (let i = 0; i < ad.length; i++) {
    if (isJoined(i)) continue;
    const o = ad[i]!;
    const size = adSeen.size;
    adSeen.add(adSeenKey(o));
    if (adSeen.size === size) {
      const k = adSeenKey(o);
      const prev = ad.find((p, j) => j < i && !isJoined(j) && adSeenKey(p) === k)!;
      throw new ValidationError(where(o.evidence), `AD connector object ${o.dn} is already at ${where(prev.evidence)}: one object twice; import each object once`);
    }
    stats.adOnly++;
    const reason = o.error
      ? `the AD connector object has an error: ${o.error}`
      : !o.connectorState
        ? `a disconnector in the AD connector space${o.connector ? ` of ${o.connector}` : ''}: outside the sync scope (domain/OU/group filtering or the "In from AD - User Join" scope)`
        : `joined in the AD connector space${o.connector ? ` of ${o.connector}` : ''} but no Entra ID connector object: not provisioned (outbound scope filter) or not exported yet`;
    objects.push({
      engine: 'connect',
      sourceAnchor: adAnchor(o),
      onPremDn: o.dn,
      cloudId: null,
      state: o.error ? 'error' : 'not-exported',
      exported: null,
      exportedAt: null,
      rule: null,
      reason,
      evidence: [o.evidence],
    });
  }
}

export function buildConnectEngineObjects(input: ConnectInput): { objects: EngineObject[]; stats: ConnectStats } {
  const rules = (input.rules ?? []).filter((r) => !r.disabled && phoneFlow(r));
  const stats: ConnectStats = { aadUsers: 0, adOnly: 0, otherTypes: 0, rulesTouchingMobile: rules.length };
  const idByName = new Map<string, string>();
  for (const r of input.runs ?? []) if (r.connectorId) idByName.set(r.connector.toLowerCase(), r.connectorId);
  // One pass over the objects: users of each side, in the order of the export, and connector ids.
  const csObjects = input.csObjects;
  const ad: CsObject[] = [];
  const aad: CsObject[] = [];
  for (let i = 0; i < csObjects.length; i++) {
    const o = csObjects[i]!;
    if (o.connectorId && o.connector) idByName.set(o.connector.toLowerCase(), o.connectorId);
    if (!isUser(o)) {
      if (o.aad) stats.otherTypes++;
      continue;
    }
    if (o.aad) aad.push(o);
    else ad.push(o);
  }
  const ctx = context(input, rules, idByName);
  const groups = metaverseGroups(ad);
  const objects: EngineObject[] = [];
  entraObjects(ctx, aad, ad, groups, objects, stats);
  adOnlyObjects(ad, groups, objects, stats);
  return { objects, stats };
}
