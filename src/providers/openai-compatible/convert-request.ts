import type { ChatMessage, ChatRequest, FilePart, ImagePart, TextPart } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import { functionToolCalls, imageUrlPart, textContent } from '../_shared/openai-style-content.ts';
import { countKeys, editTopLevel, type TopLevelEdit } from '../_shared/relay-bytes.ts';
import { setIfDefined } from '../_shared/set-if-defined.ts';
import { convertResponseFormat, convertToolChoice, convertTools } from './request-fields.ts';

/** How an OpenAI-style provider differs from OpenAI in the request body. */
export interface OpenAIRequestDialect {
  /** OpenAI deprecated `max_tokens` for `max_completion_tokens`; most compatible servers take the old one. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Whether the server honours `stream_options.include_usage`. */
  streamUsage: boolean;
  /**
   * An assistant message's `reasoning_content` (the earlier answer's thinking, which Switchboard
   * returns in that field) is refused by some servers: OpenAI rejects properties a message schema
   * does not define ("Additional properties are not allowed"), Groq answers 400 "property
   * 'reasoning_content' is unsupported" (e.g. janhq/jan#8136). `drop` leaves it out of a relayed
   * body, with a warning; other servers get the body as it came. `tool-turns` (DeepSeek) keeps it
   * on assistant messages with tool calls, where api-docs.deepseek.com/guides/thinking_mode
   * ("Tool calls") requires it in every later request (a 400 without it), and sends a typed
   * request's reasoning there too; elsewhere it is left out, with a warning, as for `drop` (the
   * older deepseek-reasoner guide answered 400 to it, thinking mode ignores it).
   */
  reasoningInHistory?: 'drop' | 'tool-turns';
  /**
   * The most stop sequences the server takes: more is a 400 before the call (a request in
   * another format may carry more; OpenAI's `stop` has "Up to 4 sequences", openapi.yaml
   * StopConfiguration). Unlimited when absent.
   */
  maxStopSequences?: number;
  /**
   * A server's own rules for the body about to be sent (relayed or built): returns it, or a new
   * body with what it left out (each with a warning), or throws the 400 for a field whose absence
   * would change the answer. Groq's and DeepSeek's (their folders' index.ts).
   */
  checkBody?: (body: Record<string, unknown>, warnings: Warning[]) => Record<string, unknown>;
}

/** The body to send, and whether Switchboard added the usage chunk the caller did not ask for. */
export interface ConvertedRequest {
  body: Record<string, unknown>;
  /** `body` as JSON, when it was made from the caller's own bytes: send these instead. */
  bytes?: Uint8Array;
  warnings: Warning[];
  /** True when the final usage chunk was requested only for accounting (not to be relayed). */
  usageChunkInternal: boolean;
}

/**
 * ChatRequest → OpenAI Chat Completions body. A request that arrived in the OpenAI format is
 * sent as it came (only `model` replaced), so fields Switchboard does not model reach the
 * provider unchanged; otherwise the body is built from the typed request.
 */
export function convertRequest(request: ChatRequest, model: string, dialect: OpenAIRequestDialect): ConvertedRequest {
  const warnings: Warning[] = [];
  const native = request.native?.format === 'openai-chat' ? request.native : undefined;
  const converted = native ? relayedBody(native.body, model, dialect, warnings) : buildBody(request, model, dialect, warnings);
  const body = dialect.checkBody ? dialect.checkBody(converted, warnings) : converted;
  let usageChunkInternal = false;
  if (request.stream) {
    body.stream = true;
    if (dialect.streamUsage && !request.includeUsage) {
      // Ask for usage anyway so the ledger has the provider's counts; the chunk is not relayed.
      const streamOptions = (body.stream_options as Record<string, unknown> | undefined) ?? {};
      body.stream_options = { ...streamOptions, include_usage: true };
      usageChunkInternal = true;
    }
  }
  // A body relayed unchanged but for its model (nothing dropped: no warning) goes as the caller's bytes.
  const bytes = native?.source && warnings.length === 0 && body === converted ? relayedBytes(native, model, request.stream, usageChunkInternal) : undefined;
  return { body, warnings, usageChunkInternal, ...(bytes ? { bytes } : {}) };
}

/**
 * The caller's bytes with what `relayedBody` changes made to them: `model` replaced, routing
 * hints left out, and `stream_options.include_usage` added when it was asked for the ledger.
 * Undefined (the body is serialised instead) when they no longer say what the body holds, were
 * taken by an earlier call, repeat a key, or the change is not one made on bytes
 * (`stream_options` present).
 */
function relayedBytes(native: NonNullable<ChatRequest['native']>, model: string, stream: boolean, addUsage: boolean): Uint8Array | undefined {
  const source = native.source!;
  const bytes = source.bytes;
  source.bytes = undefined;
  if (bytes === undefined || source.of !== native.body) return undefined;
  if (stream && native.body.stream !== true) return undefined;
  if (addUsage && native.body.stream_options !== undefined) return undefined;
  const add: Record<string, string> = addUsage ? { stream_options: '{"include_usage":true}' } : {};
  const edit: TopLevelEdit = { replace: { model: JSON.stringify(model) }, omit: source.omit, add, keys: countKeys(native.body) };
  return editTopLevel(bytes, edit);
}

/** The caller's own body with `model` replaced and what the dialect refuses left out (with a warning). */
function relayedBody(native: Record<string, unknown>, model: string, dialect: OpenAIRequestDialect, warnings: Warning[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...native, model };
  if (dialect.reasoningInHistory === undefined || !Array.isArray(body.messages)) return body;
  const keepOnToolTurns = dialect.reasoningInHistory === 'tool-turns';
  const dropped = (message: unknown): message is Record<string, unknown> & { reasoning_content: unknown } =>
    hasReasoningContent(message) && !(keepOnToolTurns && hasToolCalls(message));
  const messages = body.messages as unknown[];
  if (!messages.some(dropped)) return body;
  body.messages = messages.map((message) => {
    if (!dropped(message)) return message;
    const { reasoning_content: _dropped, ...rest } = message;
    return rest;
  });
  warnings.push({ type: 'dropped-setting', setting: 'reasoning_content', message: 'This provider refuses reasoning_content in earlier assistant messages; it was left out' });
  return body;
}

function hasReasoningContent(message: unknown): message is Record<string, unknown> & { reasoning_content: unknown } {
  return typeof message === 'object' && message !== null && 'reasoning_content' in message;
}

function hasToolCalls(message: Record<string, unknown>): boolean {
  return Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
}

function buildBody(request: ChatRequest, model: string, dialect: OpenAIRequestDialect, warnings: Warning[]): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: request.messages.map((message) => convertMessage(message, dialect, warnings)) };
  if (request.tools?.length) body.tools = convertTools(request.tools);
  if (request.toolChoice !== undefined) body.tool_choice = convertToolChoice(request.toolChoice);
  // Only beside tools: OpenAI answers 400 "parallel_tool_calls is only allowed when tools are specified".
  if (request.parallelToolCalls !== undefined && request.tools?.length) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) body.response_format = convertResponseFormat(request.responseFormat);
  if (request.maxOutputTokens !== undefined) body[dialect.maxTokensField] = request.maxOutputTokens;
  setIfDefined(body, 'temperature', request.temperature);
  setIfDefined(body, 'top_p', request.topP);
  if (request.stop?.length) {
    if (dialect.maxStopSequences !== undefined && request.stop.length > dialect.maxStopSequences) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `This model's provider takes at most ${dialect.maxStopSequences} stop sequences; the request has ${request.stop.length}.`, { param: 'stop' });
    }
    body.stop = request.stop;
  }
  setIfDefined(body, 'seed', request.seed);
  setIfDefined(body, 'n', request.n);
  setIfDefined(body, 'presence_penalty', request.presencePenalty);
  setIfDefined(body, 'frequency_penalty', request.frequencyPenalty);
  setIfDefined(body, 'logprobs', request.logprobs);
  setIfDefined(body, 'top_logprobs', request.topLogprobs);
  setIfDefined(body, 'user', request.user);
  setIfDefined(body, 'reasoning_effort', request.reasoningEffort);
  if (request.topK !== undefined) {
    warnings.push({ type: 'unsupported-setting', setting: 'top_k', message: 'OpenAI-style providers have no top_k; it was not sent' });
  }
  if (request.thinkingBudgetTokens !== undefined) {
    warnings.push({ type: 'unsupported-setting', setting: 'thinking', message: 'OpenAI-style providers take no thinking budget; it was not sent' });
  }
  const last = request.messages.at(-1);
  if (request.assistantPrefix === undefined && last?.role === 'assistant' && last.content.some((part) => part.type === 'text' && part.text !== '') && !last.content.some((part) => part.type === 'tool-call')) {
    // A prefill (a final assistant turn, which Anthropic continues: ../shared/specs/anthropic/openapi.json
    // CreateMessageParams.messages): Chat Completions reads it as an earlier turn and answers afresh.
    warnings.push({ type: 'other', setting: `messages[${request.messages.length - 1}]`, message: 'OpenAI-style providers do not continue a final assistant message (a prefill); it was sent as an earlier turn, and the answer starts afresh' });
  }
  if (request.assistantPrefix !== undefined) {
    // A stream resume on a vLLM server (only adapters with `continuation` get a prefix): vLLM's
    // chat API continues a final assistant message with `continue_final_message: true`, which
    // it takes only without `add_generation_prompt` (vLLM docs, "Extra parameters" of the
    // OpenAI-compatible server).
    (body.messages as Array<Record<string, unknown>>).push({ role: 'assistant', content: request.assistantPrefix });
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  return body;
}

function convertMessage(message: ChatMessage, dialect: OpenAIRequestDialect, warnings: Warning[]): Record<string, unknown> {
  switch (message.role) {
    case 'system':
      return { role: message.developer ? 'developer' : 'system', content: textContent(message.content) };
    case 'user': {
      const content =
        message.content.length === 1 && message.content[0]!.type === 'text'
          ? message.content[0]!.text
          : message.content.map(convertUserPart);
      return { role: 'user', content, ...(message.name ? { name: message.name } : {}) };
    }
    case 'assistant': {
      const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
      const toolCalls = functionToolCalls(message);
      const reasoning = message.content.flatMap((part) => (part.type === 'reasoning' ? [part.text] : [])).join('');
      const sendsReasoning = dialect.reasoningInHistory === 'tool-turns' && toolCalls.length > 0 && reasoning !== '';
      if (!sendsReasoning && message.content.some((part) => part.type === 'reasoning')) {
        warnings.push({ type: 'dropped-setting', setting: 'reasoning', message: 'Earlier reasoning blocks cannot be sent to an OpenAI-style provider; they were left out' });
      }
      return {
        role: 'assistant',
        content: text === '' && toolCalls.length > 0 ? null : text,
        ...(sendsReasoning ? { reasoning_content: reasoning } : {}),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        ...(message.name ? { name: message.name } : {}),
      };
    }
    case 'tool': {
      if (message.content.some((part) => part.type === 'image')) {
        warnings.push({ type: 'dropped-setting', setting: 'tool_result.image', message: 'OpenAI tool messages take text only; images in a tool result were left out' });
      }
      if (message.isError) {
        warnings.push({ type: 'dropped-setting', setting: 'tool_result.is_error', message: 'OpenAI tool messages have no error flag; the result was sent as plain content' });
      }
      const text = message.content.flatMap((part) => (part.type === 'text' ? [part] : []));
      return { role: 'tool', tool_call_id: message.toolCallId, content: textContent(text) };
    }
    default: {
      const exhaustive: never = message;
      return exhaustive;
    }
  }
}

function convertUserPart(part: TextPart | ImagePart | FilePart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return imageUrlPart(part);
    case 'file': {
      const audioFormat = audioFormats[part.mediaType];
      if (audioFormat && part.data) return { type: 'input_audio', input_audio: { data: part.data, format: audioFormat } };
      return {
        type: 'file',
        file: {
          ...(part.data ? { file_data: `data:${part.mediaType};base64,${part.data}` } : {}),
          ...(part.fileId ? { file_id: part.fileId } : {}),
          ...(part.filename ? { filename: part.filename } : {}),
        },
      };
    }
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

/** OpenAI `input_audio.format` by media type. */
const audioFormats: Record<string, string> = { 'audio/wav': 'wav', 'audio/mpeg': 'mp3', 'audio/mp3': 'mp3' };
