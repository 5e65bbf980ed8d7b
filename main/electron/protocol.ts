/** Registers app:// (file:// is never used, so pages get a real origin and cannot browse the disk). */
import { protocol } from 'electron';
import { serveAppRequest } from './app-request';
import { APP_SCHEME } from './window-options';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (req) => serveAppRequest(rendererDir, req));
}
