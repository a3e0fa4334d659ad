import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/chat-request.ts';

/** Fields that change how an answer is delivered, not what it says. */
const deliveryFields = new Set(['stream', 'stream_options']);

/**
 * The exact-match key of a request on a route: a hash of the route and the caller's whole body
 * in its own format (every field counts, so two requests share an answer only if they would get
 * the same one), minus the delivery fields: a streamed and a plain request share an entry, the
 * stored answer converted from one delivery to the other through the typed answer. Where that
 * answer cannot carry all of it (`modeBound`), each delivery has its own entry.
 * Requests without a native body (none today) are keyed by their typed form.
 */
export function cacheKey(route: string, request: ChatRequest): string {
  const hash = createHash('sha256').update(route).update('\u0000');
  if (request.native) {
    hash.update(request.native.format).update('\u0000');
    if (modeBound(request)) hash.update(request.stream ? 'stream\u0000' : 'plain\u0000');
    hash.update(JSON.stringify(request.native.body, (key, value: unknown) => (deliveryFields.has(key) ? undefined : value)));
  } else {
    const { stream: _stream, includeUsage: _includeUsage, metadata: _metadata, hints: _hints, ...rest } = request;
    hash.update(JSON.stringify(rest));
  }
  return hash.digest('hex');
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
