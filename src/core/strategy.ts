import type { ModelInfo } from './model.ts';

/**
 * Routing seam: a strategy orders the candidates that survived the filters; it never calls a
 * provider, retries or falls back (src/router/execute.ts does). Strategies are pure over the
 * context they are given, so each is testable as a table of inputs and picks.
 */

/** What a strategy may look at for one request. */
export interface RankingContext {
  /** Prompt tokens, counted with a real tokenizer (lazily: only strategies that need it pay). */
  estimatedInputTokens(): number;
  /** Output tokens the caller allows or the model's typical answer length. */
  expectedOutputTokens: number;
  /** Routing metadata of the request (`task`, ...). */
  metadata: Readonly<Record<string, string>>;
  /** Stickiness key for split routing: the request's `user`, else the caller's key id. */
  stickyKey?: string;
  /** The route's settings the strategy may use. */
  route: {
    id: string;
    minQuality?: number;
    split?: ReadonlyArray<{ model: string; weight: number }>;
  };
  /** A number in [0, 1) (injected so tests are deterministic). */
  random(): number;
}

/** A strategy's answer: the candidates in the order to try them, and why. */
export interface Ranking {
  ordered: ModelInfo[];
  /** One line for the ledger's routing reason and /v1/route/explain. */
  reason: string;
  /** Score per model id, where the strategy computes one. */
  scores?: Record<string, number>;
}

/** A routing strategy (`routes[].strategy`). */
export interface RoutingStrategy {
  readonly name: string;
  rank(candidates: readonly ModelInfo[], context: RankingContext): Ranking;
}
