import type { CandidateFilter } from '../../core/strategy.ts';

/** Removes models the caller's key may not use (its `models` globs). */
export const allowedModelsFilter: CandidateFilter = {
  name: 'key-allow-list',
  appliesToDirectModel: true,
  reject(model, context) {
    return context.request.allowsModel(model.id) ? undefined : 'not allowed for this key';
  },
};
