import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ProviderCall } from '../../core/provider-adapter.ts';
import { nativeExtras } from '../_shared/native-extras.ts';
import { setIfDefined } from '../_shared/set-if-defined.ts';
import { countBreakpoints } from '../_shared/cache-breakpoints.ts';
import { takesOneSampler, topPLeftOut } from '../_shared/claude-models.ts';
import { convertMessages, type ConvertedMessages } from './convert-messages.ts';
import { liftSystemMessages } from './lift-system-messages.ts';

/**
 * `max_tokens` when neither the caller nor the model's entry gives one. Anthropic requires the
 * field (openapi.json `CreateMessageParams.required`); 4096 is within every current model's
 * output limit and enough for an ordinary answer.
 */
export const defaultMaxTokens = 4096;

/** The body to send, and what of the request it could not carry. */
export interface ConvertedRequest {
  body: Record<string, unknown>;
  warnings: Warning[];
}

/** openapi.json `EffortLevel`. */
const effortLevels: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

/**
 * OpenAI-ingress fields ChatRequest does not model (logit_bias, service_tier, …) that Anthropic
 * takes under the same name and meaning: none (Anthropic's `service_tier` and `metadata` take
 * other values), so each one a caller set is dropped with a warning.
 */
const relayableOpenAIFields: ReadonlySet<string> = new Set();

/**
 * ChatRequest → Anthropic Messages body. A request that arrived in the Anthropic format is sent
 * as it came, with only `model` (and `stream`) replaced and its `role: "system"` messages lifted
 * into `system` (lift-system-messages.ts), so fields Switchboard does not model reach Anthropic
 * unchanged; otherwise the body is built from the typed request. Settings
 * Anthropic cannot honour are dropped with a warning, or rejected (400, before any call) when
 * dropping them would change what the answer is.
 */
export function convertRequest(request: ChatRequest, call: Pick<ProviderCall, 'model' | 'maxOutputTokens'>): ConvertedRequest {
  if (request.native?.format === 'anthropic-messages') {
    const warnings: Warning[] = [];
    // Object.assign, not a spread followed by `model`: V8 11.3's slow path (src/providers/_shared/with-stream.ts).
    const body: Record<string, unknown> = Object.assign({}, liftSystemMessages(request.native.body, warnings), { model: call.model });
    if (request.stream) body.stream = true;
    else delete body.stream;
    return { body, warnings };
  }
  rejectUnsupported(request);
  const warnings: Warning[] = [];
  const { system, messages } = convertMessages(request.messages, warnings);
  const prefill = request.assistantPrefix?.trimEnd();
  // A stream resume: a final assistant turn is a prefill the model continues (openapi.json
  // `Message.content`: "If the request input messages ended with an assistant turn, then the
  // response content will continue directly from that last turn"). The API refuses one that ends
  // in whitespace ("final assistant content cannot end with trailing whitespace"), so that is
  // trimmed off; the resume drops it from the continuation if the model writes it again.
  if (prefill) messages.push({ role: 'assistant', content: [{ type: 'text', text: prefill }] });
  else finalAssistantTurn(messages, request.messages, warnings);
  const body: Record<string, unknown> = {
    model: call.model,
    max_tokens: request.maxOutputTokens ?? call.maxOutputTokens ?? defaultMaxTokens,
    messages,
  };
  if (system !== undefined) body.system = system;
  if (request.tools?.length) body.tools = request.tools.map(convertTool);
  const toolChoice = convertToolChoice(request.toolChoice, request.parallelToolCalls, Boolean(request.tools?.length));
  if (toolChoice) body.tool_choice = toolChoice;
  const outputConfig = convertOutputConfig(request.responseFormat, request.reasoningEffort, warnings);
  if (outputConfig) body.output_config = outputConfig;
  setIfDefined(body, 'temperature', request.temperature);
  // Both, to a model that takes one (claude-models.ts): temperature, the one callers tune.
  if (request.topP !== undefined && request.temperature !== undefined && takesOneSampler(call.model)) warnings.push(topPLeftOut(call.model));
  else setIfDefined(body, 'top_p', request.topP);
  setIfDefined(body, 'top_k', request.topK);
  if (request.stop?.length) body.stop_sequences = request.stop;
  const userId = endUserId(request, warnings);
  if (userId !== undefined) body.metadata = { user_id: userId };
  if (request.thinkingBudgetTokens !== undefined) body.thinking = { type: 'enabled', budget_tokens: request.thinkingBudgetTokens };
  if (request.stream) body.stream = true;
  warnUnsupported(request, warnings);
  return { body, warnings };
}

/** Settings whose absence would change the answer's shape or range: a 400 before any call. */
function rejectUnsupported(request: ChatRequest): void {
  if (request.n !== undefined && request.n > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Anthropic answers with one choice only; n=${request.n} is not supported by this model's provider.`, { param: 'n' });
  }
  if (request.logprobs === true || (request.topLogprobs !== undefined && request.topLogprobs > 0)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', "Anthropic does not return log probabilities; logprobs is not supported by this model's provider.", {
      param: request.logprobs === true ? 'logprobs' : 'top_logprobs',
    });
  }
  // openapi.json CreateMessageParams.temperature: "Ranges from 0.0 to 1.0" (OpenAI's goes to 2).
  if (request.temperature !== undefined && request.temperature > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Anthropic's temperature ranges from 0 to 1; ${request.temperature} is out of range for this model's provider.`, {
      param: 'temperature',
    });
  }
}

/**
 * A caller's conversation that ends with an assistant turn of text: Anthropic continues it (the
 * passage quoted above), where Chat Completions reads it as an earlier turn and answers afresh,
 * so the row says so; and the API refuses one that ends in whitespace ("final assistant content
 * cannot end with trailing whitespace"), so that is trimmed off, as the row says too.
 */
function finalAssistantTurn(messages: ConvertedMessages['messages'], input: ChatRequest['messages'], warnings: Warning[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  const blocks = typeof last.content === 'string' ? undefined : last.content;
  const text = blocks ? blocks.at(-1) : undefined;
  if (blocks !== undefined && text?.type !== 'text') return;
  // The caller's message it came from: the last assistant one (system messages were lifted out).
  const setting = `messages[${input.findLastIndex((message) => message.role === 'assistant')}]`;
  warnings.push({ type: 'other', setting, message: 'Anthropic continues a final assistant message (a prefill) where OpenAI answers afresh after it' });
  const current = typeof last.content === 'string' ? last.content : (text as { text: string }).text;
  const trimmed = current.trimEnd();
  if (trimmed === current) return;
  // Whitespace alone: the block (or the turn) goes, as Anthropic refuses empty text too.
  if (trimmed === '' && blocks !== undefined && blocks.length > 1) blocks.pop();
  else if (trimmed === '') messages.pop();
  else if (typeof last.content === 'string') last.content = trimmed;
  else (text as { text: string }).text = trimmed;
  warnings.push({ type: 'other', setting, message: 'Anthropic refuses a final assistant message that ends in whitespace; the whitespace was trimmed off' });
}

/** Settings Anthropic has no field for, whose absence leaves the answer's shape intact. */
function warnUnsupported(request: ChatRequest, warnings: Warning[]): void {
  const dropped = (setting: string, value: unknown) => {
    if (value !== undefined) warnings.push({ type: 'unsupported-setting', setting, message: `Anthropic has no ${setting}; it was not sent` });
  };
  dropped('seed', request.seed);
  dropped('presence_penalty', request.presencePenalty);
  dropped('frequency_penalty', request.frequencyPenalty);
  // With breakpoints marked, OpenAI's `prompt_cache_options` carries over: its `ttl` became theirs
  // (convert-messages.ts), and mode `explicit` (no implicit breakpoint) is what Anthropic does with
  // marked ones; mode `implicit` (the default) asks for one more breakpoint OpenAI chooses, which
  // Anthropic has no equivalent of.
  for (const warning of nativeExtras(request, relayableOpenAIFields, 'Anthropic').warnings) {
    if (warning.setting === 'safety_identifier' && safetyIdentifier(request) !== undefined) continue;
    if (warning.setting === 'prompt_cache_options' && countBreakpoints(request.messages) > 0) {
      const mode = (request.native!.body.prompt_cache_options as { mode?: string }).mode;
      if (mode !== 'explicit') warnings.push({ type: 'dropped-setting', setting: 'prompt_cache_options.mode', message: 'Anthropic has no implicit cache breakpoint (mode "implicit", the default); only the marked breakpoints were sent, as cache_control' });
    } else warnings.push(warning);
  }
}

/**
 * Anthropic's `metadata.user_id` ("an external identifier for the user … Anthropic may use this id
 * to help detect abuse", openapi.json `Metadata`) is what OpenAI's `safety_identifier` is ("used
 * to help detect users … that may be violating OpenAI's usage policies", openapi.yaml), and its
 * deprecated `user` was before it. With both, `safety_identifier` is sent and a different `user`
 * is reported as not sent.
 */
function endUserId(request: ChatRequest, warnings: Warning[]): string | undefined {
  const safety = safetyIdentifier(request);
  if (safety === undefined) return request.user;
  if (request.user !== undefined && request.user !== safety) {
    warnings.push({ type: 'dropped-setting', setting: 'user', message: 'Anthropic takes one end-user id (metadata.user_id); safety_identifier was sent, user was not' });
  }
  return safety;
}

/** An OpenAI-ingress body's `safety_identifier`, when it has one. */
function safetyIdentifier(request: ChatRequest): string | undefined {
  const value = request.native?.format === 'openai-chat' ? request.native.body.safety_identifier : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** openapi.json `Tool`: `input_schema` must be an object schema (`InputSchema.type: "object"`). */
function convertTool(tool: ToolDefinition, index: number): Record<string, unknown> {
  const schemaType = tool.parameters.type;
  if (schemaType !== undefined && schemaType !== 'object') {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Anthropic tool parameters must be a JSON Schema of type "object"; tool "${tool.name}" has type ${JSON.stringify(schemaType)}.`, {
      param: `tools[${index}].function.parameters`,
    });
  }
  return {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    input_schema: schemaType === undefined ? { type: 'object', ...tool.parameters } : tool.parameters,
    ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
  };
}

/**
 * openapi.json `ToolChoice`: auto → auto, required → any, none → none, a named tool → tool.
 * OpenAI's `parallel_tool_calls: false` is Anthropic's `disable_parallel_tool_use: true`, a
 * field of the choice (so it needs one: auto when the caller gave none).
 */
function convertToolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined, hasTools: boolean): Record<string, unknown> | undefined {
  if (!hasTools) {
    if (choice === undefined || choice === 'none' || choice === 'auto') return undefined;
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'tool_choice requires tools.', { param: 'tool_choice' });
  }
  const serial = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...serial } : undefined;
  if (typeof choice === 'object') return { type: 'tool', name: choice.name, ...serial };
  switch (choice) {
    case 'auto':
      return { type: 'auto', ...serial };
    case 'required':
      return { type: 'any', ...serial };
    case 'none':
      // ToolChoiceNone has no disable_parallel_tool_use; with no calls there is nothing to serialise.
      return { type: 'none' };
    default: {
      const exhaustive: never = choice;
      return exhaustive;
    }
  }
}

/**
 * openapi.json `OutputConfig`: `format` (a `JsonOutputFormat`, Anthropic's structured output)
 * and `effort` (`EffortLevel`). `json_object` has no equivalent: Anthropic's JSON format needs a
 * schema whose objects all set `additionalProperties: false`, which cannot express "any
 * object", so it is dropped with a warning (OpenAI already requires the prompt itself to ask
 * for JSON, so the instruction still reaches the model).
 */
function convertOutputConfig(format: ResponseFormat | undefined, effort: string | undefined, warnings: Warning[]): Record<string, unknown> | undefined {
  const config: Record<string, unknown> = {};
  switch (format?.type) {
    case undefined:
    case 'text':
      break;
    case 'json_object':
      warnings.push({
        type: 'unsupported-setting',
        setting: 'response_format',
        message: 'Anthropic has no JSON mode without a schema; response_format json_object was not sent (use json_schema for a guaranteed shape)',
      });
      break;
    case 'json_schema':
      config.format = { type: 'json_schema', schema: format.schema };
      if (format.description !== undefined) {
        warnings.push({ type: 'unsupported-setting', setting: 'response_format.json_schema.description', message: "Anthropic's JSON output format has no description; it was not sent" });
      }
      break;
    default: {
      const exhaustive: never = format;
      return exhaustive;
    }
  }
  if (effort !== undefined) {
    if (effortLevels.has(effort)) config.effort = effort;
    else warnings.push({ type: 'unsupported-setting', setting: 'reasoning_effort', message: `Anthropic has no effort level "${effort}"; reasoning_effort was not sent` });
  }
  return Object.keys(config).length > 0 ? config : undefined;
}
