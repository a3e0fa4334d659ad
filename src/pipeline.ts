import type { ChatRequest } from './core/chat-request.ts';
import type { ChatResult } from './core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from './core/embedding.ts';
import type { ModelInfo } from './core/model.ts';
import type { StreamEvent } from './core/stream-event.ts';
import type { RequestRecord } from './ledger/request-record.ts';
import { UsageTap } from './ledger/usage-tap.ts';
import { executeChat, executeEmbedding, executeStream, type ProviderHandle } from './router/execute.ts';
import type { Plan, Planner } from './router/plan.ts';
import { countPromptTokens, countTextTokens } from './tokens/count.ts';

/** What the pipeline needs; wired by app.ts. */
export interface PipelineDependencies {
  planner: Planner;
  providers: ReadonlyMap<string, ProviderHandle>;
}

/** A finished chat: the answer, or a stream of events already tapped for accounting. */
export type ChatOutcome =
  | { kind: 'complete'; result: ChatResult; model: ModelInfo; plan: Plan }
  | { kind: 'stream'; events: ReadableStream<StreamEvent>; tap: UsageTap; model: ModelInfo; plan: Plan };

/**
 * Per-request orchestration after the HTTP layer has authenticated and parsed the request:
 * plan → execute → account. Every outcome leaves the request's record filled in; the HTTP
 * layer finishes the record for non-streamed answers and errors, the usage tap for streams.
 */
export class Pipeline {
  readonly #planner: Planner;
  readonly #providers: ReadonlyMap<string, ProviderHandle>;

  constructor(dependencies: PipelineDependencies) {
    this.#planner = dependencies.planner;
    this.#providers = dependencies.providers;
  }

  async chat(record: RequestRecord, request: ChatRequest, signal: AbortSignal): Promise<ChatOutcome> {
    record.modelRequested = request.model;
    record.stream = request.stream;
    record.metadata = request.metadata;
    const plan = this.#plan(record, request.model, request.metadata, request.user, () => countPromptTokens(request), request.maxOutputTokens);
    const context = { requestId: record.id, signal, provider: (id: string) => this.#providers.get(id), attempts: record.attempts };
    if (request.stream) {
      const execution = await executeStream(plan, request, context);
      record.answered = execution.model;
      const tap = new UsageTap(record, request);
      return { kind: 'stream', events: execution.value.pipeThrough(tap.stream), tap, model: execution.model, plan };
    }
    const execution = await executeChat(plan, request, context);
    const result = execution.value;
    record.answered = execution.model;
    record.warnings.push(...result.warnings);
    record.usage = result.usage.estimated ? estimateChatUsage(request, result) : result.usage;
    return { kind: 'complete', result, model: execution.model, plan };
  }

  async embed(record: RequestRecord, request: EmbeddingRequest, signal: AbortSignal): Promise<{ result: EmbeddingResult; model: ModelInfo; plan: Plan }> {
    record.modelRequested = request.model;
    record.metadata = request.metadata;
    const plan = this.#plan(record, request.model, request.metadata, request.user, () => request.input.reduce((sum, text) => sum + countTextTokens(text), 0), 0);
    const execution = await executeEmbedding(plan, request, {
      requestId: record.id,
      signal,
      provider: (id: string) => this.#providers.get(id),
      attempts: record.attempts,
    });
    record.answered = execution.model;
    record.usage = execution.value.usage;
    return { result: execution.value, model: execution.model, plan };
  }

  /** Known route ids (for /v1/models). */
  routeIds(): string[] {
    return this.#planner.routeIds();
  }

  #plan(
    record: RequestRecord,
    model: string,
    metadata: Record<string, string>,
    user: string | undefined,
    countInput: () => number,
    maxOutputTokens: number | undefined,
  ): Plan {
    let counted: number | undefined;
    const plan = this.#planner.plan(model, {
      estimatedInputTokens: () => (counted ??= countInput()),
      expectedOutputTokens: maxOutputTokens ?? 512,
      metadata,
      ...(user ?? record.keyId ? { stickyKey: user ?? record.keyId ?? undefined } : {}),
      random: Math.random,
    });
    record.route = plan.route?.id ?? null;
    record.reason = plan.reason;
    return plan;
  }
}

/** Counted usage for a provider that reported none. */
function estimateChatUsage(request: ChatRequest, result: ChatResult) {
  const output = result.content.map((part) => (part.type === 'tool-call' ? part.name + part.arguments : part.text)).join('');
  return { inputTokens: countPromptTokens(request), outputTokens: countTextTokens(output), estimated: true };
}
