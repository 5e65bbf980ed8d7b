#!/usr/bin/env node
// Validates electron-builder.yml against app-builder-lib's own JSON schema (scheme.json) with the
// validator electron-builder itself uses, without building anything (packaging needs network access).
// Also checks the release-critical settings this project promises in docs/packaging.md.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const yaml = require('js-yaml');
const { validateConfiguration } = require('app-builder-lib/out/util/config/config');

const args = process.argv.slice(2);
const pkgFlag = args.indexOf('--package');
const pkgFile = pkgFlag >= 0 ? args.splice(pkgFlag, 2)[1] : join(root, 'package.json');
const file = args[0] ?? join(root, 'electron-builder.yml');
const config = yaml.load(readFileSync(file, 'utf8'));
const problems = [];
try {
  // A disabled debug logger: validateConfiguration only asks isEnabled.
  await validateConfiguration(config, { isEnabled: false, add() {} });
} catch (e) {
  problems.push(`schema: ${e.message}`);
}

/**
 * Every security fuse, with the value a shipped build must have (docs/packaging.md). An unset fuse
 * counts as wrong: electron-builder then keeps Electron's default, which is the unsafe one for most.
 */
const SECURITY_FUSES = {
  runAsNode: [false, 'the app must not double as a Node runtime (ELECTRON_RUN_AS_NODE); the CLI ships as the npm bin'],
  enableNodeOptionsEnvironmentVariable: [false, 'NODE_OPTIONS / NODE_EXTRA_CA_CERTS must not inject code or trust into the app'],
  enableNodeCliInspectArguments: [false, '--inspect / SIGUSR1 would hand the main process, and the directory credentials it holds, to a debugger'],
  enableCookieEncryption: [true, 'the cookie store is encrypted with the OS key'],
  enableEmbeddedAsarIntegrityValidation: [true, 'a modified app.asar must refuse to load'],
  onlyLoadAppFromAsar: [true, 'without it a planted app/ folder is loaded instead of the checked app.asar'],
  grantFileProtocolExtraPrivileges: [false, 'the UI is served from app://, never file://'],
};
const f = config.electronFuses ?? {};
for (const [fuse, [want, why]] of Object.entries(SECURITY_FUSES)) {
  if (f[fuse] !== want) problems.push(`electronFuses.${fuse} must be ${want} (${why}); it is ${f[fuse] === undefined ? 'unset' : f[fuse]}`);
}
// A package script can flip a fuse back from the command line (--config.electronFuses.X=Y).
const scripts = JSON.parse(readFileSync(pkgFile, 'utf8')).scripts ?? {};
for (const [name, command] of Object.entries(scripts)) {
  if (typeof command !== 'string' || !command.includes('electron-builder')) continue;
  for (const m of command.matchAll(/--config\.electronFuses\.([A-Za-z]+)[= ](\S+)/g)) {
    const [flag, fuse, value] = m;
    const rule = SECURITY_FUSES[fuse];
    if (rule && String(rule[0]) !== value) problems.push(`${name}: ${flag} turns a security fuse the wrong way (${fuse} must be ${rule[0]})`);
  }
}
if (config.publish !== null) problems.push('publish must be null (partners get artifacts, not auto-updates)');
if (config.npmRebuild !== false) problems.push('npmRebuild must be false (Node-API prebuilds)');
for (const t of ['win', 'linux', 'mac']) {
  const icon = config[t]?.icon;
  if (!icon || !existsSync(join(root, icon))) problems.push(`${t}.icon: ${icon ?? '(unset)'} does not exist`);
}
if (problems.length) {
  console.error(`electron-builder.yml is not valid:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`package-config: ${file} matches app-builder-lib's schema and the release checklist`);
