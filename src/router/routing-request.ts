import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { Capability } from '../core/model.ts';
import { hasBudget } from '../core/governance.ts';
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
    ...(hasBudget(caller.governance) ? { budgeted: true } : {}),
  };
}

/** What routing needs to know about an embeddings request; `requested` is the model or route after rules. */
export function embeddingRoutingRequest(request: EmbeddingRequest, requested: string, caller: Caller, requirements: Requirements): RoutingRequest {
  const stickyKey = request.user ?? caller.keyId ?? undefined;
  return {
    requested,
    needs: new Set<Capability>(['embeddings']),
    ...promptMeasures(request, embeddingTokens(countTextsTokens), embeddingTokens(textsTokensAtMost), embeddingTokens(textsTokensEstimate)),
    windowTokens: longestInput(request.input),
    stream: false,
    metadata: request.metadata,
    ...(stickyKey !== undefined ? { stickyKey } : {}),
    requirements,
    hints: request.hints ?? {},
    allowsModel: (name) => caller.allowsModel(name),
    ...(hasBudget(caller.governance) ? { budgeted: true } : {}),
  };
}

/** A measure of texts, for an embeddings request: its text inputs measured, and its token ids (one token each). */
function embeddingTokens(measure: (texts: readonly string[]) => number): (request: EmbeddingRequest) => number {
  return (request) => measure(request.input) + (request.inputTokenIds ?? 0);
}

/**
 * An embeddings request's longest text input, measured as a prompt is (its bytes first, counted
 * only when they do not settle it): each input is embedded on its own, so it is each input that
 * must fit in a model's window, not the batch (an outside probe: 40 inputs of 300 tokens were a
 * 400, "context window 8191 < 12225 tokens needed", from every candidate of a route). Token-id
 * inputs are not measured one by one, so they are not held against a window; a provider that
 * refuses one as too long is failed over like any context-length error.
 */
function longestInput(texts: readonly string[]): NonNullable<RoutingRequest['windowTokens']> {
  const largest = (measure: (texts: readonly string[]) => number) => texts.reduce((most, text) => Math.max(most, measure([text])), 0);
  let counted: number | undefined;
  let bound: number | undefined;
  return { count: () => (counted ??= largest(countTextsTokens)), atMost: () => (bound ??= largest(textsTokensAtMost)) };
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
