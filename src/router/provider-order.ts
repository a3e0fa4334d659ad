import type { ModelInfo } from '../core/model.ts';
import type { RoutingContext } from '../core/strategy.ts';
import { deploymentKey } from './deployment.ts';
import { estimatedCost } from './strategies/estimate.ts';

/**
 * OpenRouter's `provider.sort` (price | latency | throughput) and `provider.order` (provider ids
 * or types first, in that order) applied on top of a strategy's order. Stable: candidates the
 * hints say nothing about keep their relative order.
 */
export function orderByHints(ordered: readonly ModelInfo[], context: RoutingContext): { ordered: ModelInfo[]; reason?: string } {
  const hint = context.request.hints.provider;
  if (!hint || (!hint.sort && !hint.order?.length)) return { ordered: [...ordered] };
  let result = [...ordered];
  const notes: string[] = [];
  if (hint.sort === 'price') {
    const cost = new Map(result.map((model) => [model.id, estimatedCost(model, context)]));
    result.sort((left, right) => cost.get(left.id)! - cost.get(right.id)!);
    notes.push('provider.sort=price');
  } else if (hint.sort === 'latency' || hint.sort === 'throughput') {
    const latency = (model: ModelInfo) => {
      const state = context.state.deployment(deploymentKey(model));
      return state.ttftMs ?? state.latencyMs ?? Number.POSITIVE_INFINITY;
    };
    result.sort((left, right) => latency(left) - latency(right));
    notes.push(`provider.sort=${hint.sort}`);
  }
  if (hint.order?.length) {
    const order = hint.order;
    const rank = (model: ModelInfo) => {
      const type = context.provider(model.providerId)?.type;
      const byId = order.indexOf(model.providerId);
      const byType = type ? order.indexOf(type) : -1;
      const found = [byId, byType].filter((index) => index >= 0);
      return found.length ? Math.min(...found) : order.length;
    };
    result = result.map((model, index) => ({ model, index, rank: rank(model) })).sort((left, right) => left.rank - right.rank || left.index - right.index).map((entry) => entry.model);
    notes.push(`provider.order=${order.join(',')}`);
  }
  return { ordered: result, reason: notes.join(', ') };
}
