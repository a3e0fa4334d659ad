import type { RoutingStrategy } from '../../core/strategy.ts';

/**
 * `capability`: candidates tagged for the request's `metadata.task` first, best quality first;
 * without a task (or no tagged candidate), all candidates by quality.
 */
export const capabilityStrategy: RoutingStrategy = {
  name: 'capability',
  rank(candidates, context) {
    const task = context.request.metadata.task;
    const byQuality = (left: { quality?: number }, right: { quality?: number }) => (right.quality ?? 0) - (left.quality ?? 0);
    const tagged = task ? candidates.filter((model) => model.tags.includes(task)).sort(byQuality) : [];
    const others = candidates.filter((model) => !tagged.includes(model)).sort(byQuality);
    const ordered = [...tagged, ...others];
    const scores = Object.fromEntries(ordered.map((model) => [model.id, model.quality ?? 0]));
    const pick = ordered[0];
    const reason = !pick
      ? 'capability: no candidate'
      : tagged.length > 0
        ? `capability: ${pick.id} is tagged for task "${task}" (quality ${pick.quality ?? 'unknown'})`
        : `capability: ${task ? `no candidate tagged for task "${task}"; ` : ''}best quality: ${pick.id}`;
    return { ordered, scores, reason };
  },
};
