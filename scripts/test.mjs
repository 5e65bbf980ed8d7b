#!/usr/bin/env node
// `npm test`: every test on a fresh machine. Installs the system packages the tests need when they
// are missing (Debian/Ubuntu, as root; otherwise prints the exact apt command and stops), then runs
// typecheck, lint, unit, integration (real Samba AD DC + sandbox tenant), browser E2E (Debian
// Chromium) and the Electron E2E (where a binary exists). Ends with a summary of what ran, what did
// not and why, and one closing line alone: "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';
import { ensureSystemPackages } from './system-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (step) => only.length === 0 || only.includes(step);

// --- system packages -------------------------------------------------------------------------
// One list (scripts/system-packages.txt), checked per package with dpkg-query; missing ones are
// installed here as root, otherwise the exact apt-get command is printed and nothing runs.
const packagesProblem = ensureSystemPackages({ log: (l) => console.log(`test: ${l}`) });
if (packagesProblem) {
  console.error(`test: ${packagesProblem}\nthen run npm test again.`);
  process.exit(2);
}

// --- steps -----------------------------------------------------------------------------------
const resultsDir = join(root, '.cache', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const summary = [];
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(step, cmd, args, opts = {}) {
  if (!want(step)) {
    summary.push([step, 'not run', 'not selected']);
    return true;
  }
  console.log(`\n=== ${step}: ${[cmd, ...args].join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' }, ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const ok = r.status === 0;
  summary.push([step, ok ? 'passed' : `FAILED (exit ${r.status})`, `${secs} s`]);
  return ok;
}

/** A step that is not a test runner (typecheck, lint, build, config check) counts as one test. */
function check(step, cmd, args) {
  const ok = run(step, cmd, args);
  if (want(step)) totals[ok ? 'passed' : 'failed'] += 1;
  return ok;
}

function vitest(project) {
  const out = join(resultsDir, `${project}.json`);
  const ok = run(project, process.execPath, [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${out}`,
  ]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += r.numPassedTests ?? 0;
    // A file that failed to load or a hook that threw can leave no failed test behind: still a failure.
    totals.failed += Math.max(r.numFailedTests ?? 0, ok ? 0 : Math.max(1, r.numFailedTestSuites ?? 0));
    totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    const row = summary[summary.length - 1];
    row[2] += `, ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${(r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)} skipped`;
  }
  else if (!ok && want(project)) totals.failed += 1;
  return ok;
}

let ok = true;
ok = check('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']) && ok;
ok = check('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']) && ok;
ok = vitest('unit') && ok;
ok = vitest('integration') && ok;
const built = check('build', process.execPath, ['scripts/build.mjs', '--quiet']);
ok = built && ok;
if (built) ok = vitest('e2e') && ok;
else summary.push(['e2e', 'not run', 'the build failed']);
const electron = findElectronBinary();
if (electron.path && built) ok = vitest('electron') && ok;
else summary.push(['electron', 'NOT RUN', electron.path ? 'the build failed' : electron.reason]);
ok = check('package-config', process.execPath, ['scripts/check-builder-config.mjs']) && ok;

console.log('\n=== summary');
for (const [step, state, note] of summary) console.log(`${step.padEnd(16)} ${state.padEnd(18)} ${note}`);
if (totals.skipped > 0 && typeof process.getuid === 'function' && process.getuid() !== 0) {
  console.log(`\n${totals.skipped} test(s) SKIPPED: not root, so the Samba AD DC suites did not run (run npm test as root).`);
}
// The plain closing line CI reads, alone on the last line.
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
