import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { Capability } from '../core/model.ts';
import type { RoutingRequest } from '../core/strategy.ts';
import { countPromptTokens, countTextsTokens, promptTokensAtMost, promptTokensEstimate, textsTokensAtMost, textsTokensEstimate } from '../tokens/count.ts';

/** Data-policy requirements gathered before routing (rules, guardrails). */
export interface Requirements {
  onPrem?: boolean;
  noRetention?: boolean;
}

/** What routing needs to know about a chat request. Prompt tokens are counted once, on demand. */
export function chatRoutingRequest(request: ChatRequest, requested: string, caller: Caller, requirements: Requirements): RoutingRequest {
  const stickyKey = request.user ?? caller.keyId ?? undefined;
  return {
    requested,
    needs: neededCapabilities(request),
    ...promptMeasures(request, countPromptTokens, promptTokensAtMost, promptTokensEstimate),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
    stream: request.stream,
    metadata: request.metadata,
    ...(stickyKey !== undefined ? { stickyKey } : {}),
    requirements,
    hints: request.hints,
    allowsModel: (name) => caller.allowsModel(name),
    ...(isBudgeted(caller) ? { budgeted: true } : {}),
  };
}

/** What routing needs to know about an embeddings request. */
export function embeddingRoutingRequest(request: EmbeddingRequest, caller: Caller, requirements: Requirements): RoutingRequest {
  const stickyKey = request.user ?? caller.keyId ?? undefined;
  return {
    requested: request.model,
    needs: new Set<Capability>(['embeddings']),
    ...promptMeasures(request, embeddingTokens(countTextsTokens), embeddingTokens(textsTokensAtMost), embeddingTokens(textsTokensEstimate)),
    stream: false,
    metadata: request.metadata,
    ...(stickyKey !== undefined ? { stickyKey } : {}),
    requirements,
    hints: {},
    allowsModel: (name) => caller.allowsModel(name),
    ...(isBudgeted(caller) ? { budgeted: true } : {}),
  };
}

/** A measure of texts, for an embeddings request: its text inputs measured, and its token ids (one token each). */
function embeddingTokens(measure: (texts: readonly string[]) => number): (request: EmbeddingRequest) => number {
  return (request) => measure(request.input) + (request.inputTokenIds ?? 0);
}

/**
 * The prompt's three measures, each made once, when first asked for (a key's tpm admission and a
 * provider's limits.tpm both ask); the estimate gives way to the count once one was made.
 */
function promptMeasures<Prompt>(
  prompt: Prompt,
  count: (prompt: Prompt) => number,
  atMost: (prompt: Prompt) => number,
  estimate: (prompt: Prompt) => number,
): Pick<RoutingRequest, 'promptTokens' | 'promptTokensAtMost' | 'promptTokensEstimate'> {
  let counted: number | undefined;
  let bound: number | undefined;
  let estimated: number | undefined;
  return {
    promptTokens: () => (counted ??= count(prompt)),
    promptTokensAtMost: () => (bound ??= atMost(prompt)),
    promptTokensEstimate: () => counted ?? (estimated ??= estimate(prompt)),
  };
}

function isBudgeted(caller: Caller): boolean {
  return caller.governance?.policies.some((policy) => policy.budgetUsd !== undefined) ?? false;
}

/** Tools (unless tool_choice is none), vision (an image anywhere), json_schema (structured output). */
export function neededCapabilities(request: ChatRequest): Set<Capability> {
  const needs = new Set<Capability>();
  if (request.tools?.length && request.toolChoice !== 'none') needs.add('tools');
  if (request.responseFormat?.type === 'json_schema') needs.add('json_schema');
  for (const message of request.messages) {
    if ((message.role === 'user' || message.role === 'tool') && message.content.some((part) => part.type === 'image')) {
      needs.add('vision');
      break;
    }
  }
  return needs;
}
