import { describe, expect, it } from 'vitest';
import { runScan, pagesOf } from '../../../main/drift/pipeline';
import { importLdif } from '../../../main/onprem/import/ldif';
import { parseGraphUsersJson } from '../../../main/cloud/import';
import { SyncDriftError, CancelledError } from '../../../main/core/errors';
import type { CloudUser, OnPremUser } from '../../../main/core/model';
import type { OnPremDirectory, ScanResult } from '../../../main/onprem/port';
import { contosoGraphPage, contosoLdif, EXPECTED } from '../cli/contoso';

const directory = () => importLdif(contosoLdif(), { file: 'contoso-users.ldf', sourceId: 'dc01' });
const cloudUsers = () => parseGraphUsersJson(JSON.stringify(contosoGraphPage()), 'users.json');

/** Cloud pages that arrive slowly, like Graph pages do. */
async function* slowPages(users: CloudUser[], perPage: number, delayMs: number, log?: string[]): AsyncGenerator<CloudUser[]> {
  for (let i = 0; i < users.length; i += perPage) {
    await new Promise((r) => setTimeout(r, delayMs));
    log?.push('cloud');
    yield users.slice(i, i + perPage);
  }
}

/** An on-prem source whose DC stops answering after the first page. */
function failingSource(id: string): OnPremDirectory {
  const base = directory();
  return {
    describe: () => ({ ...base.describe(), id, label: `ldaps://${id}.contoso.com` }),
    async *scan(): AsyncGenerator<OnPremUser[], ScanResult, void> {
      yield base.all().slice(0, 1) as OnPremUser[];
      throw new SyncDriftError('connection', 'LDAP_TIMEOUT', `${id}.contoso.com stopped answering (timeout after 120 s).`);
    },
    readUser: base.readUser.bind(base),
    writeMobile: base.writeMobile.bind(base),
    replicaStates: base.replicaStates.bind(base),
    close: async () => {},
  };
}

describe('runScan', () => {
  it('reports the comparing step in one unit from its first event to its last (the users of both sides)', async () => {
    const events: Array<{ done: number; total?: number }> = [];
    const out = await runScan({
      onPrem: [directory()],
      cloudUsers: pagesOf([cloudUsers()]),
      profileName: 'Contoso',
      defaultRegion: 'US',
      onProgress: (e) => e.phase === 'drift' && events.push({ done: e.done, total: e.total }),
    });
    const users = out.onPremUsers.length + out.cloudUsers.length;
    // Matched pairs make one row of two users, so the rows are fewer than the users compared.
    expect(out.report.rows.length).toBeLessThan(users);
    expect(events).toEqual([
      { done: 0, total: users },
      { done: users, total: users },
    ]);
  });

  it('reads both sides concurrently, times the phases and reports the verdicts', async () => {
    const log: string[] = [];
    const onPremPages: number[] = [];
    const out = await runScan({
      onPrem: [directory()],
      cloudUsers: slowPages(cloudUsers(), 3, 15, log),
      profileName: 'Contoso',
      defaultRegion: 'US',
      scannedBases: ['OU=Staff,DC=contoso,DC=com'],
      scanOptions: { pageSize: 2 },
      onOnPremPage: (_s, users) => {
        log.push('onprem');
        onPremPages.push(users.length);
      },
    });
    // On-prem pages are not held back by the slower cloud side.
    expect(log.indexOf('onprem')).toBeLessThan(log.indexOf('cloud'));
    expect(onPremPages.length).toBeGreaterThan(1);
    expect(Object.fromEntries(out.report.rows.map((r) => [r.upn, r.status]))).toMatchObject(
      Object.fromEntries(Object.entries(EXPECTED).filter(([k]) => k !== 'adele.vance@contoso.com')),
    );
    expect(out.report.summary.phases).toEqual(expect.objectContaining({ onprem: expect.any(Number), cloud: expect.any(Number), drift: expect.any(Number), total: expect.any(Number) }));
    expect(out.report.summary.phases.cloud!).toBeGreaterThanOrEqual(40);
    expect(out.missing).toEqual([]);
    expect(out.sources[0]!.objects).toBe(8);
  });

  it('with several sources records a failing one as missing and keeps the rest', async () => {
    const out = await runScan({ onPrem: [directory(), failingSource('dc02')], cloudUsers: pagesOf([cloudUsers()]), profileName: 'Contoso', continueOnSourceError: true });
    expect(out.missing).toEqual(['on-prem source dc02 (ldaps://dc02.contoso.com): dc02.contoso.com stopped answering (timeout after 120 s).']);
    expect(out.sources.find((s) => s.source.id === 'dc02')?.error).toMatch(/stopped answering/);
  });

  it('fails the whole scan when its only source fails, and stops the cloud side', async () => {
    let cloudPagesRead = 0;
    async function* endless(): AsyncGenerator<CloudUser[]> {
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        cloudPagesRead++;
        yield cloudUsers();
      }
    }
    await expect(runScan({ onPrem: [failingSource('dc01')], cloudUsers: endless(), profileName: 'Contoso', continueOnSourceError: true })).rejects.toMatchObject({ kind: 'connection' });
    const after = cloudPagesRead;
    await new Promise((r) => setTimeout(r, 40));
    // At most the page already in flight completes; nothing is requested after it.
    expect(cloudPagesRead).toBeLessThanOrEqual(after + 1);
  });

  it('stops with CancelledError when the caller cancels', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 20);
    await expect(runScan({ onPrem: [directory()], cloudUsers: slowPages(cloudUsers(), 1, 10), profileName: 'Contoso', signal: ctl.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});
