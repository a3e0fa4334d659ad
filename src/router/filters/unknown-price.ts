import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * A caller with a budget may only use models whose price is known: an unknown price would be
 * recorded as $0 and reserve nothing, so the budget would not hold (issue 13, defect 5: 200 of
 * 200 concurrent requests to `<provider>/<unlisted model>` were admitted on a $0.05 budget, $0
 * recorded). Set `pricing` on a `models` entry for that upstream to make it usable.
 * Self-hosted providers' models cost $0 unless priced (src/router/model-registry.ts).
 */
export const unknownPriceFilter: CandidateFilter = {
  name: 'unknown-price',
  appliesToDirectModel: true,
  reject(model, context) {
    if (!context.request.budgeted || model.pricing) return undefined;
    return `price unknown (not in the catalog and no \`pricing\` on a models entry for ${model.providerId}/${model.upstream}), and the key or its team has a budget`;
  },
};
