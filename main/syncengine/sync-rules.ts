/**
 * Entra Connect sync rules from `Get-ADSyncRule | ConvertTo-Json -Depth 8`, reduced to what decides a
 * phone value: direction, precedence (lower wins), connector, scoping filter and the attribute flows to
 * `mobile`/`otherMobile` with their expressions. ConvertTo-Json writes enums as numbers
 * (Direction Inbound=0/Outbound=1, FlowType Direct=0/Constant=1/Expression=2 — the ADSync enum order,
 * *unconfirmed*, so the names are accepted as well). Each rule is validated on its own; errors name the
 * file, line and record. Pure.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../core/errors';
import { jsonRecords } from './records';
import { endsWithLower, equalsLower, lowerCase, startsWithLower } from './lower-case';

export type FlowType = 'direct' | 'constant' | 'expression';

export interface PhoneFlow {
  destination: 'mobile' | 'otherMobile';
  sources: string[];
  flowType: FlowType;
  /** The expression as written, 'direct' for a plain flow, the constant for a constant flow. */
  expression: string;
}

export interface ScopeCondition {
  attribute: string;
  operator: string;
  value: string;
}

export interface SyncRuleInfo {
  name: string;
  id: string | null;
  direction: 'inbound' | 'outbound';
  precedence: number;
  disabled: boolean;
  /** Connector GUID (lower case) the rule belongs to. */
  connectorId: string | null;
  /** OR of AND groups; empty = every object. */
  scope: ScopeCondition[][];
  flows: PhoneFlow[];
  record: number;
  line: number;
}

const Enum = (names: string[]) =>
  z.union([z.string(), z.number().int()]).transform((v, ctx) => {
    const name = typeof v === 'number' ? names[v] : names.find((n) => n.toLowerCase() === v.toLowerCase());
    if (!name) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not one of ${names.join(', ')}` });
      return z.NEVER;
    }
    return name;
  });

const Mapping = z
  .object({
    Source: z.union([z.array(z.string()), z.string(), z.null()]).optional(),
    Destination: z.string(),
    FlowType: Enum(['Direct', 'Constant', 'Expression']).optional(),
    Expression: z.string().nullable().optional(),
  })
  .passthrough();

const Condition = z
  .object({
    Attribute: z.string(),
    ComparisonValue: z.union([z.string(), z.number(), z.null()]).optional(),
    ComparisonOperator: Enum([
      'EQUAL',
      'NOTEQUAL',
      'LESSTHAN',
      'LESSTHAN_OR_EQUAL',
      'CONTAINS',
      'NOTCONTAINS',
      'STARTSWITH',
      'NOTSTARTSWITH',
      'ENDSWITH',
      'NOTENDSWITH',
      'GREATERTHAN',
      'GREATERTHAN_OR_EQUAL',
      'ISNULL',
      'ISNOTNULL',
      'ISIN',
      'ISNOTIN',
      'ISBITSET',
      'ISNOTBITSET',
      'ISMEMBEROF',
      'ISNOTMEMBEROF',
    ]),
  })
  .passthrough();

const Rule = z
  .object({
    Name: z.string().min(1),
    Identifier: z.string().nullable().optional(),
    Direction: Enum(['Inbound', 'Outbound']),
    Precedence: z.number().int().nonnegative(),
    Disabled: z.boolean().optional(),
    Connector: z.string().nullable().optional(),
    ScopeFilter: z
      .union([z.array(z.object({ ScopeConditionList: z.union([z.array(Condition), z.string()]) }).passthrough()), z.string(), z.null()])
      .optional(),
    AttributeFlowMappings: z.union([z.array(Mapping), z.string(), z.null()]).optional(),
  })
  .passthrough();

const PHONE: Record<string, 'mobile' | 'otherMobile'> = { mobile: 'mobile', othermobile: 'otherMobile' };

function depthHint(where: string, rec: number, field: string, v: string): never {
  throw new ValidationError(where, `record ${rec}: ${field} is the text "${v.slice(0, 60)}"; ConvertTo-Json cut the rule at its default depth: re-export with \`ConvertTo-Json -Depth 8\``);
}

/** Parses a Get-ADSyncRule export; only rules that flow to mobile/otherMobile keep their flows. */
export function parseSyncRulesJson(text: string, file: string): SyncRuleInfo[] {
  const out: SyncRuleInfo[] = [];
  const seen = new Map<string, number>();
  for (const rec of jsonRecords(text, file)) {
    const where = `${file}:${rec.line}`;
    const p = Rule.safeParse(rec.value);
    if (!p.success) throw new ValidationError(where, `record ${rec.record}: ${formatIssues(p.error.issues)}`);
    const r = p.data;
    if (typeof r.AttributeFlowMappings === 'string') depthHint(where, rec.record, 'AttributeFlowMappings', r.AttributeFlowMappings);
    if (typeof r.ScopeFilter === 'string') depthHint(where, rec.record, 'ScopeFilter', r.ScopeFilter);
    const key = (r.Identifier ?? r.Name).toLowerCase();
    const prev = seen.get(key);
    if (prev !== undefined) throw new ValidationError(where, `record ${rec.record}: rule "${r.Name}" is already record ${prev} (the same rule twice)`);
    seen.set(key, rec.record);
    const flows: PhoneFlow[] = [];
    for (const m of r.AttributeFlowMappings ?? []) {
      const dest = PHONE[m.Destination.toLowerCase()];
      if (!dest) continue;
      const sources = Array.isArray(m.Source) ? m.Source : m.Source ? [m.Source] : [];
      const flowType = (m.FlowType ?? (m.Expression ? 'Expression' : 'Direct')).toLowerCase() as FlowType;
      if (flowType === 'expression' && !m.Expression) throw new ValidationError(where, `record ${rec.record} (${r.Name}): the expression flow to ${m.Destination} has no Expression`);
      flows.push({ destination: dest, sources, flowType, expression: flowType === 'direct' ? 'direct' : (m.Expression ?? '') });
    }
    const scope: ScopeCondition[][] = [];
    for (const [g, group] of (r.ScopeFilter ?? []).entries()) {
      if (typeof group.ScopeConditionList === 'string') depthHint(where, rec.record, `ScopeFilter[${g}].ScopeConditionList`, group.ScopeConditionList);
      scope.push(group.ScopeConditionList.map((c) => ({ attribute: c.Attribute, operator: c.ComparisonOperator, value: c.ComparisonValue === null || c.ComparisonValue === undefined ? '' : String(c.ComparisonValue) })));
    }
    out.push({
      name: r.Name,
      id: r.Identifier ?? null,
      direction: r.Direction === 'Inbound' ? 'inbound' : 'outbound',
      precedence: r.Precedence,
      disabled: r.Disabled === true,
      connectorId: r.Connector ? r.Connector.toLowerCase().replace(/[{}]/g, '') : null,
      scope,
      flows,
      record: rec.record,
      line: rec.line,
    });
  }
  return out;
}

const Op = {
  Unknown: 0,
  IsNull: 1,
  IsNotNull: 2,
  Equal: 3,
  NotEqual: 4,
  StartsWith: 5,
  NotStartsWith: 6,
  EndsWith: 7,
  NotEndsWith: 8,
  Contains: 9,
  NotContains: 10,
} as const;
type Op = (typeof Op)[keyof typeof Op];

// The rest (bit sets, membership, ranges) are not evaluated offline.
const OPERATORS = new Map<string, Op>([
  ['ISNULL', Op.IsNull],
  ['ISNOTNULL', Op.IsNotNull],
  ['EQUAL', Op.Equal],
  ['NOTEQUAL', Op.NotEqual],
  ['STARTSWITH', Op.StartsWith],
  ['NOTSTARTSWITH', Op.NotStartsWith],
  ['ENDSWITH', Op.EndsWith],
  ['NOTENDSWITH', Op.NotEndsWith],
  ['CONTAINS', Op.Contains],
  ['NOTCONTAINS', Op.NotContains],
]);

/**
 * Whether an object with these attributes is in the rule's scope: true, false, or null when the
 * attributes needed are not in the export (then precedence alone decides, and the verdict says so).
 */
export function inScope(rule: SyncRuleInfo, attrs: Map<string, string[]> | null): boolean | null {
  return scopeTest(rule)(attrs);
}

/**
 * inScope for one rule, its conditions lowered once: what a caller that asks for every object uses.
 * It reads the rule when made: a rule changed afterwards needs a new one.
 */
export function scopeTest(rule: SyncRuleInfo): (attrs: Map<string, string[]> | null) => boolean | null {
  if (rule.scope.length === 0) return () => true;
  const groups = rule.scope.map((group) => group.map((c) => ({ attribute: c.attribute.toLowerCase(), op: OPERATORS.get(c.operator) ?? Op.Unknown, value: c.value.toLowerCase() })));
  return (attrs) => {
    if (!attrs) return null;
    let unknown = false;
    for (const group of groups) {
      let all = true;
      for (const c of group) {
        const r = condition(c, attrs);
        if (r === null) unknown = true;
        if (r !== true) all = false;
        if (r === false) break;
      }
      if (all) return true;
    }
    return unknown ? null : false;
  };
}

/** A condition with its attribute and value in lower case; compared case-insensitively, first value only. */
function condition(c: { attribute: string; op: Op; value: string }, attrs: Map<string, string[]>): boolean | null {
  const values = attrs.get(c.attribute);
  const v = values?.[0] ?? '';
  const want = c.value;
  switch (c.op) {
    case Op.IsNull:
      return !values || values.length === 0;
    case Op.IsNotNull:
      return !!values && values.length > 0;
    case Op.Equal:
      return equalsLower(v, want);
    case Op.NotEqual:
      return !equalsLower(v, want);
    case Op.StartsWith:
      return startsWithLower(v, want);
    case Op.NotStartsWith:
      return !startsWithLower(v, want);
    case Op.EndsWith:
      return endsWithLower(v, want);
    case Op.NotEndsWith:
      return !endsWithLower(v, want);
    case Op.Contains:
      return lowerCase(v).includes(want);
    case Op.NotContains:
      return !lowerCase(v).includes(want);
    default:
      return null;
  }
}
