/**
 * Sessions and who runs them: claiming a session (compare-and-set against the owner it was read
 * with, a takeover journalled when that owner is gone or the admin forces it), the refusal for a
 * session a live owner runs, and the summaries the app and the CLI list.
 */
import { hostname } from 'node:os';
import { SyncDriftError } from '../core/errors';
import { ACTIVE_STATES, claimOwner, describeOwner, effectiveState, ownerStatus, releaseOwner, statusOf, stepStatuses, type JournalStore, type SessionMeta, type SessionState, type StoredSession, type Takeover } from './journal';
import { parsePlan, type Plan } from './plan-schema';
import type { RunOptions, SessionSummary } from './engine-types';
import type { EngineRuntime } from './engine-runtime';
import { IMPORTED_SESSION_MESSAGE, MASKED_SESSION_MESSAGE, sessionIsMasked } from './masked-copies';

/**
 * Makes this process the session's owner, compare-and-set against the owner `s` was read with, so
 * two processes taking over the same interrupted session cannot both win. A session stored in an
 * active state whose owner is gone (callers checked effectiveState) is a takeover: the journal
 * gets an entry naming the old owner and why it was judged gone, and the session's meta keeps it.
 */
export function claim(rt: EngineRuntime, s: StoredSession, token: string, state: SessionState, patch: (m: SessionMeta) => SessionMeta, takeOver = false): { meta: SessionMeta; takeover: Takeover | null } {
  const owner = claimOwner(token);
  const old = s.meta.owner;
  const status = ownerStatus(old);
  // Only an owner nothing here can check (another machine) is overridden, and only when asked.
  const forced = takeOver && status.alive && forcible(s, { takeOver });
  const reason = forced ? `forced by the admin: the owner runs on another machine (${old!.host}), whose processes cannot be checked from here` : status.alive ? null : status.reason;
  const takeover: Takeover | null =
    ACTIVE_STATES.has(s.state) && old && reason
      ? { at: rt.now(), from: { pid: old.pid, host: old.host, startedAt: old.startedAt ?? null }, reason, by: { pid: owner.pid, host: owner.host, startedAt: owner.startedAt ?? null }, ...(forced ? { forced: true } : {}) }
      : null;
  const meta = patch({ ...s.meta, owner, ...(takeover ? { takeovers: [...(s.meta.takeovers ?? []), takeover] } : {}) });
  if (!rt.journal.claimSession(s.id, { ownerToken: old?.token ?? null }, { state, meta, at: rt.now() })) {
    releaseOwner(token);
    const now = rt.journal.getSession(s.id);
    throw new SyncDriftError('conflict', 'SESSION_BUSY', `Session ${s.id} was claimed by another process a moment ago (${now?.meta.owner ? describeOwner(now.meta.owner) : 'owner unknown'}); it was not touched here.`);
  }
  if (takeover) {
    rt.journal.append({ sessionId: s.id, stepId: 'takeover', kind: 'intent', at: takeover.at, data: takeover });
    rt.log.warn('session taken over', { sessionId: s.id, from: takeover.from, reason: takeover.reason });
  }
  return { meta, takeover };
}

/**
 * Whether the admin's explicit take-over applies: the session is active and its owner runs on
 * another machine (assumed alive). A live owner on this machine is never overridden.
 */
export function forcible(s: StoredSession, o: Pick<RunOptions, 'takeOver'>): boolean {
  return o.takeOver === true && ACTIVE_STATES.has(s.state) && !!s.meta.owner && s.meta.owner.host !== hostname();
}

/** The refusal for a session a live owner is working on, naming that owner. */
export function busy(s: StoredSession): SyncDriftError {
  const o = s.meta.owner;
  const who = o ? describeOwner(o) : 'an unknown process';
  const elsewhere =
    o && o.host !== hostname()
      ? ' It runs on another machine, whose processes cannot be checked from here: finish or stop it there. If that machine is gone, take the session over explicitly (syncdrift resume/undo --take-over, or Take over… in the app); if it is still running the session, both may write.'
      : ' Wait for it to finish, or stop that process; once it is gone the session is taken over.';
  return new SyncDriftError('conflict', 'SESSION_BUSY', `Session ${s.id} is being run by another process (${who}).${elsewhere}`);
}

/** One sentence for outcomes and the CLI: whom a session was taken over from, and why. */
export function takeoverLine(t: Takeover): string {
  return `This run took over from pid ${t.from.pid} on ${t.from.host} (${t.from.startedAt ? `started ${t.from.startedAt}` : 'start time not recorded'}): ${t.reason}.`;
}

export function tryPlan(raw: unknown): Plan | null {
  try {
    return parsePlan(raw);
  } catch {
    return null;
  }
}

/** Every session in the journal, newest first, with its effective state (no ports needed). */
export function sessionSummaries(journal: JournalStore): SessionSummary[] {
  return journal.listSessions().map((s) => {
    const plan = tryPlan(s.plan);
    const statuses = stepStatuses(journal.entries(s.id));
    const state = effectiveState(s);
    return {
      id: s.id,
      state,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      planId: plan?.id ?? '(unreadable plan)',
      profile: plan?.source.profile ?? '',
      rows: plan?.rows.length ?? 0,
      steps: plan?.steps.length ?? 0,
      stepsDone: plan ? plan.steps.filter((st) => statusOf(statuses, st.id).state === 'done').length : 0,
      message: sessionIsMasked(s, plan) ? MASKED_SESSION_MESSAGE : s.imported ? IMPORTED_SESSION_MESSAGE : s.meta.message,
      owner: ACTIVE_STATES.has(state) && s.meta.owner ? { pid: s.meta.owner.pid, host: s.meta.owner.host, startedAt: s.meta.owner.startedAt ?? null, elsewhere: s.meta.owner.host !== hostname() } : null,
      takeovers: s.meta.takeovers ?? [],
    };
  });
}
