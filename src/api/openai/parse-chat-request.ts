import type { CacheBreakpoint, ChatMessage, ChatRequest, FilePart, ImagePart, TextPart } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { checkFieldNames } from '../field-names.ts';
import { checkMetadataLimits } from '../metadata-limits.ts';
import { parseBody, parseField, quote, shorten } from '../validation.ts';
import { chatRequestSchema, type OpenAIChatRequestBody, type OpenAIMessage, relayedChatFields } from './chat-request-schema.ts';
import { chatFieldPolicy } from './request-fields.ts';
import { routingHints } from './routing-hints.ts';

/** Body fields that are routing hints: read by the router, never sent to a provider. */
const hintFields = ['metadata', 'models', 'provider'] as const;

/**
 * OpenAI Chat Completions body → ChatRequest, or a 400 GatewayError naming the field at fault
 * (checked before any provider is called). `metadata` holds the header's routing metadata,
 * which the body's `metadata` extends. `bodyBytes`: the bytes `body` was parsed from, kept for
 * relaying them (`native.source`).
 */
export function parseChatRequest(given: unknown, headerMetadata: Record<string, string>, givenBytes?: Uint8Array): ChatRequest {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The request body must be a JSON object.');
  }
  const body = primaryFromModels(given as Record<string, unknown>);
  // The caller's bytes have no `model` to replace then: the provider gets the body serialized.
  const bodyBytes = body === given ? givenBytes : undefined;
  checkFieldNames(body as Record<string, unknown>, chatFieldPolicy);
  const request = parseBody(chatRequestSchema, body);
  checkRelayedFields(body as Record<string, unknown>);
  checkConsistency(request);
  checkMetadataLimits(request.metadata, 'metadata');

  const native: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of hintFields) delete native[field];

  const stop = request.stop == null ? undefined : typeof request.stop === 'string' ? [request.stop] : request.stop;
  const toolChoice = request.tool_choice;
  // The required fields first, then each optional one assigned when present, not spread in one
  // by one from small objects: 20 conditional spreads cost more than the rest of the conversion
  // (docs/performance.md, eleventh session).
  const breakpoints: Breakpoints = { used: undefined, ttl: breakpointTtl(body as Record<string, unknown>) };
  const converted: ChatRequest = {
    model: request.model,
    messages: request.messages.map((message) => convertMessage(message, breakpoints)),
    stream: request.stream === true,
    includeUsage: request.stream === true && request.stream_options?.include_usage === true,
    metadata: Object.assign({}, headerMetadata, request.metadata),
    hints: routingHints(request),
  };
  if (request.tools?.length) converted.tools = request.tools.map(convertTool);
  if (toolChoice != null) converted.toolChoice = typeof toolChoice === 'string' ? toolChoice : { type: 'tool', name: toolChoice.function.name };
  if (request.parallel_tool_calls != null) converted.parallelToolCalls = request.parallel_tool_calls;
  if (request.response_format) converted.responseFormat = convertResponseFormat(request.response_format);
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxOutputTokens != null) converted.maxOutputTokens = maxOutputTokens;
  if (request.temperature != null) converted.temperature = request.temperature;
  if (request.top_p != null) converted.topP = request.top_p;
  if (request.top_k != null) converted.topK = request.top_k;
  if (stop?.length) converted.stop = stop;
  if (request.seed != null) converted.seed = request.seed;
  if (request.n != null) converted.n = request.n;
  if (request.presence_penalty != null) converted.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) converted.frequencyPenalty = request.frequency_penalty;
  if (request.logprobs != null) converted.logprobs = request.logprobs;
  if (request.top_logprobs != null) converted.topLogprobs = request.top_logprobs;
  if (request.user != null) converted.user = request.user;
  if (request.reasoning_effort != null) converted.reasoningEffort = request.reasoning_effort;
  converted.native = { format: 'openai-chat', body: native };
  // Relayed as they are to a provider of this format; another says so if it cannot take them.
  const nativeOnly: string[] = breakpoints.used ? [...breakpoints.used] : [];
  // A system or developer message's `name` (openapi.yaml ChatCompletionRequestSystemMessage): the
  // typed system message has none, so only a provider of this format gets it.
  request.messages.forEach((message, index) => {
    if ((message.role === 'system' || message.role === 'developer') && message.name) nativeOnly.push(`messages[${index}].name`);
  });
  if (nativeOnly.length > 0) converted.native.nativeOnly = nativeOnly;
  if (bodyBytes) converted.native.source = { of: native, bytes: bodyBytes, omit: hintFields };
  return converted;
}

/**
 * OpenRouter's `models` without a `model`: the first is the model asked for, the rest its
 * fallbacks, as OpenRouter takes such a body (openrouter.ai/docs, model fallbacks). It was a 400
 * "you must provide a model parameter" (an outside probe).
 */
function primaryFromModels(body: Record<string, unknown>): Record<string, unknown> {
  const models = body.models;
  if (body.model !== undefined || !Array.isArray(models) || typeof models[0] !== 'string') return body;
  return { ...body, model: models[0], models: models.slice(1) };
}

/** An OpenAI function tool → a ChatRequest tool. */
function convertTool(tool: NonNullable<OpenAIChatRequestBody['tools']>[number]): NonNullable<ChatRequest['tools']>[number] {
  const converted: NonNullable<ChatRequest['tools']>[number] = { name: tool.function.name, parameters: tool.function.parameters ?? { type: 'object', properties: {} } };
  if (tool.function.description !== undefined) converted.description = tool.function.description;
  if (tool.function.strict != null) converted.strict = tool.function.strict;
  return converted;
}

/** The fields Switchboard relays without reading, each checked against its type when present. */
function checkRelayedFields(body: Record<string, unknown>): void {
  if (!hasRelayedField(body)) return;
  for (const name in body) {
    const schema = relayedChatFields.get(name);
    if (schema !== undefined && Object.hasOwn(body, name)) parseField(schema, name, body[name]);
  }
}

/**
 * Whether the body has any of relayedChatFields' names (a test checks that the two lists agree).
 * Most bodies have none: 15 property reads say so in about 6 ns, where walking the body's keys took
 * 40-60 ns alone and added 150-250 ns to a small request's parseChatRequest (about 1.7 µs).
 */
function hasRelayedField(body: Record<string, unknown>): boolean {
  return (
    body.safety_identifier !== undefined ||
    body.prompt_cache_key !== undefined ||
    body.prompt_cache_retention !== undefined ||
    body.prompt_cache_options !== undefined ||
    body.verbosity !== undefined ||
    body.service_tier !== undefined ||
    body.modalities !== undefined ||
    body.audio !== undefined ||
    body.prediction !== undefined ||
    body.store !== undefined ||
    body.logit_bias !== undefined ||
    body.web_search_options !== undefined ||
    body.moderation !== undefined ||
    body.functions !== undefined ||
    body.function_call !== undefined
  );
}

/** Cross-field rules OpenAI itself enforces, so a bad request is refused here, not upstream. */
function checkConsistency(request: OpenAIChatRequestBody): void {
  const invalid = (message: string, param: string) => new GatewayError('SB_ERR_INVALID_REQUEST', message, { param });
  if (request.stream_options != null && request.stream !== true) {
    throw invalid('The stream_options parameter is only allowed when stream is true.', 'stream_options');
  }
  if (request.top_logprobs != null && request.logprobs !== true) {
    throw invalid('logprobs must be set to true when top_logprobs is used.', 'top_logprobs');
  }
  const toolNames = new Set((request.tools ?? []).map((tool) => tool.function.name));
  const choice = request.tool_choice;
  if (choice != null && choice !== 'none' && choice !== 'auto' && toolNames.size === 0) {
    throw invalid('tool_choice is only allowed when tools are specified.', 'tool_choice');
  }
  if (choice != null && typeof choice === 'object' && !toolNames.has(choice.function.name)) {
    throw invalid(`tool_choice names the function ${quote(choice.function.name)}, which is not in tools.`, 'tool_choice');
  }
  checkToolPairing(request.messages);
}

/**
 * Every tool message must answer a tool call of an earlier assistant message, and every tool
 * call must be answered before the next non-tool message (OpenAI rejects both, and providers
 * such as Anthropic reject a tool_result without its tool_use).
 */
function checkToolPairing(messages: readonly OpenAIMessage[]): void {
  let open = new Set<string>();
  let openSince = -1;
  messages.forEach((message, index) => {
    if (message.role === 'tool') {
      if (!open.delete(message.tool_call_id)) {
        throw new GatewayError(
          'SB_ERR_INVALID_REQUEST',
          `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id ${quote(message.tool_call_id)} at messages[${index}] matches none).`,
          { param: `messages[${index}].tool_call_id` },
        );
      }
      return;
    }
    if (open.size > 0) {
      throw new GatewayError(
        'SB_ERR_INVALID_REQUEST',
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${quoteList(open)} (messages[${openSince}]).`,
        { param: `messages[${openSince}]` },
      );
    }
    if (message.role === 'assistant' && message.tool_calls?.length) {
      open = new Set(message.tool_calls.map((call) => call.id));
      openSince = index;
    }
  });
}

/** The first few ids of a set, quoted: a message never echoes an unbounded list. */
function quoteList(ids: ReadonlySet<string>): string {
  const shown = [...ids].slice(0, 5).map(shorten).join(', ');
  return ids.size > 5 ? `${shown} and ${ids.size - 5} more` : shown;
}

function convertMessage(message: OpenAIMessage, breakpoints: Breakpoints): ChatMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: toTextParts(message.content, breakpoints), ...(message.role === 'developer' ? { developer: true } : {}) };
    case 'user':
      return {
        role: 'user',
        content: typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content.map((part) => convertUserPart(part, breakpoints)),
        ...(message.name ? { name: message.name } : {}),
      };
    case 'assistant': {
      const content: Extract<ChatMessage, { role: 'assistant' }>['content'] = [];
      if (message.reasoning_content) content.push({ type: 'reasoning', text: message.reasoning_content });
      // An earlier refusal (openapi.yaml ChatCompletionRequestAssistantMessage: `refusal`, or a
      // content part of type `refusal`) is what the assistant said: text to providers without one.
      if (typeof message.content === 'string') {
        if (message.content !== '') content.push({ type: 'text', text: message.content });
      } else {
        for (const part of message.content ?? []) {
          if (part.type === 'text') content.push(toTextPart(part, breakpoints));
          else if (part.refusal !== '') content.push({ type: 'text', text: part.refusal });
        }
      }
      if (message.refusal) content.push({ type: 'text', text: message.refusal });
      for (const call of message.tool_calls ?? []) {
        content.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: call.function.arguments });
      }
      return { role: 'assistant', content, ...(message.name ? { name: message.name } : {}) };
    }
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: toTextParts(message.content, breakpoints) };
    default: {
      const exhaustive: never = message;
      return exhaustive;
    }
  }
}

/** The prompt-caching breakpoints of a request: which field marked them, and the TTL they take. */
interface Breakpoints {
  used: Set<'prompt_cache_breakpoint' | 'cache_control'> | undefined;
  ttl: number | undefined;
}

type TextPartBody = { text: string; prompt_cache_breakpoint?: unknown; cache_control?: { ttl?: '5m' | '1h' } | undefined };

/**
 * A breakpoint "inherits its TTL from the request's `prompt_cache_options.ttl`" (openapi.yaml
 * `PromptCacheBreakpointParam`), whose only value is `30m`: asked for explicitly, it is the
 * least lifetime a translated breakpoint gets; absent, the provider's default applies.
 */
function breakpointTtl(body: Record<string, unknown>): number | undefined {
  const options = body.prompt_cache_options as { ttl?: string } | undefined;
  return options?.ttl === '30m' ? 1_800 : undefined;
}

function toTextParts(content: string | TextPartBody[], breakpoints: Breakpoints): TextPart[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((part) => toTextPart(part, breakpoints));
}

function toTextPart(part: TextPartBody, breakpoints: Breakpoints): TextPart {
  const converted: TextPart = { type: 'text', text: part.text };
  if (part.prompt_cache_breakpoint === undefined && part.cache_control === undefined) return converted;
  const mark: CacheBreakpoint = {};
  // cache_control carries its own TTL (Anthropic's default, 5 minutes, when it names none).
  const asked = part.cache_control !== undefined ? (part.cache_control.ttl === '1h' ? 3_600 : undefined) : breakpoints.ttl;
  if (asked !== undefined) mark.minTtlSeconds = asked;
  converted.cacheBreakpoint = mark;
  (breakpoints.used ??= new Set()).add(part.cache_control !== undefined ? 'cache_control' : 'prompt_cache_breakpoint');
  return converted;
}

type UserPartBody = Exclude<Extract<OpenAIMessage, { role: 'user' }>['content'], string>[number];

function convertUserPart(part: UserPartBody, breakpoints: Breakpoints): TextPart | ImagePart | FilePart {
  switch (part.type) {
    case 'text':
      return toTextPart(part, breakpoints);
    case 'image_url':
      return { type: 'image', url: part.image_url.url, ...(part.image_url.detail ? { detail: part.image_url.detail } : {}) };
    case 'input_audio':
      return { type: 'file', mediaType: part.input_audio.format === 'mp3' ? 'audio/mpeg' : 'audio/wav', data: part.input_audio.data };
    case 'file': {
      const dataUrl = part.file.file_data ? /^data:([^;,]+)(?:;[^,]*)?,(.*)$/s.exec(part.file.file_data) : null;
      return {
        type: 'file',
        mediaType: dataUrl?.[1] ?? 'application/pdf',
        ...(dataUrl ? { data: dataUrl[2] } : part.file.file_data ? { data: part.file.file_data } : {}),
        ...(part.file.file_id ? { fileId: part.file.file_id } : {}),
        ...(part.file.filename ? { filename: part.file.filename } : {}),
      };
    }
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

function convertResponseFormat(format: NonNullable<OpenAIChatRequestBody['response_format']>): NonNullable<ChatRequest['responseFormat']> {
  if (format.type !== 'json_schema') return { type: format.type };
  const schema = format.json_schema;
  return {
    type: 'json_schema',
    name: schema.name,
    schema: schema.schema ?? {},
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    ...(schema.strict != null ? { strict: schema.strict } : {}),
  };
}

