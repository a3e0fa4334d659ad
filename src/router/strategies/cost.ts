import type { RoutingStrategy } from '../../core/strategy.ts';
import { estimatedCost, formatUsd, orderedByPrices } from './estimate.ts';

/**
 * `cost`: the cheapest candidate whose quality is at least the route's `min_quality`, counting
 * the prompt's tokens and the expected output at each model's prices. Candidates below
 * min_quality (or of unknown quality when a minimum is set) are left out; ties go to the
 * higher quality. The prompt is counted only when the candidates' prices cross (see
 * `orderedByPrices`), or for /v1/route/explain, which shows every candidate's score.
 */
export const costStrategy: RoutingStrategy = {
  name: 'cost',
  rank(candidates, context) {
    const minimum = context.route?.minQuality;
    const excluded: Record<string, string> = {};
    const scores: Record<string, number> = {};
    const qualifying = candidates.filter((model) => {
      if (minimum === undefined) return true;
      if (model.quality === undefined) excluded[model.id] = `quality unknown (min_quality ${minimum})`;
      else if (model.quality < minimum) excluded[model.id] = `quality ${model.quality} < min_quality ${minimum}`;
      return model.quality !== undefined && model.quality >= minimum;
    });
    const qualityBar = minimum === undefined ? '' : ` with quality >= ${minimum}`;
    const settled = context.request.explain ? undefined : orderedByPrices(qualifying, context);
    if (settled) {
      const pick = settled[0];
      const why = pick?.pricing ? 'cheapest at any prompt length' : formatUsd(Number.POSITIVE_INFINITY);
      return { ordered: settled, excluded, reason: pick ? `cost: cheapest of ${settled.length}${qualityBar}: ${pick.id} (${why})` : `cost: no candidate${qualityBar}` };
    }
    for (const model of qualifying) scores[model.id] = estimatedCost(model, context);
    const ordered = [...qualifying].sort((left, right) => scores[left.id]! - scores[right.id]! || (right.quality ?? 0) - (left.quality ?? 0));
    const pick = ordered[0];
    return {
      ordered,
      scores,
      excluded,
      reason: pick ? `cost: cheapest of ${ordered.length}${qualityBar}: ${pick.id} (${formatUsd(scores[pick.id]!)})` : `cost: no candidate${qualityBar}`,
    };
  },
};
