/**
 * Pure decisions behind the Electron guards (sender checks, navigation, external links), kept free
 * of the electron module so they are unit-tested under plain Node.
 */
import { CLOUDS } from '../cloud/clouds';
import { APP_HOST, APP_SCHEME } from './window-options';

export interface SenderFrameLike {
  url: string;
  /** null for a main frame. */
  parent: unknown;
}

/** True only for the main frame of a page served from app://syncdrift. */
export function isTrustedSender(frame: SenderFrameLike | null | undefined): boolean {
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Hosts the app may open in the system browser: documentation links in the guided flow and
 * evidence, the device-code page (microsoft.com/devicelogin…) and each national cloud's sign-in host
 * (the interactive sign-in link; msal's loopback listener in the service process takes the answer).
 */
const EXTERNAL_HOSTS = new Set([
  ...Object.values(CLOUDS).map((c) => new URL(c.authorityHost).hostname),
  'learn.microsoft.com',
  'docs.microsoft.com',
  'entra.microsoft.com',
  'portal.azure.com',
  'admin.microsoft.com',
  'microsoft.com',
  'www.microsoft.com',
]);

/** Vets a link before shell.openExternal: https only, known hosts only, no credentials in the URL. */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' && u.username === '' && u.password === '' && EXTERNAL_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}
