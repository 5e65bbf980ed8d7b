/**
 * The Graph layer: @microsoft/microsoft-graph-client builds requests (paths, versions, OData
 * parameters) and runs them through our own middleware chain, whose terminal handler sends them
 * through the Network port (the SDK's stock handler would call the global fetch and miss the proxy
 * and the extra CAs). The handler owns what the SDK does not do for us: Retry-After in both forms,
 * backoff with jitter, per-request and per-operation caps, concurrency that yields as
 * x-ms-throttle-limit-percentage climbs, one token re-acquisition on 401, and a retry count that
 * reaches progress. Responses come back raw so errors map to typed SyncDriftErrors here.
 */
import { Client, ResponseType, type Context, type Middleware, type MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import { CancelledError, SyncDriftError } from '../core/errors';
import type { Clock, Logger, Network } from '../core/ports';
import { sleep, throwIfCancelled } from '../core/progress';
import type { ResolvedCloud } from './clouds';
import { CAPABILITY_LABEL, REQUIREMENTS, roleName, type Capability } from './permissions';
import { AdaptiveConcurrency, DEFAULT_RETRY_POLICY, RetryBudget, backoffDelay, isRetryableStatus, isTransientNetworkError, parseRetryAfter, type RetryPolicy } from './throttle';

/** One logical operation (a scan, an audit fill, a batch write): shares a retry budget and progress. */
export class GraphOperation {
  readonly budget: RetryBudget;
  requests = 0;
  constructor(
    readonly phase: string,
    policy: RetryPolicy,
    readonly signal?: AbortSignal,
    /** Called on every retry with the running totals; the readers forward it into progress. */
    readonly onRetry?: (info: { retries: number; status: number | null; delayMs: number; reason: string }) => void,
    /** The capability this operation exercises, so a 403 can name what to grant. */
    readonly capability?: Capability,
  ) {
    this.budget = new RetryBudget(policy.maxRetriesPerOperation);
  }
  get retries(): number {
    return this.budget.retries;
  }
}

class OperationOption implements MiddlewareOptions {
  constructor(readonly op: GraphOperation) {}
}

export interface GraphTransportOptions {
  cloud: ResolvedCloud;
  network: Network;
  /** Returns a bearer token for the cloud's Graph; `forceRefresh` after a 401. */
  getToken: (forceRefresh: boolean) => Promise<string>;
  logger: Logger;
  clock: Clock;
  policy?: Partial<RetryPolicy>;
  maxConcurrency?: number;
  random?: () => number;
  /** Injected for tests of the wait arithmetic; defaults to a real, cancellable sleep. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface GraphRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under the version ('/users'), or an absolute nextLink/deltaLink on the same Graph origin. */
  path: string;
  version?: 'v1.0' | 'beta';
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface GraphResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class GraphTransport {
  readonly cloud: ResolvedCloud;
  readonly policy: RetryPolicy;
  readonly concurrency: AdaptiveConcurrency;
  private readonly client: Client;
  private readonly opts: GraphTransportOptions;
  private readonly log: Logger;

  constructor(opts: GraphTransportOptions) {
    this.opts = opts;
    this.cloud = opts.cloud;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
    this.concurrency = new AdaptiveConcurrency(opts.maxConcurrency ?? 4);
    this.log = opts.logger.child({ component: 'cloud.graph' });
    const origin = new URL(opts.cloud.graphBaseUrl);
    this.client = Client.initWithMiddleware({
      baseUrl: `${origin.origin}/`,
      defaultVersion: 'v1.0',
      middleware: new NetworkHandler(this),
      customHosts: new Set([origin.hostname]),
    });
  }

  operation(phase: string, o: { signal?: AbortSignal; onRetry?: GraphOperation['onRetry']; capability?: Capability } = {}): GraphOperation {
    return new GraphOperation(phase, this.policy, o.signal, o.onRetry, o.capability);
  }

  /** Sends one request (with retries) and returns the raw status, headers and parsed JSON body. */
  async send<T = unknown>(req: GraphRequest, op: GraphOperation): Promise<GraphResult<T>> {
    throwIfCancelled(op.signal);
    const path = this.checkedPath(req.path);
    let r = this.client.api(path).responseType(ResponseType.RAW).middlewareOptions([new OperationOption(op)]);
    if (req.version && !/^https:/.test(path)) r = r.version(req.version);
    // The SDK joins query values verbatim; encoding them here keeps '+', '&' and '#' in filters intact.
    if (req.query) r = r.query(Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, encodeURIComponent(v)])));
    if (req.headers) r = r.headers(req.headers);
    let res: Response;
    try {
      switch (req.method) {
        case 'GET':
          res = (await r.get()) as Response;
          break;
        case 'POST':
          res = (await r.post(req.body ?? {})) as Response;
          break;
        case 'PATCH':
          res = (await r.patch(req.body ?? {})) as Response;
          break;
        case 'DELETE':
          res = (await r.delete()) as Response;
          break;
      }
    } catch (e) {
      if (e instanceof SyncDriftError) throw e;
      if (op.signal?.aborted) throw new CancelledError();
      throw new SyncDriftError('connection', 'GRAPH_UNREACHABLE', `Microsoft Graph at ${new URL(this.cloud.graphBaseUrl).host} could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const text = res.status === 204 ? '' : await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new SyncDriftError('connection', 'GRAPH_NON_JSON', `Microsoft Graph answered HTTP ${res.status} with something that is not JSON; a proxy may be in the way.`, { cause: e, details: { status: res.status } });
      }
    }
    if (res.status >= 400) throw graphError(res.status, body, res.headers, op.capability, req);
    return { status: res.status, headers: res.headers, body: body as T };
  }

  /** A nextLink or deltaLink must stay on our Graph origin: the bearer token follows it. */
  private checkedPath(path: string): string {
    if (!/^[a-z]+:/i.test(path)) return path;
    const u = new URL(path);
    if (u.origin !== new URL(this.cloud.graphBaseUrl).origin) {
      throw new SyncDriftError('internal', 'GRAPH_FOREIGN_LINK', `Graph returned a paging link to another host (${u.host}); refusing to send the token there.`);
    }
    return u.toString();
  }

  /** Used by the handler: the retry loop around one HTTP exchange. */
  async exchange(url: string, init: RequestInit, op: GraphOperation): Promise<Response> {
    const wait = this.opts.wait ?? sleep;
    const random = this.opts.random ?? Math.random;
    let attempt = 0;
    let reauthorized = false;
    for (;;) {
      throwIfCancelled(op.signal);
      await this.concurrency.acquire(op.signal);
      let res: Response | undefined;
      let failure: unknown;
      try {
        const token = await this.opts.getToken(false);
        const headers = new Headers(init.headers);
        headers.set('Authorization', `Bearer ${token}`);
        op.requests++;
        res = await this.opts.network.fetch(url, { ...init, headers, ...(op.signal ? { signal: op.signal } : {}), ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}) });
      } catch (e) {
        failure = e;
      } finally {
        this.concurrency.release();
      }
      if (op.signal?.aborted) throw new CancelledError();
      if (res) {
        this.concurrency.observeThrottlePercentage(res.headers.get('x-ms-throttle-limit-percentage'));
        if (res.status === 401 && !reauthorized) {
          // One re-acquisition: the token may have expired mid-scan or been revoked.
          reauthorized = true;
          await res.body?.cancel();
          this.log.info('401 from Graph; re-acquiring the token once', { url: redactUrl(url) });
          await this.opts.getToken(true);
          continue;
        }
        if (!isRetryableStatus(res.status)) {
          if (res.ok) this.concurrency.onSuccess();
          return res;
        }
      } else if (!isTransientNetworkError(failure)) {
        throw failure;
      }
      const status = res?.status ?? null;
      const throttled = status === 429 || status === 503;
      if (throttled) this.concurrency.onThrottled();
      const retryAfter = res ? parseRetryAfter(res.headers.get('retry-after'), this.opts.clock.now()) : undefined;
      const delay = retryAfter ?? backoffDelay(attempt, this.policy, random);
      const reason = status ? `HTTP ${status}` : `connection: ${describeFailure(failure)}`;
      if (attempt >= this.policy.maxRetriesPerRequest || (retryAfter !== undefined && retryAfter > this.policy.maxRetryAfterMs) || !op.budget.take(throttled ? 'throttle' : 'fault')) {
        if (res) return res; // the caller maps the final status to a typed error
        throw new SyncDriftError('connection', 'GRAPH_CONNECTION', `Microsoft Graph kept failing (${reason}) after ${attempt} retries.`, { cause: failure });
      }
      await res?.body?.cancel();
      attempt++;
      op.onRetry?.({ retries: op.retries, status, delayMs: delay, reason });
      this.log.debug('graph retry', { url: redactUrl(url), reason, delayMs: delay, attempt });
      await wait(delay, op.signal);
    }
  }
}

/** Terminal middleware: the SDK's context goes out through the Network port, with our retry loop. */
class NetworkHandler implements Middleware {
  constructor(private readonly transport: GraphTransport) {}
  async execute(context: Context): Promise<void> {
    const opt = context.middlewareControl?.getMiddlewareOptions(OperationOption) as OperationOption | undefined;
    const op = opt?.op ?? this.transport.operation('graph');
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const init = (context.options ?? {}) as RequestInit;
    context.response = await this.transport.exchange(url, init, op);
  }
}

function describeFailure(e: unknown): string {
  const code = (e as { code?: unknown; cause?: { code?: unknown } })?.cause?.code ?? (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

function redactUrl(url: string): string {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) if (/token/i.test(k)) u.searchParams.set(k, '…');
  return u.toString();
}

/** The documented refusal for on-premises-mastered properties (DOMAIN.md). */
export const SOA_MESSAGE = /on-premises mastered|onpremises mastered|undergoing migration/i;

/**
 * What a mail-enabled synced user answers instead: the user SOA how-to says "The error message
 * differs for mail-enabled users, but updates still aren't allowed" (docs/cloud.md).
 */
export const MAIL_ENABLED_MESSAGE = /originated within an external service/i;

const GraphErrorBody = (b: unknown): { code: string; message: string } => {
  const e = (b as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { code: typeof e?.code === 'string' ? e.code : 'unknown', message: typeof e?.message === 'string' ? e.message : '' };
};

/** Maps a failed Graph answer to the typed error an admin can act on. */
export function graphError(status: number, body: unknown, headers: Headers | null, capability: Capability | undefined, req?: Pick<GraphRequest, 'method' | 'path'>): SyncDriftError {
  const { code, message } = GraphErrorBody(body);
  const details = { status, graphCode: code, graphMessage: message, requestId: headers?.get('request-id') ?? null, ...(req ? { method: req.method } : {}) };
  if (status === 400 && code === 'Request_BadRequest' && SOA_MESSAGE.test(message)) {
    return new SyncDriftError(
      'conflict',
      'GRAPH_SOA_READONLY',
      'Graph refuses this change because the user is synchronized from on-premises AD (the property is mastered on-premises). Change the value in AD instead, use the BypassDirSyncOverrides route, or switch the user to cloud management first.',
      { details },
    );
  }
  if (status === 400 && code === 'Request_BadRequest' && MAIL_ENABLED_MESSAGE.test(message)) {
    return new SyncDriftError(
      'conflict',
      'GRAPH_MAIL_ENABLED_READONLY',
      'Graph refuses this change because the user is a mail-enabled user synchronized from on-premises (its properties are mastered on-premises; Graph words this refusal differently for mail-enabled users). Change the value in AD instead, use the BypassDirSyncOverrides route, or switch the user to cloud management first.',
      { details },
    );
  }
  if (status === 403) {
    const need = capability ? neededFor(capability) : 'the Graph permission this request needs';
    return new SyncDriftError('permission', 'GRAPH_FORBIDDEN', `Graph refused: ${capability ? CAPABILITY_LABEL[capability] : 'this request'} needs ${need}. (${code}${message ? `: ${message}` : ''})`, { details: { ...details, capability: capability ?? null } });
  }
  if (status === 401) return new SyncDriftError('auth', 'GRAPH_UNAUTHORIZED', `Graph did not accept the sign-in even after renewing the token (${code}). Sign in again.`, { details });
  if (status === 404) return new SyncDriftError('not-found', 'GRAPH_NOT_FOUND', `Graph found nothing there (${code}${message ? `: ${message}` : ''}).`, { details });
  if (status === 429 || status === 503) return new SyncDriftError('throttled', 'GRAPH_THROTTLED', `Graph kept throttling the requests (HTTP ${status}); the retry budget is spent. Try again later.`, { details: { ...details, retryAfter: headers?.get('retry-after') ?? null } });
  if (status === 410 || code === 'syncStateNotFound' || code === 'resyncRequired') return new SyncDriftError('conflict', 'GRAPH_DELTA_EXPIRED', 'The saved delta state is no longer valid; a full read is needed.', { details });
  if (status >= 500) return new SyncDriftError('connection', 'GRAPH_SERVER_ERROR', `Graph kept failing with HTTP ${status} (${code}).`, { details });
  return new SyncDriftError('validation', `GRAPH_${status}`, `Graph rejected the request: HTTP ${status} ${code}${message ? `: ${message}` : ''}`, { details });
}

export function neededFor(capability: Capability): string {
  const r = REQUIREMENTS[capability];
  const delegated = r.delegated.length ? `${r.delegated[0]} (delegated${r.roles.length ? `, with the ${r.roles.map(roleName).join(' or ')} role` : ''})` : null;
  const app = r.app.length ? `${r.app[0]} (application)` : null;
  return [delegated, app].filter(Boolean).join(' or ') + ' with admin consent';
}

