import type { Transformer } from 'node:stream/web';
import { randomUUID } from 'node:crypto';
import type { GatewayError } from '../../core/errors.ts';
import type { NativeChunkEvent, StreamEvent } from '../../core/stream-event.ts';
import { createIndexedBlocks } from '../_shared/indexed-blocks.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import type { SseMessage } from '../_shared/sse.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { convertUsage, mergeUsage } from './convert-usage.ts';
import { errorFromAnthropicDetail } from './errors.ts';
import { mapStopReason } from './map-stop-reason.ts';
import type { AnthropicContentBlock, AnthropicStreamEvent, AnthropicUsage } from './wire-types.ts';

/** How the events of one stream are to be turned into StreamEvents. */
export interface MessageStreamOptions {
  source: UpstreamSource;
  requestedModel: string;
  /** Emit each upstream event verbatim as `native-chunk` too (the caller speaks Anthropic). */
  passthrough: boolean;
}

type Controller = TransformStreamDefaultController<StreamEvent>;

/**
 * Anthropic's named SSE events → StreamEvents (format in ../shared/specs/README.md and the
 * recorded streams in ../shared/specs/anthropic/examples): `message_start`, per block
 * `content_block_start` → `content_block_delta`* → `content_block_stop`, `message_delta`
 * (stop_reason, cumulative usage), `message_stop`; `ping` anywhere; `error` mid-stream.
 * `finish` is emitted at `message_stop` with the usage gathered so far; a stream that ends
 * without `message_stop` emits nothing more, and guardStream reports it as interrupted.
 * Unknown event and delta types are skipped, as Anthropic's versioning policy asks of clients.
 */
export function messageStreamTransformer(options: MessageStreamOptions): Transformer<SseMessage, StreamEvent> {
  let started = false;
  let ended = false;
  const readJson = createEventJsonReader(options.source.provider);
  /** Native chunks that arrived before `message_start` (a leading `ping`). */
  const early: NativeChunkEvent[] = [];
  /** Open content blocks by `index`. */
  const blocks = createIndexedBlocks();
  let usage: AnthropicUsage | undefined;
  let stopReason: string | undefined;
  let stopSequence: string | undefined;

  const start = (controller: Controller, id: string | null | undefined, model: string | null | undefined, startUsage?: AnthropicUsage | null) => {
    started = true;
    controller.enqueue({
      type: 'stream-start',
      id: id ?? `msg_${randomUUID().replaceAll('-', '')}`,
      model: model ?? options.requestedModel,
      created: Math.floor(Date.now() / 1000),
      warnings: [],
      ...(options.passthrough ? { nativeFormat: 'anthropic-messages' as const } : {}),
      // message_start's usage is the prompt's, billed even if the stream is cut or left.
      ...(startUsage ? { inputUsage: convertUsage(startUsage) } : {}),
    });
    for (const chunk of early.splice(0)) controller.enqueue(chunk);
  };

  const fail = (controller: Controller, error: GatewayError) => {
    if (!started) start(controller, undefined, undefined);
    ended = true;
    controller.enqueue({ type: 'error', error });
  };

  return {
    transform(message, controller) {
      if (ended) return;
      const data = readJson<AnthropicStreamEvent>(message.data, controller);
      if (data === undefined) return;
      const type = message.event ?? data.type ?? '';
      if (type === 'message_start') start(controller, data.message?.id, data.message?.model, data.message?.usage);
      if (options.passthrough) {
        // An error event is relayed as it came, but for the secrets a provider may echo in it.
        const data = type === 'error' ? options.source.redact(message.data) : message.data;
        const chunk: NativeChunkEvent = { type: 'native-chunk', format: 'anthropic-messages', event: type, data };
        if (started) controller.enqueue(chunk);
        else if (type !== 'error') early.push(chunk);
        else {
          start(controller, undefined, undefined);
          controller.enqueue(chunk);
        }
      }
      switch (type) {
        case 'message_start':
          usage = mergeUsage(undefined, data.message?.usage);
          return;
        case 'content_block_start':
          openBlock(controller, data.index ?? 0, data.content_block ?? {});
          return;
        case 'content_block_delta':
          applyDelta(controller, data);
          return;
        case 'content_block_stop':
          blocks.close(controller, data.index ?? 0);
          return;
        case 'message_delta':
          if (data.delta?.stop_reason) stopReason = data.delta.stop_reason;
          if (typeof data.delta?.stop_sequence === 'string') stopSequence = data.delta.stop_sequence;
          usage = mergeUsage(usage, data.usage);
          return;
        case 'message_stop':
          if (!started) start(controller, undefined, undefined);
          blocks.closeAll(controller);
          ended = true;
          controller.enqueue({
            type: 'finish',
            finishReason: mapStopReason(stopReason),
            ...(stopReason ? { rawFinishReason: stopReason } : {}),
            ...(stopSequence !== undefined ? { stopSequence } : {}),
            ...(usage ? { usage: convertUsage(usage) } : {}),
          });
          return;
        case 'error':
          fail(controller, errorFromAnthropicDetail(data.error, options.source));
          return;
        default:
          // `ping`, and event types added after this adapter was written.
          return;
      }
    },
  };

  function openBlock(controller: Controller, index: number, block: AnthropicContentBlock): void {
    if (!started) start(controller, undefined, undefined);
    switch (block.type) {
      case 'text': {
        const { id } = blocks.open(controller, index, 'text');
        if (block.text) controller.enqueue({ type: 'text-delta', id, delta: block.text });
        return;
      }
      case 'thinking':
      case 'redacted_thinking': {
        const { id } = blocks.open(controller, index, 'reasoning');
        if (block.thinking) controller.enqueue({ type: 'reasoning-delta', id, delta: block.thinking });
        if (block.type === 'redacted_thinking' && typeof block.data === 'string') controller.enqueue({ type: 'reasoning-redacted', id, data: block.data });
        return;
      }
      case 'tool_use': {
        const id = block.id ?? `toolu_${randomUUID().replaceAll('-', '')}`;
        // A call without parameters streams no argument text: its arguments are the start block's input, `{}`.
        blocks.openTool(controller, index, id, block.name ?? '', JSON.stringify(block.input ?? {}));
        return;
      }
      default:
        // Server-tool blocks (server_tool_use, web_search_tool_result …): native chunks only.
        blocks.ignore(index);
    }
  }

  function applyDelta(controller: Controller, data: AnthropicStreamEvent): void {
    const block = blocks.get(data.index ?? 0);
    const delta = data.delta;
    if (!block || !delta) return;
    switch (delta.type) {
      case 'text_delta':
        if (block.kind === 'text' && delta.text) controller.enqueue({ type: 'text-delta', id: block.id, delta: delta.text });
        return;
      case 'input_json_delta':
        // The first fragment is often "" (see the recorded tool-use streams); it carries nothing.
        if (block.kind === 'tool' && delta.partial_json) {
          block.sawInput = true;
          controller.enqueue({ type: 'tool-input-delta', id: block.id, delta: delta.partial_json });
        }
        return;
      case 'thinking_delta':
        if (block.kind === 'reasoning' && delta.thinking) controller.enqueue({ type: 'reasoning-delta', id: block.id, delta: delta.thinking });
        return;
      case 'signature_delta':
        if (block.kind === 'reasoning' && delta.signature) controller.enqueue({ type: 'reasoning-signature', id: block.id, signature: delta.signature });
        return;
      default:
        // citations_delta and delta types added later.
        return;
    }
  }
}
