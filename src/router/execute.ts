/**
 * The executor's three entry points: non-streamed chat, streamed chat (read up to its first
 * output, then resumable) and embeddings. The attempt loop itself is src/router/executor.ts.
 */
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../core/embedding.ts';
import { GatewayError } from '../core/errors.ts';
import type { ProviderAdapter } from '../core/provider-adapter.ts';
import type { EventReader, StreamEvent } from '../core/stream-event.ts';
import { Executor, type Attempt, type Execution, type ExecutionContext, type Success } from './executor.ts';
import { peekStream, type PeekedStream } from './peek-stream.ts';
import type { Plan } from './plan.ts';
import { resumableStream, type StreamAttempt, type StreamContinuer } from './resume-stream.ts';

export type { ExecutionContext, Execution, ProviderHandle } from './executor.ts';

/**
 * Non-streamed chat through the plan's candidates. Promise chains rather than async functions,
 * here and in the executor, the pipeline, the route and the adapter: every request in flight
 * kept each one's suspended frame (a generator, its registers and a promise: 200-500 bytes) for
 * the provider's whole answer time, and with a thousand calls in flight what a request keeps is
 * copied by each young collection and promoted (heap snapshots, docs/performance.md). A
 * non-streamed success holds no live attempt (the executor released it), so it is the execution.
 */
export function executeChat(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<ChatResult>> {
  return new Executor<ChatResult>(plan, context, false).run((handle, call) => handle.adapter.chat(request, call));
}

/**
 * Streamed chat. An attempt counts as successful once its first output event arrived; a
 * stream that fails before that falls back to the next candidate without the caller seeing it.
 * One that breaks or stalls after it is continued where a candidate can (resume-stream.ts).
 */
export function executeStream(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<EventReader<StreamEvent>>> {
  const executor = new Executor<PeekedStream>(plan, context, true);
  return executor.run(streamAttempt(request)).then((first) => {
    const continuer: StreamContinuer = {
      broke: (attempt, error) => executor.broke(attempt, error),
      async continueStream(broken, error, continuation) {
        const accepts = (adapter: ProviderAdapter) => adapter.continuation?.accepts(continuation) ?? false;
        const success = await executor.continueWith(broken, error, streamAttempt(continuation), accepts);
        return success && streamOf(success, context.provider(success.model.providerId)?.adapter.continuation?.mayRepeatPrefix);
      },
    };
    const stream = resumableStream(streamOf(first), request, { continuer, signal: context.signal, resume: plan.resumeStreams });
    return { value: stream, model: first.model };
  });
}

/** Embeddings through the plan's candidates. */
export function executeEmbedding(plan: Plan, request: EmbeddingRequest, context: ExecutionContext): Promise<Execution<EmbeddingResult>> {
  return new Executor<EmbeddingResult>(plan, context, false)
    .run((handle, call) => {
      if (!handle.adapter.embed) {
        throw new GatewayError('SB_ERR_UPSTREAM_BAD_REQUEST', `Provider "${handle.adapter.id}" has no embeddings API`, { provider: handle.adapter.id });
      }
      return handle.adapter.embed(request, call);
    });
}

function streamAttempt(request: ChatRequest): Attempt<PeekedStream> {
  return (handle, call) => handle.adapter.streamChat(request, call).then(peekStream);
}

function streamOf(success: Success<PeekedStream>, mayRepeatPrefix = false): StreamAttempt {
  // Field by field: a literal merging two objects by spreads took V8 11.3's slow path on Node 20
  // (about 2 µs, and its result freed only by a major collection; docs/performance.md).
  const { value } = success;
  const live = success.live!;
  return {
    buffered: value.buffered,
    reader: value.reader,
    model: live.model,
    record: live.record,
    startedAt: live.startedAt,
    stallMs: live.stallMs,
    progress: live.progress,
    abort: live.abort,
    release: live.release,
    mayRepeatPrefix,
  };
}

