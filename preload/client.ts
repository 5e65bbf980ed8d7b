/**
 * Turns a raw Transport (Electron IPC or WebSocket) into the typed SyncDriftApi. Both transports
 * share this code, so the renderer sees the same behaviour in every host.
 */
import {
  EnvelopeSchema,
  channels,
  events,
  isChannelName,
  isEventName,
  type ErrorInfoWire,
  type SyncDriftApi,
  type Transport,
} from './contract';

/** An error the service side reported; carries the same kind/code/field as the service's error. */
export class BridgeError extends Error {
  readonly kind: string;
  readonly code: string;
  readonly field: string | undefined;
  constructor(info: ErrorInfoWire) {
    super(info.message);
    this.name = 'BridgeError';
    this.kind = info.kind;
    this.code = info.code;
    this.field = info.field;
  }
}

export function createBridgeApi(transport: Transport): SyncDriftApi {
  return {
    async invoke(channel, input) {
      if (!isChannelName(channel))
        throw new BridgeError({ kind: 'validation', code: 'UNKNOWN_CHANNEL', message: `Unknown channel: ${String(channel)}` });
      const raw = await transport.invoke(channel, input);
      const env = EnvelopeSchema.safeParse(raw);
      if (!env.success)
        throw new BridgeError({
          kind: 'internal',
          code: 'BAD_ENVELOPE',
          message: `The service sent a malformed answer on ${channel}.`,
        });
      if (!env.data.ok) throw new BridgeError(env.data.error);
      const out = channels[channel].output.safeParse(env.data.value);
      if (!out.success)
        throw new BridgeError({
          kind: 'internal',
          code: 'BAD_OUTPUT',
          message: `The service sent an answer on ${channel} that does not match the contract.`,
        });
      // The schema is the one the service validated against; the cast only narrows zod's union of outputs.
      return out.data as never;
    },
    on(event, listener) {
      if (!isEventName(event))
        throw new BridgeError({ kind: 'validation', code: 'UNKNOWN_EVENT', message: `Unknown event: ${String(event)}` });
      return transport.subscribe((name, payload) => {
        if (name !== event) return;
        const parsed = events[event].safeParse(payload);
        if (parsed.success) listener(parsed.data as never);
      });
    },
  };
}
