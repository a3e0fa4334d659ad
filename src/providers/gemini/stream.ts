import type { Transformer } from 'node:stream/web';
import { randomUUID } from 'node:crypto';
import type { StreamEvent } from '../../core/stream-event.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import { failedGeneration } from '../_shared/failed-generation.ts';
import type { SseMessage } from '../_shared/sse.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { convertPart, skippedPartWarning, type ConvertedPart } from './convert-response.ts';
import { convertUsage } from './convert-usage.ts';
import { errorFromBlockedPrompt, errorFromEmptyAnswer, errorFromStreamMessage } from './errors.ts';
import { mapFinishReason } from './map-finish-reason.ts';
import type { GeminiResponse, GeminiUsageMetadata } from './wire-types.ts';

/** How one stream's messages are to be turned into events. */
export interface GeminiStreamOptions {
  source: UpstreamSource;
  requestedModel: string;
}

type Controller = TransformStreamDefaultController<StreamEvent>;

/**
 * `streamGenerateContent?alt=sse` messages → StreamEvents. Each `data:` message is a whole
 * GenerateContentResponse holding the next parts; there is no terminator, and the finishReason
 * and final usageMetadata ride on the last message (../shared/specs/README.md, examples/streaming-*).
 * Function calls arrive whole, so each becomes tool-input-start/delta/end at once. `finish` is
 * emitted at the end only if a finishReason was seen; a stream that stops without one is left
 * unfinished, and guardStream reports it as interrupted. A prompt block is an error at once
 * (errorFromBlockedPrompt), and a stream that ends without any candidate an empty answer
 * (errorFromEmptyAnswer), never an empty finish. The recorded prompt-block stream ends after a
 * single CRLF (examples/streaming-failure-prompt-blocked-safety.txt): the SSE decoder dispatches
 * a last event that lacks its blank line at the body's end (src/providers/_shared/sse.ts).
 * Parts Switchboard cannot relay (code execution, inline media: never asked for) are skipped, with
 * a warning for the ledger.
 */
export function geminiStreamTransformer(options: GeminiStreamOptions): Transformer<SseMessage, StreamEvent> {
  let started = false;
  let failed = false;
  const readJson = createEventJsonReader(options.source.provider);
  let open: { type: 'text' | 'reasoning'; id: string } | undefined;
  let blocks = 0;
  let hasToolCalls = false;
  let sawCandidate = false;
  let finishReason: string | undefined;
  let usage: GeminiUsageMetadata | undefined;
  const skipped = new Set<string>();

  const close = (controller: Controller) => {
    if (open) controller.enqueue({ type: open.type === 'text' ? 'text-end' : 'reasoning-end', id: open.id });
    open = undefined;
  };
  const ensureOpen = (controller: Controller, type: 'text' | 'reasoning'): string => {
    if (open?.type !== type) {
      close(controller);
      open = { type, id: `${type}-${blocks++}` };
      controller.enqueue({ type: type === 'text' ? 'text-start' : 'reasoning-start', id: open.id });
    }
    return open.id;
  };

  const emit = (part: ConvertedPart, controller: Controller) => {
    switch (part.type) {
      case 'text':
        controller.enqueue({ type: 'text-delta', id: ensureOpen(controller, 'text'), delta: part.text });
        return;
      case 'reasoning': {
        if (part.text === '') {
          // The signature of answer text: a block of its own, as convert-response.ts makes it.
          close(controller);
          const id = `reasoning-${blocks++}`;
          controller.enqueue({ type: 'reasoning-start', id });
          if (part.signature) controller.enqueue({ type: 'reasoning-signature', id, signature: part.signature });
          controller.enqueue({ type: 'reasoning-end', id });
          return;
        }
        const id = ensureOpen(controller, 'reasoning');
        controller.enqueue({ type: 'reasoning-delta', id, delta: part.text });
        if (part.signature) controller.enqueue({ type: 'reasoning-signature', id, signature: part.signature });
        return;
      }
      case 'tool-call':
        close(controller);
        hasToolCalls = true;
        controller.enqueue({ type: 'tool-input-start', id: part.id, toolName: part.name });
        controller.enqueue({ type: 'tool-input-delta', id: part.id, delta: part.arguments });
        controller.enqueue({ type: 'tool-input-end', id: part.id });
        return;
      case 'refusal':
        // convertPart never makes refusals; Gemini reports refusals as finish reasons.
        return;
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  };

  return {
    transform(message, controller) {
      if (failed) return;
      const chunk = readJson<GeminiResponse>(message.data, controller);
      if (chunk === undefined) return;
      if (chunk.error || chunk.promptFeedback?.blockReason) {
        failed = true;
        const error = chunk.error ? errorFromStreamMessage(chunk.error, options.source) : errorFromBlockedPrompt(chunk.promptFeedback!.blockReason!, options.source);
        controller.enqueue({ type: 'error', error });
        return;
      }
      if (!started) {
        started = true;
        controller.enqueue({
          type: 'stream-start',
          id: chunk.responseId ?? `chatcmpl-${randomUUID()}`,
          model: chunk.modelVersion ?? options.requestedModel,
          created: Math.floor(Date.now() / 1000),
          warnings: [],
          // Every chunk states the prompt's count: billed even if the stream is cut or left.
          ...(chunk.usageMetadata ? { inputUsage: convertUsage(chunk.usageMetadata) } : {}),
        });
      }
      if (chunk.usageMetadata) usage = chunk.usageMetadata;
      if (chunk.candidates?.length) sawCandidate = true;
      const candidate = chunk.candidates?.find((item) => (item.index ?? 0) === 0);
      for (const part of candidate?.content?.parts ?? []) {
        const converted = convertPart(part);
        if (Array.isArray(converted)) for (const item of converted) emit(item, controller);
        else if (!skipped.has(converted.skipped)) {
          // Said once per kind (code execution streams many such parts), as the unary answer says it.
          skipped.add(converted.skipped);
          controller.enqueue({ type: 'warning', warning: skippedPartWarning(converted.skipped) });
        }
      }
      if (candidate?.finishReason) finishReason = candidate.finishReason;
    },
    flush(controller) {
      if (failed) return;
      if (!sawCandidate) {
        // The body ended cleanly (a cut connection errors it instead) without a single candidate.
        controller.enqueue({ type: 'error', error: errorFromEmptyAnswer(options.source) });
        return;
      }
      if (finishReason === undefined) return;
      const unified = mapFinishReason(finishReason, hasToolCalls);
      if (unified === 'error') {
        // MALFORMED_FUNCTION_CALL: a generation that failed must not look like a normal end; an
        // open text block stays open, as after any error mid-stream (a resumed text goes on in it).
        controller.enqueue({ type: 'error', error: failedGeneration(options.source, 'finishReason', finishReason), ...(usage ? { usage: convertUsage(usage) } : {}) });
        return;
      }
      close(controller);
      controller.enqueue({
        type: 'finish',
        finishReason: unified,
        rawFinishReason: finishReason,
        ...(usage ? { usage: convertUsage(usage) } : {}),
      });
    },
  };
}
