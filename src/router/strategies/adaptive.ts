import type { ModelInfo } from '../../core/model.ts';
import type { RoutingContext, RoutingStrategy } from '../../core/strategy.ts';
import { estimatedCost, formatUsd } from './estimate.ts';

/** How many feedback scores the prior quality counts as (Bayesian smoothing). */
export const priorWeight = 10;
/** Quality assumed for a model with neither a prior nor feedback. */
const unknownQuality = 0.5;

/**
 * A model's quality as learned so far: its prior (`quality`, from the models entry or the
 * catalog) counted as `priorWeight` scores, averaged with the feedback scores (POST
 * /v1/feedback) its answers received. A few bad scores move a strong prior a little; many move
 * it all the way.
 */
export function learnedQuality(model: ModelInfo, context: RoutingContext): { quality: number; feedback: number } {
  const prior = model.quality ?? unknownQuality;
  const learned = context.state.quality(model.id);
  if (!learned || learned.count === 0) return { quality: prior, feedback: 0 };
  return { quality: (prior * priorWeight + learned.sum) / (priorWeight + learned.count), feedback: learned.count };
}

/**
 * `adaptive`: the cost strategy over learned quality. The cheapest candidate whose learned
 * quality reaches the route's `min_quality`; without a minimum, the best learned quality per
 * dollar. As feedback arrives, a model that disappoints drops below the bar and traffic moves to
 * the next cheapest model that still clears it; once none does, to the best learned quality.
 */
export const adaptiveStrategy: RoutingStrategy = {
  name: 'adaptive',
  rank(candidates, context) {
    const minimum = context.route?.minQuality;
    const qualities = new Map(candidates.map((model) => [model.id, learnedQuality(model, context)]));
    const costs = new Map(candidates.map((model) => [model.id, estimatedCost(model, context)]));
    const excluded: Record<string, string> = {};
    const qualifying = candidates.filter((model) => {
      const { quality, feedback } = qualities.get(model.id)!;
      if (minimum !== undefined && quality < minimum) {
        excluded[model.id] = `learned quality ${quality.toFixed(3)} (${feedback} feedback) < min_quality ${minimum}`;
        return false;
      }
      return true;
    });
    const value = (model: ModelInfo) => qualities.get(model.id)!.quality / Math.max(costs.get(model.id)!, 1e-12);
    const byLearnedQuality = (left: ModelInfo, right: ModelInfo) => qualities.get(right.id)!.quality - qualities.get(left.id)!.quality || costs.get(left.id)! - costs.get(right.id)!;
    // Feedback can take every candidate below the bar at run time, long after the config was
    // written: the route then keeps answering with its best learned quality first, as its reason
    // says, rather than refuse all its traffic with no_candidate.
    const belowBar = minimum !== undefined && qualifying.length === 0 && candidates.length > 0;
    // A min_quality above every prior is the config's doing, not feedback's: the reason says which.
    const anyFeedback = (models: readonly ModelInfo[]) => models.some((model) => qualities.get(model.id)!.feedback > 0);
    const ordered = belowBar
      ? [...candidates].sort(byLearnedQuality)
      : minimum === undefined
        ? [...qualifying].sort((left, right) => value(right) - value(left))
        : [...qualifying].sort((left, right) => costs.get(left.id)! - costs.get(right.id)! || qualities.get(right.id)!.quality - qualities.get(left.id)!.quality);
    const scores = Object.fromEntries(candidates.map((model) => [model.id, Math.round(qualities.get(model.id)!.quality * 1000) / 1000]));
    const pick = ordered[0];
    const detail = pick ? `${pick.id} (learned quality ${qualities.get(pick.id)!.quality.toFixed(3)}, ${formatUsd(costs.get(pick.id)!)})` : '';
    const reason = !pick
      ? 'adaptive: no candidate'
      : belowBar
        ? `adaptive: no candidate reaches min_quality ${minimum} ${anyFeedback(candidates) ? 'after feedback' : 'even before feedback (every prior quality is below it)'}; best learned quality first: ${detail}`
        : minimum === undefined
          ? `adaptive: best learned quality per dollar: ${detail}`
          : `adaptive: cheapest with learned quality >= ${minimum}: ${detail}`;
    if (belowBar) return { ordered, scores, excluded: {}, reason };
    return { ordered, scores, excluded, reason };
  },
};
