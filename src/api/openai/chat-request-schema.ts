import { z } from 'zod';
import { modelName } from '../model-name.ts';

/**
 * The OpenAI Chat Completions request as Switchboard validates it, from
 * ../shared/specs/openai/openapi.yaml (CreateChatCompletionRequest and the
 * ChatCompletionRequest*Message schemas). Fields Switchboard reads are checked strictly (types,
 * ranges, roles, part types); the top level is loose, because fields we do not model are relayed
 * unchanged to OpenAI-style providers (request-fields.ts refuses near misses of known ones).
 * Optional parameters accept null, as OpenAI's do. Content arrays are non-empty (`minItems: 1`
 * in the spec). Every array has a cap, which zod checks before it reads an element, so a huge
 * array costs nothing to refuse (src/api/validation.ts); caps are provider limits where a
 * provider documents one (128 tools, 4 stop sequences), else far above any real request.
 */

/** Caps of arrays no provider documents a limit for. */
const maxMessages = 100_000;
const maxParts = 10_000;
const maxToolCalls = 1_000;
const maxNames = 100;

const text = z.object({ type: z.literal('text'), text: z.string() }).loose();
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
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
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
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .loose(),
    })
    .loose(),
]);

const positiveInteger = z.number().int().positive();

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
    tools: z.array(toolSchema).max(128).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    response_format: responseFormatSchema.nullish(),
    max_tokens: positiveInteger.nullish(),
    max_completion_tokens: positiveInteger.nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    top_k: z.number().int().positive().nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.number().int().min(1).max(128).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    user: z.string().nullish(),
    reasoning_effort: z.string().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    metadata: z.record(z.string(), z.string({ error: 'metadata values must be strings' })).nullish(),
    models: z.array(modelName(z.string())).max(maxNames).nullish(),
    provider: providerHintSchema.nullish(),
  })
  .loose();

export type OpenAIChatRequestBody = z.infer<typeof chatRequestSchema>;
export type OpenAIMessage = z.infer<typeof messageSchema>;
