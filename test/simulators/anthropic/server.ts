import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answered, BaseSimulator, type RequestContent } from '../_shared/base-simulator.ts';
import type { Fault as SharedFault, ReceivedRequest } from '../_shared/types.ts';
import { continueAnswer } from '../_shared/continuation.ts';
import { answer, simulatedTokens, textOf, type SimulatedMessage } from './answers.ts';
import { checkBody, checkHeaders, type Operation } from './checks.ts';
import { errorBody, errorTypeForStatus, messageBody, sseText, streamEvents, type CacheTokens } from './wire.ts';

/**
 * A strict Anthropic Messages API upstream for tests, built from ../shared/specs/anthropic: it
 * checks `x-api-key`, `anthropic-version`, the path and the body against the published schema,
 * rejects unknown fields, non-user/assistant roles and unpaired tool results as the real API
 * does (checks.ts), answers deterministically (answers.ts), streams Anthropic's named events
 * (wire.ts), and injects faults on demand (../_shared/base-simulator.ts).
 *
 *   const simulator = await new AnthropicSimulator().start();
 *   // provider: { type: 'anthropic', base_url: simulator.url, api_key: simulator.apiKey }
 *   simulator.fail({ kind: 'status', status: 529 }, { model: 'claude-x', times: 2 });
 */

/**
 * The shared faults; a status's body defaults to Anthropic's error body for it (529 →
 * overloaded_error), and the in-band `event: error` is an overloaded_error unless `errorType`
 * says otherwise.
 */
export type Fault =
  | Exclude<SharedFault, { kind: 'stream-error' }>
  | { kind: 'stream-error'; afterChunks: number; message?: string; errorType?: string };

export type { ReceivedRequest };

export interface AnthropicSimulatorOptions {
  apiKey?: string;
  /** Delay between streamed events. */
  chunkDelayMs?: number;
  /** Prompt-cache counts to report in every answer's usage (default 0 and 0). */
  cacheTokens?: CacheTokens;
}

export class AnthropicSimulator extends BaseSimulator<Fault> {
  protected override readonly brokenJson = '{"id": "msg_broken", "content": [';
  readonly #cache: CacheTokens;
  #sequence = 0;

  constructor(options: AnthropicSimulatorOptions = {}) {
    super({ apiKey: options.apiKey ?? 'sk-ant-simulator-key-0123456789', chunkDelayMs: options.chunkDelayMs });
    this.#cache = options.cacheTokens ?? { read: 0, write: 0 };
  }

  /** Base URL as Anthropic's SDK takes it: the bare origin (`http://127.0.0.1:PORT`). */
  get url(): string {
    return this.origin;
  }

  /** `POST /v1/messages` requests received (for one model, if given). */
  messageCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/messages' && (!model || request.body?.model === model));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, body, malformed }: RequestContent): Promise<void> {
    const requestId = `req_sim${(this.#sequence += 1).toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`;
    // Every answer carries it, errors, faults and streams included.
    response.setHeader('request-id', requestId);
    const sendError = (status: number, type: string, message: string) => this.sendJson(response, status, errorBody(type, message, requestId));

    const operation = operationOf(request.method, url.pathname);
    if (!operation) return sendError(404, 'not_found_error', 'Not found');
    const refusal = checkHeaders(request.headers, this.apiKey);
    if (refusal) return sendError(refusal.status, refusal.type, refusal.message);
    if (operation === 'models') return this.sendJson(response, 200, { data: [], has_more: false, first_id: null, last_id: null });
    if (malformed) return sendError(400, 'invalid_request_error', 'There was an issue with the formatting or content of your request: the body is not valid JSON.');
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendError(400, 'invalid_request_error', 'Content-Type must be application/json');
    }
    const problem = checkBody(body, operation);
    if (problem) return sendError(400, 'invalid_request_error', problem);
    const valid = body!;
    if (operation === 'CountMessageTokensParams') {
      return this.sendJson(response, 200, { input_tokens: simulatedTokens([textOf(valid.system), ...(valid.messages as Array<{ content: unknown }>).map((message) => textOf(message.content))].join('\n')) });
    }

    const model = String(valid.model);
    const prefill = prefillOf(valid);
    if (prefill?.problem) return sendError(400, 'invalid_request_error', prefill.problem);
    const fault = await this.injectFault(model, request, response, (status) => {
      const preset = errorTypeForStatus(status);
      return errorBody(preset.type, preset.message, requestId);
    });
    if (fault === answered) return;
    const id = `msg_sim${this.#sequence.toString().padStart(6, '0')}`;
    const simulated = prefill ? continued(valid, prefill.text, model) : answer(valid);
    if (valid.stream !== true) return this.sendJson(response, 200, messageBody(id, model, simulated, this.#cache));
    const errorFrame = (streamError: Extract<Fault, { kind: 'stream-error' }>) => {
      const preset = errorTypeForStatus(529);
      const type = streamError.errorType ?? preset.type;
      return sseText({ event: 'error', data: { type: 'error', error: { type, message: streamError.message ?? (type === preset.type ? preset.message : 'Simulated error') } } });
    };
    const invalidFrame = 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n';
    // The keep-alive Anthropic sends while it works (MessageStreamEvent `Ping`, openapi.json).
    const keepAliveFrame = sseText({ event: 'ping', data: { type: 'ping' } });
    await this.writeStream(response, { frames: streamEvents(id, model, simulated, this.#cache).map(sseText), fault, errorFrame, invalidFrame, keepAliveFrame });
  }

  protected override async cutStream(response: ServerResponse): Promise<void> {
    // Destroying the socket drops writes still queued: wait until the events before the cut
    // (and the headers) are on the wire. The extra empty line is a no-op in SSE.
    await new Promise<void>((resolve) => response.write('\n', () => resolve()));
    response.socket?.destroy();
  }
}

/**
 * A request whose messages end with assistant turns: a prefill the answer continues (openapi.json
 * `Message.content`: "If the request input messages ended with an assistant turn, then the
 * response content will continue directly from that last turn"; consecutive turns of one role
 * are combined). The API refuses a prefill that ends in whitespace ("messages: final assistant
 * content cannot end with trailing whitespace") and one with extended thinking on, whose final
 * assistant turn must start with a thinking block.
 */
function prefillOf(body: Record<string, unknown>): { text: string; problem?: string } | undefined {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  let first = messages.length;
  while (first > 0 && messages[first - 1]!.role === 'assistant') first -= 1;
  if (first === messages.length) return undefined;
  const text = messages.slice(first).map((message) => textOf(message.content)).join('');
  if (/\s$/.test(text)) return { text, problem: 'messages: final assistant content cannot end with trailing whitespace' };
  if ((body.thinking as { type?: string } | undefined)?.type === 'enabled') {
    return { text, problem: 'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is enabled, a final `assistant` message must start with a thinking block.' };
  }
  return { text };
}

/** The answer to the messages before the prefill, continued from it. */
function continued(body: Record<string, unknown>, prefill: string, model: string): SimulatedMessage {
  const messages = body.messages as Array<{ role: string }>;
  let first = messages.length;
  while (first > 0 && messages[first - 1]!.role === 'assistant') first -= 1;
  const whole = answer({ ...body, messages: messages.slice(0, first) });
  const content = whole.content.map((block) => (block.type === 'text' ? { ...block, text: continueAnswer(block.text, prefill, model) } : block));
  const text = content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  return { ...whole, content, outputTokens: simulatedTokens(text) };
}

function operationOf(method: string | undefined, path: string): Operation | 'models' | undefined {
  if (method === 'POST' && path === '/v1/messages') return 'CreateMessageParams';
  if (method === 'POST' && path === '/v1/messages/count_tokens') return 'CountMessageTokensParams';
  if (method === 'GET' && path === '/v1/models') return 'models';
  return undefined;
}
