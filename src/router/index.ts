import type { RoutingStrategy } from '../core/strategy.ts';
import { orderedStrategy } from './strategies/ordered.ts';

/** The strategy registry: `routes[].strategy` → strategy. One line per strategy (docs/adding-a-strategy.md). */
export const strategies: ReadonlyMap<string, RoutingStrategy> = new Map<string, RoutingStrategy>([
  [orderedStrategy.name, orderedStrategy],
]);
