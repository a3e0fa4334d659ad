import { randomUUID } from 'node:crypto';
import type { ChatResult, Warning } from '../../core/chat-result.ts';
import { isJsonObject, nonObjectEntry } from '../_shared/answer-shape.ts';
import { convertUsage } from './convert-usage.ts';
import { mapFinishReason } from './map-finish-reason.ts';
import { encodeToolCallId } from './tool-call-id.ts';
import type { GeminiPart, GeminiResponse } from './wire-types.ts';

/** One converted part of an answer. */
export type ConvertedPart = ChatResult['content'][number];

/**
 * One Gemini Part → content parts (content.proto Part):
 * - `thought: true` text → reasoning, keeping its `thoughtSignature`;
 * - a functionCall → a tool call whose id carries the part's signature (tool-call-id.ts);
 * - answer text → text; a signature on answer text (Gemini sends one on the last text part, at
 *   times on an empty one) follows it as a reasoning part with no text, so it can go back.
 * Other kinds (executable code, inline media) are not relayed; the caller reports them.
 */
export function convertPart(part: GeminiPart): ConvertedPart[] | { skipped: string } {
  const signature = part.thoughtSignature ?? undefined;
  if (part.functionCall) {
    return [{ type: 'tool-call', id: encodeToolCallId(part.functionCall.id, signature), name: part.functionCall.name ?? '', arguments: JSON.stringify(part.functionCall.args ?? {}) }];
  }
  if (typeof part.text === 'string') {
    if (part.thought) return [{ type: 'reasoning', text: part.text, ...(signature ? { signature } : {}) }];
    const converted: ConvertedPart[] = part.text === '' ? [] : [{ type: 'text', text: part.text }];
    if (signature) converted.push({ type: 'reasoning', text: '', signature });
    return converted;
  }
  const kind = Object.keys(part).find((key) => key !== 'thoughtSignature' && key !== 'thought') ?? 'empty';
  return { skipped: kind };
}

/** A warning for a part kind Switchboard cannot relay. */
export function skippedPartWarning(kind: string): Warning {
  return { type: 'other', setting: `parts.${kind}`, message: `Gemini answered with a "${kind}" part, which Switchboard cannot relay; it was left out` };
}

/**
 * What keeps a 200 body from being a GenerateContentResponse, or undefined when it may be one
 * (generative_service.proto: `candidates` is a list of Candidate messages). No candidates at all
 * is left to the caller, which reads `promptFeedback` for why (errors.ts errorFromBlockedPrompt,
 * errorFromEmptyAnswer); a candidate without content is an answer whose `finishReason` says why
 * (SAFETY, RECITATION: convertResponse maps it).
 */
export function generateContentProblem(body: unknown): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  const candidates = body.candidates;
  if (candidates === undefined || candidates === null) return undefined;
  if (!Array.isArray(candidates)) return '"candidates" is not an array';
  return nonObjectEntry(candidates, 'candidates');
}

/**
 * GenerateContentResponse → ChatResult, from the first candidate (n > 1 is refused before the
 * call). An answer without candidates (a blocked prompt, or none at all) is an error, found
 * before this (errors.ts errorFromBlockedPrompt, errorFromEmptyAnswer).
 */
export function convertResponse(body: GeminiResponse, requestedModel: string): Omit<ChatResult, 'native'> {
  const warnings: Warning[] = [];
  const candidate = body.candidates?.[0];
  const content: ConvertedPart[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    const converted = convertPart(part);
    if (Array.isArray(converted)) content.push(...converted);
    else warnings.push(skippedPartWarning(converted.skipped));
  }
  const hasToolCalls = content.some((part) => part.type === 'tool-call');
  const finish: Pick<ChatResult, 'finishReason' | 'rawFinishReason'> = candidate?.finishReason
    ? { finishReason: mapFinishReason(candidate.finishReason, hasToolCalls), rawFinishReason: candidate.finishReason }
    : { finishReason: hasToolCalls ? 'tool-calls' : 'other' };
  return {
    id: body.responseId ?? `chatcmpl-${randomUUID()}`,
    model: body.modelVersion ?? requestedModel,
    created: Math.floor(Date.now() / 1000),
    content,
    ...finish,
    usage: convertUsage(body.usageMetadata),
    warnings,
  };
}
