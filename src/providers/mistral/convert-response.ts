import { randomUUID } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';
import { completionHeader } from '../openai-compatible/convert-response.ts';
import type { MistralChatBody, MistralContent, MistralToolCall, MistralUsage } from './wire-types.ts';

/**
 * Mistral ChatCompletionResponse → ChatResult (first choice). Content may be a string or
 * ContentChunks (reasoning models answer `[{type:"thinking", thinking:[TextChunk]}, TextChunk]`),
 * tool call arguments a string or an object (FunctionCall in ../shared/specs/mistral/openapi.yaml).
 */
export function convertResponse(body: MistralChatBody, requestedModel: string): Omit<ChatResult, 'warnings'> {
  const choice = body.choices?.[0];
  const message = choice?.message ?? {};
  const { text, reasoning } = splitContent(message.content);
  const content: ChatResult['content'] = [];
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });
  if (text) content.push({ type: 'text', text });
  for (const call of message.tool_calls ?? []) {
    content.push({ type: 'tool-call', id: call.id ?? randomToolCallId(), name: call.function?.name ?? '', arguments: toolArguments(call) });
  }
  return {
    ...completionHeader(body, requestedModel),
    content,
    finishReason: mapFinishReason(choice?.finish_reason),
    ...(choice?.finish_reason ? { rawFinishReason: choice.finish_reason } : {}),
    usage: convertUsage(body.usage),
  };
}

/** The text and the reasoning of a message or delta `content`. */
export function splitContent(content: MistralContent): { text: string; reasoning: string } {
  if (typeof content === 'string') return { text: content, reasoning: '' };
  let text = '';
  let reasoning = '';
  for (const chunk of content ?? []) {
    if (chunk.type === 'text' && chunk.text) text += chunk.text;
    else if (chunk.type === 'thinking') reasoning += (chunk.thinking ?? []).map((part) => part.text ?? '').join('');
  }
  return { text, reasoning };
}

/** FunctionCall.arguments is `object | string` in the spec: objects are serialised. */
export function toolArguments(call: MistralToolCall): string {
  const value = call.function?.arguments;
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A Mistral-style id (nine letters or digits) for a call the provider sent without one. */
export function randomToolCallId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 9);
}

/** ChatCompletionChoice.finish_reason: stop, length, model_length, error, tool_calls. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
    case 'model_length':
      return 'length';
    case 'tool_calls':
      return 'tool-calls';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}

/** UsageInfo → Usage; cached prompt tokens come as `num_cached_tokens` or `prompt_tokens_details`. */
export function convertUsage(usage: MistralUsage | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const cached = usage.num_cached_tokens ?? usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_token_details?.cached_tokens ?? undefined;
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    ...(cached ? { cachedInputTokens: cached } : {}),
  };
}
