import type {
  CircuitPolicy,
  DeploymentState,
  HealthNews,
  LearnedQuality,
  ProviderLoad,
  RateLimitHeaders,
  RoutingSnapshot,
  RoutingStateStore,
} from '../../core/routing-state.ts';

/** Weight of the newest latency sample in the decaying average. */
const smoothing = 0.3;
const minuteMs = 60_000;
/** How many deployments (the first used) have their state kept. */
const maxDeployments = 10_000;

/**
 * Routing state in this process's memory: decaying latency averages, the circuit breaker per
 * deployment, and per-minute load per provider. Snapshots are live views (no copy): the
 * in-process store has nothing to fetch.
 */
export function createMemoryRoutingState(
  policyFor: (deployment: string) => CircuitPolicy,
  clock: () => number = Date.now,
  /** Tells the other processes of this one's failures and recoveries (src/app.ts: workers, Redis). */
  tell?: (news: HealthNews) => void,
): RoutingStateStore {
  const deployments = new Map<string, DeploymentState>();
  const providers = new Map<string, ProviderLoad & { windowStartedAt: number }>();
  const qualities = new Map<string, LearnedQuality>();

  const deployment = (key: string): DeploymentState => {
    let state = deployments.get(key);
    if (!state) {
      state = { samples: 0, consecutiveFailures: 0, openUntil: 0, openings: 0, probing: false };
      // Bounded as the registry's addresses are (src/router/model-registry.ts): any
      // `<provider>/<upstream>` name a caller sends is a deployment; past the bound a new one is
      // judged afresh each time, not remembered.
      if (deployments.size < maxDeployments) deployments.set(key, state);
    }
    return state;
  };
  const provider = (id: string) => {
    let load = providers.get(id);
    const now = clock();
    if (!load) {
      load = { requestsThisMinute: 0, tokensThisMinute: 0, windowStartedAt: now };
      providers.set(id, load);
    }
    if (now - load.windowStartedAt >= minuteMs) {
      load.requestsThisMinute = 0;
      load.tokensThisMinute = 0;
      load.windowStartedAt = now;
    }
    if (load.requestsResetAt !== undefined && now >= load.requestsResetAt) {
      delete load.remainingRequests;
      delete load.requestsResetAt;
    }
    if (load.tokensResetAt !== undefined && now >= load.tokensResetAt) {
      delete load.remainingTokens;
      delete load.tokensResetAt;
    }
    return load;
  };
  const open = (key: string, state: DeploymentState, cooldownMs?: number) => {
    const policy = policyFor(key);
    state.openUntil = clock() + (cooldownMs ?? Math.min(policy.cooldownMs * 2 ** state.openings, policy.maxCooldownMs));
    state.probing = false;
  };
  /** A failure in a row more, this process's or another's: the circuit opens at the policy's threshold. */
  const countFailure = (key: string, state: DeploymentState) => {
    state.consecutiveFailures += 1;
    if (state.openUntil === 0 && state.consecutiveFailures >= policyFor(key).failureThreshold) open(key, state);
  };
  /** A success, this process's or another's: the failures in a row end and the circuit closes. */
  const close = (state: DeploymentState) => {
    state.consecutiveFailures = 0;
    state.openUntil = 0;
    state.openings = 0;
  };

  return {
    snapshot(): RoutingSnapshot {
      return { deployment, provider, quality: (model) => qualities.get(model), now: clock() };
    },
    recordSuccess(key, observation) {
      const state = deployment(key);
      const field = observation.streamed ? 'ttftMs' : 'latencyMs';
      const previous = state[field];
      state[field] = previous === undefined ? observation.latencyMs : previous + smoothing * (observation.latencyMs - previous);
      state.samples += 1;
      // Only a success after failures is news: the others' failures in a row end here too.
      if (tell !== undefined && (state.consecutiveFailures > 0 || state.openUntil !== 0)) tell({ deployment: key, outcome: 'recovered' });
      close(state);
      state.probing = false;
    },
    recordFailure(key, options) {
      const state = deployment(key);
      tell?.({ deployment: key, outcome: 'failed' });
      if (options.cooldownMs === undefined && !options.probe) return countFailure(key, state);
      state.consecutiveFailures += 1;
      if (options.cooldownMs !== undefined) open(key, state, options.cooldownMs);
      else {
        // The cooldown doubles once per failed probe (issue 14): not per failure of the calls
        // that were already in flight when the circuit opened, nor per retry.
        state.openings += 1;
        open(key, state);
      }
    },
    applyHealthNews(news) {
      const state = deployment(news.deployment);
      // Another process's probe, if any, is its own: this one's `probing` is left as it is.
      if (news.outcome === 'recovered') close(state);
      else countFailure(news.deployment, state);
    },
    admit(key) {
      const state = deployment(key);
      if (state.openUntil === 0) return 'closed';
      if (clock() < state.openUntil || state.probing) return 'refused';
      state.probing = true;
      return 'probe';
    },
    releaseProbe(key) {
      deployment(key).probing = false;
    },
    recordDispatch(id, estimatedTokens) {
      const load = provider(id);
      load.requestsThisMinute += 1;
      load.tokensThisMinute += estimatedTokens;
    },
    recordFeedback(model, score, replaced) {
      const learned = qualities.get(model) ?? { count: 0, sum: 0 };
      if (replaced === undefined) learned.count += 1;
      learned.sum += score - (replaced ?? 0);
      qualities.set(model, learned);
    },
    loadFeedback(totals) {
      for (const total of totals) qualities.set(total.model, { count: total.count, sum: total.sum });
    },
    recordRateLimit(id, headers: RateLimitHeaders) {
      const load = provider(id);
      if (headers.remainingRequests !== undefined) load.remainingRequests = headers.remainingRequests;
      if (headers.remainingTokens !== undefined) load.remainingTokens = headers.remainingTokens;
      if (headers.limitRequests !== undefined) load.limitRequests = headers.limitRequests;
      if (headers.limitTokens !== undefined) load.limitTokens = headers.limitTokens;
      if (headers.requestsResetMs !== undefined) load.requestsResetAt = clock() + headers.requestsResetMs;
      if (headers.tokensResetMs !== undefined) load.tokensResetAt = clock() + headers.tokensResetMs;
    },
  };
}
