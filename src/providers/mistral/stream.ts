import type { Transformer } from 'node:stream/web';
import type { FinishReason } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import type { SseMessage } from '../_shared/sse.ts';
import { failedGeneration } from '../_shared/failed-generation.ts';
import { errorInAnswer, type UpstreamSource } from '../_shared/upstream-error.ts';
import { createChoiceEvents } from '../openai-compatible/choice-events.ts';
import { completionHeader } from '../openai-compatible/convert-response.ts';
import { convertUsage, mapFinishReason, randomToolCallId, splitContent, toolArguments } from './convert-response.ts';
import { readMistralError } from './errors.ts';
import { PrefixRepeat } from './prefix.ts';
import type { MistralChatBody } from './wire-types.ts';

/**
 * Mistral CompletionChunk SSE messages (`data: {chunk}` ... `data: [DONE]`, the `stream` field of
 * ChatCompletionRequest in ../shared/specs/mistral/openapi.yaml; chunk sequence as in
 * examples/chat-completions-stream-docs.ndjson) → StreamEvents.
 *
 * The OpenAI chunk transform does not fit: Mistral deltas may carry ContentChunk arrays
 * (`thinking` for reasoning models), may send tool calls whole and without a distinct `index`
 * (ToolCall.index defaults to 0 in the spec, so calls are told apart by id), end with
 * `model_length` or `error`, and put usage on the last chunk beside the finish_reason, without
 * any `stream_options`. The blocks those deltas open and close are the same as OpenAI's
 * (../openai-compatible/choice-events.ts).
 */
export function mistralChunkTransformer(options: { source: UpstreamSource; requestedModel: string; prefill?: string }): Transformer<SseMessage, StreamEvent> {
  let started = false;
  const blocks = createChoiceEvents();
  // The answer to a caller's prefill starts by repeating it (prefix.ts).
  const repeat = new PrefixRepeat(options.prefill);
  const flushText = (controller: TransformStreamDefaultController<StreamEvent>) => {
    const held = repeat.flush();
    if (held) blocks.textDelta(controller, held);
  };
  /** The call a fragment without an id continues, by `index`. */
  const lastByIndex = new Map<number, string>();
  let finishReason: FinishReason | undefined;
  let rawFinishReason: string | undefined;
  let usage: Usage | undefined;
  /** Finished at [DONE], or failed (an error in the answer): nothing more is read. */
  let done = false;
  const readJson = createEventJsonReader(options.source.provider);

  const fail = (controller: TransformStreamDefaultController<StreamEvent>, message: string | undefined) => {
    controller.enqueue({ type: 'error', error: errorInAnswer(options.source, message) });
    done = true;
  };

  return {
    transform(message, controller) {
      if (done) return;
      if (message.data === '[DONE]') {
        // The last event: the answer ends now, not when the body does (which may be left open).
        done = true;
        finish(controller);
        return;
      }
      const chunk = readJson<MistralChatBody>(message.data, controller);
      if (chunk === undefined) return;
      // An in-band error is an error body instead of a chunk (`"object": "error"`).
      if (chunk.object === 'error' || chunk.error || (!chunk.choices && chunk.message !== undefined)) {
        const detail = readMistralError(chunk);
        fail(controller, detail.message ?? 'error event in the stream');
        return;
      }
      if (!started) {
        started = true;
        controller.enqueue({ type: 'stream-start', ...completionHeader(chunk, options.requestedModel), warnings: [] });
      }
      if (chunk.usage) usage = convertUsage(chunk.usage);
      const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
      if (!choice) return;
      const delta = choice.delta ?? {};
      const { text, reasoning } = splitContent(delta.content);
      if (reasoning) blocks.reasoningDelta(controller, reasoning);
      const piece = text ? repeat.take(text) : '';
      if (piece) blocks.textDelta(controller, piece);
      if (delta.tool_calls?.length) flushText(controller);
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? 0;
        let id = call.id && blocks.toolIds.includes(call.id) ? call.id : call.id ? undefined : lastByIndex.get(index);
        if (id === undefined) {
          id = call.id ?? randomToolCallId();
          blocks.toolStart(controller, id, call.function?.name ?? '');
        }
        lastByIndex.set(index, id);
        const fragment = toolArguments(call);
        if (fragment) controller.enqueue({ type: 'tool-input-delta', id, delta: fragment });
      }
      if (choice.finish_reason) {
        finishReason = mapFinishReason(choice.finish_reason);
        rawFinishReason = choice.finish_reason;
      }
    },
    flush(controller) {
      // Neither [DONE] nor a finish_reason: the stream was cut; guardStream reports it. done: it
      // finished at [DONE], or failed.
      if (done || finishReason === undefined) return;
      finish(controller);
    },
  };

  function finish(controller: TransformStreamDefaultController<StreamEvent>): void {
    if (!started) return;
    flushText(controller);
    if (finishReason === 'error') {
      // A generation that failed must not look like a normal end (STYLE rule 3).
      controller.enqueue({ type: 'error', error: failedGeneration(options.source, 'finish_reason', 'error', 200), ...(usage ? { usage } : {}) });
      return;
    }
    blocks.finish(controller, { finishReason, rawFinishReason, usage });
  }
}
