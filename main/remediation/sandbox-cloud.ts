/**
 * The remediation cloud port over the sandbox tenant store in-process (demo mode without the HTTPS
 * server, and fast tests). It keeps Graph's rules because the store does: synced users refuse the
 * PATCH (reported as GRAPH_SOA_READONLY, HTTP 400; GRAPH_MAIL_ENABLED_READONLY for a mail-enabled
 * user, whose refusal Graph words differently), the bypass needs a Global Administrator.
 */
import { SyncDriftError } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import { CAPABILITIES, CAPABILITY_LABEL, type Capability, type CapabilityCheck } from '../cloud/permissions';
import type { TenantStore } from '../sandbox/tenant';
import type { AuditActor } from '../sandbox/tenant-model';
import type { CloudPatchResult, RemediationCloud } from './ports';

export interface SandboxCloudOptions {
  /** Who the writes are attributed to in the sandbox audit log. */
  actor: AuditActor;
  /** Capabilities the signed-in admin lacks (default none): preflight tests use it. */
  missing?: readonly Capability[];
}

export function sandboxCloudPort(tenant: TenantStore, opts: SandboxCloudOptions): RemediationCloud {
  const missing = new Set(opts.missing ?? []);
  const requireCap = (c: Capability) => {
    if (missing.has(c)) throw new SyncDriftError('permission', 'GRAPH_FORBIDDEN', `${CAPABILITY_LABEL[c]}: the signed-in admin lacks the permission.`);
  };
  return {
    async readUsers(ids, o = {}) {
      throwIfCancelled(o.signal);
      return new Map(
        ids.map((id) => {
          const u = tenant.getUser(id);
          return [id, u ? { id: u.id, mobilePhone: u.mobilePhone, managed: tenant.isCloudWritable(u) } : null];
        }),
      );
    },
    async syncedUsers(o = {}) {
      throwIfCancelled(o.signal);
      requireCap('scanUsers');
      const out = [];
      for (const u of tenant.listUsers()) if (u.onPremisesSyncEnabled === true && !tenant.isCloudWritable(u)) out.push({ id: u.id, upn: u.userPrincipalName, mobilePhone: u.mobilePhone });
      return out;
    },
    async countSyncedUsers(o = {}) {
      throwIfCancelled(o.signal);
      requireCap('scanUsers');
      let n = 0;
      for (const u of tenant.listUsers()) if (u.onPremisesSyncEnabled === true) n++;
      return n;
    },
    async patchMobile(writes, o = {}) {
      throwIfCancelled(o.signal);
      requireCap('writeMobilePhone');
      const results: CloudPatchResult[] = writes.map((w) => {
        const r = tenant.cloudWrite(w.userId, { mobilePhone: w.mobilePhone }, opts.actor);
        if (r.ok) return { userId: w.userId, ok: true, status: 204, error: null };
        if (r.reason === 'not-found') return { userId: w.userId, ok: false, status: 404, error: { kind: 'not-found', code: 'GRAPH_NOT_FOUND', message: `No user ${w.userId}.` } };
        if (r.reason === 'mail-enabled') {
          return { userId: w.userId, ok: false, status: 400, error: { kind: 'conflict', code: 'GRAPH_MAIL_ENABLED_READONLY', message: 'Graph refused the write: the user is a mail-enabled user synchronized from on-premises.' } };
        }
        return { userId: w.userId, ok: false, status: 400, error: { kind: 'validation', code: 'GRAPH_SOA_READONLY', message: 'Graph refused the write: the user is synchronized from on-premises.' } };
      });
      return { results, requests: Math.ceil(writes.length / 20), retries: 0 };
    },
    async getBypass() {
      if (missing.has('readBypass')) return { state: 'unknown', reason: 'Not a delegated Global Administrator.', code: 'GRAPH_FORBIDDEN' };
      return { state: 'known', enabled: tenant.features.bypassDirSyncOverridesEnabled };
    },
    async setBypass(enabled, o = {}) {
      throwIfCancelled(o.signal);
      requireCap('flipBypass');
      return { enabled: tenant.setFeatures({ bypassDirSyncOverridesEnabled: enabled }, opts.actor).bypassDirSyncOverridesEnabled };
    },
    async checkPermissions(): Promise<CapabilityCheck[]> {
      return CAPABILITIES.map((c) =>
        missing.has(c)
          ? { capability: c, label: CAPABILITY_LABEL[c], state: 'missing', grant: 'granted in the sandbox profile', reason: 'The sandbox admin lacks it.', source: 'rule' }
          : { capability: c, label: CAPABILITY_LABEL[c], state: 'granted', grant: null, reason: 'Sandbox admin.', source: 'rule' },
      );
    },
  };
}
