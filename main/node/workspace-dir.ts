import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the workspace lives under plain Node: SYNCDRIFT_HOME, else the OS's per-user config folder. */
export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYNCDRIFT_HOME) return env.SYNCDRIFT_HOME;
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'SyncDrift Workbench');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'SyncDrift Workbench');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'SyncDrift Workbench');
}
