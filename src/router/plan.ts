import { GatewayError } from '../core/errors.ts';
import type { ModelInfo } from '../core/model.ts';
import type { RankingContext, RoutingStrategy } from '../core/strategy.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { ModelRegistry } from './model-registry.ts';

/** Retry policy of one candidate. */
export interface RetryPolicy {
  /** Retries after the first try (0: one try). */
  attempts: number;
  backoffMs: number;
}

/** The routing decision for one request: what to try, in order, and why. */
export interface Plan {
  /** The route that was used, or null when a model was named directly. */
  route: RouteConfig | null;
  /** Candidates in the order to try them, fallbacks last. */
  candidates: ModelInfo[];
  retry: RetryPolicy;
  /** Per-attempt limit overriding the providers' timeouts (the route's `timeout_ms`). */
  timeoutMs?: number;
  reason: string;
  scores?: Record<string, number>;
}

/** Ranking inputs other than the route's own settings. */
export type PlanContext = Omit<RankingContext, 'route'>;

/** Turns a requested model or route id into a Plan. Compiled once from the config. */
export class Planner {
  readonly #registry: ModelRegistry;
  readonly #routes: ReadonlyMap<string, { config: RouteConfig; strategy: RoutingStrategy; candidates: ModelInfo[]; fallbacks: ModelInfo[] }>;

  constructor(registry: ModelRegistry, routes: readonly RouteConfig[], strategies: ReadonlyMap<string, RoutingStrategy>) {
    this.#registry = registry;
    const compiled = new Map<string, { config: RouteConfig; strategy: RoutingStrategy; candidates: ModelInfo[]; fallbacks: ModelInfo[] }>();
    for (const route of routes) {
      const strategy = strategies.get(route.strategy);
      if (!strategy) throw new Error(`routes: unknown strategy "${route.strategy}"`);
      compiled.set(route.id, {
        config: route,
        strategy,
        candidates: resolveAll(registry, route.candidates.length ? route.candidates : (route.split ?? []).map((arm) => arm.model)),
        fallbacks: resolveAll(registry, route.fallbacks),
      });
    }
    this.#routes = compiled;
  }

  /** Whether a name is a route id. */
  isRoute(name: string): boolean {
    return this.#routes.has(name);
  }

  /** Route ids, in config order. */
  routeIds(): string[] {
    return [...this.#routes.keys()];
  }

  /** The plan for a requested name; throws SB_ERR_MODEL_NOT_FOUND for an unknown one. */
  plan(requested: string, context: PlanContext): Plan {
    const route = this.#routes.get(requested);
    if (route) {
      const ranking = route.strategy.rank(route.candidates, {
        ...context,
        route: { id: route.config.id, minQuality: route.config.min_quality, split: route.config.split },
      });
      const seen = new Set(ranking.ordered.map((model) => model.id));
      const fallbacks = route.fallbacks.filter((model) => !seen.has(model.id));
      return {
        route: route.config,
        candidates: [...ranking.ordered, ...fallbacks],
        retry: { attempts: route.config.retry?.attempts ?? 0, backoffMs: route.config.retry?.backoff_ms ?? 200 },
        ...(route.config.timeout_ms !== undefined ? { timeoutMs: route.config.timeout_ms } : {}),
        reason: `route ${route.config.id}: ${ranking.reason}`,
        ...(ranking.scores ? { scores: ranking.scores } : {}),
      };
    }
    const model = this.#registry.resolve(requested);
    if (!model) {
      throw new GatewayError('SB_ERR_MODEL_NOT_FOUND', `The model \`${requested}\` does not exist or you do not have access to it.`, {
        param: 'model',
        publicCode: 'model_not_found',
      });
    }
    return { route: null, candidates: [model], retry: { attempts: 0, backoffMs: 200 }, reason: `model ${model.id} named directly` };
  }
}

function resolveAll(registry: ModelRegistry, names: readonly string[]): ModelInfo[] {
  return names.flatMap((name) => {
    const model = registry.resolve(name);
    return model ? [model] : [];
  });
}
