import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';
import { isJsonObject, nonObjectEntry } from '../_shared/answer-shape.ts';
import type { BedrockUsage, ConverseResponseBody } from './wire-types.ts';

/** What the answer's body does not say: Converse returns neither an id nor the model. */
export interface ResponseContext {
  /** The `x-amzn-requestid` header, or an id Switchboard made. */
  id: string;
  model: string;
}

/**
 * What keeps a 200 body from being a ConverseResponse, or undefined when it is one
 * (API_runtime_Converse.html "Response Syntax": `output` is a ConverseOutput union whose only
 * member is `message`, and a Message's `content` is a list of ContentBlock objects). An answer a
 * guardrail stopped is one (`stopReason` guardrail_intervened, with the guardrail's text).
 */
export function converseProblem(body: unknown): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  const message = isJsonObject(body.output) ? body.output.message : undefined;
  if (!isJsonObject(message)) return '"output.message" is not an object';
  if (!Array.isArray(message.content)) return '"output.message.content" is not an array';
  return nonObjectEntry(message.content, 'output.message.content');
}

/**
 * ConverseResponse (API_runtime_Converse.html "Response Syntax") → ChatResult:
 * `output.message.content` blocks in order, text → text, toolUse → tool call (its `input`
 * document as JSON text), reasoningContent → reasoning (with its signature, or redacted).
 * Blocks of other kinds (citations, images) are not carried.
 */
export function convertResponse(body: ConverseResponseBody, context: ResponseContext): Omit<ChatResult, 'warnings'> {
  const content: ChatResult['content'] = [];
  for (const block of body.output?.message?.content ?? []) {
    if (typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (block.toolUse) {
      content.push({ type: 'tool-call', id: block.toolUse.toolUseId ?? '', name: block.toolUse.name ?? '', arguments: JSON.stringify(block.toolUse.input ?? {}) });
    } else if (block.reasoningContent?.reasoningText) {
      const reasoning = block.reasoningContent.reasoningText;
      content.push({ type: 'reasoning', text: reasoning.text ?? '', ...(reasoning.signature ? { signature: reasoning.signature } : {}) });
    } else if (typeof block.reasoningContent?.redactedContent === 'string') {
      content.push({ type: 'reasoning', text: '', redacted: block.reasoningContent.redactedContent });
    }
  }
  const stopReason = body.stopReason ?? undefined;
  return {
    id: context.id,
    model: context.model,
    created: Math.floor(Date.now() / 1000),
    content,
    finishReason: mapStopReason(stopReason),
    ...(stopReason ? { rawFinishReason: stopReason } : {}),
    usage: convertUsage(body.usage),
  };
}

/**
 * StopReason (aws-sdk-js-v3 client-bedrock-runtime models/enums.ts) → unified reason; the raw
 * value is kept beside it. Values added after this list was written are `other`.
 */
export function mapStopReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content-filter';
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return 'error';
    default:
      return 'other';
  }
}

/**
 * TokenUsage → Usage. Bedrock's `inputTokens` excludes the prompt tokens read from or written to
 * the cache, which it reports beside it (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html;
 * `totalTokens` = input + output + cache reads + cache writes), so the whole prompt is the sum.
 */
export function convertUsage(usage: BedrockUsage | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const hourWrites = writesForAnHour(usage.cacheDetails);
  return {
    inputTokens: (usage.inputTokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: usage.outputTokens ?? 0,
    ...(cacheRead > 0 ? { cachedInputTokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cacheWriteTokens: cacheWrite } : {}),
    ...(hourWrites > 0 ? { cacheWrite1hTokens: hourWrites } : {}),
  };
}

/** The cache writes made to last an hour (`cacheDetails`, API_runtime_CacheDetail.html), priced apart from 5-minute ones. */
function writesForAnHour(details: BedrockUsage['cacheDetails']): number {
  let tokens = 0;
  if (Array.isArray(details)) for (const detail of details) if (detail?.ttl === '1h' && typeof detail.inputTokens === 'number') tokens += detail.inputTokens;
  return tokens;
}
