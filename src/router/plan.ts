import { GatewayError, modelNotFound } from '../core/errors.ts';
import type { Warning } from '../core/chat-result.ts';
import type { ModelInfo } from '../core/model.ts';
import type { RoutingStateStore } from '../core/routing-state.ts';
import type { CandidateFilter, ProviderProfile, RoutingContext, RoutingRequest, RoutingStrategy } from '../core/strategy.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { ModelRegistry } from './model-registry.ts';
import { contextWindowFilter } from './filters/context-window.ts';
import { orderByHints } from './provider-order.ts';
import { pickWeighted, stickyRoll } from './split.ts';

/** Retry policy of one candidate. */
export interface RetryPolicy {
  /** Retries after the first try (0: one try). */
  attempts: number;
  backoffMs: number;
  /** Longest retry-after waited out on the same model (429, 503); a longer one moves on. */
  maxRetryAfterMs: number;
}

/** Default of `retry.max_retry_after_ms`. */
export const defaultMaxRetryAfterMs = 5000;

/** One model the planner looked at, and what became of it (for /v1/route/explain). */
export interface ConsideredCandidate {
  model: ModelInfo;
  role: 'requested' | 'candidate' | 'fallback' | 'hint';
  /** The filter or strategy that removed it, and why. */
  removedBy?: string;
  reason?: string;
  score?: number;
}

/** The routing decision for one request: what to try, in order, and why. */
export interface Plan {
  requested: string;
  /** The route that was used, or null when a model was named directly. */
  route: RouteConfig | null;
  strategy: string | null;
  /** Candidates in the order to try them, fallbacks last. */
  candidates: ModelInfo[];
  considered: ConsideredCandidate[];
  retry: RetryPolicy;
  /** Per-attempt limit overriding the providers' timeouts (the route's `timeout_ms`). */
  timeoutMs?: number;
  /** Start the next candidate in parallel when the first has not answered in this time. */
  hedgeAfterMs?: number;
  /** The route's `ttft_timeout_ms` and `stall_timeout_ms`, where set (defaults: src/router/deadlines.ts). */
  ttftTimeoutMs?: number;
  stallTimeoutMs?: number;
  /** Continue a stream that breaks after output (the route's `resume_streams`, on by default). */
  resumeStreams: boolean;
  reason: string;
  /** What the request asked of routing that the router did not act on, for the ledger row. */
  warnings?: Warning[];
}

/** What a plan takes from its route's settings, the same for each of its requests. */
type RouteSettings = Pick<Plan, 'retry' | 'timeoutMs' | 'hedgeAfterMs' | 'ttftTimeoutMs' | 'stallTimeoutMs' | 'resumeStreams'>;

interface CompiledRoute {
  config: RouteConfig;
  strategy: RoutingStrategy;
  candidates: ModelInfo[];
  fallbacks: ModelInfo[];
  /** Ids of the candidates and fallbacks (RoutingContext.route.models). */
  models: ReadonlySet<string>;
  settings: Readonly<RouteSettings>;
}

/** A model named directly: one try, the provider's timeouts, streams resumed. */
const directSettings: Readonly<RouteSettings> = { retry: { attempts: 0, backoffMs: 200, maxRetryAfterMs: defaultMaxRetryAfterMs }, resumeStreams: true };

/** A route's settings, read once when the planner is built rather than for each request. */
function routeSettings(route: RouteConfig): RouteSettings {
  return {
    retry: {
      attempts: route.retry?.attempts ?? 0,
      backoffMs: route.retry?.backoff_ms ?? 200,
      maxRetryAfterMs: route.retry?.max_retry_after_ms ?? defaultMaxRetryAfterMs,
    },
    ...(route.timeout_ms !== undefined ? { timeoutMs: route.timeout_ms } : {}),
    ...(route.hedge_after_ms !== undefined ? { hedgeAfterMs: route.hedge_after_ms } : {}),
    ...(route.ttft_timeout_ms !== undefined ? { ttftTimeoutMs: route.ttft_timeout_ms } : {}),
    ...(route.stall_timeout_ms !== undefined ? { stallTimeoutMs: route.stall_timeout_ms } : {}),
    resumeStreams: route.resume_streams ?? true,
  };
}

/** What the planner is built from; compiled once from the config. */
export interface PlannerOptions {
  registry: ModelRegistry;
  routes: readonly RouteConfig[];
  strategies: ReadonlyMap<string, RoutingStrategy>;
  filters: readonly CandidateFilter[];
  providers: (id: string) => ProviderProfile | undefined;
  state: RoutingStateStore;
}

/** Turns a requested model or route id into a Plan: resolve, filter, rank, add fallbacks. */
export class Planner {
  readonly #options: PlannerOptions;
  readonly #routes = new Map<string, CompiledRoute>();
  /** What the routes' settings make of the models (a quality bar no candidate reaches), said at start. */
  readonly warnings: string[] = [];

  constructor(options: PlannerOptions) {
    this.#options = options;
    for (const route of options.routes) {
      const strategy = options.strategies.get(route.strategy);
      if (!strategy) throw new Error(`routes: unknown strategy "${route.strategy}"`);
      // A split arm is a candidate too, listed in `candidates` or not (an outside probe: an arm
      // left out of them loaded without a word and got no traffic).
      const arms = (route.split ?? []).map((arm) => arm.model).filter((name) => !route.candidates.includes(name));
      const candidates = this.#resolveAll([...route.candidates, ...arms]);
      const fallbacks = this.#resolveAll(route.fallbacks);
      const models = new Set([...candidates, ...fallbacks].map((model) => model.id));
      this.#routes.set(route.id, { config: route, strategy, candidates, fallbacks, models, settings: routeSettings(route) });
      const bar = route.min_quality;
      if (bar !== undefined && candidates.length > 0 && candidates.every((model) => model.quality === undefined || model.quality < bar)) {
        const qualities = candidates.map((model) => `${model.id} ${model.quality ?? 'unknown'}`).join(', ');
        this.warnings.push(`routes.${route.id}: min_quality ${bar} is above every candidate's quality (${qualities}): a cost route refuses its requests (no_candidate) unless its fallbacks answer; an adaptive one serves the best learned quality below the bar`);
      }
    }
  }

  /** Route ids, in config order. */
  routeIds(): string[] {
    return [...this.#routes.keys()];
  }

  /** A route's own models: its candidates, split arms and fallbacks (none for an unknown id). */
  routeModels(id: string): readonly ModelInfo[] {
    const route = this.#routes.get(id);
    return route ? [...route.candidates, ...route.fallbacks] : [];
  }

  /** Whether a name is a route id or resolves to a model. */
  knows(name: string): boolean {
    return this.#routes.has(name) || this.#options.registry.resolve(name) !== undefined;
  }

  /** The plan for a request; throws SB_ERR_MODEL_NOT_FOUND for an unknown name, SB_ERR_NO_CANDIDATE when nothing can serve it. */
  plan(request: RoutingRequest, random: () => number = Math.random): Plan {
    const route = this.#routes.get(request.requested);
    const direct = route ? undefined : this.#options.registry.resolve(request.requested);
    if (!route && !direct) {
      throw modelNotFound(request.requested);
    }
    const context: RoutingContext = {
      request,
      provider: this.#options.providers,
      state: this.#options.state.snapshot(),
      random,
      ...(route ? { route: { id: route.config.id, minQuality: route.config.min_quality, split: route.config.split, models: route.models } } : {}),
    };
    const considered: ConsideredCandidate[] = [];
    const keep = (models: readonly ModelInfo[], role: ConsideredCandidate['role']) =>
      models.filter((model) => {
        const entry: ConsideredCandidate = { model, role };
        considered.push(entry);
        for (const filter of this.#options.filters) {
          if (role === 'requested' && !filter.appliesToDirectModel) continue;
          const reason = filter.reject(model, context);
          if (reason !== undefined) {
            entry.removedBy = filter.name;
            entry.reason = reason;
            return false;
          }
        }
        return true;
      });

    // Cooldowns move traffic between candidates; when every candidate is cooling down they are all kept.
    const keepOrCooled = (models: readonly ModelInfo[], role: ConsideredCandidate['role']) => {
      const kept = keep(models, role);
      if (kept.length > 0) return kept;
      const cooled = considered.filter((entry) => entry.role === role && entry.removedBy === 'cooldown');
      for (const entry of cooled) {
        delete entry.removedBy;
        entry.reason = `${entry.reason}; kept: every candidate is in cooldown`;
      }
      return cooled.map((entry) => entry.model);
    };

    let ordered: ModelInfo[];
    let reason: string;
    if (route) {
      const ranking = route.strategy.rank(keepOrCooled(route.candidates, 'candidate'), context);
      for (const entry of considered) {
        if (entry.removedBy === undefined && ranking.excluded?.[entry.model.id]) {
          entry.removedBy = route.strategy.name;
          entry.reason = ranking.excluded[entry.model.id];
        }
        if (ranking.scores?.[entry.model.id] !== undefined) entry.score = ranking.scores[entry.model.id];
      }
      ordered = this.#applySplit(route, ranking.ordered, context);
      reason = `route ${route.config.id}: ${ranking.reason}`;
      // The split's arm goes first whatever the ranking said (an outside probe: the reason named the ranking's pick).
      if (ordered[0] !== ranking.ordered[0]) reason += `; split arm ${ordered[0]!.id} first`;
    } else {
      ordered = keep([direct!], 'requested');
      reason = `model ${direct!.id} named directly`;
    }
    const hinted = orderByHints(ordered, context);
    if (hinted.reason) reason += `; ${hinted.reason}`;
    let candidates = hinted.ordered;
    const fallbackModels = route?.fallbacks ?? [];
    const hintNames = request.hints.models ?? [];
    // Most requests have neither fallbacks nor OpenRouter's `models`: no set or copies for them.
    if (fallbackModels.length > 0 || hintNames.length > 0) {
      const seen = new Set(candidates.map((model) => model.id));
      const fresh = (models: readonly ModelInfo[]) => models.filter((model) => !seen.has(model.id) && (seen.add(model.id), true));
      const fallbacks = keep(fresh(fallbackModels), 'fallback');
      const hintModels = keep(fresh(this.#resolveHints(hintNames)), 'hint');
      candidates = [...candidates, ...fallbacks, ...hintModels];
    }
    // Without an `order`, the primary alone; with one, the filter kept only the providers it names.
    const provider = request.hints.provider;
    if (provider?.allowFallbacks === false && !provider.order?.length) candidates = candidates.slice(0, 1);
    if (candidates.length === 0) throw noCandidate(request, considered);
    const settings = route?.settings ?? directSettings;
    // Built by assignment, not spreads of optional parts (ADR 0021).
    const plan: Plan = {
      requested: request.requested,
      route: route?.config ?? null,
      strategy: route?.strategy.name ?? null,
      candidates,
      considered,
      retry: settings.retry,
      resumeStreams: settings.resumeStreams,
      reason,
    };
    if (settings.timeoutMs !== undefined) plan.timeoutMs = settings.timeoutMs;
    if (settings.hedgeAfterMs !== undefined) plan.hedgeAfterMs = settings.hedgeAfterMs;
    if (settings.ttftTimeoutMs !== undefined) plan.ttftTimeoutMs = settings.ttftTimeoutMs;
    if (settings.stallTimeoutMs !== undefined) plan.stallTimeoutMs = settings.stallTimeoutMs;
    if (request.hints.ignored) plan.warnings = [ignoredHints(request.hints.ignored)];
    return plan;
  }

  /**
   * A route's `split` (A/B arms) with a strategy that does not use the weights itself: the arm
   * for this request's sticky key goes first; the strategy's order follows.
   */
  #applySplit(route: CompiledRoute, ordered: ModelInfo[], context: RoutingContext): ModelInfo[] {
    const split = route.config.split;
    if (!split?.length || route.strategy.usesSplitWeights) return ordered;
    const arms = split.filter((arm) => ordered.some((model) => model.id === arm.model));
    const key = context.request.stickyKey;
    const index = pickWeighted(arms, key === undefined ? context.random() : stickyRoll(route.config.id, key));
    if (index < 0) return ordered;
    const arm = ordered.find((model) => model.id === arms[index]!.model)!;
    return [arm, ...ordered.filter((model) => model !== arm)];
  }

  /**
   * OpenRouter's `models` fallback list: model ids and addresses, and route ids (their
   * candidates, in order). A name that is none of these is the caller's mistake, a 400: it was
   * dropped without a word (an outside probe).
   */
  #resolveHints(names: readonly string[]): ModelInfo[] {
    return names.flatMap((name, index) => {
      const model = this.#options.registry.resolve(name);
      if (model) return [model];
      const route = this.#routes.get(name);
      if (route) return route.candidates;
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `models[${index}]: unknown model or route \`${name}\`.`, { param: 'models' });
    });
  }

  #resolveAll(names: readonly string[]): ModelInfo[] {
    return names.flatMap((name) => {
      const model = this.#options.registry.resolve(name);
      return model ? [model] : [];
    });
  }
}

/**
 * Whether the plan's filters left a model to the request (a cooldown aside): the response cache
 * serves an answer only of a model this caller and these hints and rules may use.
 */
export function planKeeps(plan: Plan, modelId: string): boolean {
  return plan.considered.some((entry) => entry.model.id === modelId && (entry.removedBy === undefined || entry.removedBy === 'cooldown'));
}

/**
 * Nothing can serve the request. Cooldowns only: 503 with the time left; the key's allow-list,
 * a data policy or a budget that cannot price the model: 403; context windows only: 400
 * `context_length_exceeded`, with the numbers (tooLongForEvery); otherwise (capabilities,
 * quality, some windows): 400.
 */
function noCandidate(request: RoutingRequest, considered: readonly ConsideredCandidate[]): GatewayError {
  const reasons = considered.map((entry) => `${entry.model.id}: ${entry.reason ?? 'removed'}`).join('; ');
  const message = `No model of \`${request.requested}\` can serve this request (${reasons || 'no candidates'}).`;
  const filters = new Set(considered.map((entry) => entry.removedBy));
  if (filters.size === 1 && filters.has('cooldown')) {
    const waits = considered.map((entry) => /for (\d+) s/.exec(entry.reason ?? '')?.[1]).filter(Boolean).map(Number);
    return new GatewayError('SB_ERR_UNAVAILABLE', message, { retryAfterSeconds: waits.length ? Math.min(...waits) : 1, status: 503 });
  }
  if (filters.has('unknown-price')) return new GatewayError('SB_ERR_MODEL_FORBIDDEN', message, { param: 'model', publicCode: 'model_price_unknown' });
  if (filters.has('key-allow-list') || filters.has('data-policy')) return new GatewayError('SB_ERR_MODEL_FORBIDDEN', message, { param: 'model' });
  if (filters.size === 1 && filters.has(contextWindowFilter.name)) return tooLongForEvery(request, considered, reasons);
  return new GatewayError('SB_ERR_NO_CANDIDATE', message, { param: 'model' });
}

/**
 * Every candidate's window is too small: the caller's context-length error, as a provider's own
 * would be (OpenAI `context_length_exceeded`), carrying the prompt's tokens, the output asked for
 * and the largest window. Claude Code acts on those numbers in Anthropic's wording
 * (src/api/anthropic/format-error.ts): it lowers `max_tokens` or compacts the conversation, where
 * a bare "cannot serve" failed each retry the same way.
 */
function tooLongForEvery(request: RoutingRequest, considered: readonly ConsideredCandidate[], reasons: string): GatewayError {
  const promptTokens = request.windowTokens ? request.windowTokens.count() : request.promptTokens();
  const outputTokens = request.maxOutputTokens ?? 0;
  const limit = Math.max(...considered.map((entry) => entry.model.contextWindow ?? 0));
  const parts = `${promptTokens} in the ${request.windowTokens ? 'longest input' : 'prompt'}${outputTokens ? `, ${outputTokens} for the completion` : ''}`;
  const message = `No model of \`${request.requested}\` has a context window for this request: it needs ${promptTokens + outputTokens} tokens (${parts}), and the largest window is ${limit} tokens (${reasons}).`;
  return new GatewayError('SB_ERR_CONTEXT_LENGTH', message, { param: request.windowTokens ? 'input' : 'messages', contextOverflow: { promptTokens, outputTokens, limit } });
}

/** The warning of OpenRouter hint fields the router does not act on (src/api/openai/routing-hints.ts). */
function ignoredHints(ignored: readonly string[]): Warning {
  return { type: 'unsupported-setting', setting: 'provider', message: `Switchboard's router does not act on ${ignored.join(', ')}: the choice of model was made without them` };
}
