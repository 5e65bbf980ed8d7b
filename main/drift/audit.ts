/**
 * Reads Graph `directoryAudit` records ("Update user") into mobile-phone changes per target user:
 * when, by whom, and whether it was a sync write. Pure; malformed records are skipped and counted,
 * because one odd record in a million must not stop a scan.
 */
import { z } from 'zod';
import { formatIssues } from '../core/errors';

const ModifiedProperty = z.object({
  displayName: z.string().nullable().optional(),
  oldValue: z.string().nullable().optional(),
  newValue: z.string().nullable().optional(),
});

const TargetResource = z.object({
  id: z.string().nullable().optional(),
  type: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  modifiedProperties: z.array(ModifiedProperty).nullable().optional(),
});

const Initiator = z
  .object({
    user: z.object({ id: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional(), displayName: z.string().nullable().optional() }).nullable().optional(),
    app: z.object({ appId: z.string().nullable().optional(), displayName: z.string().nullable().optional(), servicePrincipalName: z.string().nullable().optional() }).nullable().optional(),
  })
  .nullable()
  .optional();

export const DirectoryAuditRecord = z.object({
  id: z.string().min(1),
  activityDisplayName: z.string(),
  activityDateTime: z.string().datetime({ offset: true }),
  result: z.string().nullable().optional(),
  initiatedBy: Initiator,
  targetResources: z.array(TargetResource),
});
export type DirectoryAuditRecord = z.infer<typeof DirectoryAuditRecord>;

/** One change of a user's mobile phone as the audit log tells it. */
export interface MobileChange {
  recordId: string;
  /** ISO time of the change (activityDateTime). */
  at: string;
  targetId: string;
  targetUpn: string | null;
  /** UPN of the user, or display name of the app, that made the change; null when the log does not say. */
  actor: string | null;
  actorKind: 'user' | 'app' | 'unknown';
  /** True for writes by Entra Connect / Cloud Sync (the AD value arriving), false for cloud edits. */
  syncWrite: boolean;
  /** Which sync engine wrote it, where the initiator tells; null for cloud edits or an unnamed sync write. */
  syncEngine?: SyncWriter | null;
  oldValue: string | null;
  newValue: string | null;
  /**
   * False when "Included Updated Properties" names the mobile phone but the record carries no value
   * entry for it: the change is known, its values are not (oldValue/newValue null means "not recorded").
   */
  valuesRecorded?: boolean;
}

export type SyncWriter = 'connect' | 'cloud-sync';

/** A user's source of authority switched, as the audit log tells it ("Change Source of Authority from AD to cloud"). */
export interface AuthorityChange {
  recordId: string;
  at: string;
  targetId: string;
  actor: string | null;
  /** 'cloud' for the switch from AD to the cloud, 'ad' for the way back. */
  to: 'cloud' | 'ad';
}

/** Audit activity of the user SOA switch (user source-of-authority how-to). */
export const SOA_TO_CLOUD_ACTIVITY = 'Change Source of Authority from AD to cloud';
/** The way back: not documented by name; matched loosely ("… from cloud to AD"). */
const SOA_ACTIVITY = /^Change Source of Authority from (AD|cloud) to (cloud|AD)$/i;

export interface AuditParseResult {
  /** Every mobile change found, in input order. */
  changes: MobileChange[];
  /** Every source-of-authority switch found, in input order. */
  authorityChanges: AuthorityChange[];
  /** The latest change per target user id. */
  latestByUser: Map<string, MobileChange>;
  /** Records read (whatever their activity). */
  records: number;
  /** Malformed records skipped. */
  skipped: number;
  /** One line per skipped record (capped), naming the record index and field. */
  warnings: string[];
}

/** Display names under which the audit log reports the mobile phone (which one is unconfirmed). */
const MOBILE_PROPERTIES = new Set(['mobile', 'mobilephone']);
const MAX_WARNINGS = 50;

/** Parses the JSON-array-in-a-string values of modifiedProperties: "[\"+1 425 555 0100\"]" → "+1 425 555 0100". */
export function parseAuditValue(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const text = raw.trim();
  if (text === '' || text === '[]' || text === 'null') return null;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) {
      const first: unknown = v[0];
      if (first === undefined || first === null) return null;
      return typeof first === 'string' ? first : JSON.stringify(first);
    }
    if (typeof v === 'string') return v === '' ? null : v;
    if (v === null) return null;
    return text;
  } catch {
    return text;
  }
}

/** appId of Microsoft.Azure.SyncFabric, the Entra provisioning service that runs Cloud Sync's AD2AADProvisioning job. */
export const SYNC_FABRIC_APP_ID = '00000014-0000-0000-c000-000000000000';

/**
 * The sync engine an initiator name belongs to: Connect writes as `Sync_<server>_<hex>@…` (user) or
 * `ConnectSyncProvisioning_<server>_…` (app); Cloud Sync as its tenant account
 * `ADToAADSyncServiceAccount@…` or the provisioning service app `Microsoft.Azure.SyncFabric`.
 */
export function syncWriterOf(name: string | null | undefined): SyncWriter | null {
  if (!name) return null;
  if (/^(Sync_|ConnectSyncProvisioning_)/i.test(name)) return 'connect';
  if (/^ADToAADSyncServiceAccount@/i.test(name) || /^Microsoft\.Azure\.SyncFabric$/i.test(name.trim())) return 'cloud-sync';
  return null;
}

/** True for the initiators Entra Connect and Cloud Sync write as. */
export function isSyncInitiator(name: string | null | undefined): boolean {
  return syncWriterOf(name) !== null;
}

/** "Included Updated Properties" ("\"Mobile, TelephoneNumber\"") as lower-case names; null when absent. */
export function includedProperties(props: ReadonlyArray<{ displayName?: string | null; newValue?: string | null }>): Set<string> | null {
  const p = props.find((x) => x.displayName === 'Included Updated Properties');
  if (!p) return null;
  const text = parseAuditValue(p.newValue);
  if (text === null) return new Set();
  return new Set(text.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean));
}

/** Accepts an array of records, one Graph page (`{ value: [...] }`), or an array of pages. */
function recordsOf(input: unknown): unknown[] {
  if (Array.isArray(input)) {
    if (input.every((x) => x !== null && typeof x === 'object' && Array.isArray((x as { value?: unknown }).value))) {
      return input.flatMap((x) => (x as { value: unknown[] }).value);
    }
    return input;
  }
  if (input !== null && typeof input === 'object' && Array.isArray((input as { value?: unknown }).value)) {
    return (input as { value: unknown[] }).value;
  }
  return [];
}

/** Extracts mobile changes from directoryAudit records. */
export function parseDirectoryAudits(input: unknown): AuditParseResult {
  const list = recordsOf(input);
  const out: AuditParseResult = { changes: [], authorityChanges: [], latestByUser: new Map(), records: list.length, skipped: 0, warnings: [] };
  const skip = (i: number, why: string) => {
    out.skipped++;
    if (out.warnings.length < MAX_WARNINGS) out.warnings.push(`audit record [${i}]: ${why}`);
  };

  list.forEach((raw, i) => {
    const parsed = DirectoryAuditRecord.safeParse(raw);
    if (!parsed.success) {
      skip(i, formatIssues(parsed.error.issues));
      return;
    }
    const rec = parsed.data;
    if (rec.result && rec.result.toLowerCase() === 'failure') return;
    const soa = SOA_ACTIVITY.exec(rec.activityDisplayName);
    if (soa) {
      const actor = rec.initiatedBy?.user?.userPrincipalName ?? rec.initiatedBy?.app?.displayName ?? rec.initiatedBy?.user?.displayName ?? null;
      for (const t of rec.targetResources) {
        if (t.id) out.authorityChanges.push({ recordId: rec.id, at: rec.activityDateTime, targetId: t.id, actor, to: soa[2]!.toLowerCase() === 'cloud' ? 'cloud' : 'ad' });
      }
      return;
    }
    if (rec.activityDisplayName !== 'Update user') return;

    const userUpn = rec.initiatedBy?.user?.userPrincipalName ?? null;
    const appName = rec.initiatedBy?.app?.displayName ?? null;
    const actor = userUpn ?? appName ?? rec.initiatedBy?.user?.displayName ?? null;
    const actorKind: MobileChange['actorKind'] = userUpn ? 'user' : appName ? 'app' : 'unknown';
    const appId = rec.initiatedBy?.app?.appId ?? null;
    const initiatorEngine = syncWriterOf(userUpn) ?? syncWriterOf(appName) ?? (appId?.toLowerCase() === SYNC_FABRIC_APP_ID ? 'cloud-sync' : null);

    for (const target of rec.targetResources) {
      if (!target.id) continue;
      const props = target.modifiedProperties ?? [];
      // What the record says it updated decides; the value entry's display name is only a fallback.
      const included = includedProperties(props);
      const mobile = props.find((p) => p.displayName && MOBILE_PROPERTIES.has(p.displayName.toLowerCase()));
      const mobileIncluded = included === null ? mobile !== undefined : [...included].some((n) => MOBILE_PROPERTIES.has(n));
      if (!mobileIncluded) continue;
      const clientName = props.find((p) => p.displayName === 'Action Client Name');
      const syncWrite = initiatorEngine !== null || parseAuditValue(clientName?.newValue)?.toLowerCase() === 'directorysync';
      const change: MobileChange = {
        recordId: rec.id,
        at: rec.activityDateTime,
        targetId: target.id,
        targetUpn: target.userPrincipalName ?? null,
        actor,
        actorKind,
        syncWrite,
        syncEngine: syncWrite ? initiatorEngine : null,
        oldValue: mobile ? parseAuditValue(mobile.oldValue) : null,
        newValue: mobile ? parseAuditValue(mobile.newValue) : null,
        ...(mobile ? {} : { valuesRecorded: false }),
      };
      out.changes.push(change);
      const prev = out.latestByUser.get(change.targetId);
      if (!prev || isLater(change, prev)) out.latestByUser.set(change.targetId, change);
    }
  });
  return out;
}

/** Later by activityDateTime; the record id breaks ties so the result does not depend on input order. */
export function isLater(a: Pick<MobileChange, 'at' | 'recordId'>, b: Pick<MobileChange, 'at' | 'recordId'>): boolean {
  const ta = Date.parse(a.at);
  const tb = Date.parse(b.at);
  if (ta !== tb) return ta > tb;
  return a.recordId > b.recordId;
}
