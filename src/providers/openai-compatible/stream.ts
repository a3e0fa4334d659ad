import type { Transformer } from 'node:stream/web';
import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import type { SseMessage } from '../_shared/sse.ts';
import { errorInAnswer, type UpstreamSource } from '../_shared/upstream-error.ts';
import { createChoiceEvents } from './choice-events.ts';
import { completionHeader, convertUsage, mapFinishReason } from './convert-response.ts';
import type { OpenAIChatBody } from './wire-types.ts';

/** How the chunks of one stream are to be turned into events. */
export interface ChunkStreamOptions {
  source: UpstreamSource;
  requestedModel: string;
  /** Emit each chunk verbatim as `native-chunk` too (the caller speaks OpenAI). */
  passthrough: boolean;
  /** The final usage chunk was requested only for accounting. */
  usageChunkInternal: boolean;
}

/**
 * OpenAI `chat.completion.chunk` SSE messages → StreamEvents (format in
 * ../shared/specs/openai/examples/chat-completions-stream-*.sse). Typed events follow the
 * first choice; with `passthrough`, every chunk (all choices) also goes out verbatim.
 * `finish` is emitted at `[DONE]`, the stream's last event, after the usage chunk that follows
 * the finish_reason chunk: at once, not when the body ends, which an upstream may leave open (the
 * answer would wait for the stall timeout and end as an error). A stream that ends without
 * `[DONE]` finishes at its end if it had a finish_reason; with neither it is left unfinished,
 * and guardStream reports it as interrupted.
 */
export function chunkTransformer(options: ChunkStreamOptions): Transformer<SseMessage, StreamEvent> {
  let started = false;
  const blocks = createChoiceEvents();
  /** Tool call ids by the `index` their chunks carry. */
  const toolIds = new Map<number, string>();
  let finishReason: FinishReason | undefined;
  let rawFinishReason: string | undefined;
  let usage: Usage | undefined;
  let done = false;
  const readJson = createEventJsonReader(options.source.provider);

  return {
    transform(message, controller) {
      if (done) return;
      if (message.data === '[DONE]') {
        done = true;
        if (started) blocks.finish(controller, { finishReason, rawFinishReason, usage });
        return;
      }
      const chunk = readJson<OpenAIChatBody>(message.data, controller);
      if (chunk === undefined) return;
      if (chunk.error) {
        controller.enqueue({ type: 'error', error: errorInAnswer(options.source, chunk.error.message ?? undefined) });
        done = true;
        return;
      }
      if (!started) {
        started = true;
        controller.enqueue({
          type: 'stream-start',
          ...completionHeader(chunk, options.requestedModel),
          warnings: [],
          ...(options.passthrough ? { nativeFormat: 'openai-chat' as const } : {}),
        });
      }
      const choices = chunk.choices ?? [];
      if (options.passthrough) {
        if (!chunk.usage) controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data });
        else if (options.usageChunkInternal && choices.length === 0) controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data, internal: true });
        else controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data, usage: true });
      }
      if (chunk.usage) usage = convertUsage(chunk.usage);
      const choice = choices.find((candidate) => (candidate.index ?? 0) === 0);
      if (!choice) return;
      const delta = choice.delta ?? {};
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) blocks.reasoningDelta(controller, reasoning);
      if (delta.content) blocks.textDelta(controller, delta.content);
      if (delta.refusal) controller.enqueue({ type: 'refusal-delta', delta: delta.refusal });
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? 0;
        let id = toolIds.get(index);
        if (id === undefined) {
          id = call.id ?? `call_${randomUUID().replaceAll('-', '')}`;
          toolIds.set(index, id);
          blocks.toolStart(controller, id, call.function?.name ?? '');
        }
        const fragment = call.function?.arguments;
        if (fragment) controller.enqueue({ type: 'tool-input-delta', id, delta: fragment });
      }
      if (choice.finish_reason) {
        finishReason = mapFinishReason(choice.finish_reason);
        rawFinishReason = choice.finish_reason;
      }
    },
    flush(controller) {
      // done: finished at [DONE], or failed.
      if (done || !started || finishReason === undefined) return;
      blocks.finish(controller, { finishReason, rawFinishReason, usage });
    },
  };
}
