#!/usr/bin/env node
// Builds every bundle into dist/: the Electron main, preload (one CommonJS file: a sandboxed preload
// cannot load ESM or node_modules), the service utilityProcess entry, the browser host, the CLI (with
// its Connect export worker), and the renderer (Vite). Node-side bundles keep node_modules external (they ship beside the bundle).
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { readFileSync, mkdirSync, chmodSync, cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const define = { __APP_VERSION__: JSON.stringify(pkg.version) };
const started = Date.now();
const quiet = process.argv.includes('--quiet');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  define,
  logLevel: 'warning',
  // ESM output that still lets bundled CommonJS helpers call require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

mkdirSync(join(root, 'dist'), { recursive: true });
await Promise.all([
  build({
    ...nodeCommon,
    entryPoints: { main: 'main/electron/main.ts', service: 'main/electron/service-entry.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.mjs' },
    external: ['electron'],
  }),
  build({
    entryPoints: ['preload/electron.ts'],
    outfile: 'dist/electron/preload.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'chrome128',
    external: ['electron'],
    define,
    logLevel: 'warning',
  }),
  build({ ...nodeCommon, entryPoints: { host: 'main/host/main.ts' }, outdir: 'dist/host', outExtension: { '.js': '.mjs' } }),
    build({
      ...nodeCommon,
      // The CLI reads Connect exports on a worker thread: its code sits beside the CLI
      // (main/cli/connect-off-thread.ts looks for ./connect-worker.mjs).
      entryPoints: { syncdrift: 'main/cli/bin.ts', 'connect-worker': 'main/cli/connect-worker.ts' },
      outdir: 'dist/cli',
      outExtension: { '.js': '.mjs' },
      banner: { js: '#!/usr/bin/env node\n' + nodeCommon.banner.js },
    }).then(() => chmodSync(join(root, 'dist/cli/syncdrift.mjs'), 0o755)),
]);
// The sandbox demo directory ships inside dist/ so the packaged app (which holds only dist/) finds it.
cpSync(join(root, 'assets/demo'), join(root, 'dist/assets/demo'), { recursive: true });
await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
if (!quiet) console.log(`build: dist/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
