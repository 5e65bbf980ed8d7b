/**
 * Verification by provisionOnDemand (issue 18): where the tenant uses Cloud Sync, one AD user is
 * provisioned on demand (the portal's "Provision on demand") and the answer is compared with what
 * Entra ID then holds, so "Cloud Sync exported the value and Entra ID took it" is observed, not
 * assumed. Microsoft: provisionOnDemand provisions only what a regular cycle would (no user out of
 * scope), 5 requests per 10 seconds.
 */
import { SyncDriftError } from '../core/errors';
import type { CloudClient } from './index';

export type OnDemandVerdict = 'verified' | 'not-verified' | 'failed';

export interface OnDemandVerification {
  verdict: OnDemandVerdict;
  /** provisionOnDemand's own status (success, warning, failure, skipped). */
  provisioningStatus: string;
  objectId: string;
  /** The Entra user it provisioned (object id), when known. */
  targetId: string | null;
  /** The mobile value Cloud Sync sent in this run, when it sent one. */
  exportedMobile: string | null;
  sentMobile: boolean;
  /** Entra ID's mobilePhone read back after the run. */
  entraMobile: string | null;
  jobId: string;
  ruleId: string;
  steps: string[];
  message: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const same = (a: string | null, b: string | null) => (a ?? '').trim() === (b ?? '').trim();

export async function verifyByProvisionOnDemand(
  client: Pick<CloudClient, 'cloudSync' | 'getUsers'>,
  o: { servicePrincipalId: string; objectId: string; signal?: AbortSignal },
): Promise<OnDemandVerification> {
  if (!GUID.test(o.objectId)) throw new SyncDriftError('validation', 'CLOUD_SYNC_BAD_OBJECT_ID', `objectId must be the AD user's objectGUID (a GUID), got "${o.objectId}".`, { details: { field: 'objectId' } });
  const call = o.signal ? { signal: o.signal } : {};
  const job = await client.cloudSync.getJob(o.servicePrincipalId, call);
  const schema = await client.cloudSync.getSchema(o.servicePrincipalId, job.jobId, call);
  const r = await client.cloudSync.provisionOnDemand({ servicePrincipalId: o.servicePrincipalId, jobId: job.jobId, ruleId: schema.ruleId }, { objectId: o.objectId }, call);
  const steps = r.steps.map((s) => s.description ?? s.name).filter(Boolean);
  const base = { provisioningStatus: r.status, objectId: o.objectId, targetId: r.targetId, jobId: job.jobId, ruleId: schema.ruleId, steps };
  const sent = r.modified.find((m) => /^(mobile|mobilephone)$/i.test(m.name));
  if (r.status !== 'success' && r.status !== 'warning') {
    return { ...base, verdict: 'failed', exportedMobile: null, sentMobile: false, entraMobile: null, message: `Cloud Sync did not provision the user (${r.status}): ${steps[steps.length - 1] ?? 'no details in the answer'}.` };
  }
  if (!r.targetId) return { ...base, verdict: 'failed', exportedMobile: sent?.newValue ?? null, sentMobile: Boolean(sent), entraMobile: null, message: 'provisionOnDemand answered success without naming the Entra user (targetIdentity.id): nothing to read back.' };
  const user = (await client.getUsers([r.targetId], call)).get(r.targetId) ?? null;
  if (!user) return { ...base, verdict: 'failed', exportedMobile: sent?.newValue ?? null, sentMobile: Boolean(sent), entraMobile: null, message: `Entra ID has no user ${r.targetId} after the run.` };
  const entra = user.mobilePhone;
  if (!sent) {
    return { ...base, verdict: 'verified', exportedMobile: null, sentMobile: false, entraMobile: entra, message: `Cloud Sync found nothing to change in mobile: Entra ID holds ${entra ?? 'no value'}, what the mapping makes of AD.` };
  }
  const exported = sent.newValue;
  if (same(exported, entra)) return { ...base, verdict: 'verified', exportedMobile: exported, sentMobile: true, entraMobile: entra, message: `Cloud Sync exported mobile ${exported ?? '(empty)'} and Entra ID now holds it.` };
  return {
    ...base,
    verdict: 'not-verified',
    exportedMobile: exported,
    sentMobile: true,
    entraMobile: entra,
    message: `Cloud Sync exported mobile ${exported ?? '(empty)'} but Entra ID still holds ${entra ?? 'no value'}: it ignores the export for this user (DirSyncOverrides, a confirmed override). Keep the on-prem value with the bypass, or the cloud value by writing it into AD (docs/remediation.md).`,
  };
}
