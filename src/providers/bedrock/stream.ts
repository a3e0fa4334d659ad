import type { FinishReason } from '../../core/chat-result.ts';
import type { GatewayError } from '../../core/errors.ts';
import { failedGeneration } from '../_shared/failed-generation.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { createIndexedBlocks, type OpenBlock } from '../_shared/indexed-blocks.ts';
import { convertUsage, mapStopReason } from './convert-response.ts';
import { errorFromException, errorMessage } from './errors.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import type { StreamMessage } from './event-stream.ts';
import type { ConverseStreamPayload } from './wire-types.ts';

/** What the stream's events do not say: its id (`x-amzn-requestid`) and the model. */
export interface ConverseStreamOptions {
  source: UpstreamSource;
  id: string;
  model: string;
}

type Controller = TransformStreamDefaultController<StreamEvent>;

/**
 * ConverseStream events → StreamEvents (ConverseStreamOutput,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html):
 * `messageStart`, per block `contentBlockStart` (tool use only; text and reasoning blocks begin
 * with their first delta) → `contentBlockDelta`* → `contentBlockStop`, `messageStop`
 * (stopReason), then `metadata` (usage, metrics). `finish` goes out once `messageStop` and
 * `metadata` are both in, or at the end of a stream that had `messageStop` but no metadata; a
 * stream that ends before `messageStop` emits nothing more, and guardStream reports it as
 * interrupted. Exception frames (`:message-type` exception or error) become an `error` event.
 * Payloads carry a padding field `p` and may gain fields; unknown ones are ignored.
 */
export function createConverseStreamTransform(options: ConverseStreamOptions): TransformStream<StreamMessage, StreamEvent> {
  let started = false;
  let ended = false;
  /** Open content blocks by `contentBlockIndex`. */
  const blocks = createIndexedBlocks();
  let stopReason: string | undefined;
  let stopped = false;
  let described = false;
  /** The metadata event's usage; undefined when it had none (the ledger then counts, rather than record zeros). */
  let usage: Usage | undefined;

  const start = (controller: Controller) => {
    if (started) return;
    started = true;
    controller.enqueue({ type: 'stream-start', id: options.id, model: options.model, created: Math.floor(Date.now() / 1000), warnings: [] });
  };

  const finish = (controller: Controller) => {
    ended = true;
    const finishReason: FinishReason = mapStopReason(stopReason);
    if (finishReason === 'error') {
      // malformed_model_output or malformed_tool_use: a generation that failed must not look like
      // a normal end, and its open blocks are not closed either (an open tool call is not made
      // whole with `{}`; a resumed text goes on in the same block), as Mistral's and Cohere's.
      controller.enqueue({ type: 'error', error: failedGeneration(options.source, 'stopReason', stopReason ?? 'error'), ...(usage ? { usage } : {}) });
      return;
    }
    blocks.closeAll(controller);
    controller.enqueue({ type: 'finish', finishReason, ...(stopReason ? { rawFinishReason: stopReason } : {}), ...(usage ? { usage } : {}) });
  };

  const fail = (controller: Controller, error: GatewayError) => {
    start(controller);
    ended = true;
    controller.enqueue({ type: 'error', error });
  };

  return new TransformStream<StreamMessage, StreamEvent>({
    transform(message, controller) {
      if (ended) return;
      if (message.messageType !== 'event') {
        const text = message.errorMessage ?? errorMessage(message.payload);
        fail(controller, errorFromException(message.errorType, text, options.source));
        return;
      }
      const payload = (typeof message.payload === 'object' && message.payload !== null ? message.payload : {}) as ConverseStreamPayload;
      start(controller);
      const index = payload.contentBlockIndex ?? 0;
      switch (message.eventType) {
        case 'messageStart':
          return;
        case 'contentBlockStart': {
          const toolUse = payload.start?.toolUse;
          if (!toolUse) return;
          blocks.close(controller, index);
          const id = toolUse.toolUseId ?? `tooluse_${options.id}_${index}`;
          // A call without parameters streams no input: its arguments are `{}`.
          blocks.openTool(controller, index, id, toolUse.name ?? '', '{}');
          return;
        }
        case 'contentBlockDelta':
          applyDelta(controller, index, payload.delta ?? {});
          return;
        case 'contentBlockStop':
          blocks.close(controller, index);
          return;
        case 'messageStop':
          stopped = true;
          stopReason = payload.stopReason ?? undefined;
          if (described) finish(controller);
          return;
        case 'metadata':
          described = true;
          usage = payload.usage ? convertUsage(payload.usage) : undefined;
          if (stopped) finish(controller);
          return;
        default:
          // Event types added after this adapter was written.
          return;
      }
    },
    flush(controller) {
      if (!ended && stopped) finish(controller);
    },
  });

  function applyDelta(controller: Controller, index: number, delta: NonNullable<ConverseStreamPayload['delta']>): void {
    if (typeof delta.text === 'string') {
      const block = open(controller, index, 'text');
      if (delta.text !== '') controller.enqueue({ type: 'text-delta', id: block.id, delta: delta.text });
      return;
    }
    if (delta.toolUse) {
      const block = blocks.get(index);
      if (block?.kind !== 'tool' || !delta.toolUse.input) return;
      block.sawInput = true;
      controller.enqueue({ type: 'tool-input-delta', id: block.id, delta: delta.toolUse.input });
      return;
    }
    const reasoning = delta.reasoningContent;
    if (reasoning) {
      const block = open(controller, index, 'reasoning');
      if (reasoning.text) controller.enqueue({ type: 'reasoning-delta', id: block.id, delta: reasoning.text });
      if (reasoning.signature) controller.enqueue({ type: 'reasoning-signature', id: block.id, signature: reasoning.signature });
      if (typeof reasoning.redactedContent === 'string') controller.enqueue({ type: 'reasoning-redacted', id: block.id, data: reasoning.redactedContent });
    }
  }

  /** The block at `index`, opened now if it is not (text and reasoning blocks have no start event). */
  function open(controller: Controller, index: number, kind: 'text' | 'reasoning'): OpenBlock {
    const existing = blocks.get(index);
    if (existing?.kind === kind) return existing;
    blocks.close(controller, index);
    return blocks.open(controller, index, kind);
  }
}
