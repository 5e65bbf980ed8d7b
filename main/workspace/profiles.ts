/**
 * Connection profiles as the admin saved them. Never secrets: a profile names environment
 * variables or vault entries; anything that looks like a secret value is refused by key name.
 */
import type Sqlite from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import type { Clock } from '../core/ports';

export interface ProfileRecord {
  id: string;
  name: string;
  /** The profile document (see main/core/profile.ts), stored as given after validation by the caller. */
  profile: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Keys that would hold a secret value. `passwordEnv`, `secretEnv`, `privateKeyFile` name where one lives, and are fine. */
const SECRET_KEY = /^(password|secret|clientSecret|client_secret|privateKey|private_key|token|accessToken|refreshToken|apiKey|pfx|passphrase)$/i;

/** Throws naming the field when a document carries a secret value. */
export function assertNoSecrets(value: unknown, path = 'profile'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoSecrets(v, `${path}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k)) throw new ValidationError(`${path}.${k}`, 'secrets are never stored in the workspace: name an environment variable (…Env) or use the vault');
    assertNoSecrets(v, `${path}.${k}`);
  }
}

const Doc = z.record(z.string(), z.unknown());

export class ProfileRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  save(input: { id?: string; name: string; profile: Record<string, unknown> }): ProfileRecord {
    assertNoSecrets(input.profile);
    const id = input.id ?? randomUUID();
    const now = this.clock.now().toISOString();
    this.db
      .prepare(
        'INSERT INTO profiles (id, name, json, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, json = excluded.json, updated_at = excluded.updated_at',
      )
      .run(id, input.name, JSON.stringify(input.profile), now, now);
    return this.get(id)!;
  }

  get(id: string): ProfileRecord | null {
    const r = this.db.prepare('SELECT * FROM profiles WHERE id = ?').get(id) as { id: string; name: string; json: string; created_at: string; updated_at: string } | undefined;
    return r ? { id: r.id, name: r.name, profile: Doc.parse(JSON.parse(r.json)), createdAt: r.created_at, updatedAt: r.updated_at } : null;
  }

  list(): ProfileRecord[] {
    const ids = this.db.prepare('SELECT id FROM profiles ORDER BY name, id').pluck().all() as string[];
    return ids.map((id) => this.get(id)!);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM profiles WHERE id = ?').run(id).changes > 0;
  }
}
