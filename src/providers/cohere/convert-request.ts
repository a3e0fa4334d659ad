import type { AssistantMessage, ChatMessage, ChatRequest, FilePart, ImagePart, TextPart, ToolDefinition, ToolMessage } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import { nativeExtras } from '../_shared/native-extras.ts';
import { functionToolCalls, imageUrlPart, textContent } from '../_shared/openai-style-content.ts';

/**
 * ChatRequest → Cohere Chat v2 body (POST /v2/chat, https://docs.cohere.com/reference/chat).
 * Field by field decisions are in docs/providers/cohere.md: OpenAI names are mapped to Cohere's
 * (`top_p` → `p`, `top_k` → `k`, `stop` → `stop_sequences`, `tool_choice` → `REQUIRED`/`NONE`),
 * settings Cohere lacks are dropped with a warning, and `n > 1` is refused.
 */

/** OpenAI-ingress fields the Chat v2 body defines with the same name and meaning. */
const relayable: ReadonlySet<string> = new Set(['safety_mode', 'documents', 'citation_options']);

export interface ConvertedRequest {
  body: Record<string, unknown>;
  warnings: Warning[];
}

export function convertRequest(request: ChatRequest, model: string): ConvertedRequest {
  const warnings = new WarningList();
  const body: Record<string, unknown> = { model, messages: convertMessages(request.messages, warnings) };
  const tools = selectTools(request, warnings);
  if (tools.length) {
    body.tools = tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.parameters },
    }));
    // `strict_tools` is one switch for every tool; OpenAI's `strict` is per function.
    const strict = tools.filter((tool) => tool.strict === true).length;
    if (strict === tools.length) body.strict_tools = true;
    else if (strict > 0) warnings.add('tools.strict', 'Cohere applies strict to all tools or none; some tools were not strict, so strict_tools was not set');
  }
  // tool_choice: REQUIRED or NONE; `auto` is Cohere's default and is omitted.
  if (request.toolChoice === 'none') body.tool_choice = 'NONE';
  else if (request.toolChoice === 'required' || typeof request.toolChoice === 'object') body.tool_choice = 'REQUIRED';
  if (request.parallelToolCalls === false) {
    warnings.add('parallel_tool_calls', 'Cohere has no switch for parallel tool calls; the model may still make several');
  }
  if (request.responseFormat && request.responseFormat.type !== 'text') {
    const format = request.responseFormat;
    // Cohere refuses JSON mode with tools (its 400 "response_format is not supported with tools";
    // docs.cohere.com v2 chat, `response_format`): refused here, before the call, so that a route
    // moves on to a candidate that takes both (docs/routing.md, "Moving on at once").
    if (request.tools?.length) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Cohere does not take response_format (JSON mode) together with tools.', { param: 'response_format' });
    }
    // ResponseFormatV2: JSON mode is `json_object`, with the schema under `json_schema`.
    body.response_format = format.type === 'json_schema' ? { type: 'json_object', json_schema: format.schema } : { type: 'json_object' };
    if (format.type === 'json_schema' && format.description !== undefined) {
      warnings.add('response_format.description', 'Cohere takes a JSON schema without a description; the description was not sent', 'dropped-setting');
    }
  } else if (request.responseFormat) {
    body.response_format = { type: 'text' };
  }
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) {
    // Cohere's `p` is 0.01-0.99 (its 400 outside); OpenAI's top_p is 0-1, and 1, its default,
    // means no cut: the nearest value Cohere takes, with a warning.
    body.p = Math.min(Math.max(request.topP, minimumP), maximumP);
    if (body.p !== request.topP) warnings.add('top_p', `Cohere takes top_p (p) from ${minimumP} to ${maximumP}; ${request.topP} was sent as ${String(body.p)}`);
  }
  if (request.topK !== undefined) body.k = request.topK;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.n !== undefined && request.n > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Cohere returns one answer per request; n must be 1.', { param: 'n' });
  }
  if (request.thinkingBudgetTokens !== undefined) body.thinking = { type: 'enabled', token_budget: request.thinkingBudgetTokens };
  else if (request.reasoningEffort === 'none') body.thinking = { type: 'disabled' };
  else if (request.reasoningEffort !== undefined) {
    warnings.add('reasoning_effort', `Cohere takes a thinking token budget, not an effort; reasoning_effort "${request.reasoningEffort}" was not sent`);
  }
  if (request.logprobs !== undefined || request.topLogprobs !== undefined) {
    warnings.add('logprobs', 'Switchboard does not relay Cohere log probabilities; logprobs was not sent');
  }
  if (request.user !== undefined) warnings.add('user', 'Cohere has no user parameter; it was not sent');
  const extras = nativeExtras(request, relayable, 'Cohere');
  Object.assign(body, extras.relayed);
  if (request.stream) body.stream = true;
  return { body, warnings: [...warnings.list, ...extras.warnings] };
}

/**
 * The tools to send. Cohere cannot force one named tool, so a named `tool_choice` sends only
 * that tool with `tool_choice: REQUIRED` (the model must call it), with a warning.
 */
function selectTools(request: ChatRequest, warnings: WarningList): ToolDefinition[] {
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (typeof choice !== 'object') return tools;
  if (tools.length > 1) {
    warnings.add('tool_choice', `Cohere cannot force one named tool; only "${choice.name}" was offered, with tool_choice REQUIRED`);
  }
  return tools.filter((tool) => tool.name === choice.name);
}

/** Warnings, one per setting however many messages carry it. */
/** The range of Cohere's `p` (nucleus sampling), inclusive. */
const minimumP = 0.01;
const maximumP = 0.99;

class WarningList {
  readonly list: Warning[] = [];
  add(setting: string, message: string, type: Warning['type'] = 'unsupported-setting'): void {
    if (!this.list.some((warning) => warning.setting === setting)) this.list.push({ type, setting, message });
  }
}

function convertMessages(messages: ChatMessage[], warnings: WarningList): Array<Record<string, unknown>> {
  return messages.map((message) => {
    switch (message.role) {
      case 'system':
        // Chat v2 has no `developer` role; it is a system message there.
        return { role: 'system', content: textContent(message.content) };
      case 'user':
        if (message.name) warnings.add('messages.name', 'Cohere messages have no name; it was not sent', 'dropped-setting');
        return { role: 'user', content: userContent(message.content) };
      case 'assistant':
        return convertAssistant(message, warnings);
      case 'tool':
        return convertTool(message, warnings);
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  });
}

/**
 * An assistant turn. With tool calls, Cohere expects the text the model wrote before calling as
 * `tool_plan` (docs.cohere.com "Tool use": the assistant message carries tool_plan and
 * tool_calls), so the turn's text, or else its reasoning (which is where this adapter puts a
 * received tool plan), becomes the tool plan.
 */
function convertAssistant(message: AssistantMessage, warnings: WarningList): Record<string, unknown> {
  if (message.name) warnings.add('messages.name', 'Cohere messages have no name; it was not sent', 'dropped-setting');
  const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
  const reasoning = message.content.flatMap((part) => (part.type === 'reasoning' && part.text ? [part.text] : [])).join('');
  const toolCalls = functionToolCalls(message);
  if (toolCalls.length === 0) {
    if (reasoning) warnings.add('reasoning', 'Earlier reasoning cannot be sent to Cohere outside a tool plan; it was left out', 'dropped-setting');
    return { role: 'assistant', content: text };
  }
  const plan = text || reasoning;
  if (text && reasoning) warnings.add('reasoning', 'Earlier reasoning cannot be sent to Cohere beside a tool plan; it was left out', 'dropped-setting');
  return { role: 'assistant', ...(plan ? { tool_plan: plan } : {}), tool_calls: toolCalls };
}

function convertTool(message: ToolMessage, warnings: WarningList): Record<string, unknown> {
  if (message.content.some((part) => part.type === 'image')) {
    warnings.add('tool_result.image', 'Cohere tool results take text and documents only; images in a tool result were left out', 'dropped-setting');
  }
  if (message.isError) warnings.add('tool_result.is_error', 'Cohere tool messages have no error flag; the result was sent as plain content', 'dropped-setting');
  const texts = message.content.filter((part): part is TextPart => part.type === 'text');
  return {
    role: 'tool',
    tool_call_id: message.toolCallId,
    content: textContent(texts),
  };
}

/** Text only: a plain string; with images: content items (`image_url`, docs.cohere.com/docs/image-inputs). */
function userContent(parts: Array<TextPart | ImagePart | FilePart>): string | Array<Record<string, unknown>> {
  if (parts.every((part) => part.type === 'text')) return textContent(parts as TextPart[]);
  return parts.map((part) => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text };
      case 'image':
        return imageUrlPart(part);
      case 'file':
        throw new GatewayError('SB_ERR_INVALID_REQUEST', `Cohere chat takes text and images, not ${part.mediaType} files.`, { param: 'messages' });
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  });
}
