import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import type { SseMessage } from '../_shared/sse.ts';
import { errorFromStatus } from '../_shared/upstream-error.ts';
import { convertUsage, mapFinishReason } from './convert-response.ts';
import type { OpenAIChatBody } from './wire-types.ts';

/** How the chunks of one stream are to be turned into events. */
export interface ChunkStreamOptions {
  provider: string;
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
 * `finish` is emitted at the end of the stream, after the usage chunk that follows the
 * finish_reason chunk; a stream that ends with neither `[DONE]` nor a finish_reason is left
 * unfinished, and guardStream reports it as interrupted.
 */
export function createChunkTransform(options: ChunkStreamOptions): TransformStream<SseMessage, StreamEvent> {
  let started = false;
  let textOpen = false;
  let reasoningOpen = false;
  const toolIds = new Map<number, string>();
  let finishReason: FinishReason | undefined;
  let rawFinishReason: string | undefined;
  let usage: Usage | undefined;
  let done = false;
  let failed = false;

  const closeText = (controller: TransformStreamDefaultController<StreamEvent>) => {
    if (reasoningOpen) controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
    if (textOpen) controller.enqueue({ type: 'text-end', id: 'text-0' });
    reasoningOpen = false;
    textOpen = false;
  };

  return new TransformStream<SseMessage, StreamEvent>({
    transform(message, controller) {
      if (done) return;
      if (message.data === '[DONE]') {
        done = true;
        return;
      }
      const chunk = JSON.parse(message.data) as OpenAIChatBody;
      if (chunk.error) {
        controller.enqueue({
          type: 'error',
          error: errorFromStatus(502, options.provider, {
            message: chunk.error.message ?? undefined,
            code: chunk.error.code === null || chunk.error.code === undefined ? undefined : String(chunk.error.code),
          }),
        });
        failed = true;
        done = true;
        return;
      }
      if (!started) {
        started = true;
        controller.enqueue({
          type: 'stream-start',
          id: chunk.id ?? `chatcmpl-${randomUUID()}`,
          model: chunk.model ?? options.requestedModel,
          created: chunk.created ?? Math.floor(Date.now() / 1000),
          warnings: [],
          ...(options.passthrough ? { nativeFormat: 'openai-chat' as const } : {}),
        });
      }
      const choices = chunk.choices ?? [];
      if (options.passthrough) {
        const internal = options.usageChunkInternal && choices.length === 0 && Boolean(chunk.usage);
        controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data, ...(internal ? { internal } : {}) });
      }
      if (chunk.usage) usage = convertUsage(chunk.usage);
      const choice = choices.find((candidate) => (candidate.index ?? 0) === 0);
      if (!choice) return;
      const delta = choice.delta ?? {};
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) {
        if (!reasoningOpen) controller.enqueue({ type: 'reasoning-start', id: 'reasoning-0' });
        reasoningOpen = true;
        controller.enqueue({ type: 'reasoning-delta', id: 'reasoning-0', delta: reasoning });
      }
      if (delta.content) {
        if (reasoningOpen) controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
        reasoningOpen = false;
        if (!textOpen) controller.enqueue({ type: 'text-start', id: 'text-0' });
        textOpen = true;
        controller.enqueue({ type: 'text-delta', id: 'text-0', delta: delta.content });
      }
      if (delta.refusal) controller.enqueue({ type: 'refusal-delta', delta: delta.refusal });
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? 0;
        let id = toolIds.get(index);
        if (id === undefined) {
          closeText(controller);
          id = call.id ?? `call_${randomUUID().replaceAll('-', '')}`;
          toolIds.set(index, id);
          controller.enqueue({ type: 'tool-input-start', id, toolName: call.function?.name ?? '' });
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
      if (failed || !started || (finishReason === undefined && !done)) return;
      closeText(controller);
      for (const id of toolIds.values()) controller.enqueue({ type: 'tool-input-end', id });
      controller.enqueue({
        type: 'finish',
        finishReason: finishReason ?? 'other',
        ...(rawFinishReason ? { rawFinishReason } : {}),
        ...(usage ? { usage } : {}),
      });
    },
  });
}
