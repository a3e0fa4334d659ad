import type { AssistantMessage, ChatMessage, ChatRequest, FilePart, ImagePart, TextPart, ToolMessage } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import { nativeExtras } from '../_shared/native-extras.ts';
import { functionToolCalls, imageUrlPart, textContent } from '../_shared/openai-style-content.ts';
import { convertResponseFormat, convertToolChoice, convertTools } from '../openai-compatible/request-fields.ts';
import { mistralToolCallId } from './tool-call-id.ts';

/**
 * ChatRequest → Mistral ChatCompletionRequest (../shared/specs/mistral/openapi.yaml). The body is
 * always built from the typed request, never from the caller's OpenAI body: Mistral's schema has
 * `additionalProperties: false` everywhere and answers 422 to any field it does not define
 * (`user`, `logprobs`, `seed`, `stream_options`, message `name`, ...). Each such setting is either
 * dropped with a warning or, where dropping it would change the answer, refused with a 400.
 */

/** OpenAI-ingress fields ChatCompletionRequest defines with the same name and meaning. */
const relayable: ReadonlySet<string> = new Set(['prediction', 'prompt_cache_key', 'safe_prompt', 'prompt_mode', 'guardrails']);

/** ChatCompletionRequest.reasoning_effort takes only these (enum in the spec). */
const reasoningEfforts: ReadonlySet<string> = new Set(['high', 'none']);

/** ChatCompletionRequest.temperature: `maximum: 1.5` (OpenAI allows 2). */
const maximumTemperature = 1.5;

export interface ConvertedRequest {
  body: Record<string, unknown>;
  warnings: Warning[];
  /** The text of the caller's prefill sent with `prefix: true`, which Mistral's answer repeats (prefix.ts). */
  prefill?: string;
}

export function convertRequest(request: ChatRequest, model: string): ConvertedRequest {
  const warnings = new WarningList();
  const messages = convertMessages(request.messages, warnings);
  // A stream resume: the answer so far as a final assistant message with `prefix: true`, which
  // Mistral continues (openapi.yaml AssistantMessage.prefix: "force the model to start its answer
  // by the content of the message").
  let prefill: string | undefined;
  if (request.assistantPrefix !== undefined) messages.push({ role: 'assistant', content: request.assistantPrefix, prefix: true });
  else {
    // The caller's own prefill (a final assistant turn, as Anthropic's Messages API takes it):
    // Mistral refuses a last assistant message without `prefix` ("Expected last role User or Tool
    // (or Assistant with prefix True)"), and with it continues that text, as the caller meant.
    const last = messages.at(-1);
    if (last?.role === 'assistant' && last.tool_calls === undefined) {
      last.prefix = true;
      prefill = prefillText(last.content);
    }
  }
  const body: Record<string, unknown> = { model, messages };
  if (request.tools?.length) body.tools = convertTools(request.tools);
  if (request.toolChoice !== undefined) {
    // ToolChoiceEnum: Mistral's documented name for "must call a tool" is `any`.
    body.tool_choice = request.toolChoice === 'required' ? 'any' : convertToolChoice(request.toolChoice);
  }
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) body.response_format = convertResponseFormat(request.responseFormat);
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) {
    if (request.temperature > maximumTemperature) {
      throw invalid(`Mistral takes a temperature of at most ${maximumTemperature}; ${request.temperature} was asked for.`, 'temperature');
    }
    body.temperature = request.temperature;
  }
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) {
    // OpenAI's `seed` is Mistral's `random_seed` (an integer >= 0).
    if (request.seed < 0) throw invalid('Mistral takes a seed of 0 or more (random_seed).', 'seed');
    body.random_seed = request.seed;
  }
  if (request.n !== undefined && request.n > 1) {
    throw invalid('Switchboard returns one choice from Mistral; n must be 1.', 'n');
  }
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.reasoningEffort !== undefined) {
    if (reasoningEfforts.has(request.reasoningEffort)) body.reasoning_effort = request.reasoningEffort;
    else warnings.add('reasoning_effort', `Mistral takes reasoning_effort "high" or "none" only; "${request.reasoningEffort}" was not sent`);
  }
  if (request.logprobs !== undefined || request.topLogprobs !== undefined) warnings.add('logprobs', 'Mistral returns no log probabilities; logprobs was not sent');
  if (request.user !== undefined) warnings.add('user', 'Mistral has no user parameter; it was not sent');
  if (request.topK !== undefined) warnings.add('top_k', 'Mistral has no top_k parameter; it was not sent');
  if (request.thinkingBudgetTokens !== undefined) warnings.add('thinking', 'Mistral takes no thinking budget; it was not sent');
  const extras = nativeExtras(request, relayable, 'Mistral');
  Object.assign(body, extras.relayed);
  if (request.stream) body.stream = true;
  return { body, warnings: [...warnings.list, ...extras.warnings], ...(prefill ? { prefill } : {}) };
}

/** The text of a prefix message's content: a string, or its TextChunks (a ThinkChunk is not repeated as text). */
function prefillText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Array<{ type?: string; text?: string }>).flatMap((chunk) => (chunk.type === 'text' && chunk.text ? [chunk.text] : [])).join('');
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('SB_ERR_INVALID_REQUEST', message, { param });
}

/** Warnings, one per setting however many messages carry it. */
class WarningList {
  readonly list: Warning[] = [];
  add(setting: string, message: string, type: Warning['type'] = 'unsupported-setting'): void {
    if (!this.list.some((warning) => warning.setting === setting)) this.list.push({ type, setting, message });
  }
}

function convertMessages(messages: ChatMessage[], warnings: WarningList): Array<Record<string, unknown>> {
  // ToolMessage.name: the function a tool result answers, from the call it pairs with.
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) if (part.type === 'tool-call') toolNames.set(part.id, part.name);
  }
  return messages.map((message) => {
    switch (message.role) {
      case 'system':
        // No `developer` role in Mistral's messages: it is a system message there.
        return { role: 'system', content: textContent(message.content) };
      case 'user':
        if (message.name) warnings.add('messages.name', 'Mistral messages have no name; it was not sent', 'dropped-setting');
        return { role: 'user', content: userContent(message.content) };
      case 'assistant':
        return convertAssistant(message, warnings);
      case 'tool':
        return convertTool(message, toolNames, warnings);
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  });
}

function convertAssistant(message: AssistantMessage, warnings: WarningList): Record<string, unknown> {
  if (message.name) warnings.add('messages.name', 'Mistral messages have no name; it was not sent', 'dropped-setting');
  const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
  const reasoning = message.content.flatMap((part) => (part.type === 'reasoning' && part.text ? [part.text] : [])).join('');
  if (message.content.some((part) => part.type === 'reasoning' && !part.text && part.redacted)) {
    warnings.add('reasoning', 'Redacted reasoning cannot be sent to Mistral; it was left out', 'dropped-setting');
  }
  const toolCalls = functionToolCalls(message, mistralToolCallId);
  // Earlier reasoning goes back as a ThinkChunk (ContentChunk `thinking` in the spec).
  const content = reasoning
    ? [{ type: 'thinking', thinking: [{ type: 'text', text: reasoning }] }, ...(text ? [{ type: 'text', text }] : [])]
    : text;
  return {
    role: 'assistant',
    ...(content !== '' || toolCalls.length === 0 ? { content } : {}),
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
  };
}

function convertTool(message: ToolMessage, toolNames: ReadonlyMap<string, string>, warnings: WarningList): Record<string, unknown> {
  if (message.isError) warnings.add('tool_result.is_error', 'Mistral tool messages have no error flag; the result was sent as plain content', 'dropped-setting');
  const name = toolNames.get(message.toolCallId);
  const hasImage = message.content.some((part) => part.type === 'image');
  return {
    role: 'tool',
    tool_call_id: mistralToolCallId(message.toolCallId),
    ...(name ? { name } : {}),
    // ToolMessage.content takes ContentChunks, images included.
    content: hasImage ? message.content.map(contentChunk) : textContent(message.content.filter((part): part is TextPart => part.type === 'text')),
  };
}

function userContent(parts: Array<TextPart | ImagePart | FilePart>): string | Array<Record<string, unknown>> {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts.map(contentChunk);
}

/** A part as a ContentChunk: TextChunk, ImageURLChunk, AudioChunk or FileChunk. */
function contentChunk(part: TextPart | ImagePart | FilePart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return imageUrlPart(part);
    case 'file':
      if (part.fileId) return { type: 'file', file_id: part.fileId };
      if (part.data && part.mediaType.startsWith('audio/')) return { type: 'input_audio', input_audio: part.data };
      throw invalid(`Mistral chat takes images, audio and uploaded file ids, not inline ${part.mediaType} files.`, 'messages');
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}
