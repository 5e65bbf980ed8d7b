/**
 * Connection profiles as the UI manages them: the built-in sandbox profile (always there, never
 * stored) and the admin's live profiles (the CLI's profile format, validated by main/core/profile.ts,
 * stored without secrets; secrets go to the vault).
 */
import { randomUUID } from 'node:crypto';
import { ValidationError, SyncDriftError } from '../core/errors';
import { authorityHostOf, parseProfile, type Profile } from '../core/profile';
import type { Workspace, ProfileRecord } from '../workspace';
import type { ProfileSummary } from '../../preload/contract';
import { CLOUD_SECRET, CLOUD_TOKEN_CACHE, cloudIdentity, onPremIdentity, onPremSecretName, type SecretState, type SecretVault } from './secrets';
import { sourceIdOf } from './connections';

export const SANDBOX_PROFILE_ID = 'sandbox';

export interface LiveProfile {
  id: string;
  record: ProfileRecord;
  profile: Profile;
}

export class ProfileService {
  constructor(
    private readonly workspace: Workspace,
    private readonly vault: SecretVault,
    /** Relative paths in profiles typed in the UI resolve against this folder. */
    private readonly baseDir: string,
  ) {}

  sandboxSummary(sandbox: { tenantId: string } | null, updatedAt: string): ProfileSummary {
    return {
      id: SANDBOX_PROFILE_ID,
      name: 'Sandbox tenant (demo)',
      kind: 'sandbox',
      onPrem: [{ id: 'sandbox', label: 'Sandbox directory (CN=Users,DC=contoso,DC=sandbox)', secretStored: false }],
      cloud: { environment: 'sandbox', tenantId: sandbox?.tenantId ?? 'starting…', authType: 'deviceCode (approved by the sandbox)', secretStored: false },
      updatedAt,
    };
  }

  /** Validates a profile document; errors name the field. */
  parse(document: unknown): Profile {
    return parseProfile(document, { dir: this.baseDir });
  }

  /** The state of a profile's client secret; 'none' when its sign-in uses no secret. */
  private cloudSecretState(id: string, profile: Profile): SecretState {
    const auth = profile.cloud.auth;
    if (auth.type !== 'clientSecret') return 'none';
    return this.vault.state(id, CLOUD_SECRET, cloudIdentity({ ...profile.cloud, authorityHost: authorityHostOf(profile.cloud), secretEnv: auth.secretEnv }));
  }

  summary(rec: ProfileRecord): ProfileSummary {
    const profile = this.parse(rec.profile);
    const cloudState = this.cloudSecretState(rec.id, profile);
    return {
      id: rec.id,
      name: rec.name,
      kind: 'live',
      onPrem: profile.onPrem.map((s) => {
        const state = this.vault.state(rec.id, onPremSecretName(sourceIdOf(s)), onPremIdentity(s));
        return { id: sourceIdOf(s), label: s.url, secretStored: state === 'stored', secretNeeded: state === 'needed' };
      }),
      cloud: { environment: profile.cloud.environment, tenantId: profile.cloud.tenantId, authType: profile.cloud.auth.type, secretStored: cloudState === 'stored', secretNeeded: cloudState === 'needed' },
      updatedAt: rec.updatedAt,
    };
  }

  list(): ProfileSummary[] {
    const out: ProfileSummary[] = [];
    for (const rec of this.workspace.profiles.list()) {
      try {
        out.push(this.summary(rec));
      } catch {
        // A profile saved by an older version that no longer validates still shows, so it can be fixed.
        out.push({ id: rec.id, name: `${rec.name} (needs attention)`, kind: 'live', onPrem: [], cloud: null, updatedAt: rec.updatedAt });
      }
    }
    return out;
  }

  get(id: string): LiveProfile {
    if (id === SANDBOX_PROFILE_ID) throw new SyncDriftError('validation', 'SANDBOX_PROFILE', 'The sandbox profile is built in and has no document.');
    const record = this.workspace.profiles.get(id);
    if (!record) throw new SyncDriftError('not-found', 'PROFILE_NOT_FOUND', `There is no profile ${id}.`);
    return { id, record, profile: this.parse(record.profile) };
  }

  async save(input: { id?: string; document: Record<string, unknown>; secrets?: { onPremPasswords?: Record<string, string>; clientSecret?: string } }): Promise<ProfileSummary> {
    if (input.id === SANDBOX_PROFILE_ID) throw new ValidationError('id', 'the sandbox profile cannot be changed; duplicate it to start a live profile');
    const profile = this.parse(input.document);
    const id = input.id ?? randomUUID();
    const sourceIds = new Set(profile.onPrem.map(sourceIdOf));
    for (const sid of Object.keys(input.secrets?.onPremPasswords ?? {})) {
      if (!sourceIds.has(sid)) throw new ValidationError(`secrets.onPremPasswords.${sid}`, 'names no on-prem source of this profile');
    }
    if (input.secrets?.clientSecret && profile.cloud.auth.type !== 'clientSecret') throw new ValidationError('secrets.clientSecret', "is only used with cloud.auth.type 'clientSecret'");
    // A weak store without the admin's consent refuses the secrets before the profile is written.
    if (Object.values(input.secrets?.onPremPasswords ?? {}).some(Boolean) || input.secrets?.clientSecret) this.vault.assertStoringAllowed();
    // Validate everything before writing anything: nothing is half saved.
    const before = input.id ? this.workspace.profiles.get(input.id) : null;
    const rec = this.workspace.profiles.save({ id, name: profile.name, profile: input.document });
    // Sign-ins belong to the tenant and app they were made for: another cloud section starts clean.
    if (before && JSON.stringify(before.profile.cloud) !== JSON.stringify(input.document.cloud)) this.vault.deleteAll(id, [CLOUD_TOKEN_CACHE]);
    // A stored secret belongs to the endpoint it was typed for: a changed address, account, tenant,
    // app or env var drops it, and the summary says it must be entered again (issue 16 finding 1).
    const passwords = input.secrets?.onPremPasswords ?? {};
    for (const s of profile.onPrem) {
      const sid = sourceIdOf(s);
      const pw = passwords[sid];
      if (pw) await this.vault.put(id, onPremSecretName(sid), pw, onPremIdentity(s));
      else this.vault.rebind(id, onPremSecretName(sid), onPremIdentity(s));
    }
    const auth = profile.cloud.auth;
    if (auth.type === 'clientSecret') {
      const identity = cloudIdentity({ ...profile.cloud, authorityHost: authorityHostOf(profile.cloud), secretEnv: auth.secretEnv });
      if (input.secrets?.clientSecret) await this.vault.put(id, CLOUD_SECRET, input.secrets.clientSecret, identity);
      else this.vault.rebind(id, CLOUD_SECRET, identity);
    } else this.vault.deleteAll(id, [CLOUD_SECRET]);
    return this.summary(rec);
  }

  duplicate(id: string): ProfileSummary {
    const src = this.get(id);
    const copy = this.workspace.profiles.save({ name: `${src.record.name} (copy)`, profile: { ...src.record.profile, name: `${src.profile.name} (copy)` } });
    // More copies of a secret on a weak store need the same consent a new one does; without it the copy asks for its secrets.
    if (this.vault.storage().storingAllowed) this.vault.copy(id, copy.id, [CLOUD_SECRET, ...src.profile.onPrem.map((s) => onPremSecretName(sourceIdOf(s)))]);
    return this.summary(copy);
  }

  delete(id: string): boolean {
    if (id === SANDBOX_PROFILE_ID) throw new ValidationError('id', 'the sandbox profile is built in and cannot be deleted');
    const rec = this.workspace.profiles.get(id);
    if (!rec) return false;
    let names = [CLOUD_SECRET, CLOUD_TOKEN_CACHE];
    try {
      names = [...names, ...this.parse(rec.profile).onPrem.map((s) => onPremSecretName(sourceIdOf(s)))];
    } catch {
      // An invalid document still gets deleted; its cloud secret goes with it.
    }
    this.vault.deleteAll(id, names);
    return this.workspace.profiles.delete(id);
  }

  import(text: string): Promise<ProfileSummary> {
    let doc: unknown;
    try {
      doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      throw new ValidationError('profile file', `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError('profile file', 'must be a JSON object');
    return this.save({ document: doc as Record<string, unknown> });
  }

  export(id: string): { fileName: string; text: string } {
    const { record } = this.get(id);
    const safe = record.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'profile';
    return { fileName: `${safe}.syncdrift-profile.json`, text: JSON.stringify(record.profile, null, 2) + '\n' };
  }
}
