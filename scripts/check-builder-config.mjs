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

const file = process.argv[2] ?? join(root, 'electron-builder.yml');
const config = yaml.load(readFileSync(file, 'utf8'));
const problems = [];
try {
  // A disabled debug logger: validateConfiguration only asks isEnabled.
  await validateConfiguration(config, { isEnabled: false, add() {} });
} catch (e) {
  problems.push(`schema: ${e.message}`);
}
const f = config.electronFuses ?? {};
if (f.runAsNode !== false)
  problems.push('electronFuses.runAsNode must be false (the CLI ships as the npm bin, not through the app)');
if (f.enableNodeOptionsEnvironmentVariable !== false)
  problems.push('electronFuses.enableNodeOptionsEnvironmentVariable must be false');
if (f.enableCookieEncryption !== true) problems.push('electronFuses.enableCookieEncryption must be true');
if (f.enableEmbeddedAsarIntegrityValidation !== true)
  problems.push('electronFuses.enableEmbeddedAsarIntegrityValidation must be true');
if (f.onlyLoadAppFromAsar !== true) problems.push('electronFuses.onlyLoadAppFromAsar must be true');
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
