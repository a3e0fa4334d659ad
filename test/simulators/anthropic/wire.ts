import type { SimulatedBlock, SimulatedMessage } from './answers.ts';

/**
 * The simulator's answers in Anthropic's wire format: a `Message` body (openapi.json `Message`)
 * and the named SSE events of a stream, in the order and shape of the recorded streams in
 * ../shared/specs/anthropic/examples (`ping` after the first block starts, an empty first
 * `input_json_delta`, cumulative usage on `message_delta`).
 */

/** Prompt-cache counts every answer reports (0 unless a test sets them). */
export interface CacheTokens {
  read: number;
  write: number;
  /** Of `write`, the tokens written to last an hour (openapi.json `CacheCreation`). */
  writeForAnHour?: number;
}

/** One SSE event: its name and data object. */
export interface WireEvent {
  event: string;
  data: Record<string, unknown>;
}

function usage(message: SimulatedMessage, cache: CacheTokens, outputTokens: number) {
  return {
    input_tokens: message.inputTokens,
    cache_creation_input_tokens: cache.write,
    cache_read_input_tokens: cache.read,
    cache_creation: { ephemeral_5m_input_tokens: cache.write - (cache.writeForAnHour ?? 0), ephemeral_1h_input_tokens: cache.writeForAnHour ?? 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function blockBody(block: SimulatedBlock): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    default: {
      const exhaustive: never = block;
      return exhaustive;
    }
  }
}

/** The non-streamed answer. */
export function messageBody(id: string, model: string, message: SimulatedMessage, cache: CacheTokens): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: message.content.map(blockBody),
    stop_reason: message.stopReason,
    stop_sequence: message.stopSequence,
    usage: usage(message, cache, message.outputTokens),
  };
}

/** The streamed answer, event by event. */
export function streamEvents(id: string, model: string, message: SimulatedMessage, cache: CacheTokens): WireEvent[] {
  const events: WireEvent[] = [
    {
      event: 'message_start',
      data: { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(message, cache, 1) } },
    },
  ];
  message.content.forEach((block, index) => {
    const delta = (body: Record<string, unknown>) => events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: body } });
    switch (block.type) {
      case 'text':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
        if (index === 0) events.push({ event: 'ping', data: { type: 'ping' } });
        for (const word of block.text.match(/\S+\s*|\s+/g) ?? []) delta({ type: 'text_delta', text: word });
        break;
      case 'thinking':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } } });
        if (index === 0) events.push({ event: 'ping', data: { type: 'ping' } });
        delta({ type: 'thinking_delta', thinking: block.thinking });
        delta({ type: 'signature_delta', signature: block.signature });
        break;
      case 'tool_use': {
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } } });
        if (index === 0) events.push({ event: 'ping', data: { type: 'ping' } });
        const json = JSON.stringify(block.input);
        const half = Math.ceil(json.length / 2);
        delta({ type: 'input_json_delta', partial_json: '' });
        for (const piece of [json.slice(0, half), json.slice(half)]) if (piece) delta({ type: 'input_json_delta', partial_json: piece });
        break;
      }
      default: {
        const exhaustive: never = block;
        return exhaustive;
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({
    event: 'message_delta',
    data: { type: 'message_delta', delta: { stop_reason: message.stopReason, stop_sequence: message.stopSequence }, usage: { output_tokens: message.outputTokens } },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

/** One event as SSE text. */
export function sseText(event: WireEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** Anthropic's error body (openapi.json `ErrorResponse`). */
export function errorBody(type: string, message: string, requestId: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** The error type Anthropic sends with each status (https://docs.claude.com/en/api/errors). */
export function errorTypeForStatus(status: number): { type: string; message: string } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', message: 'Invalid request' };
    case 401:
      return { type: 'authentication_error', message: 'invalid x-api-key' };
    case 402:
      return { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API.' };
    case 403:
      return { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' };
    case 404:
      return { type: 'not_found_error', message: 'Not found' };
    case 413:
      return { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
    case 429:
      return { type: 'rate_limit_error', message: 'Number of requests has exceeded your per-minute rate limit' };
    case 504:
      return { type: 'timeout_error', message: 'Request timed out' };
    case 529:
      return { type: 'overloaded_error', message: 'Overloaded' };
    default:
      return { type: 'api_error', message: 'Internal server error' };
  }
}
