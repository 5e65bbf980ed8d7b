/**
 * `--connect-export FILE` (repeatable): the Entra Connect exports of docs/onprem.md, read and joined by
 * main/syncengine/connect-files.ts (the app's engine import reads them the same way).
 */
export { readConnectExports } from '../syncengine/connect-files';
