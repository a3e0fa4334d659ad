import type { ModelInfo } from '../../core/model.ts';
import type { RoutingContext, RoutingStrategy } from '../../core/strategy.ts';
import { pickWeighted, stickyRoll } from '../split.ts';

/** Below this share of a limit left, a provider's weight shrinks in proportion. */
const headroomMargin = 0.2;

/**
 * `balance`: a weighted split of traffic (the route's `split` weights, else equal), aware of
 * each provider's limits: its configured rpm/tpm against what this gateway sent in the current
 * minute, and the remaining requests/tokens its x-ratelimit-* headers reported. A provider
 * nearing a limit gets proportionally less traffic before the limit is hit; one at its limit
 * gets none (it stays last, as a fallback). With a sticky key (the request's `user`, else the
 * caller's key) the pick is the same for every request of that key: A/B arms.
 */
export const balanceStrategy: RoutingStrategy = {
  name: 'balance',
  usesSplitWeights: true,
  readsRateLimits: true,
  rank(candidates, context) {
    const configured = new Map((context.route?.split ?? []).map((arm) => [arm.model, arm.weight]));
    const scores: Record<string, number> = {};
    const arms = candidates.map((model) => {
      const base = configured.size > 0 ? (configured.get(model.id) ?? 0) : 1;
      const weight = base * headroom(model, context);
      scores[model.id] = Math.round(weight * 1000) / 1000;
      return { model: model.id, weight };
    });
    const sticky = context.request.stickyKey !== undefined && context.route !== undefined;
    const roll = sticky ? stickyRoll(context.route!.id, context.request.stickyKey!) : context.random();
    const index = pickWeighted(arms, roll);
    const rest = candidates.filter((_, position) => position !== index).sort((left, right) => scores[right.id]! - scores[left.id]!);
    const ordered: ModelInfo[] = index >= 0 ? [candidates[index]!, ...rest] : rest;
    const pick = ordered[0];
    const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
    const share = pick && total > 0 ? Math.round((Math.max(0, scores[pick.id]!) / total) * 100) : 0;
    return {
      ordered,
      scores,
      reason: pick ? `balance: ${pick.id} (${share}% of traffic${sticky ? ', sticky per user/key' : ''})` : 'balance: no candidate',
    };
  },
};

/** 1 with plenty of room, shrinking to 0 as the provider nears its tightest limit. */
function headroom(model: ModelInfo, context: RoutingContext): number {
  const provider = context.provider(model.providerId);
  const load = context.state.provider(model.providerId);
  const shares: number[] = [];
  if (provider?.limits.rpm) shares.push(1 - load.requestsThisMinute / provider.limits.rpm);
  if (provider?.limits.tpm) shares.push(1 - load.tokensThisMinute / provider.limits.tpm);
  if (load.remainingRequests !== undefined && load.limitRequests) shares.push(load.remainingRequests / load.limitRequests);
  if (load.remainingTokens !== undefined && load.limitTokens) shares.push(load.remainingTokens / load.limitTokens);
  if (load.remainingRequests === 0 || load.remainingTokens === 0) shares.push(0);
  const left = shares.length ? Math.min(...shares) : 1;
  if (left <= 0) return 0;
  return left >= headroomMargin ? 1 : left / headroomMargin;
}
