import { createHash } from 'node:crypto';
import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';

/**
 * The exact-match key of a request on a route: a hash of the route and the caller's whole body
 * in its own format (every field counts, so two requests share an answer only if they would get
 * the same one), minus the delivery fields (`stream`, `stream_options`: how an answer is
 * delivered, not what it says): a streamed and a plain request share an entry, the
 * stored answer converted from one delivery to the other through the typed answer. Where that
 * answer cannot carry all of it (`modeBound`), each delivery has its own entry.
 * Requests without a native body (none today) are keyed by their typed form.
 *
 * The routing inputs the native body no longer holds count too: the metadata (header, body and
 * the key's defaults) and OpenRouter's `models` / `provider` hints (an outside probe: a request
 * with `provider.order: ["ant"]` got the answer another provider had given a request without
 * it). `scope` is whose entries these are (src/pipeline.ts: the team, else the key), so a team
 * never reads another's answers, nor learns from a hit what another asked (docs/routing.md
 * "Response cache").
 */
export function cacheKey(route: string, request: ChatRequest, scope: string): string {
  const hash = createHash('sha256').update(scope).update('\u0000').update(route).update('\u0000');
  if (request.native) {
    hash.update(request.native.format).update('\u0000');
    if (modeBound(request)) hash.update(request.stream ? 'stream\u0000' : 'plain\u0000');
    // Top-level fields only: a tool's or a JSON schema's property named `stream` is content (an
    // outside probe: two tools differing only in such a property shared an answer). A shallow copy,
    // not a replacer, which would take V8 off its fast serializer for every key of the body.
    const { stream: _stream, stream_options: _streamOptions, ...content } = request.native.body;
    hash.update(JSON.stringify(content));
    hash.update('\u0000').update(JSON.stringify([request.metadata, request.hints]));
  } else {
    const { stream: _stream, includeUsage: _includeUsage, ...rest } = request;
    hash.update(JSON.stringify(rest));
  }
  return hash.digest('hex');
}

/** Whose cache entries a caller reads and writes: its key's team, else the key; the master key and open access share one. */
export function cacheScope(caller: Pick<Caller, 'keyId' | 'team'>): string {
  if (caller.team !== null) return `team:${caller.team}`;
  return caller.keyId === null ? '' : `key:${caller.keyId}`;
}

/**
 * Whether the answer may hold what only its own delivery carries: several choices or logprobs
 * (OpenAI; the typed answer has one choice and no logprobs), or blocks of Anthropic's own
 * services (`mcp_servers`, `container`…, which the typed answer leaves out). Prompt caching
 * (`cache_control`) changes no block.
 */
function modeBound(request: ChatRequest): boolean {
  const body = request.native!.body;
  if (request.native!.format === 'openai-chat') return (typeof body.n === 'number' && body.n > 1) || body.logprobs === true;
  return request.native!.nativeOnly?.some((setting) => setting !== 'cache_control') ?? false;
}
