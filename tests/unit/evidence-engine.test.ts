/**
 * The evidence package carries the sync engine's view per user (#18): the connector-space record the
 * verdict cites, the rule, and the exported value; masked like every other number when masking is on.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEvidenceFiles } from '../../main/evidence';
import type { DriftRow } from '../../main/core/model';
import { fieldReportScan, type FieldReportScan } from '../support/evidence-replay';

let scan: FieldReportScan;
beforeAll(async () => {
  scan = await fieldReportScan();
});

function withEngine(input: FieldReportScan['input']): FieldReportScan['input'] {
  const rows = input.report.rows.map((r: DriftRow) =>
    r.cloud?.id === scan.ids.testmobile
      ? {
          ...r,
          engine: {
            engine: 'connect' as const,
            state: 'exported' as const,
            exported: { mobile: r.onPrem!.value, otherMobile: ['+1 803 555 0777'] },
            exportedAt: '2025-02-04T08:00:00.000Z',
            rule: { name: 'In from AD - User Common', precedence: 104, expression: 'direct', sources: ['mobile'], connector: 'corp.fortmillems.org' },
            reason: null,
            evidence: [{ source: 'Get-ADSyncCSObject' as const, origin: 'aad-cs.json', line: 42 }],
          },
        }
      : { ...r, engine: null },
  );
  return { ...input, report: { ...input.report, rows } };
}

describe('connector-space evidence in the package', () => {
  it('puts the engine view with its citation in the user file, and masks its values in a masked package', () => {
    const plain = buildEvidenceFiles(withEngine(scan.input), { packagedAt: '2025-02-04T09:30:00Z' });
    const user = JSON.parse(plain.files.get(`users/${scan.ids.testmobile}.json`)!.toString()) as { syncEngine: { source: string; engine: { evidence: unknown[]; exported: { mobile: string }; rule: { name: string } } } };
    expect(user.syncEngine.source).toBe('Get-ADSyncCSObject');
    expect(user.syncEngine.engine.evidence).toEqual([{ source: 'Get-ADSyncCSObject', origin: 'aad-cs.json', line: 42 }]);
    expect(user.syncEngine.engine.rule.name).toBe('In from AD - User Common');
    const masked = buildEvidenceFiles(withEngine(scan.input), { mask: true, packagedAt: '2025-02-04T09:30:00Z' });
    for (const [name, data] of masked.files) expect(data.toString('utf8').includes('+1 803 555 0777'), name).toBe(false);
    const m = JSON.parse(masked.files.get(`users/${scan.ids.testmobile}.json`)!.toString()) as typeof user;
    expect(m.syncEngine.engine.exported.mobile).toMatch(/•/);
  });
});
