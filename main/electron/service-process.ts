/**
 * Runs main/api in an Electron utilityProcess (scans, SQLite and the sandbox never freeze the
 * window) and relays the contract: renderer -> ipcMain (sender checked) -> utility -> back.
 * The utility process asks the main process for what only it has (safeStorage, shell.openPath, a
 * native dialog for the weak-storage consent);
 * service-port.ts holds the relay and every check on what the service process may ask.
 */
import { BrowserWindow, dialog, utilityProcess, safeStorage, shell } from 'electron';
import { connectServiceProcess, weakStorageDialog, type ServiceProcess } from './service-port';

export type { ServiceProcess } from './service-port';

export function startServiceProcess(
  entry: string,
  workspaceDir: string,
  versions: Record<string, string>,
): Promise<ServiceProcess> {
  const child = utilityProcess.fork(entry, [], { serviceName: 'SyncDrift services', stdio: 'inherit' });
  return connectServiceProcess(child, {
    safeStorage,
    shell,
    confirmWeakStorage: weakStorageDialog<BrowserWindow>(dialog, () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null, process.platform),
    workspaceDir,
    versions,
    platform: process.platform,
    onProtocolError: (m) => process.stderr.write(`[main] ${m}\n`),
  });
}
