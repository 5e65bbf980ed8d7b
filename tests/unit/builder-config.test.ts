/**
 * scripts/check-builder-config.mjs (npm run package:check): the packaged app's security fuses. Each
 * fuse turned the wrong way, in electron-builder.yml or by a package script's --config override, must
 * fail the check, naming the fuse.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', '..');
const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function check(config: string, scripts?: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'sd-builder-'));
  const file = join(dir, 'electron-builder.yml');
  writeFileSync(file, config);
  const args = ['scripts/check-builder-config.mjs', file];
  if (scripts) {
    const p = join(dir, 'package.json');
    writeFileSync(p, JSON.stringify({ scripts }));
    args.push('--package', p);
  }
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const turned = (fuse: string, value: boolean) => yml.replace(new RegExp(`^(\\s+${fuse}:) (true|false)$`, 'm'), `$1 ${value}`);

describe('the packaging check', () => {
  it('passes the committed configuration and package scripts', () => {
    const r = check(yml, pkg.scripts);
    expect(r.out).toContain('matches');
    expect(r.code).toBe(0);
  });

  it('ships with the inspect fuse off by default', () => {
    expect(yml).toMatch(/^\s+enableNodeCliInspectArguments: false$/m);
  });

  it.each([
    ['enableNodeCliInspectArguments', true],
    ['runAsNode', true],
    ['enableNodeOptionsEnvironmentVariable', true],
    ['enableCookieEncryption', false],
    ['enableEmbeddedAsarIntegrityValidation', false],
    ['onlyLoadAppFromAsar', false],
    ['grantFileProtocolExtraPrivileges', true],
  ] as const)('fails when %s is %s', (fuse, value) => {
    const config = turned(fuse, value);
    expect(config).not.toBe(yml);
    const r = check(config);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`electronFuses.${fuse} must be ${!value}`);
  });

  it('fails when a fuse is left unset (electron-builder would keep Electron’s default)', () => {
    const r = check(yml.replace(/^\s+grantFileProtocolExtraPrivileges: false\n/m, ''));
    expect(r.code).toBe(1);
    expect(r.out).toContain('electronFuses.grantFileProtocolExtraPrivileges must be false');
  });

  it('fails when a release package script turns a fuse back on from the command line', () => {
    const scripts = { ...pkg.scripts, 'package:release': 'electron-builder --config electron-builder.yml --config.electronFuses.enableNodeCliInspectArguments=true' };
    const r = check(yml, scripts);
    expect(r.code).toBe(1);
    expect(r.out).toContain('package:release: --config.electronFuses.enableNodeCliInspectArguments=true');
  });
});
