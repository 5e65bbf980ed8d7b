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
import { inScope, type PhoneFlow, type SyncRuleInfo } from './sync-rules';
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

function first(attrs: Map<string, string[]>, name: string): string | null {
  const v = attrs.get(name);
  return v && v.length > 0 && v[0] !== '' ? v[0]! : null;
}

function isUser(o: CsObject): boolean {
  return o.objectType === '' || /^(user|person|inetorgperson)$/i.test(o.objectType);
}

/** Base64 of an AD connector object's anchor bytes: mS-DS-ConsistencyGuid, else objectGUID (as exported, base64). */
function adAnchor(o: CsObject): string | null {
  const v = first(o.attributes, 'ms-ds-consistencyguid') ?? first(o.attributes, 'objectguid');
  return v && /^[A-Za-z0-9+/]+={0,2}$/.test(v) ? v : null;
}

function cloudIdOf(cloudAnchor: string | null): string | null {
  const m = cloudAnchor ? /^User_([0-9a-fA-F-]{36})$/.exec(cloudAnchor) : null;
  return m ? m[1]!.toLowerCase() : null;
}

interface RuleChoice {
  rule: SyncRuleInfo;
  flow: PhoneFlow;
  source: CsObject | null;
  scopeKnown: boolean;
}

function phoneFlow(r: SyncRuleInfo): PhoneFlow | undefined {
  return r.flows.find((f) => f.destination === 'mobile');
}

/** The contributing rule in precedence order: first in scope whose source object has a value. */
function choose(rules: readonly SyncRuleInfo[], sources: readonly CsObject[], connectorIdOf: (o: CsObject) => string | null): RuleChoice | null {
  let fallback: RuleChoice | null = null;
  for (const rule of rules) {
    const flow = phoneFlow(rule)!;
    if (sources.length === 0) {
      // No AD connector objects in the export: precedence alone, scope unknown.
      const s = inScope(rule, null);
      if (s !== false) return { rule, flow, source: null, scopeKnown: s === true };
      continue;
    }
    for (const src of sources) {
      if (rule.connectorId) {
        const id = connectorIdOf(src);
        if (id && id !== rule.connectorId) continue;
      }
      const s = inScope(rule, src.attributes);
      if (s === false) continue;
      const hasValue = flow.flowType === 'constant' || flow.sources.some((a) => first(src.attributes, a.toLowerCase()) !== null);
      const choice = { rule, flow, source: src, scopeKnown: s === true };
      if (hasValue) return choice;
      fallback ??= choice;
    }
  }
  return fallback;
}

/** One EngineRule per (rule, flow, connector): every user the rule produced shares it (read-only). */
function engineRuleCache(): (c: RuleChoice) => EngineRule {
  const cache = new Map<SyncRuleInfo, Map<string | null, EngineRule>>();
  return (c) => {
    const connector = c.source?.connector ?? c.rule.connectorId;
    let byConnector = cache.get(c.rule);
    if (!byConnector) cache.set(c.rule, (byConnector = new Map()));
    let r = byConnector.get(connector);
    if (!r) byConnector.set(connector, (r = engineRule(c)));
    return r;
  };
}

function engineRule(c: RuleChoice): EngineRule {
  return {
    name: c.rule.name,
    precedence: c.rule.precedence,
    expression: c.flow.expression,
    sources: c.flow.sources,
    connector: c.source?.connector ?? c.rule.connectorId,
  };
}

const NO_SOURCES: readonly CsObject[] = [];

export function buildConnectEngineObjects(input: ConnectInput): { objects: EngineObject[]; stats: ConnectStats } {
  const rules = (input.rules ?? []).filter((r) => !r.disabled && phoneFlow(r));
  const inbound = rules.filter((r) => r.direction === 'inbound').sort((a, b) => a.precedence - b.precedence);
  const outbound = rules.filter((r) => r.direction === 'outbound').sort((a, b) => a.precedence - b.precedence);
  const runs = input.runs ?? [];
  const exportsByConnector = lastExports(runs);
  const idByName = new Map<string, string>();
  for (const r of runs) if (r.connectorId) idByName.set(r.connector.toLowerCase(), r.connectorId);
  for (const o of input.csObjects) if (o.connectorId && o.connector) idByName.set(o.connector.toLowerCase(), o.connectorId);
  const idByConnector = new Map<string, string | null>();
  const connectorIdOf = (o: CsObject): string | null => {
    if (o.connectorId) return o.connectorId;
    if (!o.connector) return null;
    let id = idByConnector.get(o.connector);
    if (id === undefined) idByConnector.set(o.connector, (id = idByName.get(o.connector.toLowerCase()) ?? null));
    return id;
  };
  const ruleOf = engineRuleCache();
  // The rule and run citations are the same for every user they cover: one object each, shared.
  const ruleEvidence = new Map<SyncRuleInfo, EngineEvidence>();
  const runEvidence = new Map<ConnectorRun, EngineEvidence>();
  const runByConnector = new Map<string, ConnectorRun | undefined>();
  const runOf = (connector: string): ConnectorRun | undefined => {
    if (!runByConnector.has(connector)) runByConnector.set(connector, exportsByConnector.get(connector.toLowerCase()));
    return runByConnector.get(connector);
  };
  const onlyRun = exportsByConnector.size === 1 ? [...exportsByConnector.values()][0] : undefined;

  const stats: ConnectStats = { aadUsers: 0, adOnly: 0, otherTypes: 0, rulesTouchingMobile: rules.length };
  // AD connector objects by metaverse id; `joined` once an Entra ID connector object links the same
  // metaverse object. adGroup[i] is ad[i]'s group, so the pass over AD objects needs no lookup.
  const adByMv = new Map<string, { objs: CsObject[]; joined: boolean }>();
  const ad: CsObject[] = [];
  const adGroup: ({ objs: CsObject[]; joined: boolean } | null)[] = [];
  const aad: CsObject[] = [];
  for (const o of input.csObjects) {
    if (!isUser(o)) {
      if (o.aad) stats.otherTypes++;
      continue;
    }
    if (o.aad) aad.push(o);
    else {
      ad.push(o);
      let group = null;
      if (o.mvId) {
        const k = o.mvId.toLowerCase();
        group = adByMv.get(k) ?? null;
        if (group) group.objs.push(o);
        else adByMv.set(k, (group = { objs: [o], joined: false }));
      }
      adGroup.push(group);
    }
  }

  const where = (e: EngineEvidence): string => `${e.origin}${e.line ? `:${e.line}` : ''}`;
  const byAnchor = new Map<string, CsObject>();
  const objects: EngineObject[] = [];
  for (const o of aad) {
    let sourceAnchor = first(o.attributes, 'sourceanchor');
    let cloudAnchor = first(o.attributes, 'cloudanchor');
    if (sourceAnchor === null || cloudAnchor === null) {
      // The DN carries one of the two anchors: decoded only when the attributes do not say.
      const decoded = decodeAadDn(o.dn);
      sourceAnchor ??= decoded?.sourceAnchor ?? null;
      cloudAnchor ??= decoded?.cloudAnchor ?? null;
    }
    const key = sourceAnchor ?? `dn:${o.dn.toLowerCase()}`;
    const prev = byAnchor.get(key);
    if (prev) {
      throw new ValidationError(where(o.evidence), `Entra ID connector object ${o.dn} has the source anchor ${sourceAnchor ?? '(none)'} of the object at ${where(prev.evidence)}: one user twice (two exports of the same object?); import each object once`);
    }
    byAnchor.set(key, o);
    stats.aadUsers++;
    const group = o.mvId ? adByMv.get(o.mvId.toLowerCase()) : undefined;
    const sources = group ? group.objs : NO_SOURCES;
    if (group) group.joined = true;
    const evidence: EngineEvidence[] = [o.evidence];
    const inChoice = choose(inbound, sources, connectorIdOf);
    const outChoice = choose(outbound, [], connectorIdOf);
    const pick = inChoice && inChoice.flow.flowType !== 'direct' ? inChoice : outChoice && outChoice.flow.flowType !== 'direct' ? outChoice : (inChoice ?? outChoice);
    if (pick) {
      let e = ruleEvidence.get(pick.rule);
      if (!e) ruleEvidence.set(pick.rule, (e = { source: 'Get-ADSyncRule', origin: input.rulesFile ?? 'Get-ADSyncRule', line: pick.rule.line }));
      evidence.push(e);
    }
    const run = o.connector ? runOf(o.connector) : onlyRun;
    if (run) {
      let e = runEvidence.get(run);
      if (!e) runEvidence.set(run, (e = { source: 'Get-ADSyncRunProfileResult', origin: input.runsFile ?? 'Get-ADSyncRunProfileResult', line: run.line }));
      evidence.push(e);
    }
    // The readers hand out owned strings (xml-reader.ts ownString): kept as they are, they keep no
    // chunk of the export alive. The arrays are copied: an engine object shares nothing with the CsObject.
    const exported = { mobile: first(o.attributes, 'mobile'), otherMobile: [...(o.attributes.get('othermobile') ?? [])] };
    const pendingMobile = o.pendingExport && (o.pendingExport.has('mobile') || o.pendingExport.has('othermobile'));
    let state: EngineObject['state'] = 'exported';
    let reason: string | null = pick && !pick.scopeKnown ? `rule chosen by precedence; its scoping filter could not be evaluated from the export` : null;
    if (o.error) {
      state = 'error';
      reason = `the last export of this object failed: ${o.error}`;
    } else if (!o.connectorState) {
      state = 'not-exported';
      reason = 'a disconnector in the Entra ID connector space: not joined, so nothing is exported for it';
    } else if (pendingMobile) {
      state = 'pending';
      reason = 'the engine holds an unapplied export of mobile/otherMobile: the next export run sends it';
      exported.mobile = o.pendingExport!.has('mobile') ? (o.pendingExport!.get('mobile')![0] ?? null) : exported.mobile;
      if (o.pendingExport!.has('othermobile')) exported.otherMobile = [...o.pendingExport!.get('othermobile')!];
    } else if (run && !/^success$/i.test(run.result) && !/^completed/i.test(run.result)) {
      reason = `the last export run on ${run.connector} ended "${run.result}"`;
    }
    objects.push({
      engine: 'connect',
      sourceAnchor,
      onPremDn: sources[0]?.dn ?? first(o.attributes, 'onpremisesdistinguishedname'),
      cloudId: cloudIdOf(cloudAnchor),
      state,
      exported,
      exportedAt: run?.endedAt ?? null,
      rule: pick ? ruleOf(pick) : null,
      reason,
      evidence,
    });
  }

  // AD connector objects no Entra ID connector object joins: the engine never exports them.
  const adSeen = new Map<string, CsObject>();
  for (let i = 0; i < ad.length; i++) {
    const o = ad[i]!;
    if (adGroup[i]?.joined) continue;
    const k = `${o.connector ?? ''}|${o.dn.toLowerCase()}`;
    const prev = adSeen.get(k);
    if (prev) throw new ValidationError(where(o.evidence), `AD connector object ${o.dn} is already at ${where(prev.evidence)}: one object twice; import each object once`);
    adSeen.set(k, o);
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
  return { objects, stats };
}
