import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answered, BaseSimulator, type RequestContent } from '../_shared/base-simulator.ts';
import type { ReceivedRequest as SharedReceivedRequest } from '../_shared/types.ts';
import { answer, tokenUsage, type SimulatedAnswer } from './answers.ts';
import { cachePointProblem, SimulatedPromptCache } from './prompt-cache.ts';
import { answerFrames, encodeEvent, encodeException, splitOddly } from './frames.ts';
import { invokeModel } from './invoke.ts';
import { validateConverse } from './validate.ts';
import { verifySignature, type SimulatorCredentials } from './verify-signature.ts';

/**
 * A strict Amazon Bedrock Runtime upstream for tests: Converse, ConverseStream (binary
 * `application/vnd.amazon.eventstream` frames from the AWS codec, written in odd-sized pieces)
 * and InvokeModel for embedding models. It verifies SigV4 signatures for its test credentials
 * (or a Bedrock API key), rejects what Bedrock rejects (validate.ts), answers deterministically
 * (answers.ts) and injects faults on demand (../_shared/base-simulator.ts).
 */

/** A failure to inject into the next matching request: the shared faults, in AWS's terms. */
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

type Operation = 'converse' | 'converse-stream' | 'invoke';

/** A request as received, with the operation and model its path names (when it names them). */
export interface ReceivedRequest extends SharedReceivedRequest {
  operation?: Operation;
  /** The model id, decoded. */
  model?: string;
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

export class BedrockSimulator extends BaseSimulator<Fault> {
  declare readonly requests: ReceivedRequest[];
  readonly region: string;
  readonly credentials: SimulatorCredentials;
  protected override readonly brokenJson = '{"output": {"message": ';
  /** Prefixes cached by earlier requests' cache points. */
  readonly #promptCache = new SimulatedPromptCache();

  constructor(options: BedrockSimulatorOptions = {}) {
    super({ apiKey: options.apiKey ?? 'bedrock-api-key-simulator-0123456789', chunkDelayMs: options.chunkDelayMs });
    this.region = options.region ?? 'us-east-1';
    this.credentials = options.credentials ?? simulatorCredentials;
  }

  /** The endpoint, as a Bedrock provider's `base_url` takes it: the bare origin. */
  get url(): string {
    return this.origin;
  }

  /** Requests received for an operation (and model, if given). */
  calls(operation: ReceivedRequest['operation'], model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.operation === operation && (!model || request.model === model));
  }

  protected override record(request: IncomingMessage, content: RequestContent): ReceivedRequest {
    const route = routeOf(content.url.pathname);
    return { ...super.record(request, content), ...route };
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, raw, body }: RequestContent): Promise<void> {
    // Every answer carries one, errors, faults and streams included.
    response.setHeader('x-amzn-requestid', randomUUID());
    const fail = (status: number, errorType: string, message: string) => sendError(response, status, errorType, message);
    const path = url.pathname;
    const { operation, model } = routeOf(path);

    const authorization = String(request.headers.authorization ?? '');
    if (authorization.startsWith('Bearer ')) {
      if (authorization.slice(7) !== this.apiKey) return fail(403, 'AccessDeniedException', 'Authentication failed: Please make sure your API Key is valid.');
    } else {
      const failure = await verifySignature(request, raw, { region: this.region, credentials: this.credentials });
      if (failure) return fail(403, failure.errorType, failure.message);
    }
    if (request.method !== 'POST' || !operation || !model) return fail(404, 'UnknownOperationException', `Unknown operation ${request.method} ${path}`);
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return fail(415, 'UnsupportedMediaTypeException', 'Content-Type must be application/json');
    if (!body) return fail(400, 'SerializationException', 'Could not parse the request body as JSON.');

    if (operation !== 'invoke') {
      const invalid = validateConverse(body, model);
      if (invalid) return fail(400, 'ValidationException', invalid);
      const cacheProblem = cachePointProblem(body, model);
      // A model without prompt caching is refused as access denied (LiteLLM#39210, strands-agents/harness-sdk#1807 saw a 403).
      if (cacheProblem) return cacheProblem.startsWith('You invoked') ? fail(403, 'AccessDeniedException', cacheProblem) : fail(400, 'ValidationException', cacheProblem);
    }
    const fault = await this.injectFault(model, request, response);
    if (fault === answered) return;
    if (operation === 'invoke') return this.#invoke(response, model, body);
    if (operation === 'converse-stream') return this.#stream(response, model, body, fault);
    const result = this.#answer(body, model);
    this.sendJson(response, 200, {
      output: { message: { role: 'assistant', content: result.content } },
      stopReason: result.stopReason,
      usage: tokenUsage(result),
      metrics: { latencyMs: 42 },
    });
  }

  /** AWS's error answer for a status fault, its type defaulting by status. */
  protected override answerStatusFault(response: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
    const errorType = fault.errorType ?? errorTypes[fault.status] ?? 'InternalServerException';
    sendError(response, fault.status, errorType, fault.message ?? `Simulated ${errorType}`, fault.headers);
  }

  /** The answer, with the prompt's cache reads and writes when it has cache points. */
  #answer(body: Record<string, unknown>, model: string): SimulatedAnswer {
    const result = answer(body, model);
    const cache = this.#promptCache.usage(body);
    return cache ? { ...result, cache } : result;
  }

  async #stream(response: ServerResponse, model: string, body: Record<string, unknown>, fault: Fault | undefined): Promise<void> {
    const frames = answerFrames(this.#answer(body, model)).map((frame, index) => splitOddly(encodeEvent(frame, index)));
    const errorFrame = (streamError: Extract<Fault, { kind: 'stream-error' }>) =>
      encodeException(streamError.exceptionType ?? 'throttlingException', streamError.message ?? 'Too many requests, please wait before trying again.');
    await this.writeStream(response, { headers: { 'content-type': 'application/vnd.amazon.eventstream' }, frames, fault, errorFrame });
  }

  #invoke(response: ServerResponse, model: string, body: Record<string, unknown>): void {
    const result = invokeModel(model, body);
    if ('error' in result) return sendError(response, 400, 'ValidationException', result.error);
    response.writeHead(200, {
      'content-type': 'application/json',
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
    'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    ...headers,
  });
  response.end(JSON.stringify({ message }));
}

/** The operation and model a path names: `/model/{modelId}/{operation}`. */
function routeOf(path: string): { operation?: Operation; model?: string } {
  const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
  return match ? { operation: match[2] as Operation, model: decodeURIComponent(match[1]!) } : {};
}
