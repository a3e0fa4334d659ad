import { z } from 'zod';
import { modelName } from '../model-name.ts';

/**
 * The OpenAI Chat Completions request as Switchboard validates it, from
 * ../shared/specs/openai/openapi.yaml (CreateChatCompletionRequest and the
 * ChatCompletionRequest*Message schemas). Fields Switchboard reads are checked strictly (types,
 * ranges, roles, part types); the top level is loose, because fields we do not model are relayed
 * unchanged to OpenAI-style providers (request-fields.ts refuses near misses of known ones).
 * Every top-level field of CreateChatCompletionRequest has its type here (in chatRequestSchema, or
 * in relayedChatFields for those Switchboard does not read), so a wrong type is a 400 naming the
 * field before routing, rather than the provider's 400 after an attempt (or, for a provider the
 * request is translated for, a value dropped without a word). Optional parameters accept null
 * where the spec says so (`nullable: true`, or `anyOf` with `type: "null"`); `tools`,
 * `tool_choice`, `parallel_tool_calls`, `response_format`, `user`, `functions`, `function_call`,
 * `web_search_options` and `prompt_cache_options` are not nullable there, so null is refused.
 * Content arrays are non-empty (`minItems: 1` in the spec). Every array has a cap, which zod
 * checks before it reads an element, so a huge array costs nothing to refuse
 * (src/api/validation.ts); caps are provider limits where a provider documents one (128 tools, 4
 * stop sequences), else far above any real request.
 */

/** Caps of arrays no provider documents a limit for. */
const maxMessages = 100_000;
const maxParts = 10_000;
const maxToolCalls = 1_000;
const maxNames = 100;
const maxModalities = 100;

/**
 * Function names (FunctionObject.name and ChatCompletionFunctions.name in the spec): "Must be a-z,
 * A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."
 */
const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

/**
 * A text part may mark a prompt-caching breakpoint: `prompt_cache_breakpoint` (openapi.yaml
 * `PromptCacheBreakpointParam`), or Anthropic's `cache_control` (`CacheControlEphemeral` in
 * ../shared/specs/anthropic/openapi.json) as OpenRouter and LiteLLM take it in this format.
 */
const text = z
  .object({
    type: z.literal('text'),
    text: z.string(),
    prompt_cache_breakpoint: z.object({ mode: z.literal('explicit') }).optional(),
    cache_control: z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).optional(),
  })
  .loose();
const image = z
  .object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }).loose(),
  })
  .loose();
const audio = z
  .object({ type: z.literal('input_audio'), input_audio: z.object({ data: z.string(), format: z.enum(['wav', 'mp3']) }).loose() })
  .loose();
const file = z
  .object({
    type: z.literal('file'),
    file: z.object({ file_data: z.string().optional(), file_id: z.string().optional(), filename: z.string().optional() }).loose(),
  })
  .loose();
const refusal = z.object({ type: z.literal('refusal'), refusal: z.string() }).loose();

const textContent = z.union([z.string(), z.array(text).min(1, 'content arrays must not be empty').max(maxParts)]);

const toolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).loose(),
  })
  .loose();

const systemMessage = z.object({ role: z.enum(['system', 'developer']), content: textContent, name: z.string().optional() }).loose();
const userMessage = z
  .object({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [text, image, audio, file])).min(1, 'content arrays must not be empty').max(maxParts)]),
    name: z.string().optional(),
  })
  .loose();
const assistantMessage = z
  .object({
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [text, refusal])).min(1, 'content arrays must not be empty').max(maxParts)]).nullish(),
    refusal: z.string().nullish(),
    tool_calls: z.array(toolCall).max(maxToolCalls).nullish(),
    name: z.string().optional(),
    reasoning_content: z.string().nullish(),
  })
  .loose();
const toolMessage = z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) }).loose();

export const messageSchema = z.discriminatedUnion('role', [systemMessage, userMessage, assistantMessage, toolMessage], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'role must be one of system, developer, user, assistant, tool' : undefined,
});

const toolSchema = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: functionName,
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      })
      .loose(),
  })
  .loose();

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }).loose() }).loose(),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).loose(),
  z.object({ type: z.literal('json_object') }).loose(),
  z
    .object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({
          name: functionName,
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .loose(),
    })
    .loose(),
]);

const positiveInteger = z.number().int().positive();

/** `functions` (deprecated in favor of `tools`): ChatCompletionFunctions, `minItems: 1`, `maxItems: 128`. */
const functionsSchema = z
  .array(z.object({ name: functionName, description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }).loose())
  .min(1, 'functions must not be empty')
  .max(128);

/** `function_call` (deprecated in favor of `tool_choice`): `none`, `auto` or ChatCompletionFunctionCallOption. */
const functionCallSchema = z.union([z.enum(['none', 'auto']), z.object({ name: z.string() }).loose()]);

/**
 * `audio`: "Parameters for audio output", `voice` and `format` required. The voice is a name
 * (VoiceIdsShared: any string) or a custom voice `{ id }` (`additionalProperties: false`).
 */
const audioOutputSchema = z
  .object({
    voice: z.union([z.string(), z.strictObject({ id: z.string() })]),
    format: z.enum(['wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16']),
  })
  .loose();

/** `prediction`: PredictionContent, `type: "content"` and a string or non-empty array of text parts. */
const predictionSchema = z
  .object({
    type: z.literal('content'),
    content: z.union([z.string(), z.array(text).min(1, 'content arrays must not be empty').max(maxParts)]),
  })
  .loose();

/** `web_search_options`: an optional approximate user location (nullable) and WebSearchContextSize. */
const webSearchOptionsSchema = z
  .object({
    user_location: z
      .object({
        type: z.literal('approximate'),
        approximate: z
          .object({ country: z.string().optional(), region: z.string().optional(), city: z.string().optional(), timezone: z.string().optional() })
          .loose(),
      })
      .loose()
      .nullish(),
    search_context_size: z.enum(['low', 'medium', 'high']).optional(),
  })
  .loose();

/**
 * ReasoningEffort: "Currently supported values are `none`, `minimal`, `low`, `medium`, `high`,
 * `xhigh`, and `max`". Also `default`, which Groq takes for its Qwen 3 models (Groq's API
 * reference): an OpenAI-compatible server's value, relayed like the extension fields of such
 * servers (docs/decisions/0009-request-field-policy.md).
 */
const reasoningEffortSchema = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'default']);

/** Routing hints (../shared/SPEC.md "Routing hints"): read here, never forwarded. */
const providerHintSchema = z
  .object({
    order: z.array(z.string()).max(maxNames).optional(),
    only: z.array(z.string()).max(maxNames).optional(),
    ignore: z.array(z.string()).max(maxNames).optional(),
    sort: z.enum(['price', 'throughput', 'latency']).optional(),
    allow_fallbacks: z.boolean().optional(),
    max_price: z.object({ prompt: z.number().optional(), completion: z.number().optional() }).loose().optional(),
    data_collection: z.enum(['allow', 'deny']).optional(),
  })
  .loose();

export const chatRequestSchema = z
  .object({
    model: modelName(z.string({ error: 'you must provide a model parameter' }).min(1, 'you must provide a model parameter')),
    messages: z.array(messageSchema, { error: (issue) => (issue.code === 'invalid_type' ? 'messages must be an array of message objects' : undefined) }).min(1, 'messages must not be empty').max(maxMessages),
    // OpenAI: "A max of 128 functions are supported" (CreateChatCompletionRequest.tools).
    tools: z.array(toolSchema).max(128).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: responseFormatSchema.optional(),
    max_tokens: positiveInteger.nullish(),
    max_completion_tokens: positiveInteger.nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    top_k: z.number().int().positive().nullish(),
    // StopConfiguration: a string, or an array with `minItems: 1`, `maxItems: 4`; nullable.
    stop: z.union([z.string(), z.array(z.string()).min(1, 'stop arrays must not be empty').max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.number().int().min(1).max(128).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    user: z.string().optional(),
    reasoning_effort: reasoningEffortSchema.nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).loose().nullish(),
    metadata: z.record(z.string(), z.string({ error: 'metadata values must be strings' })).nullish(),
    models: z.array(modelName(z.string())).max(maxNames).nullish(),
    provider: providerHintSchema.nullish(),
  })
  .loose();

/**
 * The fields of CreateChatCompletionRequest that Switchboard relays without reading, each with its
 * type in the spec. They are checked only when the body has one (parse-chat-request.ts): as keys
 * of chatRequestSchema's shape, the compiled parser checked all 15 on every request, present or
 * not, which made a small request's parseChatRequest about 17% slower (1.6 to 1.9 µs).
 */
export const relayedChatFields: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['safety_identifier', z.string().max(64).nullable()],
  ['prompt_cache_key', z.string().nullable()],
  ['prompt_cache_retention', z.enum(['in_memory', '24h']).nullable()],
  // PromptCacheOptionsParam: not nullable.
  ['prompt_cache_options', z.object({ ttl: z.enum(['30m']).optional(), mode: z.enum(['implicit', 'explicit']).optional() }).loose()],
  ['verbosity', z.enum(['low', 'medium', 'high']).nullable()],
  // ServiceTier: auto, default, flex, scale, priority, fast, or null. Also Groq's `on_demand` and
  // `performance` (console.groq.com/docs/service-tiers), as for reasoning_effort's `default`.
  ['service_tier', z.enum(['auto', 'default', 'flex', 'scale', 'priority', 'fast', 'on_demand', 'performance']).nullable()],
  // ResponseModalities: an array of `text` / `audio`, or null; no maxItems (the cap is ours).
  ['modalities', z.array(z.enum(['text', 'audio'])).max(maxModalities).nullable()],
  ['audio', audioOutputSchema.nullable()],
  ['prediction', predictionSchema.nullable()],
  ['store', z.boolean().nullable()],
  // "maps tokens (specified by their token ID in the tokenizer) to an associated bias value from
  // -100 to 100" (`additionalProperties: type: integer`, nullable).
  ['logit_bias', z.record(z.string(), z.number().int().min(-100).max(100)).nullable()],
  ['web_search_options', webSearchOptionsSchema],
  // ModerationParam (`model` required), or null.
  ['moderation', z.object({ model: z.string() }).loose().nullable()],
  ['functions', functionsSchema],
  ['function_call', functionCallSchema],
]);

export type OpenAIChatRequestBody = z.infer<typeof chatRequestSchema>;
export type OpenAIMessage = z.infer<typeof messageSchema>;
