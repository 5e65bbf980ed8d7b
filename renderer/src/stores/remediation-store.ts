/**
 * The guided flow's state: one remediation at a time, from the grid's selection through decisions,
 * the plan with its blast radius, preflight, the journalled apply, verification and the report.
 * The plan is built by the service (remediation.plan is pure and fast), so every decision change
 * asks for it again; nothing here re-implements plan rules. A session started elsewhere (another
 * window, the CLI, before a reload) is attached by its id and followed to its end.
 *
 * Its steps, actions, session states, state shape and initial value are flow-model.ts.
 */
import { create } from 'zustand';
import {
  acceptanceCovers,
  affectedUserCount,
  unscannedToAccept,
  type DecisionAction,
  type EventPayload,
} from '../../../preload/contract';
import { errorText, requireApi, useAppStore } from './app-store';
import { ACTIVE_STATES, INITIAL, PHASE_SET, flowRowOf, stepForState, type FlowState, type Suggestion } from './flow-model';

let planGeneration = 0;
let pollTimer: ReturnType<typeof setTimeout> | null = null;
const POLL_MS = 1500;

export const useFlowStore = create<FlowState>((set, get) => {
  const stopPolling = () => {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  };

  /**
   * While a session runs, its list entry is read now and then: the events carry the end, but a
   * window that reconnected (reload) may have missed them, and an attached session has no operation id.
   */
  const poll = () => {
    stopPolling();
    pollTimer = setTimeout(() => {
      pollTimer = null;
      const { sessionId, operation } = get();
      if (!sessionId || !operation) return;
      void requireApi()
        .invoke('remediation.sessions', {})
        .then(({ sessions }) => {
          const s = sessions.find((x) => x.id === sessionId);
          if (!s || get().sessionId !== sessionId || !get().operation) return;
          set({ sessionState: s.state });
          if (ACTIVE_STATES.has(s.state)) poll();
          else void loadSession(sessionId, true);
        })
        .catch(() => poll());
    }, POLL_MS);
  };

  const loadSession = async (sessionId: string, fromPoll = false) => {
    const api = requireApi();
    const s = await api.invoke('remediation.session', { sessionId });
    const live = ACTIVE_STATES.has(s.summary.state);
    const patch: Partial<FlowState> = {
      active: true,
      sessionId,
      // The scan the plan came from, so a reopened session's links show that scan's details.
      scanId: s.scanId ?? get().scanId,
      sessionState: s.summary.state,
      plan: s.plan,
      readiness: { ready: s.plan.blockers.length === 0, why: [] },
      fixedPlan: true,
      selected: s.plan.rows.filter((r) => r.selected).map((r) => r.key),
      rows: Object.fromEntries(
        s.plan.rows.map((r) => [
          r.key,
          { key: r.key, upn: r.upn, status: r.status, onPrem: r.onPrem?.value ?? null, cloud: r.cloud?.value ?? null },
        ]),
      ),
      decisions: Object.fromEntries(s.plan.rows.filter((r) => r.action).map((r) => [r.key, r.action!])),
      outcome: s.lastOutcome && s.lastOutcome.sessionId === sessionId ? s.lastOutcome : null,
      step: stepForState(s.summary.state),
    };
    if (live) {
      patch.operation = get().operation ?? (s.summary.state === 'undoing' ? 'undo' : 'resume');
    } else if (fromPoll || !get().operationId) {
      patch.operation = null;
      patch.operationId = null;
      patch.cancelling = false;
    }
    set(patch);
    if (live) poll();
  };

  return {
    ...INITIAL,

    async begin(scanId, rows) {
      stopPolling();
      planGeneration++;
      const selected = rows.map((r) => r.key);
      set({ ...INITIAL, active: true, scanId, selected, rows: Object.fromEntries(rows.map((r) => [r.key, flowRowOf(r)])) });
      if (selected.length === 0) return;
      try {
        const { suggestions } = await requireApi().invoke('remediation.suggest', { scanId, rowKeys: selected });
        const bySuggestion: Record<string, Suggestion> = {};
        const decisions: Record<string, DecisionAction> = {};
        for (const s of suggestions) {
          bySuggestion[s.rowKey] = { action: s.action, reason: s.reason, ask: s.ask, ...(s.alternatives ? { alternatives: s.alternatives } : {}) };
          decisions[s.rowKey] = s.action;
        }
        if (get().scanId !== scanId) return;
        set({ suggestions: bySuggestion, decisions });
      } catch (e) {
        set({ planError: `Suggestions could not be read: ${errorText(e)}` });
      }
      await get().replan();
    },

    decide(keys, action) {
      const decisions = { ...get().decisions };
      for (const k of keys) {
        if (action) decisions[k] = action;
        else delete decisions[k];
      }
      set({ decisions, preflight: null });
      void get().replan();
    },

    useSuggestions(keys, onlyUndecided = false) {
      const { suggestions } = get();
      const decisions = { ...get().decisions };
      for (const k of keys) {
        const s = suggestions[k];
        if (s && (!onlyUndecided || !decisions[k])) decisions[k] = s.action;
      }
      set({ decisions, preflight: null });
      void get().replan();
    },

    async replan() {
      const { scanId, selected, decisions, fixedPlan } = get();
      if (!scanId || selected.length === 0 || fixedPlan) return;
      const gen = ++planGeneration;
      set({ planning: true });
      try {
        const out = await requireApi().invoke('remediation.plan', {
          scanId,
          selected,
          decisions: Object.entries(decisions).map(([rowKey, action]) => ({ rowKey, action })),
        });
        if (gen !== planGeneration) return;
        set({ plan: out.plan, readiness: out.readiness, planning: false, planError: null });
        // Blast-radius rows outside the selection need decisions too: fetch their suggestions once.
        const missing = out.plan.blastRadius.map((b) => b.rowKey).filter((k) => !get().suggestions[k]);
        if (missing.length > 0) {
          const { suggestions } = await requireApi().invoke('remediation.suggest', { scanId, rowKeys: missing });
          const next = { ...get().suggestions };
          for (const s of suggestions) next[s.rowKey] = { action: s.action, reason: s.reason, ask: s.ask, ...(s.alternatives ? { alternatives: s.alternatives } : {}) };
          set({ suggestions: next });
        }
      } catch (e) {
        if (gen === planGeneration) set({ planning: false, planError: errorText(e) });
      }
    },

    goto(step) {
      set({ step });
      if (step === 'preflight' && !get().preflight && !get().preflighting) void get().runPreflight();
    },

    async runPreflight() {
      const plan = get().plan;
      if (!plan) return;
      set({ preflighting: true, preflight: null, preflightError: null });
      try {
        const accepted = get().acceptedUnscanned;
        const preflight = await requireApi().invoke('remediation.preflight', { plan, ...(accepted !== null ? { acceptNotScanned: accepted } : {}) });
        if (get().plan?.id === plan.id) set({ preflight, preflighting: false });
      } catch (e) {
        set({ preflighting: false, preflightError: errorText(e) });
      }
    },

    async provisionOnDemand(rowKey) {
      const scanId = get().scanId;
      if (!scanId) return;
      const put = (v: FlowState['onDemand'][string]) => set({ onDemand: { ...get().onDemand, [rowKey]: v } });
      put({ busy: true, result: get().onDemand[rowKey]?.result ?? null, error: null });
      try {
        put({ busy: false, result: await requireApi().invoke('remediation.provisionOnDemand', { scanId, rowKey }), error: null });
      } catch (e) {
        put({ busy: false, result: null, error: errorText(e) });
      }
    },

    acceptUnscanned(on) {
      const plan = get().plan;
      const need = plan ? unscannedToAccept(plan) : null;
      set({ acceptedUnscanned: on && need !== null ? need : null, preflight: null });
    },

    unscannedAccepted() {
      const plan = get().plan;
      if (!plan) return false;
      return acceptanceCovers(get().acceptedUnscanned ?? undefined, unscannedToAccept(plan));
    },

    affectedUsers() {
      const plan = get().plan;
      return plan ? affectedUserCount(plan) : 0;
    },

    async apply(confirmUsers) {
      const plan = get().plan;
      if (!plan) return;
      set({
        error: null,
        phases: {},
        outcome: null,
        undoReport: null,
        evidence: null,
        evidenceCheck: null,
        operation: 'apply',
        sessionId: null,
        sessionState: 'running',
        step: 'apply',
      });
      try {
        const accepted = get().acceptedUnscanned;
        const { operationId } = await requireApi().invoke('remediation.apply', { plan, confirmUsers, ...(accepted !== null ? { acceptNotScanned: accepted } : {}) });
        // The end may already have arrived for a tiny plan; keep it.
        if (get().operation === 'apply') set({ operationId });
      } catch (e) {
        set({ operation: null, sessionState: null, error: errorText(e), step: 'preflight' });
      }
    },

    async cancel() {
      const { operationId } = get();
      if (!operationId) return;
      set({ cancelling: true });
      try {
        await requireApi().invoke('op.cancel', { operationId });
      } catch (e) {
        set({ cancelling: false, error: `Could not cancel: ${errorText(e)}` });
      }
    },

    async openSession(sessionId) {
      stopPolling();
      planGeneration++;
      set({ ...INITIAL });
      try {
        await loadSession(sessionId);
      } catch (e) {
        set({ active: true, error: errorText(e) });
      }
    },

    async resume(confirm, o = {}) {
      const { sessionId } = get();
      if (!sessionId) return;
      set({
        error: null,
        phases: {},
        operation: 'resume',
        cancelling: false,
        sessionState: 'running',
        step: get().step === 'verify' ? 'verify' : 'apply',
      });
      try {
        const { operationId } = await requireApi().invoke('remediation.resume', { sessionId, ...(confirm ? { confirm } : {}), ...(o.takeOver ? { takeOver: true as const } : {}) });
        if (get().operation === 'resume') set({ operationId });
        poll();
      } catch (e) {
        set({ operation: null, error: errorText(e) });
        await loadSession(sessionId).catch(() => {});
      }
    },

    async undo(o = {}) {
      const { sessionId } = get();
      if (!sessionId) return;
      set({ error: null, phases: {}, operation: 'undo', undoReport: null, sessionState: 'undoing', step: 'report' });
      try {
        const { operationId } = await requireApi().invoke('remediation.undo', { sessionId, ...(o.turnBypassOff ? { turnBypassOff: true as const } : {}), ...(o.takeOver ? { takeOver: true as const } : {}) });
        if (get().operation === 'undo') set({ operationId });
        poll();
      } catch (e) {
        set({ operation: null, error: errorText(e) });
      }
    },

    async restoreOffers() {
      const { sessionId } = get();
      if (!sessionId) return;
      try {
        const { plan } = await requireApi().invoke('remediation.restorePlan', { sessionId, rowKeys: 'all' });
        stopPolling();
        set({
          ...INITIAL,
          active: true,
          plan,
          fixedPlan: true,
          readiness: {
            ready: plan.blockers.length === 0 && plan.steps.length > 0,
            why: plan.blockers.map((b) => `${b.upn}: ${b.message}`),
          },
          selected: plan.rows.map((r) => r.key),
          rows: Object.fromEntries(
            plan.rows.map((r) => [
              r.key,
              { key: r.key, upn: r.upn, status: r.status, onPrem: r.onPrem?.value ?? null, cloud: r.cloud?.value ?? null },
            ]),
          ),
          decisions: Object.fromEntries(plan.rows.filter((r) => r.action).map((r) => [r.key, r.action!])),
          step: 'plan',
        });
      } catch (e) {
        set({ error: errorText(e) });
      }
    },

    async buildEvidence(mask) {
      const { sessionId, scanId } = get();
      set({ evidenceBusy: true, evidenceCheck: null, error: null });
      try {
        const api = requireApi();
        const out = sessionId
          ? await api.invoke('remediation.evidence', { sessionId, mask })
          : scanId
            ? await api.invoke('evidence.build', { scanId, rowKeys: get().selected, mask })
            : null;
        set({ evidence: out, evidenceBusy: false });
        return out;
      } catch (e) {
        set({ evidenceBusy: false, error: `Evidence package failed: ${errorText(e)}` });
        return null;
      }
    },

    async verifyEvidence() {
      const ev = get().evidence;
      if (!ev) return;
      set({ evidenceBusy: true });
      const api = requireApi();
      // The verification runs as an operation; its end can arrive before invoke answers.
      const ended = new Map<string, EventPayload<'evidence.verified'>>();
      let wanted: string | null = null;
      let resolveEnd: (e: EventPayload<'evidence.verified'>) => void = () => {};
      const end = new Promise<EventPayload<'evidence.verified'>>((r) => (resolveEnd = r));
      const off = api.on('evidence.verified', (e) => {
        if (wanted === null) ended.set(e.operationId, e);
        else if (e.operationId === wanted) resolveEnd(e);
      });
      try {
        const { operationId } = await api.invoke('evidence.verify', { zipBase64: ev.zipBase64 });
        wanted = operationId;
        const early = ended.get(operationId);
        if (early) resolveEnd(early);
        const evidenceCheck = await end;
        if (evidenceCheck.state === 'done') set({ evidenceCheck, evidenceBusy: false });
        else set({ evidenceBusy: false, error: evidenceCheck.message ?? 'The verification did not finish.' });
      } catch (e) {
        set({ evidenceBusy: false, error: `Verification failed: ${errorText(e)}` });
      } finally {
        off();
      }
    },

    close() {
      stopPolling();
      planGeneration++;
      set({ ...INITIAL });
    },

    attach(api) {
      const mine = (operationId: string, sessionId?: string | null) => {
        const s = get();
        if (!s.operation) return false;
        if (s.operationId) return s.operationId === operationId;
        // Before apply answers (or when attached after a reload) the operation id is unknown.
        return s.operation === 'apply' || (!!sessionId && sessionId === s.sessionId);
      };
      const offProgress = api.on('op.progress', (p) => {
        const s = get();
        if (!s.operation || !PHASE_SET.has(p.phase)) return;
        if (s.operationId && s.operationId !== p.operationId) return;
        // Attached after a reload, the operation id is unknown: another session's progress is not ours.
        if (!s.operationId && s.sessionId && p.sessionId && p.sessionId !== s.sessionId) return;
        const patch: Partial<FlowState> = { phases: { ...s.phases, [p.phase]: p } };
        if (!s.operationId && s.operation === 'apply') patch.operationId = p.operationId;
        if (p.phase === 'verify' && s.step === 'apply') patch.step = 'verify';
        set(patch);
      });
      const offFinished = api.on('remediation.finished', ({ operationId, outcome }: EventPayload<'remediation.finished'>) => {
        if (!mine(operationId, outcome.sessionId)) return;
        stopPolling();
        if (!outcome.sessionId) {
          // The engine's own preflight refused: no session exists and nothing was written. Back to
          // preflight with what it found (changed values become conflicts to re-decide).
          set({
            operation: null,
            operationId: null,
            cancelling: false,
            sessionState: null,
            phases: {},
            step: 'preflight',
            error: [outcome.message, outcome.nextStep].filter(Boolean).join(' '),
            ...(outcome.preflight ? { preflight: outcome.preflight } : {}),
          });
          return;
        }
        set({
          operation: null,
          operationId: null,
          cancelling: false,
          outcome,
          sessionId: outcome.sessionId,
          sessionState: outcome.state,
          step: stepForState(outcome.state),
        });
        const notify = useAppStore.getState().notify;
        if (outcome.state === 'completed') notify('info', outcome.message ?? 'Remediation verified.');
        else notify(outcome.state === 'failed' ? 'error' : 'info', `Remediation ${outcome.state}: ${outcome.message ?? ''}`);
      });
      const offFailed = api.on('remediation.failed', ({ operationId, sessionId, message }) => {
        if (!mine(operationId, sessionId)) return;
        stopPolling();
        set({ operation: null, operationId: null, cancelling: false, error: message, ...(sessionId ? { sessionId } : {}) });
        if (get().sessionId) void loadSession(get().sessionId!).catch(() => {});
      });
      const offUndone = api.on('remediation.undone', ({ operationId, report }) => {
        if (!mine(operationId, report.sessionId)) return;
        stopPolling();
        set({ operation: null, operationId: null, undoReport: report, sessionState: report.state, step: 'report' });
        useAppStore
          .getState()
          .notify(
            'info',
            `Undo ${report.state}: ${report.restored.length} value(s) restored, ${report.notRestored.length} not restored.`,
          );
      });
      return () => {
        offProgress();
        offFinished();
        offFailed();
        offUndone();
        stopPolling();
      };
    },
  };
});
