import type { ChatRequest } from '../../core/chat-request.ts';

/**
 * The request as a non-streamed or a streamed call sends it: the request itself when it already
 * says so, else a copy saying so. A copy by `Object.assign`, not `{ ...request, stream }`: on
 * Node 20 (V8 11.3) a literal that spreads an object and adds a property takes a slow path, about
 * 2 µs, and its result is allocated where only a major collection frees it, however short its
 * life (docs/performance.md, eleventh session). The same holds for the adapters' other copies.
 */
export function withStream(request: ChatRequest, stream: boolean): ChatRequest {
  return request.stream === stream ? request : Object.assign({}, request, { stream });
}
