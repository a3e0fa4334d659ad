import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answer, simulatedTokens } from './answers.ts';
import { validateAgainstSpec } from './validate.ts';

/**
 * A strict OpenAI-protocol upstream for tests, built from ../shared/specs/openai: it checks
 * auth, path, content type and the body against the published schema, rejects unknown fields
 * and unpaired tool messages as the real API does, answers deterministically (answers.ts), and
 * injects faults on demand.
 */

/** A failure to inject into the next matching request. */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Answer normally after a delay before the first byte. */
  | { kind: 'slow'; delayMs: number }
  /** Stream `afterChunks` chunks, then destroy the connection. */
  | { kind: 'cut-stream'; afterChunks: number }
  /** Stream `afterChunks` chunks, then an in-band error event. */
  | { kind: 'stream-error'; afterChunks: number; message?: string }
  /** A 200 whose body is not JSON. */
  | { kind: 'invalid-json' };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface OpenAISimulatorOptions {
  apiKey?: string;
  /** Accept fields the spec does not define (compatible servers such as vLLM do). */
  acceptUnknownFields?: boolean;
  /** Serve Azure OpenAI's deployment URLs and `api-key` header instead. */
  azureApiVersion?: string;
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
  /** Delay before answering, per model (a slower model, for latency routing). */
  delays?: Record<string, number>;
  /** Context window per model: longer prompts get OpenAI's context_length_exceeded 400. */
  contextWindows?: Record<string, number>;
}

/** Top-level fields of CreateChatCompletionRequest / CreateEmbeddingRequest (allOf included). */
const knownFields = new Set([
  'messages', 'model', 'modalities', 'verbosity', 'reasoning_effort', 'max_completion_tokens', 'frequency_penalty',
  'presence_penalty', 'web_search_options', 'top_logprobs', 'response_format', 'audio', 'store', 'stream', 'stop',
  'logit_bias', 'logprobs', 'max_tokens', 'n', 'prediction', 'seed', 'stream_options', 'tools', 'tool_choice',
  'parallel_tool_calls', 'function_call', 'functions', 'metadata', 'temperature', 'top_p', 'user', 'safety_identifier',
  'prompt_cache_key', 'service_tier', 'prompt_cache_retention', 'moderation', 'input', 'encoding_format', 'dimensions',
]);

export class OpenAISimulator {
  readonly requests: ReceivedRequest[] = [];
  /** Answers whose connection the gateway closed before they were complete. */
  abandoned = 0;
  readonly apiKey: string;
  readonly #options: OpenAISimulatorOptions;
  readonly #faults: Array<{ fault: Fault; model?: string; remaining: number }> = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  constructor(options: OpenAISimulatorOptions = {}) {
    this.#options = options;
    this.apiKey = options.apiKey ?? 'sk-simulator-key-0123456789';
    this.#server = createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Base URL as the provider's SDK takes it (`http://127.0.0.1:PORT/v1`, or the bare origin for Azure). */
  get url(): string {
    return this.#options.azureApiVersion ? `http://127.0.0.1:${this.#port}` : `http://127.0.0.1:${this.#port}/v1`;
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

  /** Chat requests received (for one model, if given). */
  chatCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/chat/completions') && (!model || request.body?.model === model || request.path.includes(`/${model}/`)));
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
    let body: Record<string, unknown> | undefined;
    const text = Buffer.concat(chunks).toString('utf8');
    const sendError = (status: number, message: string, code: string | null = null, param: string | null = null, type = 'invalid_request_error') =>
      json(response, status, { error: { message, type, param, code } });
    if (text !== '') {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        this.requests.push({ method: request.method ?? '', path: url.pathname, headers: request.headers, body: undefined });
        return sendError(400, 'We could not parse the JSON body of your request.');
      }
    }
    this.requests.push({ method: request.method ?? '', path: url.pathname, headers: request.headers, body });

    response.on('close', () => {
      if (!response.writableFinished) this.abandoned += 1;
    });
    const operation = this.#operation(url);
    if (!operation) return sendError(404, `Invalid URL (${request.method} ${url.pathname})`, 'unknown_url');
    const authError = this.#checkAuth(request);
    if (authError) return sendError(401, authError.message, authError.code);
    if (this.#options.azureApiVersion && url.searchParams.get('api-version') !== this.#options.azureApiVersion) {
      return sendError(404, 'Resource not found', '404');
    }
    if (operation.name === 'models') return json(response, 200, { object: 'list', data: [] });
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendError(400, 'Content-Type must be application/json');
    }
    if (!body) return sendError(400, 'You must provide a JSON body.');
    const schema = operation.name === 'chat' ? 'CreateChatCompletionRequest' : 'CreateEmbeddingRequest';
    const invalid = validateAgainstSpec(schema, this.#options.azureApiVersion ? { model: operation.deployment, ...body } : body);
    if (invalid) return sendError(400, `Invalid request: ${invalid}`);
    if (!this.#options.acceptUnknownFields) {
      const unknown = Object.keys(body).find((key) => !knownFields.has(key));
      if (unknown) return sendError(400, `Unrecognized request argument supplied: ${unknown}`);
    }
    const model = operation.deployment ?? String(body.model);
    const fault = this.#takeFault(model);
    if (fault?.kind === 'status') {
      for (const [name, value] of Object.entries(fault.headers ?? {})) response.setHeader(name, value);
      return json(response, fault.status, fault.body ?? { error: { message: `Simulated ${fault.status}`, type: 'server_error', param: null, code: null } });
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'invalid-json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "chatcmpl-broken", "choices": [');
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    const delay = this.#options.delays?.[model];
    if (delay) await sleep(delay);
    const window = this.#options.contextWindows?.[model];
    if (window !== undefined && operation.name === 'chat' && simulatedTokens(JSON.stringify(body.messages)) > window) {
      return sendError(400, `This model's maximum context length is ${window} tokens. However, your messages resulted in more tokens. Please reduce the length of the messages.`, 'context_length_exceeded', 'messages');
    }
    if (operation.name === 'embeddings') return this.#embeddings(response, body, model);
    const pairing = checkToolPairing(body.messages as Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>);
    if (pairing) return sendError(400, pairing, null, 'messages');
    if (body.stream_options !== undefined && body.stream !== true) {
      return sendError(400, 'The stream_options parameter is only allowed when stream is true.', null, 'stream_options');
    }
    if (body.stream === true) return this.#stream(response, body, model, fault);
    return this.#complete(response, body, model);
  }

  #operation(url: URL): { name: 'chat' | 'embeddings' | 'models'; deployment?: string } | undefined {
    if (this.#options.azureApiVersion) {
      const match = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(url.pathname);
      if (!match) return undefined;
      return { name: match[2] === 'embeddings' ? 'embeddings' : 'chat', deployment: decodeURIComponent(match[1]!) };
    }
    if (url.pathname === '/v1/chat/completions') return { name: 'chat' };
    if (url.pathname === '/v1/embeddings') return { name: 'embeddings' };
    if (url.pathname === '/v1/models') return { name: 'models' };
    return undefined;
  }

  #checkAuth(request: IncomingMessage): { message: string; code: string | null } | undefined {
    const presented = this.#options.azureApiVersion
      ? request.headers['api-key']
      : /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!presented) return { message: "You didn't provide an API key.", code: null };
    if (presented !== this.apiKey) return { message: 'Incorrect API key provided.', code: 'invalid_api_key' };
    return undefined;
  }

  #complete(response: ServerResponse, body: Record<string, unknown>, model: string): void {
    const result = answer({ ...body, model });
    const choices = Array.from({ length: Number(body.n ?? 1) }, (_, index) => ({
      index,
      message: {
        role: 'assistant',
        content: result.content,
        refusal: null,
        annotations: [],
        ...(result.toolCalls.length
          ? { tool_calls: result.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      },
      logprobs: null,
      finish_reason: result.finishReason,
    }));
    json(response, 200, {
      id: `chatcmpl-sim${Date.now()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${model}-2024-sim`,
      choices,
      usage: usageOf(result.promptTokens, result.completionTokens),
      system_fingerprint: 'fp_simulator',
    });
  }

  async #stream(response: ServerResponse, body: Record<string, unknown>, model: string, fault: Fault | undefined): Promise<void> {
    const result = answer({ ...body, model });
    const base = { id: `chatcmpl-sim${Date.now()}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: `${model}-2024-sim`, system_fingerprint: 'fp_simulator' };
    const deltas: Array<Record<string, unknown>> = [{ role: 'assistant', content: result.toolCalls.length ? null : '', refusal: null }];
    for (const word of result.content?.match(/\S+\s*/g) ?? []) deltas.push({ content: word });
    result.toolCalls.forEach((call, index) => {
      deltas.push({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
      const half = Math.ceil(call.arguments.length / 2);
      for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        if (piece) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunks: Array<Record<string, unknown>> = deltas.map((delta) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...(includeUsage ? { usage: null } : {}) }));
    chunks.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: result.finishReason }], ...(includeUsage ? { usage: null } : {}) });
    if (includeUsage) chunks.push({ ...base, choices: [], usage: usageOf(result.promptTokens, result.completionTokens) });
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (const [index, chunk] of chunks.entries()) {
      if (fault?.kind === 'cut-stream' && index === fault.afterChunks) {
        // Let what was written reach the client first: a reset discards unread data.
        await sleep(50);
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && index === fault.afterChunks) {
        response.end(`data: ${JSON.stringify({ error: { message: fault.message ?? 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`);
        return;
      }
      if (response.destroyed) return;
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (this.#options.chunkDelayMs) await sleep(this.#options.chunkDelayMs);
    }
    response.end('data: [DONE]\n\n');
  }

  #embeddings(response: ServerResponse, body: Record<string, unknown>, model: string): void {
    const inputs = typeof body.input === 'string' ? [body.input] : (body.input as unknown[]);
    const dimensions = Number(body.dimensions ?? 8);
    json(response, 200, {
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = Array.from({ length: dimensions }, (_, position) => ((String(input).length + position) % 10) / 10);
        // encoding_format base64: little-endian float32 bytes, as the API (and the SDK's default) use.
        const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return { object: 'embedding', index, embedding };
      }),
      model,
      usage: { prompt_tokens: inputs.reduce<number>((sum, input) => sum + simulatedTokens(String(input)), 0), total_tokens: inputs.reduce<number>((sum, input) => sum + simulatedTokens(String(input)), 0) },
    });
  }
}

function usageOf(prompt: number, completion: number) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The real API's pairing rule: each tool message answers an earlier assistant tool call. */
function checkToolPairing(messages: Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>): string | undefined {
  const open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'tool') {
      if (!open.delete(message.tool_call_id ?? '')) return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
    } else {
      if (open.size > 0) return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.";
      for (const call of message.tool_calls ?? []) open.add(call.id);
    }
  }
  return undefined;
}
