#!/usr/bin/env node
// The system packages of scripts/system-packages.txt: which are missing (asked of dpkg, per package)
// and, as root, installing them. `node scripts/system-packages.mjs` checks and installs;
// `--check` only reports (exit 1 when any is missing). scripts/test.mjs and the Samba harness use it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIST = join(dirname(fileURLToPath(import.meta.url)), 'system-packages.txt');

/** @returns {{ name: string, why: string }[]} the declared packages, in file order */
export function declaredPackages(file = LIST) {
  const out = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const m = /^([a-z0-9][a-z0-9+.-]+)\s*(?:#\s*(.*))?$/.exec(line);
      if (!m) throw new Error(`${file}:${i + 1}: not a Debian package name: ${JSON.stringify(raw)}`);
      out.push({ name: m[1], why: m[2] ?? '' });
    });
  return out;
}

/**
 * The declared packages dpkg does not report as installed ("ii"). Where dpkg-query does not exist
 * (not Debian), every package counts as missing and `dpkgMissing` says so.
 * @returns {{ missing: string[], dpkgMissing: boolean }}
 */
export function missingPackages(names = declaredPackages().map((p) => p.name)) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${binary:Package}\\t${db:Status-Abbrev}\\n', ...names], { encoding: 'utf8' });
  if (r.error) return { missing: [...names], dpkgMissing: true };
  const installed = new Set();
  for (const line of r.stdout.split('\n')) {
    const [pkg, status] = line.split('\t');
    // binary:Package may carry an architecture (python3:amd64).
    if (pkg && status?.startsWith('ii')) installed.add(pkg.split(':')[0]);
  }
  return { missing: names.filter((n) => !installed.has(n)), dpkgMissing: false };
}

export function installCommand(names) {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

/**
 * Installs what is missing. Returns null when everything is there afterwards, or the reason the
 * packages could not be installed (not root, not Debian, apt-get failed) with the exact command.
 * @param {{ log?: (line: string) => void }} [opts]
 */
export function ensureSystemPackages(opts = {}) {
  const log = opts.log ?? ((l) => console.log(l));
  const { missing, dpkgMissing } = missingPackages();
  if (missing.length === 0) return null;
  const cmd = installCommand(missing);
  if (dpkgMissing || !existsSync('/usr/bin/apt-get')) {
    return `the tests need Debian packages (${missing.join(', ')}) and this machine has no dpkg/apt-get; on Debian or Ubuntu run: sudo sh -c '${cmd}'`;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return `missing system packages (${missing.join(', ')}); install them with: sudo sh -c '${cmd}'`;
  }
  log(`system packages: installing ${missing.join(', ')} (apt-get, --no-install-recommends)`);
  const started = Date.now();
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) return `apt-get failed (exit ${r.status}) installing ${missing.join(', ')}; command: ${cmd}`;
  const still = missingPackages().missing;
  if (still.length) return `apt-get finished but dpkg still reports ${still.join(', ')} as not installed`;
  log(`system packages: installed ${missing.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const { missing } = missingPackages();
    console.log(missing.length ? `missing: ${missing.join(' ')}` : 'all declared system packages are installed');
    process.exit(missing.length ? 1 : 0);
  }
  const why = ensureSystemPackages();
  if (why) {
    console.error(`system packages: ${why}`);
    process.exit(2);
  }
  console.log('system packages: all declared packages are installed');
}
