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
  let counted: number | undefined;
  let bound: number | undefined;
  let estimated: number | undefined;
  const stickyKey = request.user ?? caller.keyId ?? undefined;
  return {
    requested,
    needs: neededCapabilities(request),
    promptTokens: () => (counted ??= countPromptTokens(request)),
    promptTokensAtMost: () => (bound ??= promptTokensAtMost(request)),
    promptTokensEstimate: () => counted ?? (estimated ??= promptTokensEstimate(request)),
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
  let counted: number | undefined;
  let bound: number | undefined;
  let estimated: number | undefined;
  const stickyKey = request.user ?? caller.keyId ?? undefined;
  return {
    requested: request.model,
    needs: new Set<Capability>(['embeddings']),
    promptTokens: () => (counted ??= countTextsTokens(request.input)),
    promptTokensAtMost: () => (bound ??= textsTokensAtMost(request.input)),
    promptTokensEstimate: () => counted ?? (estimated ??= textsTokensEstimate(request.input)),
    stream: false,
    metadata: request.metadata,
    ...(stickyKey !== undefined ? { stickyKey } : {}),
    requirements,
    hints: {},
    allowsModel: (name) => caller.allowsModel(name),
    ...(isBudgeted(caller) ? { budgeted: true } : {}),
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
