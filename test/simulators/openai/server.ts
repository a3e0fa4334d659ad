import type { IncomingMessage, ServerResponse } from 'node:http';
import { answered, BaseSimulator, type RequestContent } from '../_shared/base-simulator.ts';
import type { Fault, ReceivedRequest } from '../_shared/types.ts';
import { continueAnswer } from '../_shared/continuation.ts';
import { answer, simulatedTokens, type SimulatedAnswer } from './answers.ts';
import { unexpectedMessageFields, validateAgainstSpec } from './validate.ts';

/**
 * A strict OpenAI-protocol upstream for tests, built from ../shared/specs/openai: it checks
 * auth, path, content type and the body against the published schema, rejects unknown fields
 * (in the body and in each message), unknown models and unpaired tool messages as the real API
 * does, answers deterministically (answers.ts), and injects faults on demand
 * (../_shared/base-simulator.ts).
 */

// Exported from here as before the move to _shared, so imports of this module keep working.
export type { Fault, ReceivedRequest };

export interface OpenAISimulatorOptions {
  apiKey?: string;
  /** How long an idle kept-alive connection stays open (BaseSimulatorOptions). */
  keepAliveTimeoutMs?: number;
  /** Accept fields the spec does not define, in the body and in messages (compatible servers such as vLLM do). */
  acceptUnknownFields?: boolean;
  /**
   * Model names that exist (default: the OpenAI models the tests use, `openAIModels`); any other
   * gets OpenAI's 404 model_not_found. Not checked with `azureApiVersion`: there the URL names a
   * deployment, which the operator names.
   */
  models?: readonly string[];
  /**
   * Serve Azure OpenAI's deployment URLs and `api-key` header instead, and its v1 API
   * (`/openai/v1/chat/completions`, the deployment as `model`, no api-version:
   * learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle). Streams start with the
   * prompt-annotation chunk Azure's content filter sends (`"id": ""`, `"model": ""`,
   * `"created": 0`, no choices: e.g. AbanteAI/archive-old-cli-mentat#429).
   */
  azureApiVersion?: string;
  /**
   * Be Groq: refuse with a 400 what console.groq.com/docs/openai lists as unsupported
   * (`logprobs`, `logit_bias`, `top_logprobs`, `messages[].name`, `n` other than 1).
   */
  groq?: boolean;
  /**
   * Be DeepSeek in thinking mode (api-docs.deepseek.com/guides/thinking_mode): answers carry
   * `reasoning_content` (in the message, and as the first stream deltas), and an assistant
   * message with tool calls must send its `reasoning_content` back, or the request is a 400.
   */
  deepseek?: boolean;
  /**
   * Be OpenRouter's accounting (openrouter.ai/docs/use-cases/usage-accounting): every answer's
   * usage carries `cost` (credits, USD: its tokens at `costPerToken`), `is_byok` false and
   * `cost_details.upstream_inference_cost` equal to the cost, and a stream's last chunk carries
   * the usage whether it was asked for or not. An embeddings answer's usage carries `cost`
   * (CreateEmbeddingsUsage in OpenRouter's SDK reference).
   */
  openrouter?: { costPerToken: number };
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
  /** Delay before answering, per model (a slower model, for latency routing). */
  delays?: Record<string, number>;
  /** Keep every request in `requests` (default true; see BaseSimulatorOptions). */
  recordRequests?: boolean;
  /** Context window per model: longer prompts get OpenAI's context_length_exceeded 400. */
  contextWindows?: Record<string, number>;
  /**
   * Be a vLLM server: take vLLM's `continue_final_message` and `add_generation_prompt`, and with
   * the former continue the final assistant message (vLLM docs, OpenAI-compatible server's extra
   * parameters). Without it the simulator is OpenAI, which has no such field.
   */
  continueFinalMessage?: boolean;
  /**
   * The key's requests per minute: every chat answer then carries OpenAI's rate-limit headers
   * (`x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`
   * as "1m0s"/"12.5s"; platform.openai.com/docs/guides/rate-limits "Rate limits in headers"),
   * counted over the current minute. The API does not refuse at 0 here: tests see who listens.
   */
  requestsPerMinute?: number;
}

/** Top-level fields of CreateChatCompletionRequest / CreateEmbeddingRequest (allOf included). */
const knownFields = new Set([
  'messages', 'model', 'modalities', 'verbosity', 'reasoning_effort', 'max_completion_tokens', 'frequency_penalty',
  'presence_penalty', 'web_search_options', 'top_logprobs', 'response_format', 'audio', 'store', 'stream', 'stop',
  'logit_bias', 'logprobs', 'max_tokens', 'n', 'prediction', 'seed', 'stream_options', 'tools', 'tool_choice',
  'parallel_tool_calls', 'function_call', 'functions', 'metadata', 'temperature', 'top_p', 'user', 'safety_identifier',
  'prompt_cache_key', 'service_tier', 'prompt_cache_retention', 'moderation', 'input', 'encoding_format', 'dimensions',
]);

/** The OpenAI models that exist unless a simulator is given its own list. */
export const openAIModels: readonly string[] = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano', 'text-embedding-3-small'];

export class OpenAISimulator extends BaseSimulator {
  protected override readonly brokenJson = '{"id": "chatcmpl-broken", "choices": [';
  readonly #options: OpenAISimulatorOptions;
  readonly #models: ReadonlySet<string>;
  #minute = { startedAt: 0, requests: 0 };

  constructor(options: OpenAISimulatorOptions = {}) {
    super({
      apiKey: options.apiKey ?? 'sk-simulator-key-0123456789',
      chunkDelayMs: options.chunkDelayMs,
      delays: options.delays,
      recordRequests: options.recordRequests,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    });
    this.#options = options;
    this.#models = new Set(options.models ?? openAIModels);
  }

  /** Base URL as the provider's SDK takes it (`http://127.0.0.1:PORT/v1`, or the bare origin for Azure). */
  get url(): string {
    return this.#options.azureApiVersion ? this.origin : `${this.origin}/v1`;
  }

  /** Chat requests received (for one model, if given). */
  chatCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/chat/completions') && (!model || request.body?.model === model || request.path.includes(`/${model}/`)));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, body, malformed }: RequestContent): Promise<void> {
    const sendError = (status: number, message: string, code: string | null = null, param: string | null = null, type = 'invalid_request_error') =>
      this.sendJson(response, status, { error: { message, type, param, code } });
    // The API refuses a body that is not JSON before it looks at the path or the key.
    if (malformed) return sendError(400, 'We could not parse the JSON body of your request.');
    const operation = this.#operation(url);
    if (!operation) return sendError(404, `Invalid URL (${request.method} ${url.pathname})`, 'unknown_url');
    const authError = this.#checkAuth(request);
    if (authError) return sendError(401, authError.message, authError.code);
    if (this.#options.azureApiVersion && !operation.v1 && url.searchParams.get('api-version') !== this.#options.azureApiVersion) {
      return sendError(404, 'Resource not found', '404');
    }
    if (operation.name === 'models') {
      return this.sendJson(response, 200, { object: 'list', data: [...this.#models].map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })) });
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendError(400, 'Content-Type must be application/json');
    }
    if (!body) return sendError(400, 'You must provide a JSON body.');
    let prefix: string | undefined;
    if (this.#options.continueFinalMessage && operation.name === 'chat') {
      const { continue_final_message: continues, add_generation_prompt: generationPrompt, ...rest } = body;
      const messages = rest.messages as Array<{ role?: string; content?: unknown }> | undefined;
      if (continues === true) {
        // vLLM refuses both at once, and a final message that is not the assistant's to continue.
        if (generationPrompt === true) return sendError(400, 'Cannot set both `continue_final_message` and `add_generation_prompt` to True.');
        const last = messages?.at(-1);
        if (last?.role !== 'assistant' || typeof last.content !== 'string') return sendError(400, 'continue_final_message requires a final assistant message.');
        prefix = last.content;
      }
      body = rest;
    }
    const schema = operation.name === 'chat' ? 'CreateChatCompletionRequest' : 'CreateEmbeddingRequest';
    const invalid = validateAgainstSpec(schema, operation.deployment !== undefined ? { model: operation.deployment, ...body } : body);
    if (invalid) return sendError(400, `Invalid request: ${invalid}`);
    if (!this.#options.acceptUnknownFields) {
      const unknown = Object.keys(body).find((key) => !knownFields.has(key));
      if (unknown) return sendError(400, `Unrecognized request argument supplied: ${unknown}`);
      const unexpected = operation.name === 'chat' ? unexpectedMessageFields(body.messages as Array<Record<string, unknown>>) : undefined;
      if (unexpected) return sendError(400, unexpected);
    }
    const groqRefusal = this.#options.groq && operation.name === 'chat' ? groqUnsupported(body) : undefined;
    if (groqRefusal) return sendError(400, groqRefusal);
    const lostReasoning = this.#options.deepseek && (body.messages as Array<Record<string, unknown>>).some((message) => Array.isArray(message.tool_calls) && typeof message.reasoning_content !== 'string');
    if (lostReasoning) return sendError(400, 'The `reasoning_content` in the thinking mode must be passed back to the API.');
    const model = operation.deployment ?? String(body.model);
    // The v1 API names the deployment in `model`: the operator names it, as in the URL.
    if (!operation.deployment && !operation.v1 && !this.#models.has(model)) {
      // The API's answer for a model that does not exist (or that the key may not use), e.g.
      // github.com/Aider-AI/aider/issues/2030: 404 invalid_request_error, code model_not_found.
      return sendError(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'model_not_found');
    }
    if (operation.name === 'chat') this.#rateLimitHeaders(response);
    const fault = await this.injectFault(model, request, response, (status) => ({ error: { message: `Simulated ${status}`, type: 'server_error', param: null, code: null } }));
    if (fault === answered) return;
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
    if (body.stream === true) return this.#stream(response, body, model, fault, prefix);
    return this.#complete(response, body, model, prefix);
  }

  #rateLimitHeaders(response: ServerResponse): void {
    const limit = this.#options.requestsPerMinute;
    if (limit === undefined) return;
    const now = Date.now();
    if (now - this.#minute.startedAt >= 60_000) this.#minute = { startedAt: now, requests: 0 };
    this.#minute.requests += 1;
    response.setHeader('x-ratelimit-limit-requests', String(limit));
    response.setHeader('x-ratelimit-remaining-requests', String(Math.max(0, limit - this.#minute.requests)));
    response.setHeader('x-ratelimit-reset-requests', `${((60_000 - (now - this.#minute.startedAt)) / 1000).toFixed(1)}s`);
  }

  #operation(url: URL): { name: 'chat' | 'embeddings' | 'models'; deployment?: string; v1?: boolean } | undefined {
    if (this.#options.azureApiVersion) {
      const v1 = /^\/openai\/v1\/(chat\/completions|embeddings)$/.exec(url.pathname);
      if (v1) return { name: v1[1] === 'embeddings' ? 'embeddings' : 'chat', v1: true };
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

  /** The answer, or with `prefix` (vLLM's continue_final_message) the rest of it. */
  #answer(body: Record<string, unknown>, model: string, prefix: string | undefined): SimulatedAnswer {
    if (prefix === undefined) return answer({ ...body, model });
    const result = answer({ ...body, model, messages: (body.messages as unknown[]).slice(0, -1) });
    const content = continueAnswer(result.content ?? '', prefix, model);
    return { ...result, content, completionTokens: simulatedTokens(content) };
  }

  #complete(response: ServerResponse, body: Record<string, unknown>, model: string, prefix?: string): void {
    const result = this.#answer(body, model, prefix);
    const choices = Array.from({ length: Number(body.n ?? 1) }, (_, index) => ({
      index,
      message: {
        role: 'assistant',
        content: result.content,
        refusal: null,
        annotations: [],
        ...(this.#options.deepseek ? { reasoning_content: thinkingOf(result) } : {}),
        ...(result.toolCalls.length
          ? { tool_calls: result.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      },
      logprobs: null,
      finish_reason: result.finishReason,
    }));
    this.sendJson(response, 200, {
      id: `chatcmpl-sim${Date.now()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${model}-2024-sim`,
      choices,
      usage: this.#usage(result.promptTokens, result.completionTokens),
      system_fingerprint: 'fp_simulator',
    });
  }

  async #stream(response: ServerResponse, body: Record<string, unknown>, model: string, fault: Fault | undefined, prefix?: string): Promise<void> {
    const result = this.#answer(body, model, prefix);
    const base = { id: `chatcmpl-sim${Date.now()}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: `${model}-2024-sim`, system_fingerprint: 'fp_simulator' };
    const deltas: Array<Record<string, unknown>> = [{ role: 'assistant', content: result.toolCalls.length ? null : '', refusal: null }];
    if (this.#options.deepseek) deltas.push({ reasoning_content: thinkingOf(result) });
    for (const word of result.content?.match(/\S+\s*|\s+/g) ?? []) deltas.push({ content: word });
    result.toolCalls.forEach((call, index) => {
      deltas.push({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
      const half = Math.ceil(call.arguments.length / 2);
      for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        if (piece) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    const includeUsage = this.#options.openrouter !== undefined || (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const annotation = { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] };
    const chunks: Array<Record<string, unknown>> = this.#options.azureApiVersion ? [annotation] : [];
    chunks.push(...deltas.map((delta) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...(includeUsage ? { usage: null } : {}) })));
    chunks.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: result.finishReason }], ...(includeUsage ? { usage: null } : {}) });
    if (includeUsage) chunks.push({ ...base, choices: [], usage: this.#usage(result.promptTokens, result.completionTokens) });
    const errorFrame = (fault: Extract<Fault, { kind: 'stream-error' }>) =>
      `data: ${JSON.stringify({ error: { message: fault.message ?? 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`;
    // An SSE comment line (WHATWG HTML, "Server-sent events": a line starting with a colon),
    // as OpenAI-compatible servers send while they work (OpenRouter's `: OPENROUTER PROCESSING`).
    const keepAliveFrame = ': keep-alive\n\n';
    await this.writeStream(response, { frames: chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), fault, errorFrame, end: 'data: [DONE]\n\n', keepAliveFrame });
  }

  /** A completion's usage, with OpenRouter's accounting when the simulator is OpenRouter. */
  #usage(prompt: number, completion: number): Record<string, unknown> {
    const usage: Record<string, unknown> = usageOf(prompt, completion);
    const openrouter = this.#options.openrouter;
    if (openrouter === undefined) return usage;
    const cost = (prompt + completion) * openrouter.costPerToken;
    return { ...usage, cost, is_byok: false, cost_details: { upstream_inference_cost: cost } };
  }

  #embeddings(response: ServerResponse, body: Record<string, unknown>, model: string): void {
    const inputs = typeof body.input === 'string' ? [body.input] : (body.input as unknown[]);
    const dimensions = Number(body.dimensions ?? 8);
    this.sendJson(response, 200, {
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = Array.from({ length: dimensions }, (_, position) => ((String(input).length + position) % 10) / 10);
        // encoding_format base64: little-endian float32 bytes, as the API (and the SDK's default) use.
        const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return { object: 'embedding', index, embedding };
      }),
      model,
      usage: this.#embeddingUsage(inputs.reduce<number>((sum, input) => sum + simulatedTokens(String(input)), 0)),
    });
  }

  /** An embeddings answer's usage; OpenRouter's carries `cost` too (CreateEmbeddingsUsage in its SDK's reference). */
  #embeddingUsage(tokens: number): Record<string, unknown> {
    const usage = { prompt_tokens: tokens, total_tokens: tokens };
    const openrouter = this.#options.openrouter;
    return openrouter === undefined ? usage : { ...usage, cost: tokens * openrouter.costPerToken };
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

/** What Groq refuses of a chat body that OpenAI takes (console.groq.com/docs/openai), or undefined. */
function groqUnsupported(body: Record<string, unknown>): string | undefined {
  for (const field of ['logprobs', 'logit_bias', 'top_logprobs']) {
    if (field in body) return `property '${field}' is unsupported`;
  }
  if (body.n !== undefined && body.n !== 1) return "'n' must be equal to 1";
  const index = (body.messages as Array<Record<string, unknown>>).findIndex((message) => 'name' in message);
  return index === -1 ? undefined : `'messages.${index}' : property 'name' is unsupported`;
}

/** The simulated thinking of an answer (DeepSeek mode). */
function thinkingOf(result: SimulatedAnswer): string {
  return result.toolCalls.length ? `I should call ${result.toolCalls.map((call) => call.name).join(' and ')}.` : 'I can answer that.';
}
