import type { IncomingMessage, ServerResponse } from 'node:http';
import { answered, BaseSimulator, type RequestContent } from '../_shared/base-simulator.ts';
import type { Fault, ReceivedRequest } from '../_shared/types.ts';
import { answer, simulatedTokens, type SimulatedAnswer } from './answers.ts';
import { checkConversation, type GenerateContentBody } from './conversation-rules.ts';
import { badRequestBody, validateProtoJson } from './validate.ts';

/**
 * A strict Gemini API upstream for tests, built from ../shared/specs/gemini: the paths of the
 * protos' google.api.http options (`POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent` — SSE only with `?alt=sse`, a JSON array otherwise —
 * `:batchEmbedContents`, `:embedContent`), the `x-goog-api-key` check with the recorded error
 * bodies (examples/unary-failure-*.txt), bodies parsed against the protos (unknown names are a
 * 400, validate.ts), the conversation rules of conversation-rules.ts, deterministic answers
 * (answers.ts) streamed byte-for-byte in the recorded format, and the fault injection of
 * ../_shared/base-simulator.ts (whose records keep the query string: `alt=sse`, and the proof
 * that no `?key=` was sent).
 */

export type { Fault, ReceivedRequest };

export interface GeminiSimulatorOptions {
  apiKey?: string;
  /** Models that exist; names with "embedding" embed, the others generate. */
  models?: string[];
  /** Reject current-turn function calls without a thought signature, as Gemini 3 does (default true). */
  requireThoughtSignatures?: boolean;
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
}

type Method = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents' | 'embedContent';
const requestTypes: Record<Method, string> = {
  generateContent: 'GenerateContentRequest',
  streamGenerateContent: 'GenerateContentRequest',
  batchEmbedContents: 'BatchEmbedContentsRequest',
  embedContent: 'EmbedContentRequest',
};
const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

export class GeminiSimulator extends BaseSimulator {
  protected override readonly jsonStyle = { contentType: 'application/json; charset=UTF-8', indent: 2 };
  protected override readonly brokenJson = '{"candidates": [';
  readonly #options: GeminiSimulatorOptions;
  readonly #models: Set<string>;
  #answers = 0;

  constructor(options: GeminiSimulatorOptions = {}) {
    super({ apiKey: options.apiKey ?? 'AIza-simulator-key-0123456789', chunkDelayMs: options.chunkDelayMs });
    this.#options = options;
    this.#models = new Set(options.models ?? ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash', 'gemini-3-pro-preview', 'gemini-embedding-001', 'text-embedding-004']);
  }

  /** The bare origin, as Google's SDKs and the adapter's base URL take it. */
  get url(): string {
    return this.origin;
  }

  /** generateContent / streamGenerateContent requests received (for one model, if given). */
  chatCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => /:(stream)?[gG]enerateContent$/.test(request.path) && (!model || request.path.includes(`/${model}:`)));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, text, body, malformed }: RequestContent): Promise<void> {
    const fail = (status: number, message: string, details?: unknown[]) => this.sendJson(response, status, errorBody(status, message, details));

    const match = /^\/v1beta\/(models|tunedModels)\/([^/:]+):([A-Za-z]+)$/.exec(url.pathname);
    const method = match?.[3] as Method | undefined;
    if (!match || request.method !== 'POST' || !method || !(method in requestTypes)) return fail(404, `Method not found: ${request.method} ${url.pathname}`);
    const presented = request.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? undefined;
    if (presented === undefined) {
      return fail(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    }
    if (presented !== this.apiKey) {
      // examples/unary-failure-api-key.txt, down to the DebugInfo that repeats the key.
      return fail(400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
        { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: `Invalid API key: ${String(presented)}` },
      ]);
    }
    const model = decodeURIComponent(match[2]!);
    const embedding = method === 'batchEmbedContents' || method === 'embedContent';
    if (!this.#models.has(model) || model.includes('embedding') !== embedding) {
      // examples/unary-failure-unknown-model.txt
      return fail(404, `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`);
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return fail(400, 'Invalid JSON payload received. Expected a JSON body (Content-Type: application/json).');
    if (malformed || !body || typeof body !== 'object' || Array.isArray(body)) return fail(400, `Invalid JSON payload received. Unexpected token.\n${text.slice(0, 40)}\n^`);
    const violations = validateProtoJson(body, requestTypes[method]);
    if (violations.length) return this.sendJson(response, 400, badRequestBody(violations));
    const broken = embedding ? checkEmbedding(body, method, model) : checkConversation(body as GenerateContentBody, this.#options.requireThoughtSignatures ?? true);
    if (broken) return fail(400, broken);

    const fault = await this.injectFault(model, request, response, (status) => errorBody(status, `Simulated ${status}`));
    if (fault === answered) return;
    if (embedding) return this.#embed(response, body, method);
    this.#answers += 1;
    const result = answer(body as GenerateContentBody, model, this.#answers);
    if (method === 'generateContent') return this.sendJson(response, 200, responseBody(result, model, [result.parts], true)[0]);
    return this.#stream(response, result, model, url.searchParams.get('alt') === 'sse', fault);
  }

  async #stream(response: ServerResponse, result: SimulatedAnswer, model: string, sse: boolean, fault: Fault | undefined): Promise<void> {
    const pieces = result.parts.flatMap((part) => (part.text !== undefined && !part.thought ? (part.text.match(/\S+\s*|\s+/g) ?? ['']).map((text) => ({ ...part, text })) : [part]));
    const chunks = responseBody(result, model, pieces.map((piece) => [piece]), false);
    if (!sse) {
      // Without alt=sse the API streams one JSON array (generative_service.proto StreamGenerateContent).
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(`[${chunks.map(googleJson).join(',\r\n')}]`);
      return;
    }
    const errorFrame = (fault: Extract<Fault, { kind: 'stream-error' }>) =>
      `data: ${googleJson({ error: { code: 500, message: fault.message ?? 'An internal error has occurred.', status: 'INTERNAL' } })}\r\n\r\n`;
    // The recorded format: `data: ` + JSON with ": " after keys, events ended by CRLF CRLF.
    const frames = chunks.map((chunk) => `data: ${googleJson(chunk)}\r\n\r\n`);
    await this.writeStream(response, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, frames, fault, errorFrame });
  }

  #embed(response: ServerResponse, body: Record<string, unknown>, method: Method): void {
    const requests = method === 'embedContent' ? [body] : (body.requests as Array<Record<string, unknown>>);
    const embeddings = requests.map((item) => {
      const text = ((item.content as { parts?: Array<{ text?: string }> } | undefined)?.parts ?? []).map((part) => part.text ?? '').join(' ');
      const dimensions = Number(item.outputDimensionality ?? 8);
      return { values: Array.from({ length: dimensions }, (_, position) => ((text.length + position) % 10) / 10) };
    });
    this.sendJson(response, 200, method === 'embedContent' ? { embedding: embeddings[0] } : { embeddings });
  }
}

/** The API's batch rule: every request names the URL's model (generative_service.proto BatchEmbedContentsRequest). */
function checkEmbedding(body: Record<string, unknown>, method: Method, model: string): string | undefined {
  if (method === 'embedContent') return undefined;
  const requests = (body.requests as Array<{ model?: string; content?: unknown }> | undefined) ?? [];
  if (requests.length === 0) return '* BatchEmbedContentsRequest.requests: requests is not specified\n';
  // Not in the protos: the API's own 400, as reported in langchain-ai/langchainjs#4491 and
  // weaviate/weaviate#11277 (vercel/ai#16575 caps @ai-sdk/google at 100 for it).
  if (requests.length > 100) return '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n';
  const index = requests.findIndex((item) => item.model !== `models/${model}`);
  if (index >= 0) return `* BatchEmbedContentsRequest.requests[${index}].model: Model names should be the same as the model in the batch request (models/${model}).\n`;
  if (requests.some((item) => item.content === undefined)) return '* BatchEmbedContentsRequest.requests: content is required\n';
  return undefined;
}

/** GenerateContentResponses: one per group of parts; the last carries finishReason and the full usage. */
function responseBody(result: SimulatedAnswer, model: string, groups: Array<SimulatedAnswer['parts']>, unary: boolean): Array<Record<string, unknown>> {
  const responseId = `sim${Date.now().toString(36)}`;
  const promptUsage = { promptTokenCount: result.promptTokens, totalTokenCount: result.promptTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: result.promptTokens }] };
  const fullUsage = {
    promptTokenCount: result.promptTokens,
    candidatesTokenCount: result.candidatesTokens,
    totalTokenCount: result.promptTokens + result.candidatesTokens + result.thoughtsTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: result.promptTokens }],
    ...(result.thoughtsTokens ? { thoughtsTokenCount: result.thoughtsTokens } : {}),
  };
  return groups.map((parts, index) => {
    const last = index === groups.length - 1;
    return {
      candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason: result.finishReason } : {}), index: 0 }],
      usageMetadata: last || unary ? fullUsage : promptUsage,
      modelVersion: model,
      responseId,
    };
  });
}

/** JSON as the recorded examples write it: `"key": value`, no other spaces. */
function googleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(googleJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).filter(([, item]) => item !== undefined).map(([key, item]) => `${JSON.stringify(key)}: ${googleJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Google's error body (google.rpc.Status as JSON). */
function errorBody(status: number, message: string, details?: unknown[]) {
  return { error: { code: status, message, status: statusNames[status] ?? 'UNKNOWN', ...(details ? { details } : {}) } };
}

export { simulatedTokens };
