import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import { takesOneSampler, topPLeftOut } from '../_shared/claude-models.ts';
import { nativeExtras } from '../_shared/native-extras.ts';
import { convertMessages, type MessageContext } from './convert-messages.ts';
import { CachePoints, promptCachingFields } from './prompt-cache.ts';
import type { CachePoint, ConverseRequestBody, ToolSpecification } from './wire-types.ts';

/** The body to send, and what of the request it could not carry. */
export interface ConvertedRequest {
  body: ConverseRequestBody;
  warnings: Warning[];
}

/**
 * ChatRequest → Converse body (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html);
 * ConverseStream takes the same body. Settings Converse cannot honour are dropped with a warning,
 * or rejected (400, before any call) when dropping them would change what the answer is.
 * docs/providers/bedrock.md lists every field.
 */
export async function convertRequest(request: ChatRequest, model: string, context: Omit<MessageContext, 'warnings'>): Promise<ConvertedRequest> {
  rejectUnsupported(request, model);
  const warnings: Warning[] = [];
  // Bedrock then requires a toolConfig.
  const hasToolBlocks = request.messages.some(holdsToolBlocks);
  // Converse has no tool_choice "none": the tools are left out instead, unless the conversation's
  // tool blocks need them (convertToolConfig). The marks of the tools sent count, and are asked
  // first, as the tools open the prompt's cached prefix.
  const toolsLeftOut = request.toolChoice === 'none' && !hasToolBlocks;
  const toolsSent = toolsLeftOut ? [] : (request.tools ?? []);
  const cachePoints = new CachePoints(request.messages, model, toolsSent);
  const toolPoints = toolsSent.map((tool) => cachePoints.after(tool.cacheBreakpoint));
  const { system, messages } = await convertMessages(request.messages, { ...context, warnings, cachePoints });
  const body: ConverseRequestBody = { messages };
  if (system.length > 0) body.system = system;
  const inferenceConfig: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  if (request.maxOutputTokens !== undefined) inferenceConfig.maxTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature;
  // Both, to a Claude that takes one (../_shared/claude-models.ts): temperature, the one callers tune.
  if (request.topP !== undefined && request.temperature !== undefined && takesOneSampler(model)) warnings.push(topPLeftOut(model));
  else if (request.topP !== undefined) inferenceConfig.topP = request.topP;
  const stops = stopSequences(request.stop, warnings);
  if (stops.length > 0) inferenceConfig.stopSequences = stops;
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;
  if (hasToolBlocks && !request.tools?.length) {
    // "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    // (Bedrock's 400; OpenAI takes such a history without tools): refused here, so that the
    // route's next candidate can answer it.
    throw new GatewayError('SB_ERR_INVALID_REQUEST', "Bedrock needs the tools declared when the conversation holds tool calls or results; send them in tools (with tool_choice \"none\" to forbid new calls).", { param: 'tools' });
  }
  const toolConfig = convertToolConfig(toolsSent, toolPoints, request.toolChoice, warnings);
  const toolMarksLeftOut = toolsLeftOut && request.tools?.some((tool) => tool.cacheBreakpoint !== undefined) === true;
  if (toolMarksLeftOut) {
    warnings.push({ type: 'dropped-setting', setting: 'tools[].cache_control', message: 'Converse has no tool_choice "none", so the tools were left out, and the cache points after them with them' });
  }
  if (toolConfig) body.toolConfig = toolConfig;
  if (request.parallelToolCalls === false && request.tools?.length) {
    warnings.push({ type: 'unsupported-setting', setting: 'parallel_tool_calls', message: 'Converse cannot forbid parallel tool calls; parallel_tool_calls was not sent' });
  }
  const outputConfig = convertResponseFormat(request.responseFormat, warnings);
  if (outputConfig) body.outputConfig = outputConfig;
  const additional = additionalFields(request, model, warnings);
  if (additional) body.additionalModelRequestFields = additional;
  warnUnsupported(request, warnings, cachePoints.sent);
  // The tools' marks left out are said above, once.
  const cachingFields = request.native?.nativeOnly?.filter((field) => promptCachingFields.has(field) && !(toolMarksLeftOut && field === 'tools[].cache_control')) ?? [];
  warnings.push(...cachePoints.warnings(model, cachingFields));
  return { body, warnings };
}

/**
 * Settings whose absence would change the answer's shape, and values Converse refuses: a 400
 * before any call. InferenceConfiguration (API_runtime_InferenceConfiguration.html) takes a
 * `temperature` of 0 to 1 (OpenAI's goes to 2), as Anthropic's does.
 */
function rejectUnsupported(request: ChatRequest, model: string): void {
  if (request.stop?.some((sequence) => sequence !== '') && withoutStopSequences.has(modelVendor(model) ?? '')) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock model "${model}" does not take stop sequences; stop is not supported by this model's provider.`, { param: 'stop' });
  }
  if (request.temperature !== undefined && request.temperature > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock's temperature ranges from 0 to 1; ${request.temperature} is out of range for this model's provider.`, { param: 'temperature' });
  }
  if (request.n !== undefined && request.n > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock answers with one choice only; n=${request.n} is not supported by this model's provider.`, { param: 'n' });
  }
  if (request.logprobs === true || (request.topLogprobs !== undefined && request.topLogprobs > 0)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', "Bedrock's Converse API does not return log probabilities; logprobs is not supported by this model's provider.", {
      param: request.logprobs === true ? 'logprobs' : 'top_logprobs',
    });
  }
}

/**
 * Vendors whose Bedrock models refuse `stopSequences` ("This model doesn't support the
 * stopSequences field. Remove stopSequences and try again.": OpenAI's gpt-oss,
 * crewAIInc/crewAI#3317; Qwen3, langgenius/dify-official-plugins#1767). Dropping the stops would
 * change where the answer ends, so the request is refused before the call instead.
 */
const withoutStopSequences: ReadonlySet<string> = new Set(['openai', 'qwen']);

/**
 * InferenceConfiguration.stopSequences: each of length 1 at least
 * (API_runtime_InferenceConfiguration.html; Bedrock answers 400 for ""). An empty stop sequence
 * never matches, so leaving it out does not change the answer; the ledger row says so.
 */
function stopSequences(stop: readonly string[] | undefined, warnings: Warning[]): string[] {
  const kept = (stop ?? []).filter((sequence) => sequence !== '');
  if (kept.length < (stop?.length ?? 0)) {
    warnings.push({ type: 'dropped-setting', setting: 'stop', message: 'Bedrock refuses an empty stop sequence; the empty ones were not sent' });
  }
  return kept;
}

const noRelayedFields: ReadonlySet<string> = new Set();

/**
 * Settings Converse has no field for, whose absence leaves the answer's shape intact.
 * `cachePointsSent`: the caller's breakpoints went as cache points, which carried OpenAI's
 * `prompt_cache_options.ttl` (convert-messages.ts); its mode `implicit` (the default) asks for one
 * more breakpoint of OpenAI's choosing, which Bedrock has no equivalent of.
 */
function warnUnsupported(request: ChatRequest, warnings: Warning[], cachePointsSent: boolean): void {
  const dropped = (setting: string, value: unknown) => {
    if (value !== undefined) warnings.push({ type: 'unsupported-setting', setting, message: `Bedrock's Converse API has no ${setting}; it was not sent` });
  };
  dropped('seed', request.seed);
  dropped('presence_penalty', request.presencePenalty);
  dropped('frequency_penalty', request.frequencyPenalty);
  dropped('user', request.user);
  dropped('reasoning_effort', request.reasoningEffort);
  // OpenAI fields ChatRequest does not model (logit_bias, service_tier, ...): Converse takes none.
  for (const warning of nativeExtras(request, noRelayedFields, 'Bedrock').warnings) {
    if (warning.setting !== 'prompt_cache_options' || !cachePointsSent) warnings.push(warning);
    else if ((request.native!.body.prompt_cache_options as { mode?: string }).mode !== 'explicit') {
      warnings.push({ type: 'dropped-setting', setting: 'prompt_cache_options.mode', message: 'Bedrock has no implicit cache breakpoint (mode "implicit", the default); only the marked breakpoints were sent, as cachePoint blocks' });
    }
  }
}

/**
 * ToolConfiguration (API_runtime_ToolConfiguration.html) of the tools sent, each followed by its
 * cache point if it has one. ToolChoice has `auto`, `any` and `tool` but no "none": with
 * tool_choice "none" the caller leaves the tools out (none are sent), so the model cannot call
 * one. Bedrock requires a toolConfig whenever the conversation holds toolUse/toolResult blocks,
 * though; then the tools are sent with "none" and go without a choice, and a warning says the
 * model may still call one.
 */
function convertToolConfig(
  tools: readonly ToolDefinition[],
  points: ReadonlyArray<{ cachePoint: CachePoint } | undefined>,
  choice: ToolChoice | undefined,
  warnings: Warning[],
): ConverseRequestBody['toolConfig'] {
  if (tools.length === 0) {
    if (choice === undefined || choice === 'none' || choice === 'auto') return undefined;
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'tool_choice requires tools.', { param: 'tool_choice' });
  }
  // Each tool's cache point, if it has one, right after it.
  const specs = tools.flatMap((tool, index) => {
    const point = points[index];
    return point ? [convertTool(tool, index), point] : [convertTool(tool, index)];
  });
  if (choice === 'none') {
    warnings.push({
      type: 'unsupported-setting',
      setting: 'tool_choice',
      message: 'Converse has no tool_choice "none", and needs the tools when the conversation holds tool calls; the tools were sent without a choice, so the model may still call one',
    });
    return { tools: specs };
  }
  if (choice === undefined) return { tools: specs };
  if (typeof choice === 'object') return { tools: specs, toolChoice: { tool: { name: choice.name } } };
  switch (choice) {
    case 'auto':
      return { tools: specs, toolChoice: { auto: {} } };
    case 'required':
      return { tools: specs, toolChoice: { any: {} } };
    default: {
      const exhaustive: never = choice;
      return exhaustive;
    }
  }
}

/** Whether a message becomes a toolUse or toolResult block (convertMessages: every tool call and tool message does). */
function holdsToolBlocks(message: ChatRequest['messages'][number]): boolean {
  return message.role === 'tool' || (message.role === 'assistant' && message.content.some((part) => part.type === 'tool-call'));
}

/** ToolSpecification: `inputSchema.json` must describe an object (as Anthropic's input_schema). */
function convertTool(tool: ToolDefinition, index: number): { toolSpec: ToolSpecification } {
  const schemaType = tool.parameters.type;
  if (schemaType !== undefined && schemaType !== 'object') {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock tool parameters must be a JSON Schema of type "object"; tool "${tool.name}" has type ${JSON.stringify(schemaType)}.`, {
      param: `tools[${index}].function.parameters`,
    });
  }
  return {
    toolSpec: {
      name: tool.name,
      // ToolSpecification.description has a minimum length of 1.
      ...(tool.description ? { description: tool.description } : {}),
      inputSchema: { json: schemaType === undefined ? { type: 'object', ...tool.parameters } : tool.parameters },
      ...(tool.strict === true ? { strict: true } : {}),
    },
  };
}

/**
 * `json_schema` → `outputConfig.textFormat` (Bedrock structured outputs,
 * https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html): the schema is
 * sent as a JSON string. Models without structured outputs answer Bedrock's 400, passed on.
 * `json_object` has no Converse equivalent and is dropped with a warning (OpenAI requires the
 * prompt itself to ask for JSON, so the instruction still reaches the model).
 */
function convertResponseFormat(format: ResponseFormat | undefined, warnings: Warning[]): ConverseRequestBody['outputConfig'] {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      warnings.push({
        type: 'unsupported-setting',
        setting: 'response_format',
        message: 'Bedrock has no JSON mode without a schema; response_format json_object was not sent (use json_schema for a guaranteed shape)',
      });
      return undefined;
    case 'json_schema':
      return {
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: { schema: JSON.stringify(format.schema), name: format.name, ...(format.description ? { description: format.description } : {}) },
          },
        },
      };
    default: {
      const exhaustive: never = format;
      return exhaustive;
    }
  }
}

// The model's vendor from a model id, inference profile id (`us.anthropic.…`) or ARN.
const vendorPattern = /(?:^|[./])(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\./;

/** The vendor of a Bedrock model id (`anthropic`, `amazon`, ...), when the id names it. */
export function modelVendor(model: string): string | undefined {
  return vendorPattern.exec(model)?.[1];
}

/**
 * `additionalModelRequestFields`: model-specific settings Converse passes to the model as they
 * are. top_k: Anthropic's `top_k` and Nova's `inferenceConfig.topK`
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html,
 * https://docs.aws.amazon.com/nova/latest/userguide/using-converse-api.html); extended thinking:
 * Anthropic's `thinking` (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
 * Other models get a warning instead.
 */
function additionalFields(request: ChatRequest, model: string, warnings: Warning[]): Record<string, unknown> | undefined {
  const vendor = modelVendor(model);
  const fields: Record<string, unknown> = {};
  if (request.topK !== undefined) {
    if (vendor === 'anthropic') fields.top_k = request.topK;
    else if (vendor === 'amazon' && /(?:^|[./])amazon\.nova/.test(model)) fields.inferenceConfig = { topK: request.topK };
    else warnings.push({ type: 'unsupported-setting', setting: 'top_k', message: `top_k has no known field for Bedrock model "${model}"; it was not sent` });
  }
  if (request.thinkingBudgetTokens !== undefined) {
    if (vendor === 'anthropic') fields.thinking = { type: 'enabled', budget_tokens: request.thinkingBudgetTokens };
    else warnings.push({ type: 'unsupported-setting', setting: 'thinking', message: `A thinking budget has no known field for Bedrock model "${model}"; it was not sent` });
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}
