// Injected by the build (scripts/build.mjs `define`); falls back to package.json under tests.
declare const __APP_VERSION__: string | undefined;
export const APP_NAME = 'SyncDrift Workbench';
export const APP_VERSION: string =
  typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : (process.env.npm_package_version ?? '0.0.0-dev');
