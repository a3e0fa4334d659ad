import type { RoutingStrategy } from '../core/strategy.ts';
import { adaptiveStrategy } from './strategies/adaptive.ts';
import { balanceStrategy } from './strategies/balance.ts';
import { capabilityStrategy } from './strategies/capability.ts';
import { costStrategy } from './strategies/cost.ts';
import { latencyStrategy } from './strategies/latency.ts';
import { orderedStrategy } from './strategies/ordered.ts';

/** The strategy registry: `routes[].strategy` → strategy. One line per strategy (docs/adding-a-strategy.md). */
export const strategies: ReadonlyMap<string, RoutingStrategy> = new Map<string, RoutingStrategy>([
  [costStrategy.name, costStrategy],
  [latencyStrategy.name, latencyStrategy],
  [balanceStrategy.name, balanceStrategy],
  [capabilityStrategy.name, capabilityStrategy],
  [adaptiveStrategy.name, adaptiveStrategy],
  [orderedStrategy.name, orderedStrategy],
]);
