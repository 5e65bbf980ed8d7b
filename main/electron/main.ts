/**
 * Electron main process: app lifecycle, the one BrowserWindow, the guards, and the IPC relay to the
 * service utilityProcess. Holds no business logic: everything else runs in main/api.
 */
import { app, BrowserWindow, ipcMain, session, shell, nativeTheme, type IpcMainInvokeEvent } from 'electron';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { registerAppScheme, handleAppProtocol } from './protocol';
import { createWindowOptions, APP_URL, type WindowState } from './window-options';
import { isAppUrl, isSafeExternalUrl, isTrustedSender } from './guards';
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
  const w = new BrowserWindow(
    createWindowOptions({
      preload: join(distDir, 'electron', 'preload.cjs'),
      state: loadWindowState(),
      dark: nativeTheme.shouldUseDarkColors,
      devTools: !app.isPackaged,
    }),
  );
  w.once('ready-to-show', () => w.show());
  w.on('close', () => {
    try {
      mkdirSync(app.getPath('userData'), { recursive: true });
      writeFileSync(statePath(), JSON.stringify(w.getNormalBounds()));
    } catch {
      // Window geometry is a convenience; losing it is harmless.
    }
  });
  void w.loadURL(APP_URL);
  return w;
}

function guardWebContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

async function main(): Promise<void> {
  await app.whenReady();
  guardWebContents();
  handleAppProtocol(rendererDir);
  const workspaceDir = process.env.SYNCDRIFT_HOME ?? app.getPath('userData');
  services = await startServiceProcess(join(distDir, 'electron', 'service.mjs'), workspaceDir, {
    electron: process.versions.electron ?? '',
    chrome: process.versions.chrome ?? '',
  });
  services.onEvent((event, payload) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('syncdrift:event', event, payload);
  });
  ipcMain.handle('syncdrift:invoke', async (e: IpcMainInvokeEvent, channel: unknown, payload: unknown) => {
    if (!isTrustedSender(e.senderFrame ? { url: e.senderFrame.url, parent: e.senderFrame.parent } : null)) {
      return {
        ok: false,
        error: {
          kind: 'validation',
          code: 'UNTRUSTED_SENDER',
          message: 'Refused: the request did not come from the workbench window.',
        },
      };
    }
    return services!.invoke(String(channel), payload);
  });
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
