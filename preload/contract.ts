/**
 * The bridge contract: every channel the renderer may call, with zod schemas for input and output,
 * and every event the service side may push. Nothing else crosses between renderer and services.
 *
 * Pure module: imported by the renderer, both preload transports and the service side (main/api).
 * It must never import 'electron' or Node built-ins.
 */
import { z } from 'zod';
import { DriftRow, DriftStatus, DecisionAction, ScanSummary } from '../main/core/model';

export { DriftRow, DriftStatus, DecisionAction, ScanSummary };

export const ErrorInfoSchema = z.object({
  kind: z.string(),
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
});
export type ErrorInfoWire = z.infer<typeof ErrorInfoSchema>;

/** What every call resolves to on the wire: errors are data, so they survive any transport. */
export const EnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }),
]);
export type Envelope = z.infer<typeof EnvelopeSchema>;

const Empty = z.object({}).strict();

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** Which host serves the contract; shown in About, never used for behaviour in the renderer. */
  host: z.enum(['electron', 'browser', 'test']),
  sandbox: z.boolean(),
  platform: z.string(),
  versions: z.record(z.string(), z.string()),
  workspacePath: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const ProgressWire = z.object({
  operationId: z.string(),
  phase: z.string(),
  done: z.number(),
  total: z.number().optional(),
  pages: z.number().optional(),
  retries: z.number().optional(),
  message: z.string().optional(),
  elapsedMs: z.number().optional(),
});
export type ProgressWire = z.infer<typeof ProgressWire>;

const Id = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/** What the UI shows of a profile; never a secret, only whether one is stored. */
export const ProfileSummary = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['sandbox', 'live', 'offline']),
  onPrem: z.array(z.object({ id: z.string(), label: z.string(), secretStored: z.boolean() })),
  cloud: z.object({ environment: z.string(), tenantId: z.string(), authType: z.string(), secretStored: z.boolean() }).nullable(),
  updatedAt: z.string(),
});
export type ProfileSummary = z.infer<typeof ProfileSummary>;

export const CapabilityState = z.object({
  capability: z.string(),
  label: z.string(),
  state: z.enum(['granted', 'missing', 'unknown']),
  /** What to grant when missing, or why it is unknown. */
  detail: z.string(),
});
export type CapabilityState = z.infer<typeof CapabilityState>;

export const ConnectionTest = z.object({
  onPrem: z.array(z.object({ sourceId: z.string(), ok: z.boolean(), message: z.string(), tls: z.string().nullable() })),
  cloud: z.object({ ok: z.boolean(), message: z.string(), signedInAs: z.string().nullable(), capabilities: z.array(CapabilityState) }).nullable(),
});
export type ConnectionTest = z.infer<typeof ConnectionTest>;

export const ScanInfo = z.object({
  id: z.string(),
  profileId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  state: z.enum(['running', 'completed', 'partial', 'failed', 'cancelled']),
  summary: ScanSummary.nullable(),
  /** What is missing from a partial scan, or why it failed. */
  problems: z.array(z.string()),
});
export type ScanInfo = z.infer<typeof ScanInfo>;

export const RowQuery = z
  .object({
    scanId: Id,
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(10_000, 'must be at most 10000 rows per page').default(5000),
  })
  .strict();

export const TimelineEventWire = z.object({
  at: z.string(),
  kind: z.enum(['onprem-change', 'sync', 'cloud-change']),
  label: z.string(),
});

export const RowDetails = z.object({
  row: DriftRow,
  timeline: z.array(TimelineEventWire),
  /** Audit knowledge for the cloud side: 'known' with records, or why not. */
  audit: z.object({
    state: z.enum(['known', 'loading', 'outside-retention', 'none-found', 'unavailable']),
    message: z.string(),
    records: z.array(z.object({ at: z.string(), actor: z.string(), oldValue: z.string().nullable(), newValue: z.string().nullable(), syncWrite: z.boolean() })),
  }),
  /** PowerShell-style renderings for a ticket, each labelled as rendered from the scan at its time. */
  views: z.array(z.object({ title: z.string(), text: z.string() })),
});
export type RowDetails = z.infer<typeof RowDetails>;

export const Dashboard = z.object({
  profile: ProfileSummary,
  tenant: z.object({
    displayName: z.string().nullable(),
    lastSyncAt: z.string().nullable(),
    bypass: z.enum(['on', 'off', 'unknown']),
    bypassReason: z.string(),
  }),
  latestScan: ScanInfo.nullable(),
  trend: z.array(z.object({ scanId: z.string(), at: z.string(), byStatus: z.record(z.string(), z.number()) })),
});
export type Dashboard = z.infer<typeof Dashboard>;

export const SyncCycleSummary = z.object({
  type: z.enum(['delta', 'initial']),
  seen: z.number(),
  exported: z.number(),
  ignoredByOverride: z.number(),
  cleared: z.number(),
  errors: z.array(z.string()),
  finishedAt: z.string(),
});
export type SyncCycleSummary = z.infer<typeof SyncCycleSummary>;

/** Channel definitions. Names are `capability.verb`. */
export const channels = {
  'app.info': { input: Empty, output: AppInfo },
  /** Round trip used by diagnostics and the tests: the service echoes text back with its own time. */
  'app.echo': {
    input: z.object({ text: z.string().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters') }).strict(),
    output: z.object({ text: z.string(), receivedAt: z.string() }),
  },
  'profiles.list': { input: Empty, output: z.object({ profiles: z.array(ProfileSummary) }) },
  /** The profile document (the CLI's profile format) without secrets. */
  'profiles.get': { input: z.object({ id: Id }).strict(), output: z.object({ summary: ProfileSummary, document: z.record(z.string(), z.unknown()) }) },
  /**
   * Creates or replaces a profile. `document` is the CLI's profile format, validated by the service
   * (errors name the field). Secrets are typed once and go to the OS secret store; they never come back.
   */
  'profiles.save': {
    input: z
      .object({
        id: Id.optional(),
        document: z.record(z.string(), z.unknown()),
        secrets: z
          .object({
            onPremPasswords: z.record(z.string(), z.string().min(1).max(1024)).optional(),
            clientSecret: z.string().min(1).max(4096).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    output: z.object({ summary: ProfileSummary }),
  },
  'profiles.duplicate': { input: z.object({ id: Id }).strict(), output: z.object({ summary: ProfileSummary }) },
  'profiles.delete': { input: z.object({ id: Id }).strict(), output: z.object({ deleted: z.boolean() }) },
  /** Imports a profile file's text (the CLI's format). */
  'profiles.import': { input: z.object({ text: z.string().min(2).max(1_000_000) }).strict(), output: z.object({ summary: ProfileSummary }) },
  'profiles.export': { input: z.object({ id: Id }).strict(), output: z.object({ fileName: z.string(), text: z.string() }) },
  /** Tests each side: bind and TLS per on-prem source; sign-in and each capability in the cloud. */
  'profiles.test': { input: z.object({ id: Id }).strict(), output: ConnectionTest },

  'dashboard.get': { input: z.object({ profileId: Id }).strict(), output: Dashboard },

  /** Starts a scan; progress arrives as `op.progress`, the end as `scan.finished`. */
  'scan.start': { input: z.object({ profileId: Id }).strict(), output: z.object({ operationId: z.string(), scanId: z.string() }) },
  'scans.list': { input: z.object({ profileId: Id }).strict(), output: z.object({ scans: z.array(ScanInfo) }) },
  'scans.get': { input: z.object({ scanId: Id }).strict(), output: ScanInfo },
  /** A page of a scan's rows (all statuses); the grid loads every page and filters locally. */
  'rows.page': { input: RowQuery, output: z.object({ total: z.number().int(), offset: z.number().int(), rows: z.array(DriftRow) }) },
  'rows.details': { input: z.object({ scanId: Id, rowKey: Id }).strict(), output: RowDetails },

  /** Per-profile UI preferences (grid columns, order, widths): small JSON the renderer owns. */
  'prefs.get': { input: z.object({ scope: Id }).strict(), output: z.object({ value: z.unknown() }) },
  'prefs.set': { input: z.object({ scope: Id, value: z.unknown() }).strict(), output: z.object({ saved: z.boolean() }) },

  /** Sandbox only: one sync cycle of the simulator. */
  'sandbox.runSync': { input: z.object({ type: z.enum(['delta', 'initial']) }).strict(), output: SyncCycleSummary },
  /** Sandbox only: the pre-2025 portal/MSOnline edit (sets the value and the hidden override). */
  'sandbox.legacyEdit': {
    input: z.object({ cloudUserId: Id, value: z.string().max(64, 'must be at most 64 characters').nullable() }).strict(),
    output: z.object({ done: z.boolean() }),
  },
  'sandbox.reset': { input: Empty, output: z.object({ done: z.boolean() }) },

  /**
   * Builds the support-case evidence package of a scan (zip, base64 for the renderer to save).
   * Default users: every row that needs attention; `rowKeys` narrows it.
   */
  'evidence.build': {
    input: z
      .object({
        scanId: Id,
        rowKeys: z.array(Id).max(200_000).optional(),
        mask: z.boolean().default(false),
      })
      .strict(),
    output: z.object({ fileName: z.string(), zipBase64: z.string(), files: z.number().int(), manifestSha256: z.string(), masked: z.boolean() }),
  },
  /** Checks a package: every hash matches, nothing missing or extra. */
  'evidence.verify': {
    input: z.object({ zipBase64: z.string().min(1).max(300_000_000, 'must be at most about 200 MB') }).strict(),
    output: z.object({ ok: z.boolean(), problems: z.array(z.object({ kind: z.string(), file: z.string(), message: z.string() })) }),
  },

  /** Help: where the logs are (Electron also opens the folder). */
  'help.logs': { input: Empty, output: z.object({ path: z.string(), opened: z.boolean() }) },
  /** Help: a diagnostics bundle (versions, settings, recent logs; never secrets; directory data only if asked). */
  'help.diagnostics': { input: z.object({ includeDirectoryData: z.boolean() }).strict(), output: z.object({ fileName: z.string(), text: z.string() }) },

  /** Cancels a long operation started by another channel (scan, apply, verify). */
  'op.cancel': {
    input: z.object({ operationId: z.string().min(1).max(100) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
} as const;

export const events = {
  /** Progress of any long operation, keyed by operationId. */
  'op.progress': ProgressWire,
  'scan.finished': z.object({ operationId: z.string(), scan: ScanInfo }),
  /** Background audit-index fill after a scan: its own progress, independent of the scan. */
  'audit.progress': z.object({ profileId: z.string(), state: z.enum(['filling', 'complete', 'throttled', 'failed']), records: z.number(), message: z.string() }),
  /** A device code sign-in is waiting for the admin: show the code and where to enter it. */
  'auth.deviceCode': z.object({ profileId: z.string(), userCode: z.string(), verificationUri: z.string(), message: z.string() }),
  /** The sandbox state changed (sync cycle, legacy edit, reset): views should re-read. */
  'sandbox.changed': z.object({ reason: z.string() }),
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type ChannelInput<C extends ChannelName> = z.input<Channels[C]['input']>;
export type ChannelOutput<C extends ChannelName> = z.output<Channels[C]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** The typed API the renderer uses, whatever transport carries it. */
export interface SyncDriftApi {
  invoke<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The minimal thing a transport must offer; preload/client.ts turns it into a SyncDriftApi. */
export interface Transport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}
