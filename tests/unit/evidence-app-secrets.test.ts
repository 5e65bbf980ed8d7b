/**
 * The app's evidence path (evidence.build through the router, as the renderer calls it) knows the
 * profile's secrets, as the CLI's does: a stored client secret, a stored bind password and the value
 * of an environment variable the profile names never appear in the package, even when the scanned
 * data carries them (a helpdesk note pasting the password into displayName, an audit value).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices } from '../../main/api/services';
import { silentLogger } from '../../main/core/logger';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { computeDrift } from '../../main/drift/engine';
import { readZipEntries } from '../support/evidence-zip';
import { adUser, entraTwin } from './drift/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'sd-ev-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT_SECRET = 'Vault-Client-Secret-5d1e8b';
const BIND_PASSWORD = 'Vault-Bind-Password-4c2a77';
const ENV_PASSWORD = 'Env-Bind-Password-0a9f31';

describe('evidence.build in the app', () => {
  it('redacts every secret the profile holds or names, wherever the scanned data carried it', async () => {
    process.env.SD_TEST_SECOND_DC_PASSWORD = ENV_PASSWORD;
    const s = await createServices({
      host: 'test',
      workspaceDir: dir,
      logger: silentLogger,
      clock: { now: () => new Date('2026-11-29T10:00:00Z') },
      encryptor: createKeyFileEncryptor(join(dir, 'secret.key')),
      network: { fetch, describe: () => 'test' },
      send: () => {},
    });
    try {
      // The key-file store is weak: the admin consents for this workspace before secrets are stored.
      expect((await s.router.dispatch('secrets.consent', { action: 'accept', backend: 'key-file' }, { origin: 'test' })).ok).toBe(true);
      const saved = await s.router.dispatch(
        'profiles.save',
        {
          document: {
            name: 'Contoso',
            onPrem: [
              { url: 'ldaps://dc01.contoso.com:636', bindDn: 'svc-syncdrift@contoso.com', baseDn: 'DC=contoso,DC=com' },
              { id: 'dc02', url: 'ldaps://dc02.contoso.com:636', bindDn: 'svc-syncdrift@contoso.com', baseDn: 'DC=contoso,DC=com', passwordEnv: 'SD_TEST_SECOND_DC_PASSWORD' },
            ],
            cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'clientSecret', secretEnv: 'SD_TEST_UNSET_SECRET' } },
            defaultRegion: 'US',
          },
          secrets: { onPremPasswords: { 'dc01.contoso.com': BIND_PASSWORD }, clientSecret: CLIENT_SECRET },
        },
        { origin: 'test' },
      );
      if (!saved.ok) throw new Error(saved.error.message);
      const profileId = (saved.value as { summary: { id: string } }).summary.id;

      // Scanned data that carries the secrets: a helpdesk note in displayName, a pasted value in the cloud.
      const ad = adUser(101, { given: 'Adele', sn: 'Vance', mobile: '+1 803 555 0112' });
      ad.displayName = `Adele Vance (bind pw ${BIND_PASSWORD}, dc02 ${ENV_PASSWORD})`;
      const cloud = entraTwin(ad, { mobilePhone: '+1 206 555 0177', displayName: `Adele Vance ${CLIENT_SECRET}` });
      const drift = computeDrift([ad], [cloud], { defaultRegion: 'US' });
      expect(drift.rows[0]?.status).toBe('cloud-override');
      const scan = s.workspace.scans.record({
        profileName: 'Contoso',
        profileId,
        kind: 'live',
        startedAt: '2026-11-29T09:00:00Z',
        finishedAt: '2026-11-29T09:05:00Z',
        summary: drift.summary,
        rows: drift.rows,
        onPremUsers: [ad],
        cloudUsers: [cloud],
      });

      const env = await s.router.dispatch('evidence.build', { scanId: scan.id, mask: false }, { origin: 'test' });
      if (!env.ok) throw new Error(env.error.message);
      const file = join(dir, 'pkg.zip');
      writeFileSync(file, Buffer.from((env.value as { zipBase64: string }).zipBase64, 'base64'));
      const entries = await readZipEntries(file);
      expect(entries.size).toBeGreaterThan(3);
      for (const [name, data] of entries) {
        const text = data.toString('utf8');
        for (const secret of [CLIENT_SECRET, BIND_PASSWORD, ENV_PASSWORD]) {
          expect(text.includes(secret), `${secret} in ${name}`).toBe(false);
          expect(text.includes(Buffer.from(secret).toString('base64')), `${secret} (base64) in ${name}`).toBe(false);
        }
      }
      expect(entries.get('affected-users.csv')?.toString()).toContain('Adele Vance [redacted]');
      expect([...entries.values()].map(String).join('\n')).toContain('(bind pw [redacted], dc02 [redacted])');
    } finally {
      delete process.env.SD_TEST_SECOND_DC_PASSWORD;
      await s.dispose();
    }
  });
});
