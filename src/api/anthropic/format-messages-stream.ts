import type { Transformer } from 'node:stream/web';
import { GatewayError } from '../../core/errors.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { formatAnthropicError } from './format-error.ts';
import { anthropicMessageId, anthropicStop, anthropicUsage } from './format-messages-response.ts';

type BlockKind = 'text' | 'thinking' | 'tool_use';

/** A `content_block_delta` payload (openapi.json `ContentBlockDeltaEvent.delta`). */
type Delta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string };

interface Block {
  key: string;
  start: Record<string, unknown>;
  /** Deltas that arrived while another block was being written. */
  pending: Delta[];
  ended: boolean;
  index: number;
}

/** Key of a block with no id of its own: refusal text (OpenAI `refusal`). */
const refusalId = 'refusal';

/**
 * StreamEvents → Anthropic SSE text, one `event: <name>\ndata: <json>\n\n` per event, in the
 * order of ../shared/specs/anthropic/examples/*.sse: message_start, per block
 * content_block_start → content_block_delta* → content_block_stop, then message_delta (stop
 * reason and usage) and message_stop; or an `error` event after which nothing more is written.
 *
 * Anthropic's blocks never overlap (each stops before the next starts), while typed events may
 * (an OpenAI-style stream starts a second tool call before the first one's end, which comes at
 * the end of the stream): a block that starts while another is open waits, its deltas buffered,
 * until the open one ends.
 *
 * When the provider speaks Anthropic (`stream-start.nativeFormat`), its events are written
 * verbatim and the typed events only serve accounting. A resumed stream (`resume`,
 * src/router/resume-stream.ts) goes on in typed events: the text block the verbatim events left
 * open continues under its own index, and later blocks are numbered after the verbatim ones.
 */
export function anthropicStreamFormatter(stops?: readonly string[]): Transformer<StreamEvent, string> {
  let native = false;
  /** Verbatim blocks started, whether the last is still open, the typed id of an open text block, and whether message_delta went out. */
  const verbatim = { blocks: 0, open: false, textId: undefined as string | undefined, stopped: false };
  let started = false;
  let done = false;
  let nextIndex = 0;
  let current: Block | undefined;
  const waiting: Block[] = [];
  const blocks = new Map<string, Block>();
  const endedTools = new Set<string>();
  let output: TransformStreamDefaultController<string>;

  const write = (name: string, data: unknown) => output.enqueue(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);

  const begin = (block: Block) => {
    block.index = nextIndex++;
    current = block;
    write('content_block_start', { type: 'content_block_start', index: block.index, content_block: block.start });
    for (const delta of block.pending.splice(0)) write('content_block_delta', { type: 'content_block_delta', index: block.index, delta });
  };
  const stop = (block: Block) => {
    write('content_block_stop', { type: 'content_block_stop', index: block.index });
    blocks.delete(block.key);
    current = undefined;
    // Start the blocks that waited, writing those that already ended in one go.
    for (let next = waiting.shift(); next; next = waiting.shift()) {
      begin(next);
      if (!next.ended) return;
      write('content_block_stop', { type: 'content_block_stop', index: next.index });
      blocks.delete(next.key);
      current = undefined;
    }
  };
  const open = (kind: BlockKind, id: string, start: Record<string, unknown>): Block => {
    const key = `${kind}:${id}`;
    const existing = blocks.get(key);
    if (existing) return existing;
    const block: Block = { key, start, pending: [], ended: false, index: -1 };
    blocks.set(key, block);
    if (current) waiting.push(block);
    else begin(block);
    return block;
  };
  const delta = (block: Block, payload: Delta) => {
    if (block === current) write('content_block_delta', { type: 'content_block_delta', index: block.index, delta: payload });
    else block.pending.push(payload);
  };
  const end = (kind: BlockKind, id: string) => {
    const block = blocks.get(`${kind}:${id}`);
    if (!block) return;
    if (block === current) stop(block);
    else block.ended = true;
  };
  const openText = (id: string) => open('text', id, { type: 'text', text: '' });
  const openThinking = (id: string) => open('thinking', id, { type: 'thinking', thinking: '', signature: '' });
  const openTool = (id: string, name: string) => open('tool_use', id, { type: 'tool_use', id, name, input: {} });

  const startMessage = (id: string, model: string, inputUsage?: Usage) => {
    started = true;
    write('message_start', {
      type: 'message_start',
      message: {
        id: anthropicMessageId(id),
        type: 'message',
        role: 'assistant',
        content: [],
        model,
        stop_reason: null,
        stop_sequence: null,
        // The prompt's counts when the provider gave them at the start (Gemini's first chunk),
        // as Anthropic's own message_start does; most report usage only at the end: the counts
        // then follow in message_delta.
        usage: inputUsage ? { ...anthropicUsage(inputUsage), output_tokens: 0 } : { input_tokens: 0, output_tokens: 0 },
      },
    });
  };

  /** A refusal was streamed: the message stops with "refusal" (format-messages-response.ts). */
  let refused = false;
  const fail = (error: GatewayError) => {
    done = true;
    write('error', formatAnthropicError(error));
  };

  const writeTyped = (event: StreamEvent) => {
    switch (event.type) {
      case 'text-start':
        openText(event.id);
        return;
      case 'text-delta':
        delta(openText(event.id), { type: 'text_delta', text: event.delta });
        return;
      case 'text-end':
        end('text', event.id);
        return;
      case 'refusal-delta':
        refused = true;
        delta(openText(refusalId), { type: 'text_delta', text: event.delta });
        return;
      case 'reasoning-start':
        // Opened by what comes next: thinking text, or the data of a redacted block.
        return;
      case 'reasoning-redacted':
        open('thinking', event.id, { type: 'redacted_thinking', data: event.data });
        return;
      case 'reasoning-delta':
        delta(openThinking(event.id), { type: 'thinking_delta', thinking: event.delta });
        return;
      case 'reasoning-signature':
        // The signature closes its thinking block, which may have had no text (a block opens lazily).
        delta(openThinking(event.id), { type: 'signature_delta', signature: event.signature });
        return;
      case 'reasoning-end':
        openThinking(event.id);
        end('thinking', event.id);
        return;
      case 'tool-input-start':
        openTool(event.id, event.toolName);
        return;
      case 'tool-input-delta':
        if (!endedTools.has(event.id)) delta(openTool(event.id, ''), { type: 'input_json_delta', partial_json: event.delta });
        return;
      case 'tool-input-end':
        endedTools.add(event.id);
        end('tool_use', event.id);
        return;
      case 'finish': {
        while (current) stop(current);
        done = true;
        const finish = anthropicStop(event, stops, refused);
        write('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: finish.reason, stop_sequence: finish.sequence },
          usage: event.usage ? anthropicUsage(event.usage) : { output_tokens: 0 },
        });
        write('message_stop', { type: 'message_stop' });
        return;
      }
      default:
        return;
    }
  };

  const trackVerbatim = (name: string | undefined) => {
    if (name === 'content_block_start') {
      verbatim.blocks += 1;
      verbatim.open = true;
    } else if (name === 'content_block_stop') verbatim.open = false;
    else if (name === 'message_delta') verbatim.stopped = true;
  };

  /** From verbatim events to typed ones, mid-answer (a resumed stream). */
  const continueTyped = () => {
    native = false;
    nextIndex = verbatim.blocks;
    if (verbatim.stopped) {
      // The answer was complete but for its message_stop.
      write('message_stop', { type: 'message_stop' });
      done = true;
      return;
    }
    if (!verbatim.open) return;
    if (verbatim.textId === undefined) {
      write('content_block_stop', { type: 'content_block_stop', index: verbatim.blocks - 1 });
      return;
    }
    const block: Block = { key: `text:${verbatim.textId}`, start: { type: 'text', text: '' }, pending: [], ended: false, index: verbatim.blocks - 1 };
    blocks.set(block.key, block);
    current = block;
  };

  return {
    start(controller) {
      output = controller;
    },
    transform(event) {
      if (done) return;
      if (event.type === 'stream-start') {
        native = event.nativeFormat === 'anthropic-messages';
        if (!native) startMessage(event.id, event.model, event.inputUsage);
        else started = true;
        return;
      }
      if (event.type === 'error') {
        fail(event.error);
        return;
      }
      if (native) {
        if (event.type === 'native-chunk' && event.format === 'anthropic-messages' && !event.internal) {
          output.enqueue(event.event ? `event: ${event.event}\ndata: ${event.data}\n\n` : `data: ${event.data}\n\n`);
          // An upstream error event ends the stream: a typed error repeating it is not written again.
          if (event.event === 'error') done = true;
          else trackVerbatim(event.event);
        }
        if (event.type === 'text-start') verbatim.textId = event.id;
        if (event.type === 'text-end') verbatim.textId = undefined;
        if (event.type === 'finish') done = true;
        if (event.type === 'resume') continueTyped();
        return;
      }
      if (event.type === 'native-chunk' || event.type === 'resume' || event.type === 'warning') return;
      if (!started) startMessage('', '');
      writeTyped(event);
    },
    flush() {
      // The events stopped without a finish or an error: say so rather than end as if complete.
      if (started && !done) fail(new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The stream ended without finishing.'));
    },
  };
}
