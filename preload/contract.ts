/**
 * The bridge contract: every channel the renderer may call, with zod schemas for input and output,
 * and every event the service side may push. Nothing else crosses between renderer and services.
 *
 * Pure module: imported by the renderer, both preload transports and the service side (main/api).
 * It must never import 'electron' or Node built-ins.
 *
 * Over ~500 lines on purpose (#19): this file is the trust boundary's whole surface (docs/ARCHITECTURE.md,
 * Trust boundary). Keeping every channel and event in one file lets a reviewer read, in one place and
 * in one sitting, everything a renderer or browser-host client can ask of the service; a channel added
 * elsewhere would be a channel nobody reviews.
 */
import { z } from 'zod';
import { DriftRow, DriftStatus, DecisionAction, ScanSummary } from '../main/core/model';
import { Plan, SessionState, acceptanceCovers, affectedUserCount, unscannedToAccept } from '../main/remediation/plan-schema';
import { ConnectImportInfo } from '../main/core/engine-import';

export { DriftRow, DriftStatus, DecisionAction, ScanSummary, Plan, acceptanceCovers, affectedUserCount, unscannedToAccept, ConnectImportInfo };

export const ErrorInfoSchema = z.object({
  kind: z.string(),
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  /** Internal errors: the reference of the log line that holds the details the caller does not get. */
  correlationId: z.string().optional(),
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
  /** The remediation session the operation runs, once known. */
  sessionId: z.string().optional(),
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

/** One Connect import's texts together: JSON-escaped, still under the browser host's frame limit (main/host/server.ts); bigger exports go through the CLI. */
export const CONNECT_IMPORT_MAX_CHARS = 200_000_000;

/** What the UI shows of a profile; never a secret, only whether one is stored. */
export const ProfileSummary = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['sandbox', 'live', 'offline']),
  onPrem: z.array(z.object({ id: z.string(), label: z.string(), secretStored: z.boolean(), secretNeeded: z.boolean().optional() })),
  cloud: z.object({ environment: z.string(), tenantId: z.string(), authType: z.string(), secretStored: z.boolean(), secretNeeded: z.boolean().optional() }).nullable(),
  updatedAt: z.string(),
});
export type ProfileSummary = z.infer<typeof ProfileSummary>;

/**
 * What protects stored secrets in this workspace (issue 16 finding 7): the real backend, whether it
 * protects anything from someone who can read the workspace, and the admin's consent to a weak one.
 */
export const SecretStorage = z.object({
  backend: z.string(),
  strong: z.boolean(),
  description: z.string(),
  consent: z.object({ backend: z.string(), description: z.string(), at: z.string() }).nullable(),
  storingAllowed: z.boolean(),
  storedSecrets: z.number().int().min(0),
  warning: z.string().nullable(),
});
export type SecretStorage = z.infer<typeof SecretStorage>;

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
    limit: z.number().int().min(1).max(5000, 'must be at most 5000 rows per page').default(5000),
  })
  .strict();

export const TimelineEventWire = z.object({
  at: z.string(),
  kind: z.enum(['onprem-change', 'sync', 'cloud-change', 'authority-change', 'engine-export']),
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

// --- remediation (wire shapes of main/remediation's results; the handlers' types keep them in step)

const SessionStateWire = SessionState;

/** The admin's acceptance of synced users a bypass plan reaches unscanned: their number, or 'unknown' (#17 point 4). */
const AcceptNotScanned = z.union([z.number().int().min(0).max(10_000_000), z.literal('unknown')]);

export const PreflightWire = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), severity: z.enum(['blocking', 'warning']), message: z.string() })),
  conflicts: z.array(
    z.object({ rowKey: z.string(), upn: z.string(), side: z.enum(['onprem', 'cloud', 'blast-radius']), planned: z.string().nullable(), actual: z.string().nullable(), message: z.string() }),
  ),
  bypassWasOn: z.boolean().nullable(),
});
export type PreflightWire = z.infer<typeof PreflightWire>;

const SidesWire = z.object({ onPrem: z.string().nullable(), cloud: z.string().nullable() });

/** A session taken over from an owner that was gone (dead, or its pid reused): who, why, by whom. */
const TakeoverWire = z.object({
  at: z.string(),
  from: z.object({ pid: z.number(), host: z.string(), startedAt: z.string().nullable() }),
  reason: z.string(),
  by: z.object({ pid: z.number(), host: z.string(), startedAt: z.string().nullable() }),
  /** The admin forced it: the old owner ran on another machine and could not be checked. */
  forced: z.boolean().optional(),
});
export type TakeoverWire = z.infer<typeof TakeoverWire>;

/** Who works on an active session: `elsewhere` is another machine, assumed alive (nothing here can check it). */
const SessionOwnerWire = z.object({ pid: z.number(), host: z.string(), startedAt: z.string().nullable(), elsewhere: z.boolean() });
export type SessionOwnerWire = z.infer<typeof SessionOwnerWire>;

export const SessionOutcomeWire = z.object({
  sessionId: z.string(),
  state: SessionStateWire,
  message: z.string().nullable(),
  nextStep: z.string().nullable(),
  rows: z.array(
    z.object({
      rowKey: z.string(),
      upn: z.string(),
      state: z.enum(['fixed', 'pending', 'failed', 'conflict', 'not-started']),
      intended: SidesWire.nullable(),
      actual: SidesWire.nullable(),
      message: z.string().optional(),
    }),
  ),
  preflight: PreflightWire.optional(),
  writes: z.object({ ad: z.number(), graph: z.number(), bypass: z.number(), cycles: z.number() }),
  takeover: TakeoverWire.optional(),
  /** Bypass sessions: verification's whole-tenant read after the cycle (synced users outside the plan that changed). */
  sweep: z
    .object({
      recorded: z.number(),
      read: z.number(),
      changedCount: z.number(),
      changed: z.array(z.object({ userId: z.string(), upn: z.string(), before: z.string().nullable(), after: z.string().nullable() })),
      gone: z.number(),
      error: z.string().optional(),
    })
    .optional(),
});
export type SessionOutcomeWire = z.infer<typeof SessionOutcomeWire>;

export const SessionSummaryWire = z.object({
  id: z.string(),
  state: SessionStateWire,
  createdAt: z.string(),
  updatedAt: z.string(),
  planId: z.string(),
  profile: z.string(),
  rows: z.number(),
  steps: z.number(),
  stepsDone: z.number(),
  message: z.string().nullable(),
  /** True while an engine of this service process works on the session (attach to its progress). */
  live: z.boolean(),
  /** The owner of an active session (absent from older services). */
  owner: SessionOwnerWire.nullable().optional(),
  /** Every takeover of the session, oldest first. */
  takeovers: z.array(TakeoverWire).optional(),
});
export type SessionSummaryWire = z.infer<typeof SessionSummaryWire>;

export const UndoReportWire = z.object({
  sessionId: z.string(),
  state: SessionStateWire,
  restored: z.array(z.object({ rowKey: z.string(), upn: z.string(), side: z.enum(['onprem', 'cloud', 'tenant']), value: z.string().nullable(), message: z.string() })),
  /** `users`: every UPN a tenant-wide line is about (AlternateMobilePhones not restored: whose AD otherMobile the bypass pushed). Absent before 2026-12. */
  notRestored: z.array(z.object({ rowKey: z.string().nullable(), upn: z.string().nullable(), message: z.string(), users: z.array(z.string()).optional() })),
  /** Neither restored nor failed: what the admin should know (the bypass left on, and why). Absent in reports from before 2026-12. */
  notes: z.array(z.string()).optional(),
  offers: z.array(
    z.object({
      rowKey: z.string(),
      upn: z.string(),
      sourceId: z.string(),
      dn: z.string(),
      recordedCloudValue: z.string().nullable(),
      currentCloudValue: z.string().nullable(),
      currentOnPremValue: z.string().nullable(),
    }),
  ),
  takeover: TakeoverWire.optional(),
});
export type UndoReportWire = z.infer<typeof UndoReportWire>;

const DecisionWire = z.object({ rowKey: Id, action: DecisionAction, reason: z.string().max(500).optional() }).strict();

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
   * (errors name the field). Secrets are typed once and go to the vault (secrets.storage says what
   * protects it; a weak store refuses them with WEAK_SECRET_STORAGE until the admin consents); they never come back.
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
  /** What protects stored secrets here, and whether the admin consented to a weak store. */
  'secrets.storage': { input: Empty, output: SecretStorage },
  /**
   * The admin's consent to a weak store, for this workspace: `accept` names the backend the admin was
   * shown (refused if it is not the one in use); `revoke` withdraws it and, with `forgetStored`, deletes
   * every stored secret and kept sign-in.
   */
  'secrets.consent': {
    input: z.discriminatedUnion('action', [
      z.object({ action: z.literal('accept'), backend: Id }).strict(),
      z.object({ action: z.literal('revoke'), forgetStored: z.boolean() }).strict(),
    ]),
    output: SecretStorage,
  },
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
  /**
   * Checks a package in the background (every hash matches, nothing missing or extra; hostile zips
   * refused before inflating): progress as `op.progress` (phase 'verify'), the end as
   * `evidence.verified`; `op.cancel` stops it.
   */
  'evidence.verify': {
    input: z.object({ zipBase64: z.string().min(1).max(300_000_000, 'must be at most about 200 MB') }).strict(),
    output: z.object({ operationId: z.string() }),
  },

  /** Suggested decision per row, with the reason (from the timeline). */
  'remediation.suggest': {
    input: z.object({ scanId: Id, rowKeys: z.array(Id).min(1).max(200_000) }).strict(),
    output: z.object({
      suggestions: z.array(
        z.object({
          rowKey: z.string(),
          action: DecisionAction,
          reason: z.string(),
          ask: z.boolean(),
          /** Other actions just as defensible (format-only: keep-cloud beside keep-onprem). */
          alternatives: z.array(z.object({ action: DecisionAction, reason: z.string() })).optional(),
        }),
      ),
    }),
  },
  /**
   * Builds the plan for the selected rows and the decisions so far (pure, so the wizard calls it on
   * every change). With the bypass, the blast radius lists every differing user of the scan.
   */
  'remediation.plan': {
    input: z.object({ scanId: Id, selected: z.array(Id).min(1).max(200_000), decisions: z.array(DecisionWire).max(200_000) }).strict(),
    output: z.object({ plan: Plan, readiness: z.object({ ready: z.boolean(), why: z.array(z.string()) }) }),
  },
  /** Permissions, connectivity and a fresh read of every affected value; changed rows come back as conflicts. */
  'remediation.preflight': { input: z.object({ plan: Plan, acceptNotScanned: AcceptNotScanned.optional() }).strict(), output: PreflightWire },
  /**
   * Executes a plan as a journalled session in the background (progress: `op.progress`; end:
   * `remediation.finished`). `confirmUsers` must equal the number of users the plan changes: the
   * renderer shows that number in its confirmation, and the service refuses a stale one. A plan that
   * turns the bypass on while synced users went unscanned (`plan.coverage`) also needs
   * `acceptNotScanned`: that number (or 'unknown' where the plan has no count); preflight counts again.
   */
  'remediation.apply': {
    input: z.object({ plan: Plan, confirmUsers: z.number().int().min(0), acceptNotScanned: AcceptNotScanned.optional() }).strict(),
    output: z.object({ operationId: z.string() }),
  },
  'remediation.sessions': { input: Empty, output: z.object({ sessions: z.array(SessionSummaryWire) }) },
  'remediation.session': {
    input: z.object({ sessionId: Id }).strict(),
    output: z.object({
      summary: SessionSummaryWire,
      plan: Plan,
      /** The scan the plan was built from (null for sessions planned outside this workspace, e.g. by the CLI from a report file). */
      scanId: z.string().nullable(),
      journalEntries: z.number().int(),
      lastOutcome: SessionOutcomeWire.nullable(),
    }),
  },
  /** Resumes an interrupted or waiting session; `confirm` answers the admin's questions (replication reached, cycle run). */
  'remediation.resume': {
    input: z
      .object({
        sessionId: Id,
        confirm: z.object({ replication: z.boolean().optional(), cycle: z.boolean().optional() }).strict().optional(),
        /** The admin's confirmed choice to take over a session owned by another machine (both may write if it still runs). */
        takeOver: z.literal(true).optional(),
      })
      .strict(),
    output: z.object({ operationId: z.string() }),
  },
  /** Undoes a session in the background (end: `remediation.undone`). */
  'remediation.undo': { input: z.object({ sessionId: Id, takeOver: z.literal(true).optional(), turnBypassOff: z.literal(true).optional() }).strict(), output: z.object({ operationId: z.string() }) },
  /**
   * Where the tenant uses Cloud Sync (#18): provisions one row's AD user on demand (the portal's
   * "Provision on demand") and reads Entra ID back: verified (Entra holds what Cloud Sync exported),
   * not-verified (a confirmed override: it kept its own value) or failed (not provisioned, with why).
   */
  'remediation.provisionOnDemand': {
    input: z.object({ scanId: Id, rowKey: Id }).strict(),
    output: z.object({
      verdict: z.enum(['verified', 'not-verified', 'failed']),
      provisioningStatus: z.string(),
      objectId: z.string(),
      targetId: z.string().nullable(),
      exportedMobile: z.string().nullable(),
      sentMobile: z.boolean(),
      entraMobile: z.string().nullable(),
      jobId: z.string(),
      ruleId: z.string(),
      steps: z.array(z.string()),
      message: z.string(),
    }),
  },
  /** Turns an undo's offers (cloud values erased by bypass + sync) into a keep-cloud plan of AD writes. */
  'remediation.restorePlan': {
    input: z.object({ sessionId: Id, rowKeys: z.union([z.literal('all'), z.array(Id).min(1)]) }).strict(),
    output: z.object({ plan: Plan }),
  },
  /** The evidence package of a session: the scan's evidence plus plan, journal and verification. */
  'remediation.evidence': {
    input: z.object({ sessionId: Id, mask: z.boolean().default(false) }).strict(),
    output: z.object({ fileName: z.string(), zipBase64: z.string(), files: z.number().int(), manifestSha256: z.string(), masked: z.boolean() }),
  },
  /** Sandbox only: make the tenant slow or flaky (training, and resumable-session demos). */
  'sandbox.knobs': {
    input: z.object({ latencyMs: z.number().int().min(0).max(10_000).optional(), errorRate: z.number().min(0).max(0.5).optional() }).strict(),
    output: z.object({ latencyMs: z.number(), errorRate: z.number() }),
  },

  /** Help: where the logs are (Electron also opens the folder). */
  'help.logs': { input: Empty, output: z.object({ path: z.string(), opened: z.boolean() }) },
  /** Help: a diagnostics bundle (versions, settings, recent logs; never secrets; directory data only if asked). */
  'help.diagnostics': { input: z.object({ includeDirectoryData: z.boolean() }).strict(), output: z.object({ fileName: z.string(), text: z.string() }) },

  /**
   * Imports a profile's Entra Connect exports (docs/onprem.md's kit: connector-space XML, the
   * Get-ADSyncCSObject, Get-ADSyncRule and Get-ADSyncRunProfileResult JSON), their texts as read by
   * the renderer, in the background: progress as `op.progress` (phases 'engine-read', 'engine-join'),
   * the end as `connectExport.finished`; `op.cancel` stops it and nothing is stored. A finished import
   * replaces the profile's previous one and every later scan of the profile joins it.
   */
  'connectExport.import': {
    input: z
      .object({
        profileId: Id,
        files: z
          .array(
            z
              .object({
                name: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
                text: z.string().min(1, 'the file is empty').max(CONNECT_IMPORT_MAX_CHARS, 'must be at most about 200 MB'),
              })
              .strict(),
          )
          .min(1, 'give at least one export file')
          .max(32, 'at most 32 files in one import')
          .superRefine((files, ctx) => {
            const total = files.reduce((n, f) => n + f.text.length, 0);
            if (total > CONNECT_IMPORT_MAX_CHARS) ctx.addIssue({ code: 'custom', message: `the files hold ${total} characters together: at most about 200 MB in one import` });
          }),
      })
      .strict(),
    output: z.object({ operationId: z.string() }),
  },
  /** The profile's imported Connect export (null when none): its files, objects and when. */
  'connectExport.get': { input: z.object({ profileId: Id }).strict(), output: z.object({ import: ConnectImportInfo.nullable() }) },
  /** Removes the profile's imported Connect export; later scans join the engine's view no more. */
  'connectExport.remove': { input: z.object({ profileId: Id }).strict(), output: z.object({ removed: z.boolean() }) },

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
  /** The end of an evidence.verify: `ok` only when state is 'done' and every check passed. */
  'evidence.verified': z.object({
    operationId: z.string(),
    state: z.enum(['done', 'cancelled', 'failed']),
    ok: z.boolean(),
    problems: z.array(z.object({ kind: z.string(), file: z.string(), message: z.string() })),
    /** Why it did not finish (cancelled, failed). */
    message: z.string().optional(),
  }),
  /** The end of a connectExport.import: the stored import when state is 'done', else why nothing was stored. */
  'connectExport.finished': z.object({
    operationId: z.string(),
    profileId: z.string(),
    state: z.enum(['done', 'cancelled', 'failed']),
    import: ConnectImportInfo.optional(),
    message: z.string().optional(),
  }),
  'remediation.finished': z.object({ operationId: z.string(), outcome: SessionOutcomeWire }),
  'remediation.undone': z.object({ operationId: z.string(), report: UndoReportWire }),
  /** A background remediation operation failed before it produced an outcome. */
  'remediation.failed': z.object({ operationId: z.string(), sessionId: z.string().nullable(), message: z.string() }),
  /** A device code sign-in is waiting for the admin: show the code and where to enter it. */
  'auth.deviceCode': z.object({ profileId: z.string(), userCode: z.string(), verificationUri: z.string(), message: z.string() }),
  /** An interactive sign-in is waiting: show the address as a link the admin opens in the system browser. */
  'auth.signInUrl': z.object({ profileId: z.string(), url: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// address') }),
  /** A sign-in that needed the admin finished: hide its prompt. */
  'auth.signedIn': z.object({ profileId: z.string(), account: z.string().nullable() }),
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
