import type { RoutingHints } from './chat-request.ts';
import type { Capability, ModelInfo } from './model.ts';
import type { RoutingSnapshot } from './routing-state.ts';

/**
 * Routing seams. Filters remove candidates that cannot serve a request; a strategy orders the
 * rest. Neither calls a provider, retries or falls back (src/router/execute.ts does), so both
 * are pure over the context they are given and testable as tables of inputs and picks.
 */

/** A configured provider as routing sees it. */
export interface ProviderProfile {
  id: string;
  type: string;
  /** Runs on the operator's own machines (data_policy.on_prem). */
  onPrem: boolean;
  /** Keeps or trains on request data (data_policy.retains_data). */
  retainsData: boolean;
  /** What the balancer must stay under (providers[].limits). */
  limits: { rpm?: number; tpm?: number };
}

/** What routing knows about the request, independent of its wire format. */
export interface RoutingRequest {
  /** The model or route id the caller asked for (after rules). */
  requested: string;
  /** Capabilities the request needs: tools, vision, json_schema. */
  needs: ReadonlySet<Capability>;
  /** Prompt tokens, counted with a real tokenizer on first use. */
  promptTokens(): number;
  /**
   * A bound no lower than the prompt's tokens, without a tokenizer (its UTF-8 bytes): what a
   * filter compares first, counting only when the bound does not settle it. Absent: count.
   */
  promptTokensAtMost?(): number;
  /**
   * About as many tokens as the prompt holds (the count, if one was made; else an estimate from
   * its UTF-8 bytes, without a tokenizer): for reservations the real usage replaces. Absent: count.
   */
  promptTokensEstimate?(): number;
  /**
   * What must fit in a model's context window when that is not the whole prompt: an embeddings
   * request's longest input (each input is embedded on its own). Absent: the prompt.
   */
  windowTokens?: { count(): number; atMost(): number };
  /**
   * Set by /v1/route/explain: strategies compute every score they can show, even where the
   * order is settled without one (the cost strategy then counts the prompt).
   */
  explain?: boolean;
  /** `max_tokens` / `max_completion_tokens`, when the request sets one. */
  maxOutputTokens?: number;
  /** Streamed requests are ranked by time to first token, others by whole-call latency. */
  stream: boolean;
  metadata: Readonly<Record<string, string>>;
  /** Stickiness key for split routing: the request's `user`, else the caller's key id. */
  stickyKey?: string;
  /** Data-policy requirements from rules and guardrails. */
  requirements: { onPrem?: boolean; noRetention?: boolean };
  hints: RoutingHints;
  /** The caller's key allow-list (true for the master key and open access). */
  allowsModel(name: string): boolean;
  /**
   * The caller's key or team has a budget: a model without a known price cannot be admitted
   * against it (its cost would count as $0), so such candidates are removed.
   */
  budgeted?: boolean;
}

/** What filters and strategies may read. */
export interface RoutingContext {
  request: RoutingRequest;
  provider(id: string): ProviderProfile | undefined;
  state: RoutingSnapshot;
  /** The route's settings (absent when a model was named directly). */
  route?: {
    id: string;
    minQuality?: number;
    split?: ReadonlyArray<{ model: string; weight: number }>;
    /**
     * Ids of the route's own models (its candidates, split arms and fallbacks), not the ones a
     * request's `models` hint adds: a key allowed the route may use these through it.
     */
    models: ReadonlySet<string>;
  };
  /** A number in [0, 1) (injected so tests are deterministic). */
  random(): number;
}

/** Removes candidates that cannot serve a request, saying why. */
export interface CandidateFilter {
  readonly name: string;
  /**
   * False for filters that do not apply to a model the request names directly
   * (../shared/SPEC.md: capabilities and context window only filter a route's candidates).
   */
  readonly appliesToDirectModel: boolean;
  /** The reason the model is removed, or undefined to keep it. */
  reject(model: ModelInfo, context: RoutingContext): string | undefined;
}

/** A strategy's answer: the candidates in the order to try them, and why. */
export interface Ranking {
  ordered: ModelInfo[];
  /** One line for the ledger's routing reason and /v1/route/explain. */
  reason: string;
  /** Score per model id, where the strategy computes one (lower is better unless stated in the reason). */
  scores?: Record<string, number>;
  /** Candidates the strategy itself left out (e.g. below min_quality), with the reason. */
  excluded?: Record<string, string>;
}

/** A routing strategy (`routes[].strategy`). */
export interface RoutingStrategy {
  readonly name: string;
  /**
   * True when the strategy itself spreads traffic by the route's `split` weights (balance).
   * Otherwise a route's `split` is an A/B test the planner applies before the strategy's order.
   */
  readonly usesSplitWeights?: boolean;
  /**
   * True when the ranking reads providers' rate-limit headers (RoutingState.recordRateLimit):
   * those headers are parsed from every answer only when a configured route's strategy says so.
   */
  readonly readsRateLimits?: boolean;
  rank(candidates: readonly ModelInfo[], context: RoutingContext): Ranking;
}
