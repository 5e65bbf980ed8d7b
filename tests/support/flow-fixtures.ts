/**
 * The guided flow's fake service for renderer tests: rows shaped like the demo (testmobile's
 * override among format-only, onprem-missing and in-sync users), plans and suggestions from the real
 * pure builders in main/remediation, and the service's confirmation check, so the wizard is tested
 * against the engine's rules rather than against hand-written plans.
 */
import { buildPlan, planReadiness } from '../../main/remediation/plan';
import { suggestDecision } from '../../main/remediation/decisions';
import {
  acceptanceCovers,
  affectedUserCount,
  unscannedToAccept,
  type DriftRow,
  type Plan,
  type SessionOutcomeWire,
  type SessionSummaryWire,
} from '../../preload/contract';
import { DriftStatus, type DriftReport } from '../../main/core/model';
import { makeRow, type FakeApi } from './fake-api';

function withValues(row: DriftRow, onPrem: string | null, cloud: string | null, over: Partial<DriftRow> = {}): DriftRow {
  return {
    ...row,
    onPrem: row.onPrem ? { ...row.onPrem, value: onPrem } : null,
    cloud: row.cloud ? { ...row.cloud, value: cloud } : null,
    normalized: { onPrem: onPrem?.replace(/\D/g, '') ?? null, cloud: cloud?.replace(/\D/g, '') ?? null },
    ...over,
  };
}

export function demoRows(): DriftRow[] {
  const rows: DriftRow[] = [];
  rows.push(
    withValues(makeRow(1, { status: 'cloud-override' }), '0987654321', '1234567890', {
      key: 'row-testmobile',
      upn: 'testmobile@contoso.com',
      cause: 'The cloud kept a legacy edit; AD changes are ignored (DirSyncOverrides).',
    }),
  );
  rows.push(withValues(makeRow(2, { status: 'onprem-missing' }), null, '085 111 2222'));
  rows.push(withValues(makeRow(3, { status: 'onprem-missing' }), null, '+86 138 0013 8000'));
  rows.push(withValues(makeRow(4, { status: 'format-only' }), '5125550245', '512 555 0245'));
  rows.push(withValues(makeRow(6, { status: 'cloud-override' }), '0160 1432211', '01601439408'));
  for (let i = 8; i < 14; i++) rows.push(makeRow(i, { status: 'in-sync' }));
  return rows;
}

export function outcomeFor(sessionId: string, plan: Plan, state: SessionOutcomeWire['state']): SessionOutcomeWire {
  return {
    sessionId,
    state,
    message:
      state === 'completed'
        ? `Done: ${plan.rows.filter((r) => r.intended).length} row(s) verified on both sides.`
        : `Session ${state}.`,
    nextStep: state === 'awaiting-cycle' ? 'Run Start-ADSyncSyncCycle -PolicyType Initial on AADCONNECT01, then resume.' : null,
    rows: plan.rows
      .filter((r) => r.intended)
      .map((r) => ({
        rowKey: r.key,
        upn: r.upn,
        state: state === 'completed' ? 'fixed' : 'pending',
        intended: r.intended,
        actual: state === 'completed' ? r.intended : { onPrem: r.onPrem?.value ?? null, cloud: r.cloud?.value ?? null },
      })),
    writes: {
      ad: plan.steps.filter((s) => s.kind === 'ad-write').length,
      graph: 0,
      bypass: plan.needsBypass ? 1 : 0,
      cycles: plan.needsBypass ? 1 : 0,
    },
  };
}

export function summary(id: string, state: SessionSummaryWire['state'], plan: Plan): SessionSummaryWire {
  return {
    id,
    state,
    createdAt: '2026-03-01T10:00:00Z',
    updatedAt: '2026-03-01T10:01:00Z',
    planId: plan.id,
    profile: plan.source.profile,
    rows: plan.rows.length,
    steps: plan.steps.length,
    stepsDone: 1,
    message: null,
    live: state === 'running',
  };
}

/**
 * Registers the remediation channels on a FakeApi over these rows. `unscanned`: synced users in the
 * tenant the scan did not join (default none), as the scan's summary counts them (#17 point 4).
 */
export function flowApi(api: FakeApi, rows: DriftRow[], o: { unscanned?: number; syncEngine?: 'connect' | 'cloud-sync' } = {}): FakeApi {
  const joined = rows.filter((r) => r.onPrem && r.cloud).length;
  const byStatus = Object.fromEntries(
    DriftStatus.options.map((s) => [s, rows.filter((r) => r.status === s).length]),
  ) as DriftReport['summary']['byStatus'];
  const report: DriftReport = {
    generatedAt: '2026-03-01T09:00:00Z',
    profile: 'Sandbox tenant (demo)',
    summary: { onPremUsers: rows.length, cloudUsers: rows.length, outOfScope: 0, byStatus, synced: { inCloudRead: joined + (o.unscanned ?? 0), joined }, phases: {} },
    rows,
  };
  let planSeq = 0;
  return api
    .handle('remediation.suggest', ({ rowKeys }) => ({
      suggestions: rows.filter((r) => rowKeys.includes(r.key)).map((r) => ({ rowKey: r.key, ...suggestDecision(r) })),
    }))
    .handle('remediation.plan', ({ selected, decisions }) => {
      const plan = buildPlan(
        report,
        decisions.map((d) => ({ rowKey: d.rowKey, action: d.action })),
        {
          selected,
          syncEngine: o.syncEngine ?? 'connect',
          connectServer: o.syncEngine === 'cloud-sync' ? null : 'AADCONNECT01',
          id: `plan-${++planSeq}`,
          now: new Date('2026-03-01T10:00:00Z'),
        },
      );
      return { plan, readiness: planReadiness(plan) };
    })
    .handle('remediation.preflight', () => ({
      ok: true,
      checks: [
        { name: 'plan', ok: true, severity: 'blocking', message: 'Every blast-radius row has a decision.' },
        { name: 'onprem', ok: true, severity: 'blocking', message: 'Read 1 AD value(s).' },
      ],
      conflicts: [],
      bypassWasOn: false,
    }))
    .handle('remediation.apply', ({ plan, confirmUsers, acceptNotScanned }) => {
      const expected = affectedUserCount(plan as Plan);
      if (confirmUsers !== expected)
        throw new Error(
          `confirmUsers: the plan changes ${expected} user(s), but the confirmation named ${confirmUsers}. Review the plan again.`,
        );
      // The service's check, with the real rule (main/api/remediation-service.ts).
      if (!acceptanceCovers(acceptNotScanned, unscannedToAccept(plan as Plan))) throw new Error('acceptNotScanned: the unscanned synced users were not accepted.');
      return { operationId: 'op-apply' };
    })
    .handle('remediation.resume', () => ({ operationId: 'op-resume' }))
    .handle('remediation.undo', () => ({ operationId: 'op-undo' }))
    .handle('remediation.sessions', () => ({ sessions: [] }))
    .handle('op.cancel', () => ({ cancelled: true }));
}
