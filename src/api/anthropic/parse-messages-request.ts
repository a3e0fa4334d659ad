import type {
  AssistantMessage,
  ChatMessage,
  ChatRequest,
  FilePart,
  ImagePart,
  TextPart,
  ToolMessage,
  UserMessage,
} from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { checkFieldNames } from '../field-names.ts';
import { checkMetadataLimits } from '../metadata-limits.ts';
import { parseBody, quote, shorten } from '../validation.ts';
import { breakpointOf, cacheMarkSettings, markedText, markLastText } from './cache-marks.ts';
import {
  countTokensRequestSchema,
  messagesRequestSchema,
  type AnthropicAssistantBlock,
  type AnthropicMessage,
  type AnthropicMessagesBody,
  type AnthropicUserBlock,
} from './messages-request-schema.ts';
import { messagesFieldPolicy } from './request-fields.ts';
import { routingHints } from '../openai/routing-hints.ts';

/** Body fields that are routing hints: read by the router, never sent to a provider. */
const hintFields = ['models', 'provider'] as const;

/**
 * Anthropic Messages body → ChatRequest, or a 400 GatewayError naming the field at fault
 * (checked before any provider is called). Routing metadata comes from the
 * `x-switchboard-metadata` header, extended by the body's `metadata` keys other than Anthropic's
 * own `user_id` (which becomes `user`). The body, routing hints removed (those keys too), is kept
 * as `native` so an Anthropic-backed model receives it otherwise unchanged.
 */
export function parseMessagesRequest(body: unknown, headerMetadata: Record<string, string>): ChatRequest {
  const request = validate(body, messagesRequestSchema);
  checkConsistency(request);
  checkMetadataLimits(request.metadata, 'metadata');
  const native: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of hintFields) delete native[field];
  const routingMetadata = bodyRoutingMetadata(request.metadata);
  if (routingMetadata !== undefined) {
    // Anthropic refuses any key but user_id: the body it gets keeps that one alone.
    if (request.metadata?.user_id === undefined) delete native.metadata;
    else native.metadata = { user_id: request.metadata.user_id };
  }
  // Added to the converted body, not spread into a new literal with them: on Node 20 (V8 11.3)
  // that literal takes a slow path and is freed only by a major collection (docs/performance.md).
  const converted: ChatRequest = Object.assign(convertBody(request), {
    stream: request.stream === true,
    // OpenAI's stream_options.include_usage, which an Anthropic caller cannot ask for: adapters
    // still request usage for the ledger, and message_delta carries it whatever this says.
    includeUsage: false,
    metadata: routingMetadata ? Object.assign({}, headerMetadata, routingMetadata) : { ...headerMetadata },
    hints: routingHints(request),
    native: { format: 'anthropic-messages' as const, body: native },
  });
  if (request.max_tokens !== undefined) converted.maxOutputTokens = request.max_tokens;
  const nativeOnly = anthropicOnlySettings(body as Record<string, unknown>, request);
  if (nativeOnly.length > 0) converted.native!.nativeOnly = nativeOnly;
  return converted;
}

/** The body's metadata keys but `user_id`: routing metadata (undefined when there are none). */
function bodyRoutingMetadata(metadata: AnthropicMessagesBody['metadata']): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  let found: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (key === 'user_id' || typeof value !== 'string') continue;
    (found ??= {})[key] = value;
  }
  return found;
}

/**
 * Top-level fields of a Messages body that the typed request does not carry: Anthropic's own
 * services and controls, which only an Anthropic model receives (in the body relayed to it).
 * Fields Switchboard converts (`output_config`, `output_format`, `thinking`...) are not here;
 * those with no effect on the answer (`user_profile_id`, `workspace_id`, `diagnostics`) neither.
 */
const anthropicOnlyFields = ['mcp_servers', 'container', 'context_management', 'service_tier', 'inference_geo', 'speed', 'compaction', 'fallbacks', 'betas', 'billing_policy'];

/**
 * The Anthropic-only settings a body uses: its fields above, `cache_control` on any block, adaptive
 * thinking (ThinkingConfigAdaptive: no budget, which the typed request carries), a tool's fields
 * other than its definition (openapi.json `Tool`: `input_examples`, `defer_loading`,
 * `eager_input_streaming`, `allowed_callers`) and a document's `citations` and `context`
 * (`RequestDocumentBlock`).
 */
function anthropicOnlySettings(body: Record<string, unknown>, request: AnthropicMessagesBody): string[] {
  const found: string[] = [];
  for (const field of anthropicOnlyFields) if (body[field] !== undefined && body[field] !== null) found.push(field);
  found.push(...cacheMarkSettings(body, request));
  if (request.thinking?.type === 'adaptive') found.push('thinking');
  const extras = new Set<string>();
  for (const tool of request.tools ?? []) {
    for (const [key, value] of Object.entries(tool)) if (!toolDefinitionFields.has(key) && value != null) extras.add(`tools.${key}`);
  }
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type !== 'document') continue;
      for (const key of ['citations', 'context'] as const) if ((block as Record<string, unknown>)[key] != null) extras.add(`document.${key}`);
    }
  }
  found.push(...extras);
  return found;
}

/** The fields of a Tool the typed request carries (`cache_control` is reported on its own). */
const toolDefinitionFields: ReadonlySet<string> = new Set(['type', 'name', 'description', 'input_schema', 'strict', 'cache_control']);

/**
 * A /v1/messages/count_tokens body (CountMessageTokensParams: the Messages body without
 * max_tokens) → the ChatRequest whose prompt is counted.
 */
export function parseCountTokensRequest(body: unknown): ChatRequest {
  const request = validate(body, countTokensRequestSchema);
  checkConsistency(request);
  return Object.assign(convertBody(request), { stream: false, includeUsage: false, metadata: {}, hints: {} });
}

function validate<Schema extends typeof messagesRequestSchema | typeof countTokensRequestSchema>(
  body: unknown,
  schema: Schema,
): AnthropicMessagesBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The request body must be a JSON object.');
  }
  checkFieldNames(body as Record<string, unknown>, messagesFieldPolicy);
  const request = parseBody(schema, body) as AnthropicMessagesBody;
  checkNoThread(body as Record<string, unknown>);
  return request;
}

/**
 * A message thread (`thread`, which @anthropic-ai/sdk 1.x sends from `client.beta.messages.thread()`
 * and its tool runner: resources/beta/messages/messages.ts `thread`) is conversation state held by
 * the server, and a `continue` turn sends only the messages the server lacks. Switchboard holds
 * none and routes each request on its own, to any provider of the route, so it cannot serve one:
 * relayed, a `continue` reached the model without its history (the tool runner's second turn, a
 * lone tool_result, failed). Refused as Anthropic refuses a thread it cannot hold
 * (`ThreadUnsupportedRequestErrorDetails`), on which the SDK's tool runner sends every turn with
 * the full conversation instead (lib/internal/threads/ThreadState.ts `recoversFrom`).
 */
function checkNoThread(body: Record<string, unknown>): void {
  if (body.thread === undefined || body.thread === null) return;
  throw new GatewayError(
    'SB_ERR_INVALID_REQUEST',
    'Message threads are not supported: Switchboard keeps no conversation between requests. Send the full conversation without `thread`.',
    { param: 'thread', publicCode: 'thread_unsupported_request' },
  );
}

type ConvertedBody = Omit<ChatRequest, 'stream' | 'includeUsage' | 'metadata' | 'hints' | 'native'>;

function convertBody(request: AnthropicMessagesBody): ConvertedBody {
  const messages: ChatMessage[] = [];
  const system = typeof request.system === 'string' ? (request.system === '' ? [] : [{ type: 'text' as const, text: request.system }]) : toTextParts(request.system ?? []);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  for (const message of request.messages) messages.push(...convertMessage(message));
  const choice = request.tool_choice;
  const format = request.output_config?.format ?? request.output_format;
  return {
    model: request.model,
    messages,
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => {
            const mark = breakpointOf(tool);
            return {
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              parameters: tool.input_schema,
              ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
              ...(mark ? { cacheBreakpoint: mark } : {}),
            };
          }),
        }
      : {}),
    ...(choice ? { toolChoice: convertToolChoice(choice) } : {}),
    ...(choice && choice.type !== 'none' && choice.disable_parallel_tool_use !== undefined ? { parallelToolCalls: !choice.disable_parallel_tool_use } : {}),
    // JsonOutputFormat has no name; OpenAI-style providers require one.
    ...(format ? { responseFormat: { type: 'json_schema' as const, name: 'output', schema: format.schema } } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { topP: request.top_p } : {}),
    ...(request.top_k !== undefined ? { topK: request.top_k } : {}),
    ...(request.stop_sequences?.length ? { stop: request.stop_sequences } : {}),
    ...(request.metadata?.user_id ? { user: request.metadata.user_id } : {}),
    ...(request.thinking?.type === 'enabled' ? { thinkingBudgetTokens: request.thinking.budget_tokens } : {}),
    // Every EffortLevel is one of OpenAI's ReasoningEffort values (openapi.yaml), under the same name.
    ...(request.output_config?.effort ? { reasoningEffort: request.output_config.effort } : {}),
  };
}

function convertToolChoice(choice: NonNullable<AnthropicMessagesBody['tool_choice']>): NonNullable<ChatRequest['toolChoice']> {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'tool', name: choice.name };
    default: {
      const exhaustive: never = choice;
      return exhaustive;
    }
  }
}

/** Cross-field rules Anthropic itself enforces, so a bad request is refused here, not upstream. */
function checkConsistency(request: AnthropicMessagesBody): void {
  const choice = request.tool_choice;
  const toolNames = new Set((request.tools ?? []).map((tool) => tool.name));
  if (choice && (choice.type === 'any' || choice.type === 'tool') && toolNames.size === 0) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `tool_choice.type '${choice.type}' requires tools to be given.`, { param: 'tool_choice' });
  }
  if (choice?.type === 'tool' && !toolNames.has(choice.name)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `tool_choice names the tool ${quote(choice.name)}, which is not in tools.`, { param: 'tool_choice.name' });
  }
  checkNonEmptyContent(request.messages);
  checkToolPairing(request.messages);
}

/**
 * Anthropic's rule, in its wording: every message has content, except a final assistant message
 * (a prefill the model continues, which may be empty). An empty text block is already refused by
 * the schema; this catches `""` and `[]`.
 */
function checkNonEmptyContent(messages: readonly AnthropicMessage[]): void {
  messages.forEach((message, index) => {
    if (message.content.length > 0 || (message.role === 'assistant' && index === messages.length - 1)) return;
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `messages.${index}: all messages must have non-empty content except for the optional final assistant message`, {
      param: `messages[${index}].content`,
    });
  });
}

/**
 * Anthropic's pairing rule, with its wording: every tool_use of an assistant message is answered
 * by a tool_result in the next message, and every tool_result answers a tool_use of the message
 * just before it. A trailing assistant message with tool_use (nothing after it) is let through,
 * as on /v1/chat/completions.
 */
function checkToolPairing(messages: readonly AnthropicMessage[]): void {
  let open = new Set<string>();
  let openAt = -1;
  messages.forEach((message, index) => {
    const blocks = typeof message.content === 'string' ? [] : message.content;
    if (message.role === 'user') {
      blocks.forEach((block, position) => {
        if (block.type !== 'tool_result') return;
        if (!open.delete(block.tool_use_id)) {
          throw new GatewayError(
            'SB_ERR_INVALID_REQUEST',
            `messages.${index}.content.${position}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${shorten(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
            { param: `messages[${index}].content[${position}].tool_use_id` },
          );
        }
      });
    }
    if (open.size > 0) {
      throw new GatewayError(
        'SB_ERR_INVALID_REQUEST',
        `messages.${openAt}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...open].slice(0, 5).map(shorten).join(', ')}${open.size > 5 ? ` and ${open.size - 5} more` : ''}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        { param: `messages[${openAt}]` },
      );
    }
    open = new Set();
    if (message.role === 'assistant') {
      for (const block of blocks) if (block.type === 'tool_use') open.add(block.id);
      openAt = index;
    }
  });
}

/**
 * One Anthropic message → ChatMessages. A user turn's tool_result blocks become `tool` messages,
 * in order, before a user message with the rest of the turn: OpenAI-style APIs need the tool
 * messages right after the assistant's tool calls.
 */
function convertMessage(message: AnthropicMessage): ChatMessage[] {
  if (message.role === 'system') {
    const content = typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : toTextParts(message.content);
    return [{ role: 'system', content }];
  }
  if (message.role === 'assistant') {
    if (typeof message.content === 'string') return [{ role: 'assistant', content: message.content === '' ? [] : [{ type: 'text', text: message.content }] }];
    return [{ role: 'assistant', content: message.content.map(convertAssistantBlock) }];
  }
  if (typeof message.content === 'string') return [{ role: 'user', content: [{ type: 'text', text: message.content }] }];
  const tools: ToolMessage[] = [];
  const rest: UserMessage['content'] = [];
  for (const block of message.content) {
    if (block.type === 'tool_result') tools.push(convertToolResult(block));
    else rest.push(convertUserBlock(block));
  }
  return rest.length > 0 ? [...tools, { role: 'user', content: rest }] : tools;
}

function convertUserBlock(block: Exclude<AnthropicUserBlock, { type: 'tool_result' }>): TextPart | ImagePart | FilePart {
  switch (block.type) {
    case 'text':
      return markedText(block);
    case 'image':
      return convertImage(block);
    case 'document':
      // The document's title is what OpenAI-style APIs call the file's name (`file.filename`).
      return { type: 'file', mediaType: block.source.media_type, data: block.source.data, ...(typeof block.title === 'string' && block.title !== '' ? { filename: block.title } : {}) };
    default: {
      const exhaustive: never = block;
      return exhaustive;
    }
  }
}

function convertImage(block: Extract<AnthropicUserBlock, { type: 'image' }>): ImagePart {
  const source = block.source;
  return { type: 'image', url: source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url };
}

function convertToolResult(block: Extract<AnthropicUserBlock, { type: 'tool_result' }>): ToolMessage {
  const content = block.content;
  const parts: ToolMessage['content'] =
    content === undefined ? [] : typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((part) => (part.type === 'text' ? markedText(part) : convertImage(part)));
  // A mark on the tool_result block ends the cached prefix after the result: on its last text.
  const mark = breakpointOf(block);
  if (mark) markLastText(parts, mark);
  return { role: 'tool', toolCallId: block.tool_use_id, content: parts, ...(block.is_error !== undefined ? { isError: block.is_error } : {}) };
}

function convertAssistantBlock(block: AnthropicAssistantBlock): AssistantMessage['content'][number] {
  switch (block.type) {
    case 'text':
      return markedText(block);
    case 'tool_use':
      return { type: 'tool-call', id: block.id, name: block.name, arguments: JSON.stringify(block.input) };
    case 'thinking':
      return { type: 'reasoning', text: block.thinking, signature: block.signature };
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redacted: block.data };
    default: {
      const exhaustive: never = block;
      return exhaustive;
    }
  }
}

function toTextParts(blocks: ReadonlyArray<{ text: string }>): TextPart[] {
  return blocks.map(markedText);
}
