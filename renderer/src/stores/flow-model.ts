/**
 * The guided flow's vocabulary: its steps, the decision actions, the remediation phases and session
 * states it knows, the flow state's shape and its initial value. remediation-store.ts is the store.
 */
import {
  type ChannelOutput,
  type DecisionAction,
  type DriftRow,
  type EventPayload,
  type Plan,
  type PreflightWire,
  type ProgressWire,
  type SessionOutcomeWire,
  type SessionSummaryWire,
  type SyncDriftApi,
  type UndoReportWire,
} from '../../../preload/contract';

export type FlowStep = 'decide' | 'plan' | 'preflight' | 'apply' | 'verify' | 'report';
export const FLOW_STEPS: readonly { id: FlowStep; label: string }[] = [
  { id: 'decide', label: 'Decide' },
  { id: 'plan', label: 'Plan' },
  { id: 'preflight', label: 'Preflight' },
  { id: 'apply', label: 'Apply' },
  { id: 'verify', label: 'Verify' },
  { id: 'report', label: 'Report' },
];

export const ACTIONS: readonly { id: DecisionAction; label: string }[] = [
  { id: 'keep-onprem', label: 'Keep on-prem (push AD value)' },
  { id: 'keep-cloud', label: 'Keep cloud (write it into AD)' },
  { id: 'support-case', label: 'Support case' },
  { id: 'skip', label: 'Skip' },
];
export const ACTION_LABEL: Record<DecisionAction, string> = Object.fromEntries(ACTIONS.map((a) => [a.id, a.label])) as Record<
  DecisionAction,
  string
>;

/** Phases the engine reports through op.progress, in execution order. */
export const REMEDIATION_PHASES = [
  'preflight',
  'ad-write',
  'replication',
  'graph-write',
  'record',
  'bypass',
  'sync-cycle',
  'verify',
  'undo',
] as const;
export const PHASE_SET = new Set<string>(REMEDIATION_PHASES);

export type SessionState = SessionSummaryWire['state'];
/** States in which the service is (or should be) working on the session. */
export const ACTIVE_STATES: ReadonlySet<SessionState> = new Set(['running', 'verifying', 'undoing']);
/** States a session can be resumed from. */
export const RESUMABLE_STATES: ReadonlySet<SessionState> = new Set([
  'interrupted',
  'awaiting-replication',
  'awaiting-cycle',
  'verify-timeout',
  'cancelled',
  'failed',
]);
/** States after which an undo makes sense (something may have been written). */
export const UNDOABLE_STATES: ReadonlySet<SessionState> = new Set([
  'completed',
  'verify-timeout',
  'failed',
  'cancelled',
  'interrupted',
  'awaiting-replication',
  'awaiting-cycle',
  'undo-partial',
]);

export interface Suggestion {
  action: DecisionAction;
  reason: string;
  ask: boolean;
  alternatives?: Array<{ action: DecisionAction; reason: string }>;
}

/** What the wizard shows of a selected row (the grid's row, or what the plan says of it). */
export interface FlowRow {
  key: string;
  upn: string;
  status: DriftRow['status'];
  onPrem: string | null;
  cloud: string | null;
}

export interface EvidenceFile {
  fileName: string;
  zipBase64: string;
  files: number;
  manifestSha256: string;
  masked: boolean;
}

export interface FlowState {
  active: boolean;
  step: FlowStep;
  scanId: string | null;
  selected: string[];
  rows: Record<string, FlowRow>;
  suggestions: Record<string, Suggestion>;
  decisions: Record<string, DecisionAction>;
  plan: Plan | null;
  readiness: { ready: boolean; why: string[] } | null;
  /** A plan given whole (a restore plan): decisions do not rebuild it. */
  fixedPlan: boolean;
  planning: boolean;
  planError: string | null;
  /**
   * The admin's acceptance of the synced users a bypass plan reaches without the scan having read
   * them (#17 point 4): the number accepted (or 'unknown'), null = not accepted. Passed to preflight
   * and apply; a plan that needs more than was accepted shows the box unticked again.
   */
  acceptedUnscanned: number | 'unknown' | null;
  /** Cloud Sync tenants: provision-on-demand verifications per row key (#18), newest answer kept. */
  onDemand: Record<string, { busy: boolean; result: ChannelOutput<'remediation.provisionOnDemand'> | null; error: string | null }>;
  preflight: PreflightWire | null;
  preflighting: boolean;
  preflightError: string | null;
  operationId: string | null;
  operation: 'apply' | 'resume' | 'undo' | null;
  sessionId: string | null;
  sessionState: SessionState | null;
  phases: Record<string, ProgressWire>;
  outcome: SessionOutcomeWire | null;
  undoReport: UndoReportWire | null;
  error: string | null;
  cancelling: boolean;
  evidence: EvidenceFile | null;
  evidenceBusy: boolean;
  evidenceCheck: EventPayload<'evidence.verified'> | null;

  begin(scanId: string, rows: readonly DriftRow[]): Promise<void>;
  decide(keys: readonly string[], action: DecisionAction | null): void;
  useSuggestions(keys: readonly string[], onlyUndecided?: boolean): void;
  replan(): Promise<void>;
  goto(step: FlowStep): void;
  runPreflight(): Promise<void>;
  /** Ticks or clears the acceptance of the plan's unscanned synced users (the number the plan names). */
  acceptUnscanned(on: boolean): void;
  /** Cloud Sync: provisions the row's AD user on demand and reads Entra ID back (remediation.provisionOnDemand). */
  provisionOnDemand(rowKey: string): Promise<void>;
  /** Whether the plan can run as far as its unscanned users go: nothing to accept, or accepted. */
  unscannedAccepted(): boolean;
  /** Users the confirmation must name (the service checks the number). */
  affectedUsers(): number;
  apply(confirmUsers: number): Promise<void>;
  cancel(): Promise<void>;
  openSession(sessionId: string): Promise<void>;
  /** takeOver: the admin's confirmed choice to take over a session owned by another machine (#16). */
  resume(confirm?: { replication?: boolean; cycle?: boolean }, o?: { takeOver?: boolean }): Promise<void>;
  /** turnBypassOff: the admin's explicit choice (#17 point 5); by default undo leaves the bypass on. */
  undo(o?: { turnBypassOff?: boolean; takeOver?: boolean }): Promise<void>;
  restoreOffers(): Promise<void>;
  buildEvidence(mask: boolean): Promise<EvidenceFile | null>;
  verifyEvidence(): Promise<void>;
  close(): void;
  /** Subscribes to remediation events; returns the unsubscribe function. */
  attach(api: SyncDriftApi): () => void;
}

export const INITIAL = {
  active: false,
  step: 'decide' as FlowStep,
  scanId: null,
  selected: [],
  rows: {},
  suggestions: {},
  decisions: {},
  plan: null,
  readiness: null,
  fixedPlan: false,
  planning: false,
  planError: null,
  acceptedUnscanned: null,
  onDemand: {},
  preflight: null,
  preflighting: false,
  preflightError: null,
  operationId: null,
  operation: null,
  sessionId: null,
  sessionState: null,
  phases: {},
  outcome: null,
  undoReport: null,
  error: null,
  cancelling: false,
  evidence: null,
  evidenceBusy: false,
  evidenceCheck: null,
} satisfies Partial<FlowState>;

export function flowRowOf(r: DriftRow): FlowRow {
  return { key: r.key, upn: r.upn, status: r.status, onPrem: r.onPrem?.value ?? null, cloud: r.cloud?.value ?? null };
}

/** Where the wizard belongs for a session in this state. */
export function stepForState(state: SessionState): FlowStep {
  switch (state) {
    case 'verifying':
    case 'verify-timeout':
      return 'verify';
    case 'completed':
    case 'undone':
    case 'undo-partial':
    case 'undoing':
      return 'report';
    default:
      return 'apply';
  }
}
