import type { ChatMessage, ChatRequest, FilePart, ImagePart, TextPart } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
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
   * does not define ("Additional properties are not allowed"), and DeepSeek's reasoning guide
   * (api-docs.deepseek.com/guides/reasoning_model) answers 400 when it is sent back. `drop`
   * leaves it out of a relayed body, with a warning; other servers get the body as it came.
   */
  reasoningInHistory?: 'drop';
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
  const body: Record<string, unknown> = native ? relayedBody(native.body, model, dialect, warnings) : buildBody(request, model, dialect, warnings);
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
  const bytes = native?.source && warnings.length === 0 ? relayedBytes(native, model, request.stream, usageChunkInternal) : undefined;
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
  if (dialect.reasoningInHistory !== 'drop' || !Array.isArray(body.messages)) return body;
  const messages = body.messages as unknown[];
  if (!messages.some(hasReasoningContent)) return body;
  body.messages = messages.map((message) => {
    if (!hasReasoningContent(message)) return message;
    const { reasoning_content: _dropped, ...rest } = message;
    return rest;
  });
  warnings.push({ type: 'dropped-setting', setting: 'reasoning_content', message: 'This provider refuses reasoning_content in earlier assistant messages; it was left out' });
  return body;
}

function hasReasoningContent(message: unknown): message is Record<string, unknown> & { reasoning_content: unknown } {
  return typeof message === 'object' && message !== null && 'reasoning_content' in message;
}

function buildBody(request: ChatRequest, model: string, dialect: OpenAIRequestDialect, warnings: Warning[]): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: request.messages.map((message) => convertMessage(message, warnings)) };
  if (request.tools?.length) body.tools = convertTools(request.tools);
  if (request.toolChoice !== undefined) body.tool_choice = convertToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) body.response_format = convertResponseFormat(request.responseFormat);
  if (request.maxOutputTokens !== undefined) body[dialect.maxTokensField] = request.maxOutputTokens;
  setIfDefined(body, 'temperature', request.temperature);
  setIfDefined(body, 'top_p', request.topP);
  if (request.stop?.length) body.stop = request.stop;
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

function convertMessage(message: ChatMessage, warnings: Warning[]): Record<string, unknown> {
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
      if (message.content.some((part) => part.type === 'reasoning')) {
        warnings.push({ type: 'dropped-setting', setting: 'reasoning', message: 'Earlier reasoning blocks cannot be sent to an OpenAI-style provider; they were left out' });
      }
      return {
        role: 'assistant',
        content: text === '' && toolCalls.length > 0 ? null : text,
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
