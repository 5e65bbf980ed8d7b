/**
 * manifest.json: who built the package, from what, when, and the SHA-256 of every other file.
 * The package time lives here and nowhere else, so two packages of one scan differ only in it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isoDateTime } from '../core/model';
import { EVIDENCE_CLOUDS } from './input';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 'syncdrift-evidence/1';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case SHA-256 hex digest');

export const EvidenceManifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  tool: z.object({ name: z.string(), version: z.string() }),
  profile: z.string(),
  operator: z.string(),
  tenant: z.object({ id: z.string().nullable(), cloud: z.enum(EVIDENCE_CLOUDS).nullable(), displayName: z.string().nullable() }),
  scanAt: isoDateTime,
  packagedAt: isoDateTime,
  scope: z.object({ searchBases: z.array(z.string()), note: z.string().nullable() }),
  masked: z.boolean(),
  /** 'report-rows' when the raw snapshots were not available. */
  dataSource: z.enum(['snapshots', 'report-rows']),
  users: z.number().int().nonnegative(),
  session: z.boolean(),
  hashAlgorithm: z.literal('SHA-256'),
  /** Every file of the package except the manifest itself → lower-case hex SHA-256. */
  files: z.record(z.string(), Sha256Hex),
});
export type EvidenceManifest = z.infer<typeof EvidenceManifest>;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
