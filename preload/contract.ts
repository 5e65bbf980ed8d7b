/**
 * The bridge contract: every channel the renderer may call, with zod schemas for input and output,
 * and every event the service side may push. Nothing else crosses between renderer and services.
 *
 * Pure module: imported by the renderer, both preload transports and the service side (main/api).
 * It must never import 'electron' or Node built-ins.
 */
import { z } from 'zod';

export const ErrorInfoSchema = z.object({
  kind: z.string(),
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
});
export type ErrorInfoWire = z.infer<typeof ErrorInfoSchema>;

/** What every call resolves to on the wire: errors are data, so they survive any transport. */
export const EnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }),
]);
export type Envelope = z.infer<typeof EnvelopeSchema>;

const Empty = z.object({}).strict();

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** Which host serves the contract; shown in About, never used for behaviour in the renderer. */
  host: z.enum(['electron', 'browser', 'test']),
  sandbox: z.boolean(),
  platform: z.string(),
  versions: z.record(z.string(), z.string()),
  workspacePath: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const ProgressWire = z.object({
  operationId: z.string(),
  phase: z.string(),
  done: z.number(),
  total: z.number().optional(),
  pages: z.number().optional(),
  retries: z.number().optional(),
  message: z.string().optional(),
  elapsedMs: z.number().optional(),
});
export type ProgressWire = z.infer<typeof ProgressWire>;

/** Channel definitions. Names are `capability.verb`. */
export const channels = {
  'app.info': { input: Empty, output: AppInfo },
  /** Round trip used by diagnostics and the tests: the service echoes text back with its own time. */
  'app.echo': {
    input: z.object({ text: z.string().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters') }).strict(),
    output: z.object({ text: z.string(), receivedAt: z.string() }),
  },
  /** Cancels a long operation started by another channel (scan, apply, verify). */
  'op.cancel': {
    input: z.object({ operationId: z.string().min(1).max(100) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
} as const;

export const events = {
  /** Progress of any long operation, keyed by operationId. */
  'op.progress': ProgressWire,
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type ChannelInput<C extends ChannelName> = z.input<Channels[C]['input']>;
export type ChannelOutput<C extends ChannelName> = z.output<Channels[C]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** The typed API the renderer uses, whatever transport carries it. */
export interface SyncDriftApi {
  invoke<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The minimal thing a transport must offer; preload/client.ts turns it into a SyncDriftApi. */
export interface Transport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}
