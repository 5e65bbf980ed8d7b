/**
 * The guided flow: Decide → Plan (with the blast radius) → Preflight → Apply → Verify → Report.
 * Everything it shows comes from the flow store; the plan, its blast radius and the number of users
 * named in the confirmation come from the service, so the wizard can never promise more than the
 * engine does.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DecisionAction, Plan, SessionOutcomeWire } from '../../../preload/contract';
import {
  ACTIONS,
  ACTION_LABEL,
  FLOW_STEPS,
  RESUMABLE_STATES,
  UNDOABLE_STATES,
  useFlowStore,
  type FlowStep,
} from '../stores/remediation-store';
import { SESSION_STATE_LABEL } from '../stores/sessions-store';
import { useAppStore } from '../stores/app-store';
import { useDetailsStore } from '../stores/details-store';
import { useGridStore } from '../stores/grid-store';
import { StatusChip } from './StatusChip';
import { ConfirmDialog } from './ConfirmDialog';
import { copyText, downloadBase64, formatElapsed } from '../lib/download';
import { STATUS_LABEL, STATUS_ORDER } from '../grid/model';

type PlanStepWire = Plan['steps'][number];

/** Rows of a long table drawn at once; the rest is reached by filtering or deciding in bulk. */
const TABLE_CAP = 300;

function Value({ v }: { v: string | null | undefined }) {
  return v ? <code>{v}</code> : <span className="muted">(empty)</span>;
}

/** The UPN as a link to the row's details (the drawer beside the wizard). */
function UserLink({ rowKey, upn }: { rowKey: string; upn: string }) {
  const scanId = useFlowStore((s) => s.scanId) ?? useGridStore.getState().scanId;
  if (!scanId) return <>{upn}</>;
  return (
    <button
      type="button"
      className="link"
      onClick={() => void useDetailsStore.getState().open(scanId, rowKey)}
      data-testid="user-link"
      title="Show details"
    >
      {upn}
    </button>
  );
}

function DecisionSelect({
  rowKey,
  upn,
  value,
  testId,
}: {
  rowKey: string;
  upn: string;
  value: DecisionAction | undefined;
  testId: string;
}) {
  return (
    <select
      aria-label={`Decision for ${upn}`}
      value={value ?? ''}
      className={value ? '' : 'undecided'}
      onChange={(e) => useFlowStore.getState().decide([rowKey], (e.target.value || null) as DecisionAction | null)}
      data-testid={testId}
      data-upn={upn}
    >
      <option value="">— undecided —</option>
      {ACTIONS.map((a) => (
        <option key={a.id} value={a.id}>
          {a.label}
        </option>
      ))}
    </select>
  );
}

export function GuidedFlow() {
  const active = useFlowStore((s) => s.active);
  const step = useFlowStore((s) => s.step);
  const error = useFlowStore((s) => s.error);
  const sessionId = useFlowStore((s) => s.sessionId);
  const sessionState = useFlowStore((s) => s.sessionState);
  const operation = useFlowStore((s) => s.operation);
  const ready = useFlowStore((s) => s.readiness?.ready ?? false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // Each step change moves the focus to its heading, so a screen reader announces where we are.
    headingRef.current?.focus();
  }, [step]);

  if (!active)
    return (
      <section className="panel" aria-label="Guided fix" data-testid="flow-empty">
        <h2>Guided fix</h2>
        <p>
          Select rows in <strong>Mismatches</strong> (or pick a status tab) and press <strong>Fix…</strong> (Ctrl+Enter in the
          grid). A session that is running or interrupted opens from <strong>Sessions</strong>.
        </p>
      </section>
    );

  const started = !!sessionId || !!operation;
  const enabled = (s: FlowStep): boolean => {
    if (!started) return s === 'decide' || s === 'plan' || (s === 'preflight' && ready);
    return s === 'apply' || s === 'verify' || s === 'report' || s === 'plan';
  };
  const current = FLOW_STEPS.find((s) => s.id === step)!;

  return (
    <section className="flow" aria-label="Guided fix" data-testid="flow" data-step={step}>
      <nav aria-label="Steps">
        <ol className="steps">
          {FLOW_STEPS.map((s, i) => (
            <li key={s.id}>
              <button
                type="button"
                className="step-tab"
                aria-current={step === s.id ? 'step' : undefined}
                disabled={!enabled(s.id) && step !== s.id}
                onClick={() => useFlowStore.getState().goto(s.id)}
                data-testid={`flow-step-${s.id}`}
              >
                <span className="step-no" aria-hidden="true">
                  {i + 1}
                </span>
                {s.label}
              </button>
            </li>
          ))}
        </ol>
        {sessionId && (
          <p className="muted" data-testid="flow-session">
            Session <code>{sessionId}</code>
            {sessionState ? ` · ${SESSION_STATE_LABEL[sessionState]}` : ''}
            {operation ? ' · in progress' : ''}
          </p>
        )}
      </nav>
      <h2 ref={headingRef} tabIndex={-1} className="flow-heading">
        {current.label}
      </h2>
      {error && (
        <p className="error" role="alert" data-testid="flow-error">
          {error}
        </p>
      )}
      {step === 'decide' && <DecideStep />}
      {step === 'plan' && <PlanStep />}
      {step === 'preflight' && <PreflightStep />}
      {step === 'apply' && <ApplyStep />}
      {step === 'verify' && <VerifyStep />}
      {step === 'report' && <ReportStep />}
    </section>
  );
}

// --- Decide ---------------------------------------------------------------------------------------

function DecideStep() {
  const selected = useFlowStore((s) => s.selected);
  const rows = useFlowStore((s) => s.rows);
  const suggestions = useFlowStore((s) => s.suggestions);
  const decisions = useFlowStore((s) => s.decisions);
  const planError = useFlowStore((s) => s.planError);
  const fixedPlan = useFlowStore((s) => s.fixedPlan);
  const [bulkStatus, setBulkStatus] = useState<string>('all');
  const [bulkAction, setBulkAction] = useState<DecisionAction | 'suggested'>('suggested');
  const f = useFlowStore.getState;

  const statuses = useMemo(() => STATUS_ORDER.filter((st) => selected.some((k) => rows[k]?.status === st)), [selected, rows]);
  const bulkKeys = selected.filter((k) => bulkStatus === 'all' || rows[k]?.status === bulkStatus);
  const undecided = selected.filter((k) => !decisions[k]).length;

  return (
    <div data-testid="flow-decide">
      <p>
        {selected.length} user{selected.length === 1 ? '' : 's'} selected. Each row starts with the suggested decision and its
        reason; change any of them, one by one or in bulk. A row marked <strong>ask</strong> needs the user&apos;s word on which
        number is right.
      </p>
      {planError && (
        <p className="error" role="alert">
          {planError}
        </p>
      )}
      {!fixedPlan && (
        <div className="toolbar" role="group" aria-label="Decide in bulk">
          <label>
            Rows{' '}
            <select value={bulkStatus} onChange={(e) => setBulkStatus(e.target.value)} data-testid="bulk-status">
              <option value="all">all selected ({selected.length})</option>
              {statuses.map((st) => (
                <option key={st} value={st}>
                  {STATUS_LABEL[st]} ({selected.filter((k) => rows[k]?.status === st).length})
                </option>
              ))}
            </select>
          </label>
          <label>
            Decision{' '}
            <select
              value={bulkAction}
              onChange={(e) => setBulkAction(e.target.value as DecisionAction | 'suggested')}
              data-testid="bulk-action"
            >
              <option value="suggested">the suggestion</option>
              {ACTIONS.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            onClick={() => (bulkAction === 'suggested' ? f().useSuggestions(bulkKeys) : f().decide(bulkKeys, bulkAction))}
            data-testid="bulk-apply"
          >
            Set {bulkKeys.length} row{bulkKeys.length === 1 ? '' : 's'}
          </button>
        </div>
      )}
      <table className="table flow-table" data-testid="decide-table">
        <caption className="offscreen">Selected users and their decisions</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">On-prem mobile</th>
            <th scope="col">Cloud mobilePhone</th>
            <th scope="col">Suggested, and why</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {selected.slice(0, TABLE_CAP).map((k) => {
            const r = rows[k];
            const s = suggestions[k];
            if (!r) return null;
            return (
              <tr key={k} data-testid="decide-row" data-upn={r.upn}>
                <td>
                  <UserLink rowKey={k} upn={r.upn} />
                </td>
                <td>
                  <StatusChip status={r.status} />
                </td>
                <td>
                  <Value v={r.onPrem} />
                </td>
                <td>
                  <Value v={r.cloud} />
                </td>
                <td className="reason">
                  {s ? (
                    <>
                      <strong>{ACTION_LABEL[s.action]}</strong>
                      {s.ask && <span className="pill pill-ask"> ask</span>}: {s.reason}
                      {s.alternatives?.map((a) => (
                        <div key={a.action} className="muted">
                          or <strong>{ACTION_LABEL[a.action]}</strong>: {a.reason}
                        </div>
                      ))}
                    </>
                  ) : (
                    <span className="muted">…</span>
                  )}
                </td>
                <td>
                  {fixedPlan ? (
                    decisions[k] ? (
                      ACTION_LABEL[decisions[k]]
                    ) : (
                      '—'
                    )
                  ) : (
                    <DecisionSelect rowKey={k} upn={r.upn} value={decisions[k]} testId="decision" />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {selected.length > TABLE_CAP && (
        <p className="muted">
          Showing {TABLE_CAP} of {selected.length} rows: decide the others in bulk above.
        </p>
      )}
      <div className="form-actions">
        <span className="muted" role="status">
          {undecided > 0
            ? `${undecided} row(s) without a decision are left out of the plan.`
            : 'Every selected row has a decision.'}
        </span>
        <button type="button" className="primary" onClick={() => f().goto('plan')} data-testid="flow-next">
          Next: see the plan
        </button>
      </div>
    </div>
  );
}

// --- Plan ---------------------------------------------------------------------------------------

function stepText(s: PlanStepWire, plan: Plan): string {
  switch (s.kind) {
    case 'ad-write':
      return `AD write: ${s.upn} mobile ${JSON.stringify(s.expected)} → ${JSON.stringify(s.next)} (compare-and-set, ${s.dn})`;
    case 'await-replication':
      return `Wait until the ${s.rowKeys.length} AD write(s) show on ${s.dcs.length ? s.dcs.join(', ') : 'the DC the Connect server reads'}`;
    case 'graph-patch':
      return `Graph write: ${s.upn} mobilePhone ${JSON.stringify(s.expected)} → ${JSON.stringify(s.next)} (sent in $batch)`;
    case 'record-cloud-values':
      return `Record the current cloud value of ${s.rowKeys.length} blast-radius user(s) in the journal`;
    case 'set-bypass':
      return `Turn ${s.enabled ? 'on' : 'off'} BypassDirSyncOverrides (tenant-wide)`;
    case 'sync-cycle':
      return `Full (Initial) sync cycle${plan.connectServer ? ` on ${plan.connectServer}` : ''}: ${s.instructions}`;
    case 'verify':
      return `Verify ${s.rowKeys.length} row(s) on both sides`;
  }
}

function PlanStep() {
  const plan = useFlowStore((s) => s.plan);
  const readiness = useFlowStore((s) => s.readiness);
  const planning = useFlowStore((s) => s.planning);
  const planError = useFlowStore((s) => s.planError);
  const started = useFlowStore((s) => !!s.sessionId || !!s.operation);
  const f = useFlowStore.getState;
  if (!plan)
    return (
      <p role="status" aria-busy={planning}>
        {planError ?? 'Building the plan…'}
      </p>
    );
  const counts = {
    ad: plan.steps.filter((s) => s.kind === 'ad-write').length,
    graph: plan.steps.filter((s) => s.kind === 'graph-patch').length,
    bypass: plan.needsBypass,
  };
  const users = f().affectedUsers();
  return (
    <div data-testid="flow-plan" aria-busy={planning}>
      <dl className="facts compact plan-facts">
        <dt>Users changed</dt>
        <dd data-testid="plan-users">{users}</dd>
        <dt>AD writes</dt>
        <dd>{counts.ad}</dd>
        <dt>Graph writes</dt>
        <dd>{counts.graph}</dd>
        <dt>Bypass + full cycle</dt>
        <dd data-testid="plan-bypass">{counts.bypass ? `yes: ${plan.blastRadius.length} user(s) in the blast radius` : 'no'}</dd>
      </dl>
      {plan.warnings.length > 0 && (
        <ul className="warnings" data-testid="plan-warnings">
          {plan.warnings.map((w) => (
            <li key={w}>
              <span aria-hidden="true">⚠ </span>
              {w}
            </li>
          ))}
        </ul>
      )}
      {plan.needsBypass && <BlastRadius plan={plan} readOnly={started} />}
      <h3>Every write, in order</h3>
      <ol className="plan-steps" data-testid="plan-steps">
        {plan.steps.slice(0, TABLE_CAP).map((s) => (
          <li key={s.id} data-kind={s.kind}>
            {stepText(s, plan)}
          </li>
        ))}
      </ol>
      {plan.steps.length > TABLE_CAP && (
        <p className="muted">… and {plan.steps.length - TABLE_CAP} more steps of the same kinds.</p>
      )}
      {plan.cannotUndo.length > 0 && (
        <>
          <h3>Cannot be undone</h3>
          <ul className="cannot-undo" data-testid="plan-cannot-undo">
            {plan.cannotUndo.slice(0, TABLE_CAP).map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </>
      )}
      {plan.supportCase.length > 0 && (
        <p data-testid="plan-support">
          {plan.supportCase.length} row(s) go to a support case: save the evidence package from the report (or from Mismatches)
          and attach it.
        </p>
      )}
      {plan.notes.length > 0 && (
        <ul className="notes">
          {plan.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {!started && (
        <div className="form-actions">
          {readiness && !readiness.ready && (
            <div role="status" className="why" data-testid="plan-why">
              Not ready:
              <ul>
                {readiness.why.slice(0, 5).map((w) => (
                  <li key={w}>{w}</li>
                ))}
                {readiness.why.length > 5 && <li>… and {readiness.why.length - 5} more</li>}
              </ul>
            </div>
          )}
          <button type="button" onClick={() => f().goto('decide')}>
            Back
          </button>
          <button
            type="button"
            className="primary"
            disabled={!readiness?.ready || planning}
            onClick={() => f().goto('preflight')}
            data-testid="flow-next"
          >
            Next: preflight
          </button>
        </div>
      )}
    </div>
  );
}

function BlastRadius({ plan, readOnly }: { plan: Plan; readOnly: boolean }) {
  const decisions = useFlowStore((s) => s.decisions);
  const suggestions = useFlowStore((s) => s.suggestions);
  const [filter, setFilter] = useState<string>('all');
  const f = useFlowStore.getState;
  const groups = useMemo(() => {
    const m = new Map<string, { status: (typeof plan.blastRadius)[number]['status']; keys: string[]; effects: Set<string> }>();
    for (const b of plan.blastRadius) {
      const g = m.get(b.status) ?? { status: b.status, keys: [], effects: new Set<string>() };
      g.keys.push(b.rowKey);
      g.effects.add(b.effect);
      m.set(b.status, g);
    }
    return STATUS_ORDER.map((st) => m.get(st)).filter((g): g is NonNullable<typeof g> => !!g);
  }, [plan]);
  const undecided = plan.blastRadius.filter((b) => !b.action);
  const shown = plan.blastRadius.filter((b) => filter === 'all' || (filter === 'undecided' ? !b.action : b.status === filter));
  const allKeys = plan.blastRadius.map((b) => b.rowKey);

  return (
    <section className="blast" aria-labelledby="blast-title" data-testid="blast-radius">
      <h3 id="blast-title">
        Blast radius: {plan.blastRadius.length} user{plan.blastRadius.length === 1 ? '' : 's'} the bypass touches
      </h3>
      <p>
        The bypass is tenant-wide: with it and a full cycle AD wins for every user below, selected or not. Decide each one:{' '}
        <strong>keep-cloud</strong> writes the cloud value into AD first (so it survives), <strong>keep-onprem</strong> accepts
        the AD value and verifies it, <strong>skip</strong> accepts the effect without verifying it.
      </p>
      <table className="table" data-testid="blast-counts">
        <caption className="offscreen">Blast radius by kind</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">What the bypass does</th>
            <th scope="col">Users</th>
            <th scope="col">Undecided</th>
            {!readOnly && <th scope="col">Decide all of this kind</th>}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.status} data-testid={`blast-kind-${g.status}`}>
              <td>
                <StatusChip status={g.status} />
              </td>
              <td>{[...g.effects].join('; ')}</td>
              <td data-testid="blast-kind-count">{g.keys.length}</td>
              <td>{g.keys.filter((k) => !decisions[k]).length}</td>
              {!readOnly && (
                <td>
                  <select
                    aria-label={`Decide all ${STATUS_LABEL[g.status]} rows`}
                    value=""
                    onChange={(e) => {
                      const v = e.target.value;
                      if (v === 'suggested') f().useSuggestions(g.keys);
                      else if (v) f().decide(g.keys, v as DecisionAction);
                    }}
                    data-testid={`blast-bulk-${g.status}`}
                  >
                    <option value="">choose…</option>
                    <option value="suggested">the suggestions</option>
                    {ACTIONS.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.label}
                      </option>
                    ))}
                  </select>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {!readOnly && (
        <div className="toolbar" role="group" aria-label="Blast radius in bulk">
          <span role="status" data-testid="blast-undecided" className={undecided.length ? 'bad' : 'ok'}>
            {undecided.length
              ? `${undecided.length} undecided: nothing proceeds until every row is decided.`
              : '✓ Every blast-radius row is decided.'}
          </span>
          <button
            type="button"
            disabled={undecided.length === 0}
            onClick={() => f().useSuggestions(allKeys, true)}
            data-testid="blast-suggested"
          >
            Use the suggestions for the undecided
          </button>
          <label>
            Show{' '}
            <select value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="blast-filter">
              <option value="all">all</option>
              <option value="undecided">undecided</option>
              {groups.map((g) => (
                <option key={g.status} value={g.status}>
                  {STATUS_LABEL[g.status]}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <table className="table flow-table" data-testid="blast-table">
        <caption className="offscreen">Users in the blast radius</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">On-prem</th>
            <th scope="col">Cloud now</th>
            <th scope="col">Effect</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {shown.slice(0, TABLE_CAP).map((b) => (
            <tr key={b.rowKey} data-testid="blast-row" data-upn={b.upn} data-decided={b.action ? 'yes' : 'no'}>
              <td>
                <UserLink rowKey={b.rowKey} upn={b.upn} />
                {b.selected && <span className="pill"> selected</span>}
              </td>
              <td>
                <StatusChip status={b.status} />
              </td>
              <td>
                <Value v={b.onPremValue} />
              </td>
              <td>
                <Value v={b.cloudValue} />
              </td>
              <td>
                {b.effect}
                {!b.action && suggestions[b.rowKey] && (
                  <div className="muted">
                    Suggested: {ACTION_LABEL[suggestions[b.rowKey]!.action]}: {suggestions[b.rowKey]!.reason}
                  </div>
                )}
              </td>
              <td>
                {readOnly ? (
                  b.action ? (
                    ACTION_LABEL[b.action]
                  ) : (
                    '—'
                  )
                ) : (
                  <DecisionSelect rowKey={b.rowKey} upn={b.upn} value={decisions[b.rowKey]} testId="blast-decision" />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length > TABLE_CAP && (
        <p className="muted">
          Showing {TABLE_CAP} of {shown.length}: decide by kind above, or filter to the undecided.
        </p>
      )}
    </section>
  );
}

// --- Preflight ----------------------------------------------------------------------------------

function checkAdvice(name: string, ok: boolean, message: string): string | null {
  if (ok) return null;
  if (name.startsWith('permission:'))
    return 'Grant the permission to the app (or sign in as a Global Administrator for the bypass), then run preflight again.';
  if (name === 'onprem') return 'Check the on-prem source (Profiles → Test connection), then run preflight again.';
  if (name === 'cloud') return 'Check the sign-in and Graph connectivity (Profiles → Test connection), then run preflight again.';
  if (name === 'plan') return 'Go back to the plan and decide every blast-radius row.';
  if (name === 'blast-radius') return 'Users began to differ after the scan: scan again and decide them.';
  return /scan again/i.test(message) ? null : 'Fix what the message says, then run preflight again.';
}

function PreflightStep() {
  const preflight = useFlowStore((s) => s.preflight);
  const running = useFlowStore((s) => s.preflighting);
  const preflightError = useFlowStore((s) => s.preflightError);
  const plan = useFlowStore((s) => s.plan);
  const [confirming, setConfirming] = useState(false);
  const f = useFlowStore.getState;
  const users = f().affectedUsers();
  const blocking = preflight
    ? preflight.checks.some((c) => !c.ok && c.severity === 'blocking') || preflight.conflicts.length > 0
    : true;

  return (
    <div data-testid="flow-preflight">
      <p>Permissions for every step, connectivity, and a fresh read of every value the plan changes.</p>
      {running && (
        <p role="status" aria-busy="true">
          Checking…
        </p>
      )}
      {preflightError && (
        <p className="error" role="alert">
          {preflightError}
        </p>
      )}
      {preflight && (
        <>
          <ul className="checks preflight-checks" data-testid="preflight-checks">
            {preflight.checks.map((c) => {
              const advice = checkAdvice(c.name, c.ok, c.message);
              return (
                <li
                  key={c.name}
                  className={c.ok ? 'ok' : c.severity === 'blocking' ? 'bad' : 'warn'}
                  data-check={c.name}
                  data-ok={c.ok ? 'yes' : 'no'}
                >
                  <span aria-hidden="true">{c.ok ? '✓ ' : c.severity === 'blocking' ? '✗ ' : '⚠ '}</span>
                  <strong>{c.ok ? 'Pass' : c.severity === 'blocking' ? 'Fail' : 'Warning'}</strong> ({c.name}): {c.message}
                  {advice && <div className="advice">What to do: {advice}</div>}
                </li>
              );
            })}
          </ul>
          {preflight.conflicts.length > 0 && (
            <>
              <h3>Conflicts: values changed since the scan</h3>
              <table className="table" data-testid="preflight-conflicts">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Side</th>
                    <th scope="col">Planned</th>
                    <th scope="col">Now</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {preflight.conflicts.map((c) => (
                    <tr key={`${c.rowKey}:${c.side}`}>
                      <td>
                        <UserLink rowKey={c.rowKey} upn={c.upn} />
                      </td>
                      <td>{c.side}</td>
                      <td>
                        <Value v={c.planned} />
                      </td>
                      <td>
                        <Value v={c.actual} />
                      </td>
                      <td>{c.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                Scan again, then decide these rows anew: nothing is written over a value that changed behind the plan&apos;s back.
              </p>
            </>
          )}
        </>
      )}
      <div className="form-actions">
        <button type="button" onClick={() => f().goto('plan')}>
          Back
        </button>
        <button type="button" disabled={running} onClick={() => void f().runPreflight()} data-testid="preflight-run">
          Run preflight again
        </button>
        <button
          type="button"
          className="primary"
          disabled={running || blocking || !plan}
          onClick={() => setConfirming(true)}
          data-testid="flow-apply"
        >
          Apply…
        </button>
      </div>
      {confirming && plan && (
        <ConfirmDialog
          title={`Apply this plan to ${users} user${users === 1 ? '' : 's'}?`}
          confirmLabel={`Apply to ${users} user${users === 1 ? '' : 's'}`}
          danger
          testId="confirm-apply"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void f().apply(users);
          }}
        >
          <p data-testid="confirm-count">
            This changes <strong>{users}</strong> user{users === 1 ? '' : 's'}
            {plan.needsBypass ? `, ${plan.blastRadius.length} of them through the tenant-wide bypass` : ''}.
          </p>
          {plan.cannotUndo.length > 0 && (
            <>
              <p>
                <strong>{plan.cannotUndo.length}</strong> change(s) cannot be undone through Graph (recorded, but they can only
                come back as AD writes):
              </p>
              <ul className="cannot-undo short">
                {plan.cannotUndo.slice(0, 8).map((c) => (
                  <li key={c}>{c}</li>
                ))}
                {plan.cannotUndo.length > 8 && <li>… and {plan.cannotUndo.length - 8} more (listed in the plan)</li>}
              </ul>
            </>
          )}
          <p className="muted">Every write is journalled first; an interrupted session can be resumed from Sessions.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

// --- Apply --------------------------------------------------------------------------------------

const PHASE_OF: Record<PlanStepWire['kind'], string> = {
  'ad-write': 'ad-write',
  'await-replication': 'replication',
  'graph-patch': 'graph-write',
  'record-cloud-values': 'record',
  'set-bypass': 'bypass',
  'sync-cycle': 'sync-cycle',
  verify: 'verify',
};
const PHASE_TITLE: Record<string, string> = {
  preflight: 'Preflight: fresh read of every value',
  'ad-write': 'AD writes (compare-and-set)',
  replication: 'Replication wait (the DCs the Connect server reads)',
  'graph-write': 'Graph writes ($batch)',
  record: 'Record blast-radius cloud values',
  bypass: 'Turn on BypassDirSyncOverrides',
  'sync-cycle': 'Full (Initial) sync cycle on the Connect server',
  verify: 'Verify both sides',
};

type PhaseStatus = 'done' | 'running' | 'waiting' | 'pending';

function usePhaseRows(): {
  phase: string;
  status: PhaseStatus;
  done: number;
  total?: number;
  message?: string;
  retries?: number;
}[] {
  const plan = useFlowStore((s) => s.plan);
  const phases = useFlowStore((s) => s.phases);
  const outcome = useFlowStore((s) => s.outcome);
  const state = useFlowStore((s) => s.sessionState);
  return useMemo(() => {
    if (!plan) return [];
    const order = ['preflight', ...new Set(plan.steps.map((s) => PHASE_OF[s.kind]))];
    let last = -1;
    order.forEach((p, i) => {
      if (phases[p]) last = i;
    });
    const writesDone = outcome ? outcome.writes : null;
    return order.map((phase, i) => {
      const p = phases[phase];
      let status: PhaseStatus = 'pending';
      if (state === 'completed' || state === 'undone' || state === 'undo-partial') status = 'done';
      else if (state === 'awaiting-cycle' && phase === 'sync-cycle') status = 'waiting';
      else if (state === 'awaiting-replication' && phase === 'replication') status = 'waiting';
      else if (i < last) status = 'done';
      else if (i === last) status = p && p.total !== undefined && p.done >= p.total && phase !== 'verify' ? 'done' : 'running';
      else if (
        writesDone &&
        ((phase === 'ad-write' && writesDone.ad > 0) ||
          (phase === 'graph-write' && writesDone.graph > 0) ||
          (phase === 'bypass' && writesDone.bypass > 0) ||
          (phase === 'sync-cycle' && writesDone.cycles > 0))
      )
        status = 'done';
      return {
        phase,
        status,
        done: p?.done ?? 0,
        ...(p?.total !== undefined ? { total: p.total } : {}),
        ...(p?.message ? { message: p.message } : {}),
        ...(p?.retries ? { retries: p.retries } : {}),
      };
    });
  }, [plan, phases, outcome, state]);
}

function PhaseList({ only }: { only?: string[] }) {
  const rows = usePhaseRows().filter((r) => !only || only.includes(r.phase));
  const plan = useFlowStore((s) => s.plan);
  const sandbox = useAppStore((s) => s.info?.sandbox ?? false);
  const cycle = plan?.steps.find((s) => s.kind === 'sync-cycle');
  return (
    <ol className="phase-list" data-testid="apply-phases">
      {rows.map((r) => {
        const pct = r.total ? Math.min(100, Math.round((r.done / r.total) * 100)) : r.status === 'done' ? 100 : null;
        return (
          <li key={r.phase} className={`phase-row phase-${r.status}`} data-phase={r.phase} data-status={r.status}>
            <span className="phase-glyph" aria-hidden="true">
              {r.status === 'done' ? '✓' : r.status === 'running' ? '…' : r.status === 'waiting' ? '⏸' : '○'}
            </span>
            <span className="phase-title">
              {PHASE_TITLE[r.phase] ?? r.phase} <span className="muted">({r.status})</span>
            </span>
            <div
              className="bar"
              role="progressbar"
              aria-label={PHASE_TITLE[r.phase] ?? r.phase}
              aria-valuemin={0}
              aria-valuemax={r.total ?? 100}
              aria-valuenow={r.total ? r.done : (pct ?? undefined)}
            >
              <div
                className={pct === null ? (r.status === 'running' ? 'bar-fill indeterminate' : 'bar-fill') : 'bar-fill'}
                style={{ width: `${pct ?? 0}%` }}
              />
            </div>
            <span className="muted">
              {r.total !== undefined ? `${r.done} of ${r.total}` : ''}
              {r.retries ? ` · ${r.retries} retries` : ''}
              {r.message && r.phase !== 'sync-cycle' ? ` · ${r.message}` : ''}
            </span>
            {r.phase === 'sync-cycle' && cycle?.kind === 'sync-cycle' && (
              <div className="next-step" data-testid="cycle-instructions">
                <p>
                  Next step on the Connect server{plan?.connectServer ? ` (${plan.connectServer})` : ''}:{' '}
                  {sandbox ? 'in the sandbox the simulator runs it for you.' : 'run it there, then come back and continue.'}
                </p>
                <pre>
                  <code>{cycle.instructions}</code>
                </pre>
                <button
                  type="button"
                  onClick={() =>
                    void copyText(cycle.instructions).then(() => useAppStore.getState().notify('info', 'Command copied.'))
                  }
                  data-testid="copy-cycle"
                >
                  Copy command
                </button>
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function ApplyStep() {
  const operation = useFlowStore((s) => s.operation);
  const state = useFlowStore((s) => s.sessionState);
  const outcome = useFlowStore((s) => s.outcome);
  const cancelling = useFlowStore((s) => s.cancelling);
  const operationId = useFlowStore((s) => s.operationId);
  const phases = useFlowStore((s) => s.phases);
  const f = useFlowStore.getState;
  const elapsed = Math.max(0, ...Object.values(phases).map((p) => p.elapsedMs ?? 0));
  return (
    <div data-testid="flow-apply">
      {operation && (
        <p role="status" aria-live="polite" data-testid="apply-status">
          {operation === 'apply' ? 'Applying' : 'Resuming'}… {elapsed ? formatElapsed(elapsed) : ''}
        </p>
      )}
      <PhaseList />
      <SessionOutcomeNote outcome={outcome} />
      <div className="form-actions">
        {operation && (
          <button type="button" disabled={cancelling || !operationId} onClick={() => void f().cancel()} data-testid="flow-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel (the session stays resumable)'}
          </button>
        )}
        {!operation && state === 'awaiting-cycle' && (
          <button type="button" className="primary" onClick={() => void f().resume({ cycle: true })} data-testid="confirm-cycle">
            I ran the full cycle: continue
          </button>
        )}
        {!operation && state === 'awaiting-replication' && (
          <button
            type="button"
            className="primary"
            onClick={() => void f().resume({ replication: true })}
            data-testid="confirm-replication"
          >
            The writes reached the DCs: continue
          </button>
        )}
        {!operation && state && RESUMABLE_STATES.has(state) && state !== 'awaiting-cycle' && state !== 'awaiting-replication' && (
          <button type="button" className="primary" onClick={() => void f().resume()} data-testid="flow-resume">
            Resume the session
          </button>
        )}
        {!operation && outcome && (
          <button type="button" onClick={() => f().goto('report')}>
            Report
          </button>
        )}
      </div>
    </div>
  );
}

function SessionOutcomeNote({ outcome }: { outcome: SessionOutcomeWire | null }) {
  if (!outcome) return null;
  return (
    <div className={`outcome outcome-${outcome.state}`} role="status" data-testid="outcome" data-state={outcome.state}>
      <strong>{SESSION_STATE_LABEL[outcome.state]}</strong>: {outcome.message}
      {outcome.nextStep && <p data-testid="outcome-next">Next: {outcome.nextStep}</p>}
    </div>
  );
}

// --- Verify -------------------------------------------------------------------------------------

function VerifyStep() {
  const outcome = useFlowStore((s) => s.outcome);
  const operation = useFlowStore((s) => s.operation);
  const phase = useFlowStore((s) => s.phases['verify']);
  const state = useFlowStore((s) => s.sessionState);
  const f = useFlowStore.getState;
  const pending = outcome?.rows.filter((r) => r.state !== 'fixed') ?? [];
  const total = phase?.total ?? outcome?.rows.length ?? 0;
  const done = phase?.done ?? outcome?.rows.filter((r) => r.state === 'fixed').length ?? 0;
  return (
    <div data-testid="flow-verify">
      <p>
        Both sides are read again until every planned row shows the intended value. A successful write alone never marks a row
        fixed.
      </p>
      <div
        className="bar"
        role="progressbar"
        aria-label="Rows verified"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
      >
        <div className="bar-fill" style={{ width: `${total ? Math.round((done / total) * 100) : 0}%` }} />
      </div>
      <p role="status" data-testid="verify-status">
        {done} of {total} row(s) hold on both sides{phase?.message ? ` · ${phase.message}` : ''}
        {operation ? ' · checking…' : ''}
      </p>
      <SessionOutcomeNote outcome={outcome} />
      {pending.length > 0 && (
        <>
          <h3>Still pending</h3>
          <OutcomeRows rows={pending} testId="verify-pending" />
        </>
      )}
      <div className="form-actions">
        {!operation && state && RESUMABLE_STATES.has(state) && (
          <button type="button" className="primary" onClick={() => void f().resume()} data-testid="flow-resume">
            Verify again
          </button>
        )}
        {!operation && outcome && (
          <button type="button" onClick={() => f().goto('report')} data-testid="flow-to-report">
            Report
          </button>
        )}
      </div>
    </div>
  );
}

function OutcomeRows({ rows, testId }: { rows: SessionOutcomeWire['rows']; testId: string }) {
  return (
    <table className="table flow-table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">State</th>
          <th scope="col">Intended (AD / cloud)</th>
          <th scope="col">Now (AD / cloud)</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, TABLE_CAP).map((r) => (
          <tr key={r.rowKey} data-testid="outcome-row" data-upn={r.upn} data-state={r.state}>
            <td>
              <UserLink rowKey={r.rowKey} upn={r.upn} />
            </td>
            <td>
              <span aria-hidden="true">{r.state === 'fixed' ? '✓ ' : r.state === 'pending' ? '… ' : '✗ '}</span>
              {r.state}
              {r.message ? `: ${r.message}` : ''}
            </td>
            <td>
              <Value v={r.intended?.onPrem} /> / <Value v={r.intended?.cloud} />
            </td>
            <td data-testid="outcome-actual">
              <Value v={r.actual?.onPrem} /> / <Value v={r.actual?.cloud} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// --- Report -------------------------------------------------------------------------------------

function ReportStep() {
  const outcome = useFlowStore((s) => s.outcome);
  const plan = useFlowStore((s) => s.plan);
  const state = useFlowStore((s) => s.sessionState);
  const operation = useFlowStore((s) => s.operation);
  const undoReport = useFlowStore((s) => s.undoReport);
  const evidence = useFlowStore((s) => s.evidence);
  const evidenceBusy = useFlowStore((s) => s.evidenceBusy);
  const evidenceCheck = useFlowStore((s) => s.evidenceCheck);
  const [mask, setMask] = useState(false);
  const [confirmUndo, setConfirmUndo] = useState(false);
  const f = useFlowStore.getState;
  const restoredUsers = plan ? plan.rows.filter((r) => r.intended !== null).length : 0;

  const save = async () => {
    const ev = await f().buildEvidence(mask);
    if (ev) {
      downloadBase64(ev.fileName, ev.zipBase64);
      useAppStore.getState().notify('info', `Saved ${ev.fileName} (${ev.files} files).`);
    }
  };

  return (
    <div data-testid="flow-report">
      <SessionOutcomeNote outcome={outcome} />
      {outcome && (
        <>
          <dl className="facts compact">
            <dt>AD writes</dt>
            <dd>{outcome.writes.ad}</dd>
            <dt>Graph writes</dt>
            <dd>{outcome.writes.graph}</dd>
            <dt>Bypass changes</dt>
            <dd>{outcome.writes.bypass}</dd>
            <dt>Sync cycles</dt>
            <dd>{outcome.writes.cycles}</dd>
            <dt>Rows verified</dt>
            <dd data-testid="report-fixed">
              {outcome.rows.filter((r) => r.state === 'fixed').length} of {outcome.rows.length}
            </dd>
          </dl>
          <OutcomeRows rows={outcome.rows} testId="report-rows" />
        </>
      )}

      <section aria-labelledby="evidence-title" className="report-block">
        <h3 id="evidence-title">Evidence package</h3>
        <p>
          The scan&apos;s evidence plus this session&apos;s plan, journal and verification, with a manifest of hashes: for a
          support case or an audit.
        </p>
        <label>
          <input type="checkbox" checked={mask} onChange={(e) => setMask(e.target.checked)} data-testid="evidence-mask" /> Mask
          names and numbers
        </label>
        <div className="form-actions">
          <button type="button" disabled={evidenceBusy} onClick={() => void save()} data-testid="evidence-save">
            Save evidence package
          </button>
          <button
            type="button"
            disabled={evidenceBusy || !evidence}
            onClick={() => void f().verifyEvidence()}
            data-testid="evidence-verify"
          >
            Check the package
          </button>
        </div>
        {evidence && (
          <p className="muted" data-testid="evidence-info">
            {evidence.fileName}: {evidence.files} files, manifest SHA-256 <code>{evidence.manifestSha256.slice(0, 16)}…</code>
            {evidence.masked ? ' (masked)' : ''}
          </p>
        )}
        {evidenceCheck && (
          <p role="status" className={evidenceCheck.ok ? 'ok' : 'bad'} data-testid="evidence-check">
            {evidenceCheck.ok
              ? '✓ Every file matches its hash; nothing missing or extra.'
              : `✗ ${evidenceCheck.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`}
          </p>
        )}
      </section>

      <section aria-labelledby="undo-title" className="report-block">
        <h3 id="undo-title">Undo</h3>
        {operation === 'undo' && (
          <p role="status" aria-busy="true" data-testid="undo-status">
            Undoing…
          </p>
        )}
        {undoReport ? (
          <UndoReport />
        ) : (
          <p>
            AD values restored (compare-and-set), per-user cloud values restored, the bypass turned off if this session turned it
            on. Values erased by the bypass come back as an offer of AD writes.
          </p>
        )}
        <div className="form-actions">
          {!operation && state && UNDOABLE_STATES.has(state) && (
            <button type="button" className="danger" onClick={() => setConfirmUndo(true)} data-testid="flow-undo">
              Undo this session…
            </button>
          )}
          {!operation && state && RESUMABLE_STATES.has(state) && (
            <button type="button" onClick={() => void f().resume()} data-testid="flow-resume">
              Resume the session
            </button>
          )}
        </div>
      </section>
      {confirmUndo && (
        <ConfirmDialog
          title={`Undo this session for ${restoredUsers} user${restoredUsers === 1 ? '' : 's'}?`}
          confirmLabel={`Undo for ${restoredUsers} user${restoredUsers === 1 ? '' : 's'}`}
          danger
          testId="confirm-undo"
          onCancel={() => setConfirmUndo(false)}
          onConfirm={() => {
            setConfirmUndo(false);
            void f().undo();
          }}
        >
          <p>
            This writes the values from before the session back for <strong>{restoredUsers}</strong> user
            {restoredUsers === 1 ? '' : 's'}, where nobody changed them since.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function UndoReport() {
  const report = useFlowStore((s) => s.undoReport)!;
  return (
    <div data-testid="undo-report" data-state={report.state}>
      <p role="status">
        <strong>{SESSION_STATE_LABEL[report.state]}</strong>: {report.restored.length} value(s) restored,{' '}
        {report.notRestored.length} not restored, {report.offers.length} offer(s).
      </p>
      {report.restored.length > 0 && (
        <ul data-testid="undo-restored">
          {report.restored.map((r) => (
            <li key={`${r.rowKey}:${r.side}`}>
              <span aria-hidden="true">✓ </span>
              {r.upn} ({r.side}): {r.message}
            </li>
          ))}
        </ul>
      )}
      {report.notRestored.length > 0 && (
        <ul data-testid="undo-not-restored">
          {report.notRestored.map((r, i) => (
            <li key={i}>
              <span aria-hidden="true">✗ </span>
              {r.upn ?? 'tenant'}: {r.message}
            </li>
          ))}
        </ul>
      )}
      {report.offers.length > 0 && (
        <>
          <p>
            {report.offers.length} cloud value(s) were erased by the bypass and the cycle; they can come back as AD writes (then
            the next cycle carries them to the cloud).
          </p>
          <button type="button" onClick={() => void useFlowStore.getState().restoreOffers()} data-testid="undo-restore-plan">
            Plan the restore as AD writes
          </button>
        </>
      )}
    </div>
  );
}
