import type { ModelInfo } from '../../core/model.ts';
import type { RoutingStrategy } from '../../core/strategy.ts';
import { deploymentKey } from '../deployment.ts';

/** Share of requests that go first to a candidate other than the fastest, to keep learning. */
export const explorationRate = 0.1;

/**
 * `latency`: the candidate with the lowest recent latency (time to first token for streams,
 * whole-call latency otherwise), learned from live traffic as decaying averages. Candidates
 * with no measurement yet go first, so each gets measured; after that, a share of requests
 * still probes a random other candidate first.
 */
export const latencyStrategy: RoutingStrategy = {
  name: 'latency',
  rank(candidates, context) {
    const scores: Record<string, number> = {};
    const measure = (model: ModelInfo) => {
      const state = context.state.deployment(deploymentKey(model));
      return context.request.stream ? (state.ttftMs ?? state.latencyMs) : (state.latencyMs ?? state.ttftMs);
    };
    const unmeasured: ModelInfo[] = [];
    const measured: ModelInfo[] = [];
    for (const model of candidates) {
      const value = measure(model);
      if (value === undefined) unmeasured.push(model);
      else {
        scores[model.id] = Math.round(value);
        measured.push(model);
      }
    }
    measured.sort((left, right) => scores[left.id]! - scores[right.id]!);
    if (unmeasured.length > 0) {
      return { ordered: [...unmeasured, ...measured], scores, reason: `latency: measuring ${unmeasured[0]!.id} (no samples yet)` };
    }
    if (measured.length > 1 && context.random() < explorationRate) {
      const index = 1 + Math.floor(context.random() * (measured.length - 1));
      const [probe] = measured.splice(index, 1);
      return { ordered: [probe!, ...measured], scores, reason: `latency: probing ${probe!.id} (exploration)` };
    }
    const pick = measured[0];
    const metric = context.request.stream ? 'time to first token' : 'latency';
    return { ordered: measured, scores, reason: pick ? `latency: lowest ${metric}: ${pick.id} (${scores[pick.id]} ms)` : 'latency: no candidate' };
  },
};
