/**
 * Routing seam for learned state: what strategies and filters read (latency, health, load) and
 * what the executor reports back. The in-process implementation is src/store/memory; a shared
 * backend (Redis) for several replicas implements the same interface: reads come as one
 * snapshot per decision, writes are fire-and-forget.
 */

/** Health and speed of one deployment (`<provider id>/<upstream model>`). */
export interface DeploymentState {
  /** Decaying average of the whole-call latency of non-streamed calls, ms. */
  latencyMs?: number;
  /** Decaying average of the time to first token of streamed calls, ms. */
  ttftMs?: number;
  /** Successful calls observed. */
  samples: number;
  /** Retryable failures in a row (reset by a success). */
  consecutiveFailures: number;
  /** Circuit breaker: calls are refused until this time (ms since epoch); 0 = closed. */
  openUntil: number;
  /**
   * Failed probes since the circuit last closed: each doubles the next cooldown (once per
   * failed probe, never per failure), up to the policy's maximum.
   */
  openings: number;
  /** A half-open probe is in flight (only one at a time). */
  probing: boolean;
}

/** Load on one provider against its limits, for balancing. */
export interface ProviderLoad {
  /** Requests and tokens sent in the current minute window. */
  requestsThisMinute: number;
  tokensThisMinute: number;
  /** From the provider's x-ratelimit-* (or anthropic-ratelimit-*) headers, where sent. */
  remainingRequests?: number;
  remainingTokens?: number;
  limitRequests?: number;
  limitTokens?: number;
  /**
   * When the provider said each count resets (ms since epoch): apart, since a request limit
   * spent for a second must not hold the provider back until its tokens' reset minutes later.
   */
  requestsResetAt?: number;
  tokensResetAt?: number;
}

/** Quality learned from feedback for one model id. */
export interface LearnedQuality {
  /** Feedback scores received. */
  count: number;
  /** Their sum (scores are in [0, 1]). */
  sum: number;
}

/** What one routing decision reads. */
export interface RoutingSnapshot {
  deployment(key: string): DeploymentState;
  provider(id: string): ProviderLoad;
  /** Feedback on a model id, or undefined when it has none. */
  quality(model: string): LearnedQuality | undefined;
  /** Milliseconds since epoch at the time of the snapshot. */
  now: number;
}

/** Rate-limit facts read from a provider's response headers. */
export interface RateLimitHeaders {
  remainingRequests?: number;
  remainingTokens?: number;
  limitRequests?: number;
  limitTokens?: number;
  /** In how many milliseconds each count resets. */
  requestsResetMs?: number;
  tokensResetMs?: number;
}

/**
 * Whether a deployment may be called now: `closed` (its circuit is closed), `probe` (its cooldown
 * has passed and this caller holds its single half-open probe), or `refused` (in cooldown, or
 * another probe is in flight).
 */
export type Admission = 'closed' | 'probe' | 'refused';

/**
 * What one process tells the others (its sibling workers, other replicas through Redis) of a
 * deployment's health, so that a failing provider is avoided by all of them after the failures
 * in a row the policy allows, not after that many in each process: a call that failed in a way
 * that counts, or the first success after failures (which closes the circuit everywhere).
 */
export interface HealthNews {
  deployment: string;
  outcome: 'failed' | 'recovered';
}

/** The store of learned routing state. */
export interface RoutingStateStore {
  snapshot(): RoutingSnapshot;
  /** A call answered; it closes the circuit (a probe's success included). */
  recordSuccess(deployment: string, observation: { latencyMs: number; streamed: boolean }): void;
  /**
   * A failure that counts against the deployment. A closed circuit opens once the failures in a
   * row reach the threshold; a failed `probe` re-opens it for twice as long; a failure of a call
   * that started before the circuit opened changes nothing more. `cooldownMs` opens the circuit at
   * once for that long.
   */
  recordFailure(deployment: string, options: { cooldownMs?: number; probe?: boolean }): void;
  /** Admits a call (claiming the single half-open probe of a deployment whose cooldown has passed). */
  admit(deployment: string): Admission;
  /** A probe ended with neither a success nor a failure that counts (the caller left, a 400, a 429): the next call probes. */
  releaseProbe(deployment: string): void;
  recordDispatch(provider: string, estimatedTokens: number): void;
  recordRateLimit(provider: string, headers: RateLimitHeaders): void;
  /** A feedback score for an answer of `model`; `replaced` is the score it supersedes, if any. */
  recordFeedback(model: string, score: number, replaced?: number): void;
  /**
   * Another process's news: a failure counts as one of this process's own (non-probe) failures; a
   * recovery closes the circuit and clears the failures, without a latency sample.
   */
  applyHealthNews(news: HealthNews): void;
  /** Seeds learned quality from stored feedback totals (at startup). */
  loadFeedback(totals: ReadonlyArray<{ model: string; count: number; sum: number }>): void;
}

/** Circuit-breaker settings of a deployment's provider. */
export interface CircuitPolicy {
  /** Retryable failures in a row that open the circuit. */
  failureThreshold: number;
  /** First cooldown; doubles with each failed probe, up to maxCooldownMs. */
  cooldownMs: number;
  maxCooldownMs: number;
}
