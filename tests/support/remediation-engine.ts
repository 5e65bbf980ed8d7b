/**
 * Wiring of the remediation engine over the field-report sandbox for tests: counting wrappers
 * around the real ports (so a test can prove no write was lost or doubled) and fast timing.
 */
import type { OnPremDirectory } from '../../main/onprem/port';
import { RemediationEngine, sandboxCloudPort, type EngineHooks, type JournalStore, type Operator, type RemediationCloud, type RemediationEngineOptions } from '../../main/remediation';
import { admin, type FieldReportEnv } from './remediation-env';

export interface Counts {
  adWrites: Map<string, number>;
  graphWrites: Map<string, number>;
  bypassSets: boolean[];
  cycles: number;
}

export function newCounts(): Counts {
  return { adWrites: new Map(), graphWrites: new Map(), bypassSets: [], cycles: 0 };
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export function countingDirectory(dir: OnPremDirectory, counts: Counts): OnPremDirectory {
  return {
    describe: () => dir.describe(),
    scan: (o) => dir.scan(o),
    readUser: (dn, o) => dir.readUser(dn, o),
    async writeMobile(w, o) {
      const r = await dir.writeMobile(w, o);
      bump(counts.adWrites, w.dn);
      return r;
    },
    replicaStates: (dn, dcs) => dir.replicaStates(dn, dcs),
    close: () => dir.close(),
  };
}

export function countingCloud(cloud: RemediationCloud, counts: Counts): RemediationCloud {
  return {
    readUsers: (ids, o) => cloud.readUsers(ids, o),
    syncedUsers: (o) => cloud.syncedUsers(o),
    countSyncedUsers: (o) => cloud.countSyncedUsers(o),
    async patchMobile(writes, o) {
      const r = await cloud.patchMobile(writes, o);
      for (const x of r.results) if (x.ok) bump(counts.graphWrites, x.userId);
      return r;
    },
    getBypass: (o) => cloud.getBypass(o),
    async setBypass(enabled, o) {
      const r = await cloud.setBypass(enabled, o);
      counts.bypassSets.push(enabled);
      return r;
    },
    checkPermissions: (o) => cloud.checkPermissions(o),
  };
}

export const FAST = { pollMs: 5, verifyTimeoutMs: 2000, replicationTimeoutMs: 500, resumeReadWindowMs: 50 };

export function sandboxEngine(
  env: FieldReportEnv,
  journal: JournalStore,
  o: { counts?: Counts; hooks?: EngineHooks; cloud?: RemediationCloud; operator?: Operator; withCycle?: boolean; timing?: Partial<RemediationEngineOptions['timing']>; sleep?: RemediationEngineOptions['sleep']; rescan?: RemediationEngineOptions['rescan'] } = {},
): RemediationEngine {
  const counts = o.counts ?? newCounts();
  const dir = countingDirectory(env.dir, counts);
  const cloud = countingCloud(o.cloud ?? sandboxCloudPort(env.tenant, { actor: admin }), counts);
  return new RemediationEngine({
    journal,
    onPrem: () => dir,
    cloud,
    ...(o.withCycle === false
      ? {}
      : {
          runSyncCycle: async (_policy, co) => {
            counts.cycles++;
            const r = await env.sync.runCycle('initial', { ...(co.signal ? { signal: co.signal } : {}), ...(co.onProgress ? { onProgress: co.onProgress } : {}) });
            return { summary: `${r.exported} exported` };
          },
        }),
    ...(o.operator ? { operator: o.operator } : {}),
    rescan: o.rescan ?? (() => env.scan()),
    ...(o.hooks ? { hooks: o.hooks } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    timing: { ...FAST, ...o.timing },
  });
}
