/**
 * A SyncDriftApi for renderer component and store tests: handlers per channel (answers validated
 * against the contract's output schema, as the real bridge does), events pushed by the test, and a
 * log of every call. Rows come from makeRow(), shaped like the demo's.
 */
import {
  channels,
  events,
  type ChannelInput,
  type ChannelName,
  type ChannelOutput,
  type DriftRow,
  type EventName,
  type EventPayload,
  type SyncDriftApi,
} from '../../preload/contract';

type Handler<C extends ChannelName> = (input: ChannelInput<C>) => ChannelOutput<C> | Promise<ChannelOutput<C>>;

export class FakeApi implements SyncDriftApi {
  readonly calls: { channel: ChannelName; input: unknown }[] = [];
  private handlers: Partial<{ [C in ChannelName]: Handler<C> }> = {};
  private listeners = new Map<EventName, Set<(p: unknown) => void>>();

  handle<C extends ChannelName>(channel: C, handler: Handler<C>): this {
    (this.handlers as Record<string, unknown>)[channel] = handler;
    return this;
  }

  async invoke<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    this.calls.push({ channel, input });
    channels[channel].input.parse(input);
    const h = this.handlers[channel] as Handler<C> | undefined;
    if (!h) throw new Error(`no fake handler for ${channel}`);
    const out = await h(input);
    return channels[channel].output.parse(out) as ChannelOutput<C>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (p: unknown) => void);
    this.listeners.set(event, set);
    return () => set.delete(listener as (p: unknown) => void);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed = events[event].parse(payload);
    for (const l of this.listeners.get(event) ?? []) l(parsed);
  }

  callsOf(channel: ChannelName): unknown[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.input);
  }
}

export function makeRow(i: number, over: Partial<DriftRow> = {}): DriftRow {
  const status = over.status ?? (i % 5 === 0 ? 'cloud-override' : i % 7 === 0 ? 'format-only' : 'in-sync');
  const onValue = `+1 425 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`;
  const cloudValue = status === 'in-sync' ? onValue : `+1 206 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`;
  return {
    key: `row-${i}`,
    attribute: 'mobile',
    status,
    upn: `user${i}@contoso.com`,
    match: 'anchor',
    onPrem: {
      sourceId: 'corp',
      dn: `CN=User ${i},OU=Staff,DC=corp,DC=contoso,DC=com`,
      upn: `user${i}@contoso.com`,
      samAccountName: `user${i}`,
      displayName: `User ${i}`,
      value: onValue,
      otherMobile: [],
      changedAt: '2025-01-10T08:00:00Z',
      changeVersion: 2,
      changeSource: 'sandbox',
      sourceAnchor: `anchor${i}==`,
      objectGuid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      objectSid: `S-1-5-21-1-2-3-${1000 + i}`,
      country: 'US',
    },
    cloud: {
      id: `cloud-${i}`,
      upn: `user${i}@contoso.com`,
      displayName: `User ${i}`,
      value: cloudValue,
      lastSyncAt: '2025-03-01T10:00:00Z',
      changedAt: status === 'in-sync' ? null : '2025-02-01T09:00:00Z',
      changedBy: status === 'in-sync' ? null : `user${i}@contoso.com`,
      changeState: status === 'in-sync' ? 'none-found' : 'known',
      managed: false,
      immutableId: `anchor${i}==`,
    },
    normalized: { onPrem: onValue.replace(/\s/g, ''), cloud: cloudValue.replace(/\s/g, '') },
    flags: [],
    cause: status === 'in-sync' ? 'Both sides agree.' : 'The cloud value was edited; Entra ID ignores AD changes for this user.',
    ...over,
  };
}
