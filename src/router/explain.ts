import type { RoutingRequest } from '../core/strategy.ts';
import type { Plan } from './plan.ts';
import type { RuleMatch } from './rules.ts';
import { estimatedCost } from './strategies/estimate.ts';

/**
 * The routing decision as /v1/route/explain returns it: every model considered, what removed
 * it or where it ranks, the scores, and the pick. Built from the same Plan the executor would
 * run, so what it says is what would happen (cooldowns and learned latencies as of now).
 */
export function explainPlan(plan: Plan, rule: RuleMatch | undefined, request: RoutingRequest): Record<string, unknown> {
  const position = new Map(plan.candidates.map((model, index) => [model.id, index]));
  const costContext = { request } as Parameters<typeof estimatedCost>[1];
  const pick = plan.candidates[0];
  return {
    model: plan.requested,
    route: plan.route?.id ?? null,
    strategy: plan.strategy,
    rule: rule ? { index: rule.index, ...(rule.route ? { route: rule.route } : {}), ...(rule.require ? { require: rule.require } : {}), ...(rule.set ? { set: rule.set } : {}) } : null,
    estimated_input_tokens: request.promptTokens(),
    needs: [...request.needs],
    pick: pick ? { model: pick.id, provider: pick.providerId, upstream: pick.upstream } : null,
    order: plan.candidates.map((model) => model.id),
    candidates: plan.considered.map((entry) => {
      // A model the caller's key may not use (a `models` hint can name one) is named, with why it
      // was removed, and nothing of how it is deployed: its provider, upstream, prices and limits.
      if (entry.removedBy === 'key-allow-list') {
        return { model: entry.model.id, role: entry.role, status: 'removed', removed_by: entry.removedBy, ...(entry.reason ? { reason: entry.reason } : {}) };
      }
      const cost = estimatedCost(entry.model, costContext);
      return {
        model: entry.model.id,
        provider: entry.model.providerId,
        upstream: entry.model.upstream,
        role: entry.role,
        status: entry.removedBy ? 'removed' : position.has(entry.model.id) ? 'kept' : 'not tried',
        ...(position.has(entry.model.id) ? { position: position.get(entry.model.id) } : {}),
        ...(entry.removedBy ? { removed_by: entry.removedBy } : {}),
        ...(entry.reason ? { reason: entry.reason } : {}),
        ...(entry.score !== undefined ? { score: Number.isFinite(entry.score) ? entry.score : null } : {}),
        estimated_cost_usd: Number.isFinite(cost) ? Math.round(cost * 1e8) / 1e8 : null,
        quality: entry.model.quality ?? null,
        context_window: entry.model.contextWindow ?? null,
        capabilities: entry.model.capabilities ?? null,
      };
    }),
    retry: { attempts: plan.retry.attempts, backoff_ms: plan.retry.backoffMs, max_retry_after_ms: plan.retry.maxRetryAfterMs },
    timeout_ms: plan.timeoutMs ?? null,
    ttft_timeout_ms: plan.ttftTimeoutMs ?? null,
    stall_timeout_ms: plan.stallTimeoutMs ?? null,
    resume_streams: plan.resumeStreams,
    hedge_after_ms: plan.hedgeAfterMs ?? null,
    reason: plan.reason,
  };
}
