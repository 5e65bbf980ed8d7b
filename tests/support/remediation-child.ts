/**
 * A separate process that applies a plan against the HTTPS sandbox and SIGKILLs itself at a chosen
 * point (SD_KILL_AT = "effect:N" or "append:N"): the real-crash half of the resume tests. Inputs come
 * from environment variables set by the test; the client secret is the sandbox's, test only.
 */
import { readFileSync } from 'node:fs';
import { createCloudClient } from '../../main/cloud';
import { createNodeNetwork } from '../../main/cloud/network';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import { cloudPortFromClient, parsePlanText, RemediationEngine } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { fieldReportEnv } from './remediation-env';

const need = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

async function main(): Promise<void> {
  const [where, nth] = need('SD_KILL_AT').split(':') as ['effect' | 'append', string];
  const network = await createNodeNetwork({ extraCaPem: [readFileSync(need('SD_CA_FILE'), 'utf8')], env: {} });
  const client = createCloudClient({
    profileCloud: { cloud: 'custom', tenant: need('SD_TENANT'), clientId: need('SD_APP_ID'), authorityHost: need('SD_ORIGIN'), graphBaseUrl: need('SD_ORIGIN') },
    network,
    logger: silentLogger,
    clock: systemClock,
    appRoles: need('SD_APP_ROLES').split(','),
    secrets: { getClientSecret: async () => need('SD_APP_SECRET') },
  });
  await client.signIn({ flow: 'client-credentials' });
  // The same deterministic directory as the parent's (graph-only plans never write to it).
  const env = await fieldReportEnv({ extraManaged: Number(need('SD_MOVED')) });
  let seen = 0;
  const die = () => {
    if (++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
  };
  const engine = new RemediationEngine({
    journal: workspaceJournalAt(need('SD_JOURNAL')),
    onPrem: () => env.dir,
    cloud: cloudPortFromClient(client),
    hooks: where === 'effect' ? { afterEffect: die } : { afterJournalAppend: die },
    timing: { pollMs: 20, verifyTimeoutMs: 5000 },
  });
  const out = await engine.apply(parsePlanText(readFileSync(need('SD_PLAN'), 'utf8')));
  process.stdout.write(`finished without being killed: ${out.state}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
