import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answer, simulatedTokens, textOf } from './answers.ts';
import { checkBody, checkHeaders, type Operation } from './checks.ts';
import { errorBody, errorTypeForStatus, messageBody, sseText, streamEvents, type CacheTokens } from './wire.ts';

/**
 * A strict Anthropic Messages API upstream for tests, built from ../shared/specs/anthropic: it
 * checks `x-api-key`, `anthropic-version`, the path and the body against the published schema,
 * rejects unknown fields, non-user/assistant roles and unpaired tool results as the real API
 * does (checks.ts), answers deterministically (answers.ts), streams Anthropic's named events
 * (wire.ts), and injects faults on demand with the same API as the OpenAI simulator.
 *
 *   const simulator = await new AnthropicSimulator().start();
 *   // provider: { type: 'anthropic', base_url: simulator.url, api_key: simulator.apiKey }
 *   simulator.fail({ kind: 'status', status: 529 }, { model: 'claude-x', times: 2 });
 */

/** A failure to inject into the next matching request. */
export type Fault =
  /** Answer this status; the body defaults to Anthropic's error body for it (529 → overloaded_error). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Answer normally after a delay before the first byte. */
  | { kind: 'slow'; delayMs: number }
  /** Stream `afterChunks` events, then destroy the connection. */
  | { kind: 'cut-stream'; afterChunks: number }
  /** Stream `afterChunks` events, then an in-band `event: error` (overloaded_error unless `errorType` says otherwise). */
  | { kind: 'stream-error'; afterChunks: number; message?: string; errorType?: string }
  /** A 200 whose body is not JSON. */
  | { kind: 'invalid-json' };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface AnthropicSimulatorOptions {
  apiKey?: string;
  /** Delay between streamed events. */
  chunkDelayMs?: number;
  /** Prompt-cache counts to report in every answer's usage (default 0 and 0). */
  cacheTokens?: CacheTokens;
}

export class AnthropicSimulator {
  readonly requests: ReceivedRequest[] = [];
  readonly apiKey: string;
  readonly #options: AnthropicSimulatorOptions;
  readonly #faults: Array<{ fault: Fault; model?: string; remaining: number }> = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #sequence = 0;

  constructor(options: AnthropicSimulatorOptions = {}) {
    this.#options = options;
    this.apiKey = options.apiKey ?? 'sk-ant-simulator-key-0123456789';
    this.#server = createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Base URL as Anthropic's SDK takes it: the bare origin (`http://127.0.0.1:PORT`). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Injects a fault into the next `times` requests (for one model, if given). */
  fail(fault: Fault, options: { times?: number; model?: string } = {}): void {
    this.#faults.push({ fault, remaining: options.times ?? 1, ...(options.model ? { model: options.model } : {}) });
  }

  /** `POST /v1/messages` requests received (for one model, if given). */
  messageCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/messages' && (!model || request.body?.model === model));
  }

  #takeFault(model: string | undefined): Fault | undefined {
    const index = this.#faults.findIndex((entry) => !entry.model || entry.model === model);
    if (index < 0) return undefined;
    const entry = this.#faults[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#faults.splice(index, 1);
    return entry.fault;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = Buffer.concat(chunks).toString('utf8');
    const requestId = `req_sim${(this.#sequence += 1).toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`;
    const sendError = (status: number, type: string, message: string) => json(response, status, errorBody(type, message, requestId), requestId);
    let body: Record<string, unknown> | undefined;
    let parseFailed = false;
    if (text !== '') {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parseFailed = true;
      }
    }
    this.requests.push({ method: request.method ?? '', path: url.pathname, headers: request.headers, body });

    const operation = operationOf(request.method, url.pathname);
    if (!operation) return sendError(404, 'not_found_error', 'Not found');
    const refusal = checkHeaders(request.headers, this.apiKey);
    if (refusal) return sendError(refusal.status, refusal.type, refusal.message);
    if (operation === 'models') return json(response, 200, { data: [], has_more: false, first_id: null, last_id: null }, requestId);
    if (parseFailed) return sendError(400, 'invalid_request_error', 'There was an issue with the formatting or content of your request: the body is not valid JSON.');
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendError(400, 'invalid_request_error', 'Content-Type must be application/json');
    }
    const problem = checkBody(body, operation);
    if (problem) return sendError(400, 'invalid_request_error', problem);
    const valid = body!;
    if (operation === 'CountMessageTokensParams') {
      return json(response, 200, { input_tokens: simulatedTokens([textOf(valid.system), ...(valid.messages as Array<{ content: unknown }>).map((message) => textOf(message.content))].join('\n')) }, requestId);
    }

    const model = String(valid.model);
    const fault = this.#takeFault(model);
    if (fault?.kind === 'status') {
      for (const [name, value] of Object.entries(fault.headers ?? {})) response.setHeader(name, value);
      const preset = errorTypeForStatus(fault.status);
      return json(response, fault.status, fault.body ?? errorBody(preset.type, preset.message, requestId), requestId);
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'invalid-json') {
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      response.end('{"id": "msg_broken", "content": [');
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    const id = `msg_sim${this.#sequence.toString().padStart(6, '0')}`;
    const simulated = answer(valid);
    const cache = this.#options.cacheTokens ?? { read: 0, write: 0 };
    if (valid.stream !== true) return json(response, 200, messageBody(id, model, simulated, cache), requestId);

    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId });
    for (const [index, event] of streamEvents(id, model, simulated, cache).entries()) {
      if (fault?.kind === 'cut-stream' && index === fault.afterChunks) {
        // Destroying the socket drops writes still queued: wait until the events before the cut
        // (and the headers) are on the wire. The extra empty line is a no-op in SSE.
        await new Promise<void>((resolve) => response.write('\n', () => resolve()));
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && index === fault.afterChunks) {
        const preset = errorTypeForStatus(529);
        const type = fault.errorType ?? preset.type;
        response.end(sseText({ event: 'error', data: { type: 'error', error: { type, message: fault.message ?? (type === preset.type ? preset.message : 'Simulated error') } } }));
        return;
      }
      if (response.destroyed) return;
      response.write(sseText(event));
      if (this.#options.chunkDelayMs) await sleep(this.#options.chunkDelayMs);
    }
    response.end();
  }
}

function operationOf(method: string | undefined, path: string): Operation | 'models' | undefined {
  if (method === 'POST' && path === '/v1/messages') return 'CreateMessageParams';
  if (method === 'POST' && path === '/v1/messages/count_tokens') return 'CountMessageTokensParams';
  if (method === 'GET' && path === '/v1/models') return 'models';
  return undefined;
}

function json(response: ServerResponse, status: number, body: unknown, requestId: string): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
  response.end(JSON.stringify(body));
}
