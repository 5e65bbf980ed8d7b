/**
 * The one list of system packages (scripts/system-packages.txt) and its dpkg check: a package that is
 * only a Recommends (samba-ad-provision, the AD schema files) must be named, and "installed" is what
 * dpkg says of each package, not a guess from binaries.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { declaredPackages, installCommand, missingPackages } from '../../../scripts/system-packages.mjs';

const hasDpkg = spawnSync('dpkg-query', ['--version']).status === 0;

describe('the declared system packages', () => {
  it('name every package the Samba DC, the LDAP baseline and Chromium need, Recommends included', () => {
    const names = declaredPackages().map((p) => p.name);
    for (const n of ['samba', 'samba-ad-dc', 'samba-ad-provision', 'winbind', 'ldap-utils', 'chromium', 'openssl', 'iproute2', 'python3']) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
    for (const p of declaredPackages()) expect(p.why, `${p.name} says what needs it`).not.toBe('');
  });

  it('refuses a line that is not a package name, naming the line', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sd-pk-')), 'list.txt');
    writeFileSync(f, '# comment\nsamba # ok\nsamba-ad-dc; rm -rf / # injected\n');
    expect(() => declaredPackages(f)).toThrow(/list\.txt:3: not a Debian package name/);
  });

  it('installs without Recommends, so nothing depends on what apt would have pulled in by chance', () => {
    expect(installCommand(['samba', 'samba-ad-provision'])).toMatch(/apt-get install -y --no-install-recommends samba samba-ad-provision$/);
  });
});

describe.runIf(hasDpkg)('the dpkg check', () => {
  it('asks dpkg per package: an installed package is present, an unknown one is missing', () => {
    const r = missingPackages(['dpkg', 'syncdrift-no-such-package']);
    expect(r.dpkgMissing).toBe(false);
    expect(r.missing).toEqual(['syncdrift-no-such-package']);
  });

});
