/**
 * The sync engine's view of the sandbox demo for the CLI, joined exactly as the app joins it
 * (main/api/services.ts): Entra Connect mode reads the simulator's own Connect exports back through
 * main/syncengine, Cloud Sync mode reads the job's mapping and provisioning logs over the sandbox's
 * Graph. Without it the demo's custom E.164 rule's users look like format-only drift, a keep-onprem
 * plan for them can never verify (the rule reformats AD's text again on every cycle), and the CLI's
 * verdicts differ from the app's on the same workspace.
 */
import type { EngineFlows, EngineObject } from '../core/engine-view';
import type { Clock } from '../core/ports';
import type { SandboxConnection } from '../api/sandbox-runtime';
import { cloudSyncViewOrProblem } from '../api/scan-service';
import { demoEngineObjects } from '../sandbox/demo-engine';

export async function demoEngineView(conn: SandboxConnection, o: { clock: Clock; signal?: AbortSignal }): Promise<{ objects: EngineObject[] | null; flows?: EngineFlows | undefined; problem: string | null }> {
  if (conn.demo.sync.engine !== 'cloud-sync') return { objects: demoEngineObjects(conn.demo.sync), problem: null };
  const v = await cloudSyncViewOrProblem(conn.client, { servicePrincipalId: conn.server.tenant.cloudSyncJob.servicePrincipalId, clock: o.clock, signal: o.signal });
  return { objects: v.objects, flows: v.flows, problem: v.problem };
}
