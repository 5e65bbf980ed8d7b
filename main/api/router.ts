/**
 * The service side of the contract, host-agnostic: refuses unknown channels, parses every input
 * before a handler runs, validates every output (zod strips unknown keys, so nothing a handler did
 * not declare, such as a secret, can leak), and turns errors into envelopes.
 */
import {
  channels,
  events,
  isChannelName,
  type ChannelName,
  type Envelope,
  type EventName,
  type EventPayload,
} from '../../preload/contract';
import { SyncDriftError, ValidationError, formatIssues, toCallerErrorInfo } from '../core/errors';
import type { Logger } from '../core/ports';
import type { z } from 'zod';

export interface CallContext {
  /** Which host and peer the call came from, for logs. */
  origin: string;
}

export type Handler<C extends ChannelName> = (
  input: z.output<(typeof channels)[C]['input']>,
  ctx: CallContext,
) => Promise<z.input<(typeof channels)[C]['output']>> | z.input<(typeof channels)[C]['output']>;

export type Handlers = { [C in ChannelName]: Handler<C> };

export type EventSink = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Router {
  dispatch(channel: unknown, payload: unknown, ctx: CallContext): Promise<Envelope>;
}

export function createRouter(handlers: Handlers, logger: Logger): Router {
  return {
    async dispatch(channel, payload, ctx) {
      try {
        if (!isChannelName(channel)) {
          throw new SyncDriftError(
            'validation',
            'UNKNOWN_CHANNEL',
            `Unknown channel: ${typeof channel === 'string' ? channel.slice(0, 80) : typeof channel}`,
          );
        }
        const def = channels[channel];
        const parsed = def.input.safeParse(payload ?? {});
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          throw new ValidationError(
            first ? first.path.join('.') || '(payload)' : '(payload)',
            `invalid ${channel} payload: ${formatIssues(parsed.error.issues)}`,
            {
              code: 'INVALID_PAYLOAD',
            },
          );
        }
        const handler = handlers[channel] as (i: unknown, c: CallContext) => unknown;
        const result = await handler(parsed.data, ctx);
        const out = def.output.safeParse(result);
        if (!out.success) {
          logger.error('handler output violates the contract', { channel, issues: formatIssues(out.error.issues) });
          throw new SyncDriftError('internal', 'BAD_OUTPUT', `The service produced an invalid answer on ${channel}.`);
        }
        return { ok: true, value: out.data };
      } catch (e) {
        // Internal errors reach the caller as a generic message and a reference; details only in the log.
        return { ok: false, error: toCallerErrorInfo(e, logger, { channel: typeof channel === 'string' ? channel.slice(0, 80) : typeof channel, origin: ctx.origin }) };
      }
    },
  };
}

/** Validates an event before it is pushed, so a service bug cannot send off-contract data. */
export function validatedEventSink(send: (event: string, payload: unknown) => void, logger: Logger): EventSink {
  return (event, payload) => {
    const parsed = events[event].safeParse(payload);
    if (!parsed.success) {
      logger.error('event violates the contract', { event, issues: formatIssues(parsed.error.issues) });
      return;
    }
    send(event, parsed.data);
  };
}
