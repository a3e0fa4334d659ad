import type { Transformer } from 'node:stream/web';
import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import type { SseMessage } from '../_shared/sse.ts';
import { errorInAnswer, type UpstreamSource } from '../_shared/upstream-error.ts';
import { createChoiceEvents } from './choice-events.ts';
import { readOpenAIError } from './errors.ts';
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
  /** The usage holds the call's cost (OpenRouter: `OpenAIFlavor.reportsCost`). */
  reportsCost?: boolean;
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
  /** Passthrough chunks that came before the one that starts the answer (Azure's prompt annotations). */
  const held: string[] = [];
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
      if (chunk.error || chunk.x_groq?.error) {
        const message = chunk.error ? readOpenAIError(chunk).message : (chunk.x_groq?.error ?? undefined);
        controller.enqueue({ type: 'error', error: errorInAnswer(options.source, message) });
        done = true;
        return;
      }
      const choices = chunk.choices ?? [];
      if (!started && !chunk.id && choices.length === 0 && !chunk.usage) {
        // Azure's first chunk annotates the prompt (`prompt_filter_results`) with `"id": ""`,
        // `"model": ""`, `"created": 0` and no choices (e.g. AbanteAI/archive-old-cli-mentat#429,
        // seratch/ChatGPT-in-Slack#49): the answer's header comes from the next chunk, and this
        // one is relayed after it.
        if (options.passthrough) held.push(message.data);
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
        for (const data of held.splice(0)) controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data });
      }
      if (options.passthrough) {
        if (!chunk.usage) controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data });
        else if (options.usageChunkInternal && choices.length === 0) controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data, internal: true });
        else controller.enqueue({ type: 'native-chunk', format: 'openai-chat', data: message.data, usage: true });
      }
      // Groq reports a stream's usage in its last chunk as `x_groq.usage` (wire-types.ts).
      const reported = chunk.usage ?? chunk.x_groq?.usage;
      if (reported) usage = convertUsage(reported, options.reportsCost);
      const choice = choices.find((candidate) => (candidate.index ?? 0) === 0);
      if (!choice) return;
      const delta = choice.delta ?? {};
      const reasoning = delta.reasoning_content || delta.reasoning;
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
