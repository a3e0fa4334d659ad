import { randomUUID } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';
import type { OpenAIChatBody, OpenAIUsage } from './wire-types.ts';

/** OpenAI Chat Completions body → ChatResult (first choice; `native` keeps all choices). */
export function convertResponse(body: OpenAIChatBody, requestedModel: string): Omit<ChatResult, 'warnings' | 'native'> {
  const choice = body.choices?.[0];
  const message = choice?.message ?? {};
  const content: ChatResult['content'] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });
  if (message.content) content.push({ type: 'text', text: message.content });
  if (message.refusal) content.push({ type: 'refusal', text: message.refusal });
  for (const call of message.tool_calls ?? []) {
    content.push({
      type: 'tool-call',
      id: call.id ?? `call_${randomUUID().replaceAll('-', '')}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    });
  }
  return {
    ...completionHeader(body, requestedModel),
    content,
    finishReason: mapFinishReason(choice?.finish_reason),
    ...(choice?.finish_reason ? { rawFinishReason: choice.finish_reason } : {}),
    usage: convertUsage(body.usage),
  };
}

/**
 * The id, model and creation time of a completion or chunk (`chat.completion`'s `id`, `model`,
 * `created`), made up where the body leaves them out: `chatcmpl-<uuid>`, the model called, now.
 */
export function completionHeader(
  body: { id?: string | null; model?: string | null; created?: number | null },
  requestedModel: string,
): { id: string; model: string; created: number } {
  return {
    id: body.id ?? `chatcmpl-${randomUUID()}`,
    model: body.model ?? requestedModel,
    created: body.created ?? Math.floor(Date.now() / 1000),
  };
}

/** OpenAI `finish_reason` → unified reason. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/** OpenAI usage → Usage. Missing numbers are 0 and mark the usage as not reported. */
export function convertUsage(usage: OpenAIUsage | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? undefined;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? undefined;
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}
