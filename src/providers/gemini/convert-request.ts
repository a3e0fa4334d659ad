import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher } from '../../core/http-client.ts';
import { nativeExtras } from '../_shared/native-extras.ts';
import { setIfDefined } from '../_shared/set-if-defined.ts';
import { convertMessages, type RequestContent, type RequestPart } from './convert-messages.ts';
import { ignoredSchemaKeywords } from './convert-schema.ts';
import type { AbortSignalLike } from '../../core/abort.ts';

/** GenerateContentRequest (generative_service.proto) as this adapter sends it; `model` is in the URL. */
export interface GenerateContentBody {
  contents: RequestContent[];
  systemInstruction?: { parts: RequestPart[] };
  tools?: Array<{ functionDeclarations: Array<Record<string, unknown>> }>;
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}

/** The body to send, and what could not be honoured. */
export interface ConvertedRequest {
  body: GenerateContentBody;
  warnings: Warning[];
}

/**
 * OpenAI's reasoning_effort as thinking budgets, the mapping Gemini's own OpenAI-compatible
 * endpoint uses (ai.google.dev/gemini-api/docs/openai: low 1K, medium 8K, high 24K, none 0).
 */
const thinkingBudgets: Record<string, number> = { none: 0, low: 1024, medium: 8192, high: 24576 };

const noRelayableFields: ReadonlySet<string> = new Set();

const maxStopSequences = 5;

/**
 * GenerationConfig's seed, max_output_tokens and top_k are int32 (generative_service.proto): the
 * API's JSON parser answers 400 "Invalid value at 'generation_config.seed' (TYPE_INT32)" to a
 * larger number, which the OpenAI and Anthropic formats allow.
 */
const int32Max = 2 ** 31 - 1;
const fitsInt32 = (value: number) => value >= -(2 ** 31) && value <= int32Max;

/** A token count for an int32 field, or a 400 naming the caller's field when none holds it. */
function int32Limit(value: number | undefined, param: string): number | undefined {
  if (value === undefined || fitsInt32(value)) return value;
  throw new GatewayError('SB_ERR_INVALID_REQUEST', `Gemini takes a ${param} of at most ${int32Max}; ${value} was given.`, { param });
}

/**
 * ChatRequest → GenerateContentRequest body. Images given by https URL are fetched here (Gemini
 * takes bytes, not URLs), so the conversion is async. Every field Gemini cannot take is either a
 * warning or, when dropping it would change the answer (n > 1, more than 5 stop sequences, a token
 * limit beyond int32), a 400 before any call.
 */
export async function convertRequest(request: ChatRequest, dependencies: { images: ImageFetcher; signal: AbortSignalLike }): Promise<ConvertedRequest> {
  const warnings: Warning[] = [];
  const { systemInstruction, contents } = await convertMessages(request.messages, { ...dependencies, warnings });
  if (contents.length === 0) {
    // GenerateContentRequest.contents is REQUIRED (generative_service.proto): Gemini answers 400
    // "contents is not specified" to system instructions alone, which OpenAI-style models answer.
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Gemini needs a user or assistant message besides the system instructions; the request has none.', { param: 'messages' });
  }
  const body: GenerateContentBody = { contents, ...(systemInstruction ? { systemInstruction } : {}) };
  if (request.tools?.length) {
    body.tools = [{ functionDeclarations: request.tools.map((tool, index) => convertTool(tool, index, warnings)) }];
    if (request.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: convertToolChoice(request.toolChoice) };
    if (request.tools.some((tool) => tool.strict)) {
      warnings.push({ type: 'unsupported-setting', setting: 'tools.strict', message: 'Gemini has no strict mode for function declarations; arguments are not guaranteed to match the schema' });
    }
  }
  if (request.parallelToolCalls === false) {
    warnings.push({ type: 'unsupported-setting', setting: 'parallel_tool_calls', message: 'Gemini cannot be kept from calling several functions at once; parallel_tool_calls was not sent' });
  }
  const generationConfig = convertGenerationConfig(request, warnings);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (request.user !== undefined) {
    warnings.push({ type: 'unsupported-setting', setting: 'user', message: 'Gemini has no end-user id; user was not sent' });
  }
  // OpenAI fields ChatRequest does not model (logit_bias, service_tier, ...) have no Gemini twin.
  warnings.push(...nativeExtras(request, noRelayableFields, 'Gemini').warnings);
  return { body, warnings };
}

function convertTool(tool: ToolDefinition, index: number, warnings: Warning[]): Record<string, unknown> {
  const ignored = ignoredSchemaKeywords(tool.parameters);
  if (ignored.length) {
    warnings.push({
      type: 'unsupported-setting',
      setting: `tools[${index}].function.parameters`,
      message: `Gemini ignores these JSON Schema keywords of tool "${tool.name}": ${ignored.join(', ')}`,
    });
  }
  return {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    // A function without parameters has no schema at all (FunctionDeclaration.parameters_json_schema is optional).
    ...(Object.keys(tool.parameters).length > 0 ? { parametersJsonSchema: tool.parameters } : {}),
  };
}

function convertToolChoice(choice: ToolChoice): { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } {
  if (typeof choice === 'object') return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  switch (choice) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    default: {
      const exhaustive: never = choice;
      return exhaustive;
    }
  }
}

function convertGenerationConfig(request: ChatRequest, warnings: Warning[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (request.n !== undefined) {
    // A ChatResult carries one choice: asking Gemini for more would bill them and drop them.
    if (request.n > 1) throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Gemini models answer with one choice here; n must be 1.', { param: 'n' });
    config.candidateCount = request.n;
  }
  if (request.stop?.length) {
    // "The set of character sequences (up to 5)" (GenerationConfig.stop_sequences); the Anthropic
    // format takes more. Sending fewer would let the answer run past a stop the caller set.
    if (request.stop.length > maxStopSequences) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `Gemini takes at most 5 stop sequences; ${request.stop.length} were given.`, { param: 'stop' });
    }
    config.stopSequences = request.stop;
  }
  setIfDefined(config, 'maxOutputTokens', int32Limit(request.maxOutputTokens, 'max_tokens'));
  setIfDefined(config, 'temperature', request.temperature);
  setIfDefined(config, 'topP', request.topP);
  setIfDefined(config, 'topK', int32Limit(request.topK, 'top_k'));
  if (request.seed !== undefined) {
    // A seed is a hint (neither OpenAI nor Gemini promise determinism): one Gemini cannot hold is
    // left out with a warning rather than failing a request other providers would answer.
    if (fitsInt32(request.seed)) config.seed = request.seed;
    else warnings.push({ type: 'unsupported-setting', setting: 'seed', message: `Gemini's seed is a 32-bit integer; ${request.seed} does not fit, so no seed was sent` });
  }
  setIfDefined(config, 'presencePenalty', request.presencePenalty);
  setIfDefined(config, 'frequencyPenalty', request.frequencyPenalty);
  if (request.responseFormat) Object.assign(config, convertResponseFormat(request.responseFormat, warnings));
  const thinkingConfig = convertThinking(request, warnings);
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  if (request.logprobs || request.topLogprobs !== undefined) {
    warnings.push({ type: 'unsupported-setting', setting: 'logprobs', message: 'Switchboard does not relay Gemini log probabilities; logprobs and top_logprobs were not sent' });
  }
  return config;
}

function convertResponseFormat(format: ResponseFormat, warnings: Warning[]): Record<string, unknown> {
  switch (format.type) {
    case 'text':
      return {};
    case 'json_object':
      return { responseMimeType: 'application/json' };
    case 'json_schema': {
      const ignored = ignoredSchemaKeywords(format.schema);
      if (ignored.length) {
        warnings.push({ type: 'unsupported-setting', setting: 'response_format.json_schema.schema', message: `Gemini ignores these JSON Schema keywords: ${ignored.join(', ')}` });
      }
      if (format.description !== undefined) {
        warnings.push({ type: 'unsupported-setting', setting: 'response_format.json_schema.description', message: 'Gemini takes no description for a response schema; it was not sent' });
      }
      // `responseJsonSchema` is the JSON name of response_json_schema_ordered: the proto gives
      // response_json_schema the JSON name `_responseJsonSchema` (generative_service.proto).
      return { responseMimeType: 'application/json', responseJsonSchema: format.schema };
    }
    default: {
      const exhaustive: never = format;
      return exhaustive;
    }
  }
}

/** thinkingBudgetTokens (Anthropic-style) wins over reasoningEffort (OpenAI-style) when both are set. */
function convertThinking(request: ChatRequest, warnings: Warning[]): Record<string, unknown> | undefined {
  let budget = request.thinkingBudgetTokens;
  if (request.reasoningEffort !== undefined) {
    const mapped = thinkingBudgets[request.reasoningEffort];
    if (budget !== undefined) {
      warnings.push({ type: 'unsupported-setting', setting: 'reasoning_effort', message: 'A thinking budget was given too; Gemini takes one, so reasoning_effort was not sent' });
    } else if (mapped === undefined) {
      warnings.push({ type: 'unsupported-setting', setting: 'reasoning_effort', message: `Gemini has no thinking budget for reasoning_effort "${request.reasoningEffort}"; it was not sent` });
    } else {
      budget = mapped;
    }
  }
  if (budget === undefined) return undefined;
  // Thought summaries are asked for whenever thinking is on, so they reach the caller as reasoning.
  return budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
}
