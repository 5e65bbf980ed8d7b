// Finds an Electron binary WITHOUT requiring the electron module (which would try to download one).
// Order: ELECTRON_OVERRIDE_DIST_PATH (what Electron's own tooling honours), then node_modules/electron.
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function executableIn(dir) {
  const names =
    process.platform === 'win32'
      ? ['electron.exe']
      : process.platform === 'darwin'
        ? ['Electron.app/Contents/MacOS/Electron']
        : ['electron'];
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  return null;
}

/** @returns {{ path: string } | { path: null, reason: string }} */
export function findElectronBinary(env = process.env) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = executableIn(env.ELECTRON_OVERRIDE_DIST_PATH);
    return p
      ? { path: p }
      : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH=${env.ELECTRON_OVERRIDE_DIST_PATH} holds no Electron executable` };
  }
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(pkgDir)) return { path: null, reason: 'the electron package is not installed (run npm install)' };
  const pathTxt = join(pkgDir, 'path.txt');
  if (existsSync(pathTxt)) {
    const p = join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
    if (existsSync(p)) return { path: p };
  }
  return {
    path: null,
    reason:
      'no Electron binary is installed (it downloads on first use, which needs internet; set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45)',
  };
}

/** True where a window can be shown. */
export function hasDisplay(env = process.env) {
  if (process.platform === 'win32' || process.platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
