/**
 * The third side of a verdict (issue 18): what the sync engine exported for the user, beside AD and
 * Entra ID. Connect copies `mobile` verbatim unless a sync rule transforms it, so with the engine's view
 * a verdict can tell a rule's reformatting (not an override) from a value the engine exported and
 * Entra ID ignored (a confirmed override), and say why nothing was exported at all. Pure: the engine
 * objects come in as core's EngineObject, so drift needs nothing from main/syncengine.
 */
import type { DriftStatus } from '../core/model';
import type { EngineObject, EngineSummary } from '../core/engine-view';
import { OVERRIDE_CONFIRMED } from './classify';
import { isBlank } from './normalize';

/** Reason code: the engine's rule reformats the value and Entra ID holds the reformatted value. */
export const RULE_FORMATTED = 'rule-formatted';
export const ENGINE_NOT_EXPORTED = 'engine-not-exported';
export const ENGINE_ERROR = 'engine-error';
export const ENGINE_PENDING = 'engine-pending';

/** Lookup of engine objects by sourceAnchor, then Entra object id, then on-prem DN. */
export class EngineIndex {
  private readonly byAnchor = new Map<string, EngineObject>();
  /** Built on the first lookup that needs it: most rows are found by anchor, and the DN key costs a regex per object. */
  private byCloudId: Map<string, EngineObject> | null = null;
  private byDn: Map<string, EngineObject> | null = null;
  private readonly objects: readonly EngineObject[];

  constructor(objects: Iterable<EngineObject>) {
    this.objects = [...objects];
    for (const o of this.objects) if (o.sourceAnchor && !this.byAnchor.has(o.sourceAnchor)) this.byAnchor.set(o.sourceAnchor, o);
  }

  private cloudIds(): Map<string, EngineObject> {
    if (!this.byCloudId) {
      this.byCloudId = new Map();
      for (const o of this.objects) if (o.cloudId && !this.byCloudId.has(o.cloudId.toLowerCase())) this.byCloudId.set(o.cloudId.toLowerCase(), o);
    }
    return this.byCloudId;
  }

  private dns(): Map<string, EngineObject> {
    if (!this.byDn) {
      this.byDn = new Map();
      for (const o of this.objects) {
        if (!o.onPremDn) continue;
        const dn = dnKey(o.onPremDn);
        if (!this.byDn.has(dn)) this.byDn.set(dn, o);
      }
    }
    return this.byDn;
  }

  get size(): number {
    return this.byAnchor.size + this.cloudIds().size + this.dns().size;
  }

  find(anchor: string | null, cloudId: string | null, dn: string | null): EngineObject | null {
    if (anchor) {
      const o = this.byAnchor.get(anchor);
      if (o) return o;
    }
    if (cloudId) {
      const o = this.cloudIds().get(cloudId.toLowerCase());
      if (o) return o;
    }
    if (dn) return this.dns().get(dnKey(dn)) ?? null;
    return null;
  }
}

function dnKey(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*([,=])\s*/g, '$1');
}

export function engineSummary(o: EngineObject): EngineSummary {
  return { engine: o.engine, state: o.state, exported: o.exported, exportedAt: o.exportedAt, rule: o.rule, reason: o.reason, evidence: o.evidence };
}

function same(a: string | null | undefined, b: string | null | undefined): boolean {
  if (isBlank(a ?? null) && isBlank(b ?? null)) return true;
  return !isBlank(a ?? null) && !isBlank(b ?? null) && a!.trim() === b!.trim();
}

function engineName(e: EngineSummary): string {
  return e.engine === 'connect' ? 'Entra Connect' : 'Cloud Sync';
}

function ruleWords(e: EngineSummary): string {
  const r = e.rule;
  if (!r) return 'no sync rule named in the export';
  const prec = r.precedence === null ? '' : `, precedence ${r.precedence}`;
  const expr = r.expression === 'direct' ? 'a direct flow' : `expression ${r.expression}`;
  return `${e.engine === 'cloud-sync' ? 'mapping' : 'rule'} "${r.name}"${prec}, ${expr}${r.connector ? `, from ${r.connector}` : ''}`;
}

export function citation(e: EngineSummary): string {
  const first = e.evidence[0];
  return first ? `${first.source} ${first.origin}${first.line ? `:${first.line}` : ''}` : `${engineName(e)} data`;
}

export interface EngineVerdict {
  status: DriftStatus;
  flags: string[];
  /** A sentence that leads the row's cause, or null to keep the cause as it is. */
  sentence: string | null;
  /** True when the sentence replaces the value-based cause (a confirmed override, a rule's format). */
  replacesCause: boolean;
}

/**
 * The status a matched row takes with the engine's view. `valueStatus` is what AD vs Entra alone says
 * ignoring pending times (the status a confirmed override keeps, as in docs/drift.md); `status` the
 * classification without the engine. Managed users take no engine verdict: AD does not flow to them.
 */
export function engineVerdict(
  e: EngineSummary,
  f: { status: DriftStatus; valueStatus: DriftStatus; onPremValue: string | null; cloudValue: string | null; managed: boolean },
): EngineVerdict {
  const keep: EngineVerdict = { status: f.status, flags: [], sentence: null, replacesCause: false };
  if (f.managed) return keep;
  const who = engineName(e);
  switch (e.state) {
    case 'not-exported':
      return { ...keep, flags: [ENGINE_NOT_EXPORTED], sentence: `${who} has not exported mobile for this user: ${e.reason ?? 'no reason in the export'} (${citation(e)}).` };
    case 'error':
      return { ...keep, flags: [ENGINE_ERROR], sentence: `${who} could not export this user: ${e.reason ?? 'an error without details'} (${citation(e)}).` };
    case 'pending':
      if (f.status === 'in-sync') return keep;
      return {
        status: 'pending-sync',
        flags: [ENGINE_PENDING],
        sentence: `${who} holds an export of mobile for this user it has not sent yet (${citation(e)}): the next export run should carry it.`,
        replacesCause: true,
      };
    case 'exported': {
      const exp = e.exported?.mobile ?? null;
      const at = e.exportedAt ? ` (last export ${e.exportedAt.slice(0, 16).replace('T', ' ')} UTC)` : '';
      if (same(exp, f.onPremValue)) {
        if (same(f.cloudValue, f.onPremValue)) return keep;
        return {
          status: f.valueStatus,
          flags: [OVERRIDE_CONFIRMED],
          sentence: `Confirmed override: ${who} exported mobile exactly as AD holds it${at} by ${ruleWords(e)} (${citation(e)}), yet Entra ID keeps another value: it ignores AD for this user (DirSyncOverrides).`,
          replacesCause: true,
        };
      }
      if (same(exp, f.cloudValue) && e.rule?.expression === 'direct') {
        // A direct flow exports AD's value unchanged: an export that differs from AD is older than AD's value.
        return {
          ...keep,
          sentence: `${who} last exported the value Entra ID holds${at} by ${ruleWords(e)} (${citation(e)}): it was exported before AD changed, not reformatted by a rule; the next sync cycle should carry AD's value.`,
        };
      }
      if (same(exp, f.cloudValue)) {
        return {
          status: 'rule-formatted',
          flags: [RULE_FORMATTED],
          sentence: `${who}'s ${ruleWords(e)} reformats AD's mobile on its way (${citation(e)}); Entra ID holds exactly the exported value, so this is no override.`,
          replacesCause: true,
        };
      }
      if (same(f.cloudValue, f.onPremValue)) {
        return { ...keep, sentence: `${who} exports mobile changed by ${ruleWords(e)}${at} (${citation(e)}), which Entra ID does not hold yet.` };
      }
      return {
        status: f.valueStatus,
        flags: [OVERRIDE_CONFIRMED],
        sentence: `Confirmed override: ${who} exported mobile as ${ruleWords(e)} makes it${at} (${citation(e)}); Entra ID holds neither that nor the AD value: it ignores the exports for this user (DirSyncOverrides).`,
        replacesCause: true,
      };
    }
  }
}
