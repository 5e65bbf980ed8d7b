/**
 * How the remediation commands print a plan, a preflight, a session's outcome and an undo report
 * for the admin reading the terminal (remediation-commands.ts).
 */
import { takeoverLine, unscannedToAccept, type Plan, type PreflightReport, type SessionOutcome, type UndoReport } from '../remediation';

const show = (v: string | null) => (v === null ? '(empty)' : v);

/** The plan as an admin reads it: steps in order, blast radius, warnings, what cannot be undone. */
export function renderPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`Plan ${plan.id} (${plan.source.profile}, scan of ${plan.source.reportGeneratedAt})`);
  const decided = plan.rows.filter((r) => r.action);
  out.push(`Decisions: ${decided.length} row(s): ${['keep-onprem', 'keep-cloud', 'support-case', 'skip'].map((a) => `${a} ${decided.filter((r) => r.action === a).length}`).join(', ')}`);
  out.push('', 'Steps, in order:');
  plan.steps.forEach((s, i) => {
    const n = `${String(i + 1).padStart(3)}.`;
    switch (s.kind) {
      case 'ad-write':
        out.push(`${n} AD write (compare-and-set) ${s.upn}: mobile ${show(s.expected)} -> ${show(s.next)}`);
        break;
      case 'await-replication':
        out.push(`${n} wait until the ${s.rowKeys.length} AD write(s) show on ${s.dcs.join(', ') || 'the DC'} (the Connect server's DC)`);
        break;
      case 'graph-patch':
        out.push(`${n} Graph PATCH ${s.upn}: mobilePhone ${show(s.expected)} -> ${show(s.next)}`);
        break;
      case 'record-cloud-values':
        out.push(`${n} record the current cloud value of all ${s.rowKeys.length} blast-radius user(s), and of every other synced user of the tenant, in the journal`);
        break;
      case 'set-bypass':
        out.push(`${n} turn BypassDirSyncOverrides ${s.enabled ? 'ON (tenant-wide)' : 'off'}`);
        break;
      case 'sync-cycle':
        out.push(`${n} full (initial) sync cycle: ${s.instructions}`);
        break;
      case 'verify':
        out.push(`${n} verify ${s.rowKeys.length} row(s) on both sides (re-read until they show the intended values)`);
        break;
    }
  });
  if (plan.steps.length === 0) out.push('  (nothing to write)');
  if (plan.needsBypass) {
    out.push('', `BLAST RADIUS: ${plan.blastRadius.length} user(s) whose values differ; the bypass and the full cycle make AD win for all of them:`);
    for (const b of plan.blastRadius) {
      out.push(`  ${b.selected ? '*' : ' '} ${b.upn.padEnd(36)} ${b.status.padEnd(15)} AD ${show(b.onPremValue).padEnd(18)} cloud ${show(b.cloudValue).padEnd(18)} ${b.action ?? 'UNDECIDED'}: ${b.effect}`);
    }
    out.push('  (* = in your selection)');
    const need = unscannedToAccept(plan);
    if (plan.coverage) out.push('', `NOT SCANNED: ${plan.coverage.note}`);
    else out.push('', 'NOT SCANNED: this plan carries no count of the tenant\'s synced users; the bypass reaches all of them.');
    if (need !== null) out.push(`  Apply needs: --accept-unscanned ${need}`);
  }
  if (plan.warnings.length) out.push('', 'Warnings:', ...plan.warnings.map((w) => `  - ${w}`));
  if (plan.cannotUndo.length) out.push('', 'Cannot be undone:', ...plan.cannotUndo.map((w) => `  - ${w}`));
  if (plan.blockers.length) out.push('', 'Blocked until decided:', ...plan.blockers.map((b) => `  - ${b.upn}: ${b.message}`));
  if (plan.notes.length) out.push('', 'Notes:', ...plan.notes.map((w) => `  - ${w}`));
  return `${out.join('\n')}\n`;
}

export function renderPreflight(p: PreflightReport): string {
  const lines = ['Preflight:'];
  for (const c of p.checks) lines.push(`  [${c.ok ? 'ok' : c.severity === 'blocking' ? 'FAIL' : 'warn'}] ${c.name}: ${c.message}`);
  for (const c of p.conflicts) lines.push(`  CONFLICT ${c.upn} (${c.side}): ${c.message}`);
  return `${lines.join('\n')}\n`;
}

export function renderOutcome(o: SessionOutcome): string {
  const lines = [`Session ${o.sessionId || '(none)'}: ${o.state}${o.message ? ` - ${o.message}` : ''}`];
  lines.push(`Writes: AD ${o.writes.ad}, Graph ${o.writes.graph}, bypass ${o.writes.bypass}, cycles ${o.writes.cycles}`);
  for (const r of o.rows) {
    const a = r.actual ? `AD ${show(r.actual.onPrem)}, cloud ${show(r.actual.cloud)}` : 'not read';
    lines.push(`  ${r.state.padEnd(11)} ${r.upn}: ${a}${r.message ? ` (${r.message})` : ''}`);
  }
  if (o.sweep && o.sweep.changed.length > 0) {
    lines.push('', `Changed outside the plan (whole-tenant read after the cycle: ${o.sweep.changedCount} of ${o.sweep.read} synced user(s)):`);
    for (const c of o.sweep.changed) lines.push(`  ${c.upn}: cloud ${show(c.before)} -> ${show(c.after)}`);
    if (o.sweep.changedCount > o.sweep.changed.length) lines.push(`  … and ${o.sweep.changedCount - o.sweep.changed.length} more (all in the session's journal)`);
  }
  if (o.nextStep) lines.push('', 'Next step:', ...o.nextStep.split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

export function renderUndo(u: UndoReport): string {
  const lines = [`Undo of ${u.sessionId}: ${u.state}`];
  if (u.takeover) lines.push(`  ${takeoverLine(u.takeover)}`);
  for (const r of u.restored) lines.push(`  restored ${r.upn || 'tenant'}: ${r.message}`);
  for (const r of u.notRestored) {
    lines.push(`  NOT restored ${r.upn ?? ''}${r.upn ? ': ' : ''}${r.message}`);
    // The sentence names the first few; the full list, one per line, so none is hidden behind "and N more".
    if (r.users && r.users.length > 0) lines.push(`    users (${r.users.length}):`, ...r.users.map((x) => `      ${x}`));
  }
  for (const n of u.notes ?? []) lines.push(`  note: ${n}`);
  if (u.offers.length) {
    lines.push('', 'Erased by the bypass + cycle; can come back only as AD writes (keep-cloud):');
    for (const o of u.offers) lines.push(`  ${o.upn}: was ${show(o.recordedCloudValue)} in the cloud, now ${show(o.currentCloudValue)}; AD ${show(o.currentOnPremValue)}`);
  }
  return `${lines.join('\n')}\n`;
}
