import type { RoutingStrategy } from '../../core/strategy.ts';

/** `ordered`: the candidates in the order the route lists them. */
export const orderedStrategy: RoutingStrategy = {
  name: 'ordered',
  rank(candidates) {
    return { ordered: [...candidates], reason: 'ordered: candidates in configured order' };
  },
};
