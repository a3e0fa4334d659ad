import { randomUUID } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';
import { isJsonObject } from '../_shared/answer-shape.ts';
import type { CohereChatBody, CohereUsage } from './wire-types.ts';

/**
 * What keeps a 200 body from being a Chat v2 response, or undefined when it is one
 * (https://docs.cohere.com/reference/chat, "Response": the answer is `message`, an object). Its
 * `content` may be absent: a tool-call answer has only `tool_plan` and `tool_calls`.
 */
export function chatResponseProblem(body: unknown): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  return isJsonObject(body.message) ? undefined : '"message" is not an object';
}

/**
 * Cohere Chat v2 response → ChatResult (https://docs.cohere.com/reference/chat, "Response").
 * `message.tool_plan` (the model's reasoning before its tool calls) becomes a reasoning part, as
 * `thinking` content items do; `citations` have no place in ChatResult and are not kept. The
 * response names no model, so the one called is reported.
 */
export function convertResponse(body: CohereChatBody, requestedModel: string, stops?: readonly string[]): Omit<ChatResult, 'warnings'> {
  const message = body.message ?? {};
  const content: ChatResult['content'] = [];
  const thinking = (message.content ?? []).flatMap((item) => (item.type === 'thinking' && item.thinking ? [item.thinking] : [])).join('');
  const reasoning = thinking + (message.tool_plan ?? '');
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });
  const text = (message.content ?? []).flatMap((item) => (item.type === 'text' && item.text ? [item.text] : [])).join('');
  if (text) content.push({ type: 'text', text });
  for (const call of message.tool_calls ?? []) {
    content.push({
      type: 'tool-call',
      id: call.id ?? `call_${randomUUID().replaceAll('-', '')}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    });
  }
  return {
    id: body.id ?? randomUUID(),
    model: requestedModel,
    created: Math.floor(Date.now() / 1000),
    content,
    finishReason: mapFinishReason(body.finish_reason),
    ...(body.finish_reason ? { rawFinishReason: body.finish_reason } : {}),
    ...stopSequenceOf(body.finish_reason, stops),
    usage: convertUsage(body.usage),
  };
}

/**
 * The stop sequence that ended the answer. Cohere says only that one did (`STOP_SEQUENCE`), not
 * which: with the caller's single `stop_sequences` entry it is that one (an Anthropic caller gets
 * `stop_reason: "stop_sequence"` with it); with several it cannot be known and is left unset.
 */
export function stopSequenceOf(reason: string | null | undefined, stops: readonly string[] | undefined): { stopSequence?: string } {
  return reason === 'STOP_SEQUENCE' && stops?.length === 1 ? { stopSequence: stops[0]! } : {};
}

/** Chat v2 `finish_reason` → unified reason. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool-calls';
    case 'ERROR':
    case 'TIMEOUT':
      return 'error';
    default:
      return 'other';
  }
}

/**
 * Usage from `tokens` (what the model read and wrote) or, when absent, `billed_units`; Cohere
 * reports prompt-cache hits as `cached_tokens` beside them.
 */
export function convertUsage(usage: CohereUsage | null | undefined): Usage {
  // The first of the two that holds a count: a `tokens` object without one is no report.
  const counts = holdsCount(usage?.tokens) ? usage?.tokens : holdsCount(usage?.billed_units) ? usage?.billed_units : undefined;
  if (!counts) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const billed = holdsCount(usage?.billed_units) ? usage!.billed_units! : undefined;
  return {
    inputTokens: counts.input_tokens ?? 0,
    outputTokens: counts.output_tokens ?? 0,
    ...(usage?.cached_tokens ? { cachedInputTokens: usage.cached_tokens } : {}),
    // "The number of billed input/output tokens" (Cohere's Usage schema): what the call costs.
    ...(billed ? { billed: { inputTokens: billed.input_tokens ?? 0, outputTokens: billed.output_tokens ?? 0 } } : {}),
  };
}

function holdsCount(counts: { input_tokens?: number | null; output_tokens?: number | null } | null | undefined): boolean {
  return typeof counts?.input_tokens === 'number' || typeof counts?.output_tokens === 'number';
}
