#!/usr/bin/env node
// `npm start`: the Electron app where an Electron binary and a display exist; otherwise the loopback
// browser host, with one line that says where and why. Both open the sandbox tenant by default.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary, hasDisplay } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forceBrowser = process.argv.includes('--browser');
const electron = findElectronBinary();
const display = hasDisplay();

if (!forceBrowser && electron.path && display) {
  const child = spawn(electron.path, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const reason = forceBrowser ? 'browser host requested' : !electron.path ? electron.reason : 'no display to open a window on';
  // The browser host has no UI outside the page: consent to a weak secret store is given here, on the
  // command that starts it (the Electron app asks in its own dialog instead).
  const hostArgs = process.argv.includes('--accept-weak-secret-storage') ? ['--accept-weak-secret-storage'] : [];
  const child = spawn(process.execPath, [join(root, 'dist/host/host.mjs'), ...hostArgs], {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, SYNCDRIFT_HOST_REASON: reason },
  });
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    // The URL holds a single-use launch nonce, never the session secret: the opener's command line
    // (readable by any local user) is worthless once the browser traded it.
    const m = /(http:\/\/127\.0\.0\.1:\d+\/#n=\S+)/.exec(String(chunk));
    if (m && display && !process.env.CI) {
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawn(opener, [m[1]], { stdio: 'ignore', detached: true })
        .on('error', () => {})
        .unref();
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
