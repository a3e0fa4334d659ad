import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answer } from './answers.ts';
import { answerFrames, encodeEvent, encodeException, splitOddly } from './frames.ts';
import { invokeModel } from './invoke.ts';
import { validateConverse } from './validate.ts';
import { verifySignature, type SimulatorCredentials } from './verify-signature.ts';

/**
 * A strict Amazon Bedrock Runtime upstream for tests: Converse, ConverseStream (binary
 * `application/vnd.amazon.eventstream` frames from the AWS codec, written in odd-sized pieces)
 * and InvokeModel for embedding models. It verifies SigV4 signatures for its test credentials
 * (or a Bedrock API key), rejects what Bedrock rejects (validate.ts), answers deterministically
 * (answers.ts) and injects faults on demand, with the same API as the OpenAI simulator.
 */

/** A failure to inject into the next matching request. */
export type Fault =
  /** An AWS error answer: `x-amzn-errortype` and `{"message"}` (type defaults by status). */
  | { kind: 'status'; status: number; errorType?: string; message?: string; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Answer normally after a delay before the first byte. */
  | { kind: 'slow'; delayMs: number }
  /** Stream `afterFrames` event frames, then destroy the connection. */
  | { kind: 'cut-stream'; afterFrames: number }
  /** Stream `afterFrames` event frames, then an exception frame (`throttlingException` by default). */
  | { kind: 'stream-error'; afterFrames: number; exceptionType?: string; message?: string }
  /** A 200 whose body is not JSON. */
  | { kind: 'invalid-json' };

export interface ReceivedRequest {
  method: string;
  /** The raw path, as sent (model ids percent-encoded). */
  path: string;
  operation?: 'converse' | 'converse-stream' | 'invoke';
  /** The model id, decoded. */
  model?: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface BedrockSimulatorOptions {
  region?: string;
  credentials?: SimulatorCredentials;
  /** A Bedrock API key accepted as `Authorization: Bearer`. */
  apiKey?: string;
  /** Delay between streamed pieces. */
  chunkDelayMs?: number;
}

/** The credentials the simulator accepts unless given others. */
export const simulatorCredentials: SimulatorCredentials = { accessKeyId: 'AKIASIMULATOR0000001', secretAccessKey: 'simulator/secret/key/0123456789abcdefghij' };

/** Default error type by status (the operations' "Errors" sections). */
const errorTypes: Record<number, string> = {
  400: 'ValidationException', 403: 'AccessDeniedException', 404: 'ResourceNotFoundException', 408: 'ModelTimeoutException',
  424: 'ModelErrorException', 429: 'ThrottlingException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};

export class BedrockSimulator {
  readonly requests: ReceivedRequest[] = [];
  readonly region: string;
  readonly credentials: SimulatorCredentials;
  readonly apiKey: string;
  readonly #options: BedrockSimulatorOptions;
  readonly #faults: Array<{ fault: Fault; model?: string; remaining: number }> = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  constructor(options: BedrockSimulatorOptions = {}) {
    this.#options = options;
    this.region = options.region ?? 'us-east-1';
    this.credentials = options.credentials ?? simulatorCredentials;
    this.apiKey = options.apiKey ?? 'bedrock-api-key-simulator-0123456789';
    this.#server = createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** The endpoint, as a Bedrock provider's `base_url` takes it: the bare origin. */
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

  /** Requests received for an operation (and model, if given). */
  calls(operation: ReceivedRequest['operation'], model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.operation === operation && (!model || request.model === model));
  }

  #takeFault(model: string): Fault | undefined {
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
    const raw = Buffer.concat(chunks);
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
    const model = match ? decodeURIComponent(match[1]!) : undefined;
    const operation = match?.[2] as ReceivedRequest['operation'];
    let body: Record<string, unknown> | undefined;
    try {
      body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    this.requests.push({ method: request.method ?? '', path, ...(operation ? { operation } : {}), ...(model ? { model } : {}), headers: request.headers, body });
    const fail = (status: number, errorType: string, message: string, headers: Record<string, string> = {}) =>
      sendError(response, status, errorType, message, headers);

    const authorization = String(request.headers.authorization ?? '');
    if (authorization.startsWith('Bearer ')) {
      if (authorization.slice(7) !== this.apiKey) return fail(403, 'AccessDeniedException', 'Authentication failed: Please make sure your API Key is valid.');
    } else {
      const failure = await verifySignature(request, raw, { region: this.region, credentials: this.credentials });
      if (failure) return fail(403, failure.errorType, failure.message);
    }
    if (request.method !== 'POST' || !match || !model) return fail(404, 'UnknownOperationException', `Unknown operation ${request.method} ${path}`);
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return fail(415, 'UnsupportedMediaTypeException', 'Content-Type must be application/json');
    if (!body) return fail(400, 'SerializationException', 'Could not parse the request body as JSON.');

    if (operation !== 'invoke') {
      const invalid = validateConverse(body);
      if (invalid) return fail(400, 'ValidationException', invalid);
    }
    const fault = this.#takeFault(model);
    if (fault?.kind === 'status') {
      const errorType = fault.errorType ?? errorTypes[fault.status] ?? 'InternalServerException';
      return fail(fault.status, errorType, fault.message ?? `Simulated ${errorType}`, fault.headers);
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'invalid-json') {
      response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
      response.end('{"output": {"message": ');
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    if (operation === 'invoke') return this.#invoke(response, model, body);
    if (operation === 'converse-stream') return this.#stream(response, model, body, fault);
    const result = answer(body, model);
    json(response, 200, {
      output: { message: { role: 'assistant', content: result.content } },
      stopReason: result.stopReason,
      usage: { inputTokens: result.inputTokens, outputTokens: result.outputTokens, totalTokens: result.inputTokens + result.outputTokens },
      metrics: { latencyMs: 42 },
    });
  }

  async #stream(response: ServerResponse, model: string, body: Record<string, unknown>, fault: Fault | undefined): Promise<void> {
    const frames = answerFrames(answer(body, model));
    response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': randomUUID() });
    for (const [index, frame] of frames.entries()) {
      if (fault?.kind === 'cut-stream' && index === fault.afterFrames) {
        // Let what was written reach the client first: a reset discards unread data.
        await sleep(50);
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && index === fault.afterFrames) {
        response.end(encodeException(fault.exceptionType ?? 'throttlingException', fault.message ?? 'Too many requests, please wait before trying again.'));
        return;
      }
      for (const piece of splitOddly(encodeEvent(frame, index))) {
        if (response.destroyed) return;
        response.write(piece);
      }
      if (this.#options.chunkDelayMs) await sleep(this.#options.chunkDelayMs);
    }
    response.end();
  }

  #invoke(response: ServerResponse, model: string, body: Record<string, unknown>): void {
    const result = invokeModel(model, body);
    if ('error' in result) return sendError(response, 400, 'ValidationException', result.error);
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-bedrock-input-token-count': String(result.inputTokens),
      'x-amzn-bedrock-invocation-latency': '42',
    });
    response.end(JSON.stringify(result.body));
  }
}

/** AWS's error answer: the type in `x-amzn-errortype` (with the Coral namespace), `{"message"}` in the body. */
function sendError(response: ServerResponse, status: number, errorType: string, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    ...headers,
  });
  response.end(JSON.stringify({ message }));
}

function json(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}
