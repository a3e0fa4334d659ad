import { z } from 'zod';
import { modelName } from '../model-name.ts';
import { chatRequestSchema } from '../openai/chat-request-schema.ts';

/**
 * The Anthropic Messages request as Switchboard validates it, from
 * ../shared/specs/anthropic/openapi.json (CreateMessageParams, InputMessage, the Request*Block
 * schemas, Tool, ToolChoice, ThinkingConfigParam, Metadata). What Switchboard reads is checked
 * strictly (types, ranges, roles, block types per role); block objects and the top level are
 * loose, because fields we do not model (cache_control, citations, …) are relayed
 * unchanged to Anthropic-backed models through `native`. Like Anthropic, optional parameters
 * are absent or set: null is not a value. Arrays have caps, checked before any element is read
 * (src/api/validation.ts): Anthropic's documented 100,000 messages per request, else far above
 * any real request.
 */

const maxMessages = 100_000;
const maxBlocks = 10_000;
const maxTools = 1_000;
const maxStopSequences = 1_000;

/** Anthropic's id pattern for tool_use.id and tool_result.tool_use_id (RequestToolUseBlock). */
const toolIdPattern = /^[a-zA-Z0-9_-]+$/;

/** RequestTextBlock: `text` has minLength 1 (Anthropic rejects empty text blocks). */
const text = z.object({ type: z.literal('text'), text: z.string().min(1, 'text content blocks must be non-empty') }).loose();

/** Base64ImageSource / URLImageSource. */
const imageSource = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('base64'),
        media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
        data: z.string().min(1),
      })
      .loose(),
    z.object({ type: z.literal('url'), url: z.string().min(1) }).loose(),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? "image source type must be 'base64' or 'url'" : undefined) },
);
const image = z.object({ type: z.literal('image'), source: imageSource }).loose();

/**
 * RequestDocumentBlock, base64 PDF source only: the plain-text, content and URL sources
 * (PlainTextSource, ContentBlockSource, URLPDFSource) have no equivalent in other providers' APIs.
 */
const document = z
  .object({
    type: z.literal('document'),
    source: z
      .object({
        type: z.literal('base64', { error: "only base64 PDF document sources are supported (source.type 'base64')" }),
        media_type: z.literal('application/pdf'),
        data: z.string().min(1),
      })
      .loose(),
  })
  .loose();

const toolResult = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string().regex(toolIdPattern, 'must match ^[a-zA-Z0-9_-]+$'),
    content: z
      .union([
        z.string(),
        z
          .array(
            z.discriminatedUnion('type', [text, image], {
              error: (issue) => (issue.code === 'invalid_union' ? 'tool_result content blocks must be text or image' : undefined),
            }),
          )
          .max(maxBlocks),
      ])
      .optional(),
    is_error: z.boolean().optional(),
  })
  .loose();

const toolUse = z
  .object({
    type: z.literal('tool_use'),
    id: z.string().regex(toolIdPattern, 'must match ^[a-zA-Z0-9_-]+$'),
    name: z.string().min(1).max(200),
    input: z.record(z.string(), z.unknown()),
  })
  .loose();

const thinking = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() }).loose();
const redactedThinking = z.object({ type: z.literal('redacted_thinking'), data: z.string() }).loose();

const userBlock = z.discriminatedUnion('type', [text, image, document, toolResult], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'user content blocks must be text, image, document or tool_result (other block types are not supported)' : undefined,
});
const assistantBlock = z.discriminatedUnion('type', [text, toolUse, thinking, redactedThinking], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'assistant content blocks must be text, tool_use, thinking or redacted_thinking (server tool blocks are not supported)'
      : undefined,
});

const userMessage = z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(userBlock).max(maxBlocks)]) }).loose();
const assistantMessage = z.object({ role: z.literal('assistant'), content: z.union([z.string(), z.array(assistantBlock).max(maxBlocks)]) }).loose();

/**
 * API version 2026-10-21 (the @anthropic-ai/sdk 1.x default) also takes system instructions as
 * `role: "system"` messages (the SDK's SystemMessageParam), besides the top-level `system`.
 */
const systemMessage = z.object({ role: z.literal('system'), content: z.union([z.string(), z.array(text).max(maxBlocks)]) }).loose();

const messageSchema = z.discriminatedUnion('role', [userMessage, assistantMessage, systemMessage], {
  error: (issue) => (issue.code === 'invalid_union' ? "role must be 'user', 'assistant' or 'system'" : undefined),
});

/**
 * Tool (custom tools). Anthropic's server tools (bash, code execution, web search, text editor,
 * memory, …) run on Anthropic's side and have no equivalent elsewhere, so their `type` is refused.
 */
const toolSchema = z
  .object({
    type: z
      .literal('custom', {
        error: 'only custom tools (name, description, input_schema) are supported; Anthropic server tools cannot be routed to other providers',
      })
      .optional(),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, "_" or "-"'),
    description: z.string().optional(),
    input_schema: z.object({ type: z.literal('object') }).loose(),
    strict: z.boolean().optional(),
  })
  .loose();

const toolChoiceSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }).loose(),
    z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }).loose(),
    z.object({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }).loose(),
    z.object({ type: z.literal('none') }).loose(),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? "tool_choice.type must be 'auto', 'any', 'tool' or 'none'" : undefined) },
);

/** ThinkingConfigEnabled (budget_tokens ≥ 1024), ThinkingConfigDisabled, ThinkingConfigAdaptive. */
const thinkingSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) }).loose(),
    z.object({ type: z.literal('disabled') }).loose(),
    z.object({ type: z.literal('adaptive') }).loose(),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? "thinking.type must be 'enabled', 'disabled' or 'adaptive'" : undefined) },
);

/**
 * OutputConfig: `format` (JsonOutputFormat) and `effort` (EffortLevel: low, medium, high, xhigh,
 * max, each one of OpenAI's ReasoningEffort values too) are read.
 */
const outputConfigSchema = z
  .object({
    format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).loose().nullish(),
    effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  })
  .loose();

const required = (issue: { input?: unknown }) => (issue.input === undefined ? 'Field required' : undefined);

export const messagesRequestSchema = z
  .object({
    model: modelName(z.string({ error: required }).min(1, 'Field required')),
    // The spec allows 0 (a prompt-cache pre-warm, an Anthropic-only feature): refused, because a
    // route may send the request to a provider that gives 0 no meaning
    // (docs/decisions/0009-request-field-policy.md).
    max_tokens: z.number({ error: required }).int().min(1, 'max_tokens must be at least 1'),
    messages: z.array(messageSchema, { error: required }).min(1, 'at least one message is required').max(maxMessages),
    system: z.union([z.string(), z.array(text).max(maxBlocks)]).optional(),
    tools: z.array(toolSchema).max(maxTools).optional(),
    tool_choice: toolChoiceSchema.optional(),
    stop_sequences: z.array(z.string()).max(maxStopSequences).optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    stream: z.boolean().optional(),
    // Anthropic's Metadata has user_id alone (additionalProperties: false). Other keys, string
    // values, are Switchboard's routing metadata (../shared/SPEC.md "Routing hints"), taken out
    // before the body goes to an Anthropic model.
    metadata: z
      .object({ user_id: z.string().max(512).nullish() })
      .catchall(z.string())
      .optional(),
    thinking: thinkingSchema.optional(),
    output_config: outputConfigSchema.optional(),
    // BetaCreateMessageParams.output_format: deprecated for output_config.format, the same schema.
    output_format: outputConfigSchema.shape.format,
    // CreateMessageParams.service_tier: `enum: ["auto", "standard_only"]` (the same in
    // BetaCreateMessageParams and in @anthropic-ai/sdk 1.x); relayed, never read.
    service_tier: z.enum(['auto', 'standard_only']).optional(),
    // OpenRouter's routing hints (../shared/SPEC.md "Routing hints"), same shape as on /v1/chat/completions.
    models: chatRequestSchema.shape.models,
    provider: chatRequestSchema.shape.provider,
  })
  .loose();

/** The same body without max_tokens, as /v1/messages/count_tokens takes it (CountMessageTokensParams). */
export const countTokensRequestSchema = messagesRequestSchema.extend({ max_tokens: z.number().int().min(0).optional() });

export type AnthropicMessagesBody = z.infer<typeof messagesRequestSchema>;
export type AnthropicMessage = z.infer<typeof messageSchema>;
export type AnthropicUserBlock = z.infer<typeof userBlock>;
export type AnthropicAssistantBlock = z.infer<typeof assistantBlock>;
