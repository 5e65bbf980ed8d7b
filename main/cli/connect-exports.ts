/**
 * `--connect-export FILE` (repeatable): the Entra Connect exports of docs/onprem.md, read and joined by
 * main/syncengine/connect-files.ts (the app's engine import reads them the same way), here on a
 * worker thread while the scan reads the other files (main/syncengine/connect-off-thread.ts).
 */
export { readConnectExports } from '../syncengine/connect-files';
export { readConnectExportsOffThread } from '../syncengine/connect-off-thread';
