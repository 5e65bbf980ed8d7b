/**
 * Session ownership in words an admin reads: who is still running a session, and whom a run took
 * it over from, when and why. Pure, shared by the Sessions list and the guided flow.
 */
import type { SessionOwnerWire, TakeoverWire } from '../../../preload/contract';
import { formatTime } from './download';

function started(at: string | null): string {
  return at ? `started ${formatTime(at)}` : 'start time not recorded';
}

/** "Another SyncDrift process (pid 4242 on HOST, started …) is still running this session." */
export function ownerLine(o: SessionOwnerWire): string {
  const line = `Another SyncDrift process (pid ${o.pid} on ${o.host}, ${started(o.startedAt)}) is still running this session.`;
  return o.elsewhere
    ? `${line} It runs on another machine, which this computer cannot check: let it finish there, or take the session over if that machine has stopped.`
    : `${line} Wait for it to finish or stop it; once it has stopped, Resume or Undo takes the session over.`;
}

/** "Taken over at T from pid P on HOST (started T0): reason." */
export function takeoverLine(t: TakeoverWire): string {
  return `Taken over ${formatTime(t.at)} from pid ${t.from.pid} on ${t.from.host} (${started(t.from.startedAt)}) by pid ${t.by.pid} on ${t.by.host}: ${t.reason}.`;
}

/** What the admin must know before forcing a takeover of a session another machine owns. */
export function takeOverWarning(o: SessionOwnerWire): string {
  return `If ${o.host} is still running this session, both machines may write to AD and Entra ID at the same time. Take it over only if you know SyncDrift on ${o.host} has stopped (crashed, shut down, or closed). The journal records that you forced it.`;
}
