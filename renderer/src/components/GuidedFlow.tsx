/**
 * The guided flow: Decide → Plan (with the blast radius) → Preflight → Apply → Verify → Report.
 * Everything it shows comes from the flow store; the plan, its blast radius and the number of users
 * named in the confirmation come from the service, so the wizard can never promise more than the
 * engine does.
 *
 * This file is the shell (the step bar, the session banner and the step in view); each step is its
 * own file in guided-flow/, and guided-flow/shared.tsx holds what the steps show the same way.
 */
import { useEffect, useRef } from 'react';
import { FLOW_STEPS, type FlowStep } from '../stores/flow-model';
import { useFlowStore } from '../stores/remediation-store';
import { SESSION_STATE_LABEL } from '../stores/sessions-store';
import { ApplyStep } from './guided-flow/ApplyStep';
import { DecideStep } from './guided-flow/DecideStep';
import { PlanStep } from './guided-flow/PlanStep';
import { PreflightStep } from './guided-flow/PreflightStep';
import { ReportStep } from './guided-flow/ReportStep';
import { VerifyStep } from './guided-flow/VerifyStep';

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
