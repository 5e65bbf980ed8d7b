/**
 * The one factory for BrowserWindow options. Every item of Electron's security checklist that is a
 * window option lives here, and tests/unit/electron-window-options.test.ts asserts each of them.
 * Type-only import: this module is safe to load under plain Node.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'syncdrift';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

export interface WindowState {
  width: number;
  height: number;
  x?: number;
  y?: number;
}

export function createWindowOptions(opts: {
  preload: string;
  state?: WindowState;
  dark?: boolean;
  devTools?: boolean;
}): BrowserWindowConstructorOptions {
  const state = opts.state ?? { width: 1366, height: 768 };
  return {
    width: Math.max(1024, state.width),
    height: Math.max(640, state.height),
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'SyncDrift Workbench',
    backgroundColor: opts.dark ? '#1b1d21' : '#f6f7f9',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: opts.devTools ?? false,
    },
  };
}
