/**
 * `--connect-export FILE` (repeatable): the Entra Connect exports of docs/onprem.md, each file told
 * by its content (connector-space XML, or the ConvertTo-Json of Get-ADSyncCSObject, Get-ADSyncRule or
 * Get-ADSyncRunProfileResult), read by main/syncengine and turned into the engine's view of each user.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ValidationError } from '../core/errors';
import type { EngineObject } from '../core/engine-view';
import {
  buildConnectEngineObjects,
  jsonRecords,
  parseConnectorSpaceXml,
  parseCsObjectJson,
  parseRunHistoryJson,
  parseSyncRulesJson,
  type ConnectStats,
  type ConnectorRun,
  type CsObject,
  type SyncRuleInfo,
} from '../syncengine';

type Kind = 'cs-xml' | 'cs-json' | 'rules' | 'runs';

function kindOf(text: string, file: string): Kind {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('<')) return 'cs-xml';
  const first = jsonRecords(text, file)[0]?.value;
  if (first && typeof first === 'object') {
    const keys = Object.keys(first);
    if (keys.includes('AttributeFlowMappings') || keys.includes('Precedence')) return 'rules';
    if (keys.includes('RunProfileName') || keys.includes('RunHistoryId')) return 'runs';
    if (keys.includes('DistinguishedName')) return 'cs-json';
  }
  throw new ValidationError(file, 'is none of the Connect exports (connector-space XML, or ConvertTo-Json of Get-ADSyncCSObject, Get-ADSyncRule, Get-ADSyncRunProfileResult): see docs/onprem.md');
}

export async function readConnectExports(paths: readonly string[]): Promise<{ objects: EngineObject[]; stats: ConnectStats }> {
  const csObjects: CsObject[] = [];
  const rules: SyncRuleInfo[] = [];
  const runs: ConnectorRun[] = [];
  let rulesFile: string | null = null;
  let runsFile: string | null = null;
  for (const path of paths) {
    const file = basename(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new ValidationError('--connect-export', `cannot read ${path} (${(e as { code?: string }).code ?? String(e)})`, { cause: e });
    }
    switch (kindOf(text, file)) {
      case 'cs-xml':
        csObjects.push(...parseConnectorSpaceXml(text, file));
        break;
      case 'cs-json':
        csObjects.push(...parseCsObjectJson(text, file));
        break;
      case 'rules':
        rules.push(...parseSyncRulesJson(text, file));
        rulesFile = file;
        break;
      case 'runs':
        runs.push(...parseRunHistoryJson(text, file));
        runsFile = file;
        break;
    }
  }
  if (csObjects.length === 0) throw new ValidationError('--connect-export', 'no connector-space export among the files: give the Get-ADSyncCSObject JSON or the connector-space XML too');
  return buildConnectEngineObjects({ csObjects, rules, rulesFile, runs, runsFile });
}
