/**
 * Electron main process: app lifecycle, the one BrowserWindow, the guards, and the IPC relay to the
 * service utilityProcess. Holds no business logic: everything else runs in main/api.
 */
import { app, BrowserWindow, ipcMain, session, shell, nativeTheme } from 'electron';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { registerAppScheme, handleAppProtocol } from './protocol';
import { type WindowState } from './window-options';
import { broadcastEvent, guardApp, openMainWindow, registerInvokeHandler } from './wiring';
import { startServiceProcess, type ServiceProcess } from './service-process';

const here = dirname(fileURLToPath(import.meta.url));
const distDir = join(here, '..');
const rendererDir = join(distDir, 'renderer');

registerAppScheme();

if (!app.requestSingleInstanceLock()) app.quit();

let services: ServiceProcess | null = null;

function statePath(): string {
  return join(app.getPath('userData'), 'window-state.json');
}

function loadWindowState(): WindowState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(), 'utf8')) as WindowState;
    return typeof s.width === 'number' && typeof s.height === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

function createWindow(): BrowserWindow {
  return openMainWindow(BrowserWindow, {
    preload: join(distDir, 'electron', 'preload.cjs'),
    state: loadWindowState(),
    dark: nativeTheme.shouldUseDarkColors,
    devTools: !app.isPackaged,
    onClose: (w) => {
      try {
        mkdirSync(app.getPath('userData'), { recursive: true });
        writeFileSync(statePath(), JSON.stringify(w.getNormalBounds()));
      } catch {
        // Window geometry is a convenience; losing it is harmless.
      }
    },
  });
}

async function main(): Promise<void> {
  await app.whenReady();
  guardApp({ app, defaultSession: session.defaultSession, shell });
  handleAppProtocol(rendererDir);
  const workspaceDir = process.env.SYNCDRIFT_HOME ?? app.getPath('userData');
  services = await startServiceProcess(join(distDir, 'electron', 'service.mjs'), workspaceDir, {
    electron: process.versions.electron ?? '',
    chrome: process.versions.chrome ?? '',
  });
  const relay = services;
  relay.onEvent((event, payload) => broadcastEvent(BrowserWindow.getAllWindows(), event, payload));
  registerInvokeHandler(ipcMain, (channel, payload) => relay.invoke(channel, payload));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => services?.stop());

main().catch((e: unknown) => {
  process.stderr.write(`SyncDrift Workbench failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  app.exit(1);
});
