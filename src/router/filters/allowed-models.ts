import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * Removes models the caller's key may not use (its and its team's `models` globs). A key allowed a
 * route id may use that route's own models through it (docs/admin.md, "models"): its candidates,
 * split arms and fallbacks, though not a model the request's `models` hint adds, nor the same
 * models named directly or reached through a route the key is not allowed.
 */
export const allowedModelsFilter: CandidateFilter = {
  name: 'key-allow-list',
  appliesToDirectModel: true,
  reject(model, context) {
    const { request, route } = context;
    if (request.allowsModel(model.id)) return undefined;
    if (route?.models.has(model.id) && request.allowsModel(route.id)) return undefined;
    return 'not allowed for this key';
  },
};
