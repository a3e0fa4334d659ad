import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';

/**
 * ChatResult → OpenAI `chat.completion` JSON text. A provider's body that is already in this
 * format is returned as received (all choices, logprobs and fields Switchboard does not model).
 */
export function formatChatResponse(result: ChatResult): string {
  if (result.native?.format === 'openai-chat') return result.native.body;
  let text = '';
  let refusal: string | null = null;
  let reasoning = '';
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const part of result.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'refusal') refusal = (refusal ?? '') + part.text;
    else if (part.type === 'reasoning') reasoning += part.text;
    else toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
  }
  return JSON.stringify({
    id: result.id,
    object: 'chat.completion',
    created: result.created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && (toolCalls.length > 0 || refusal !== null) ? null : text,
          refusal,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: openAIFinishReason(result.finishReason),
      },
    ],
    usage: openAIUsage(result.usage),
  });
}

/** Unified finish reason → OpenAI's. */
export function openAIFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'stop':
    case 'other':
    case 'error':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    default: {
      const exhaustive: never = reason;
      return exhaustive;
    }
  }
}

/** Usage → OpenAI's usage object. */
export function openAIUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}
