/**
 * The engine's view of the demo (#18): the sync simulator's own Connect exports (connector spaces of
 * both connectors, the rules with the demo's custom E.164 rule, the run history) read back by
 * main/syncengine exactly as an admin's exports would be, so the demo scan joins what the engine
 * exported: Pune's users show rule-formatted, and a user whose exported value equals AD but whose
 * Entra value differs is a confirmed override citing its connector-space record.
 */
import type { EngineObject } from '../core/engine-view';
import { buildConnectEngineObjects, parseConnectorSpaceXml, parseRunHistoryJson, parseSyncRulesJson } from '../syncengine';
import type { SyncSimulator } from './sync';

/** The file names the demo's evidence cites (what docs/onprem.md's export kit writes). */
export const DEMO_ENGINE_FILES = { connectorSpace: 'sandbox-connector-space.xml', rules: 'sandbox-sync-rules.json', runs: 'sandbox-run-history.json' } as const;

export function demoEngineObjects(sync: SyncSimulator): EngineObject[] {
  const ex = sync.connectExports();
  return buildConnectEngineObjects({
    csObjects: parseConnectorSpaceXml(ex.connectorSpaceXml, DEMO_ENGINE_FILES.connectorSpace),
    rules: parseSyncRulesJson(ex.rulesJson, DEMO_ENGINE_FILES.rules),
    rulesFile: DEMO_ENGINE_FILES.rules,
    runs: parseRunHistoryJson(ex.runHistoryJson, DEMO_ENGINE_FILES.runs),
    runsFile: DEMO_ENGINE_FILES.runs,
  }).objects;
}
