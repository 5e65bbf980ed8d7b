/**
 * The Plan step: the service's plan step by step and its blast radius, decided before anything runs.
 */
import { useMemo, useState } from 'react';
import { unscannedToAccept, type DecisionAction, type Plan } from '../../../../preload/contract';
import { ACTIONS, ACTION_LABEL } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { StatusChip } from '../StatusChip';
import { STATUS_LABEL, STATUS_ORDER } from '../../grid/model';
import { DecisionSelect, type PlanStepWire, TABLE_CAP, UserLink, Value } from './shared';

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

export function PlanStep() {
  const plan = useFlowStore((s) => s.plan);
  const readiness = useFlowStore((s) => s.readiness);
  const planning = useFlowStore((s) => s.planning);
  const planError = useFlowStore((s) => s.planError);
  const started = useFlowStore((s) => !!s.sessionId || !!s.operation);
  const accepted = useFlowStore((s) => s.unscannedAccepted());
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
        {counts.bypass && (
          <>
            <dt>Synced users not scanned</dt>
            <dd data-testid="plan-not-scanned">{plan.coverage ? (plan.coverage.notScanned ?? 'unknown') : 'unknown'}</dd>
          </>
        )}
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
      {plan.needsBypass && <Unscanned plan={plan} readOnly={started} />}
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
            disabled={!readiness?.ready || planning || !accepted}
            title={accepted ? undefined : 'Accept the synced users the scan did not read first (above), or scan every OU and forest the sync engine reads.'}
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

/**
 * The bypass's reach beyond the scan (#17 point 4): how many synced users the scan did not read, and
 * the explicit acceptance apply needs when that is not zero (preflight counts them again, live).
 */
function Unscanned({ plan, readOnly }: { plan: Plan; readOnly: boolean }) {
  const need = unscannedToAccept(plan);
  const accepted = useFlowStore((s) => s.unscannedAccepted());
  if (need === null) return null;
  const what = need === 'unknown' ? 'an unknown number of synced users' : `${need} synced user${need === 1 ? '' : 's'}`;
  return (
    <section className="unscanned" data-testid="plan-unscanned" aria-labelledby="unscanned-h">
      <h3 id="unscanned-h">Not scanned: {what}</h3>
      <p>{plan.coverage?.note ?? 'This plan carries no count of the tenant’s synced users: the bypass and the full cycle reach every one of them, scanned or not.'}</p>
      <label className="accept">
        <input
          type="checkbox"
          checked={accepted}
          disabled={readOnly}
          onChange={(e) => useFlowStore.getState().acceptUnscanned(e.currentTarget.checked)}
          data-testid="plan-accept-unscanned"
        />{' '}
        I accept that the bypass and the full cycle also change {what} this scan did not read, wherever AD differs. Verification
        reads the whole tenant afterwards and counts every one that changed, naming up to 500.
      </label>
    </section>
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
