import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, errors as UndiciErrors } from 'undici';
import { GatewayError } from '../core/errors.ts';
import type { HttpClient, UpstreamRequest, UpstreamResponse } from '../core/http-client.ts';
import { idleFirstPoolFactory, type PoolInternals } from './idle-first-pool.ts';
import { UpstreamCall } from './upstream-call.ts';

/*
 * undici's Agent and its error classes, required from their own files rather than from the
 * package's index, which loads all of undici (fetch, WebSocket, EventSource, the cache and mock
 * agents): 50-60 ms of every process's start here, against 110 (docs/performance.md). undici 7
 * has no `exports` map, so these paths are reachable as files; only `dispatch` is used, which the
 * Agent has without the request API the index adds to it. So are the Pool's internals that
 * ./idle-first-pool.ts builds on. Should a later undici move them or close them with an `exports`
 * map, the index is loaded instead, with undici's own Pool. The types are the package's own.
 */
const { Agent, errors, pools } = ((): { Agent: typeof UndiciAgent; errors: typeof UndiciErrors; pools: PoolInternals | undefined } => {
  const requireFile = createRequire(import.meta.url);
  try {
    const base = requireFile('undici/lib/dispatcher/pool-base.js') as Record<string, unknown>;
    const { kNeedDrain, kGetDispatcher, kAddClient } = base;
    const internals =
      typeof kNeedDrain === 'symbol' && typeof kGetDispatcher === 'symbol' && typeof kAddClient === 'symbol'
        ? { Pool: requireFile('undici/lib/dispatcher/pool.js'), Client: requireFile('undici/lib/dispatcher/client.js'), kNeedDrain, kGetDispatcher, kAddClient }
        : undefined;
    return { Agent: requireFile('undici/lib/dispatcher/agent.js'), errors: requireFile('undici/lib/core/errors.js'), pools: internals };
  } catch {
    return { ...(requireFile('undici') as { Agent: typeof UndiciAgent; errors: typeof UndiciErrors }), pools: undefined };
  }
})();

/** Pool settings for upstream connections. */
export interface HttpClientOptions {
  connectTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs?: number;
}

/** A request URL split as undici's dispatch takes it; providers use a handful of URLs, so they are kept. */
interface Target {
  origin: string;
  path: string;
}
const maxTargets = 1024;

/**
 * An HttpClient over one undici Agent: a keep-alive pool per origin, shared by all adapters.
 * Calls are dispatched with the gateway's own handler (./upstream-call.ts) rather than through
 * `undici.request()`: docs/decisions/0014-upstream-calls.md.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    // One pool per origin that hands out the connection freed last, in O(1) (./idle-first-pool.ts).
    ...(pools ? { factory: idleFirstPoolFactory(pools) } : {}),
  });
  const targets = new Map<string, Target>();
  const targetOf = (url: string): Target => {
    let target = targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (targets.size >= maxTargets) targets.clear();
      targets.set(url, target);
    }
    return target;
  };

  return {
    send(upstream: UpstreamRequest): Promise<UpstreamResponse> {
      if (upstream.signal.aborted) return Promise.reject(transportError(upstream.signal.reason, upstream));
      try {
        const { origin, path } = targetOf(upstream.url);
        // What an error names, not the request: its body (the whole prompt) would stay reachable
        // from the call for as long as the answer runs, beside undici's own copy.
        const described: ErrorContext = {
          provider: upstream.provider,
          signal: upstream.signal,
          firstByteTimeoutMs: upstream.firstByteTimeoutMs,
          idleTimeoutMs: upstream.idleTimeoutMs,
          ...(upstream.redact ? { redact: upstream.redact } : {}),
        };
        const call = new UpstreamCall({ signal: upstream.signal, provider: upstream.provider, progress: upstream.progress, toError: (error) => transportError(error, described) });
        agent.dispatch(
          {
            origin,
            path,
            method: upstream.method ?? 'POST',
            headers: upstream.headers,
            body: upstream.body ?? null,
            headersTimeout: upstream.firstByteTimeoutMs,
            bodyTimeout: upstream.idleTimeoutMs,
          },
          call,
        );
        return call.response;
      } catch (error) {
        return Promise.reject(transportError(error, upstream));
      }
    },
    close: () => agent.close(),
  };
}

/** What `transportError` reads of a request. */
type ErrorContext = Pick<UpstreamRequest, 'provider' | 'signal' | 'firstByteTimeoutMs' | 'idleTimeoutMs' | 'redact'>;

/** Maps undici and socket errors to GatewayErrors naming the provider. */
export function transportError(error: unknown, upstream: ErrorContext): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  const provider = upstream.provider;
  const reason: unknown = upstream.signal.aborted ? upstream.signal.reason : undefined;
  if (GatewayError.isInstance(reason)) return reason;
  if (upstream.signal.aborted) {
    return new GatewayError('SB_ERR_CLIENT_CLOSED', `Call to provider "${provider}" was cancelled`, { cause: error, provider });
  }
  if (error instanceof errors.HeadersTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${provider}" sent no response within ${upstream.firstByteTimeoutMs} ms`, { cause: error, provider });
  }
  if (error instanceof errors.BodyTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${provider}" sent nothing for ${upstream.idleTimeoutMs} ms`, { cause: error, provider });
  }
  if (error instanceof errors.ConnectTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Could not connect to provider "${provider}" in time`, { cause: error, provider });
  }
  const code = (error as { code?: string }).code;
  if (code !== undefined) return new GatewayError('SB_ERR_UPSTREAM_CONNECTION', `Connection to provider "${provider}" failed (${code})`, { cause: error, provider });
  // Without a code the error's own text is all there is, and it may quote the URL (a key in its
  // query) or a header: it is redacted, and when that took something out the cause is left off,
  // since log lines print a cause's message and stack in full.
  const text = error instanceof Error ? error.message : String(error);
  const redacted = upstream.redact ? upstream.redact(text) : text;
  return new GatewayError('SB_ERR_UPSTREAM_CONNECTION', `Connection to provider "${provider}" failed (${redacted})`, {
    ...(redacted === text ? { cause: error } : {}),
    provider,
  });
}
