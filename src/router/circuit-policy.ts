import type { ProviderConfig } from '../config/schema.ts';
import type { CircuitPolicy } from '../core/routing-state.ts';

/**
 * Each provider's circuit-breaker settings (`cooldown: {failures, seconds}`, docs/routing.md),
 * by deployment (`<provider id>/<upstream model>`): the configured providers' and those added at
 * run time through /admin/providers. A cooldown doubles with each failed probe up to five minutes
 * (or the provider's own cooldown when longer).
 */
export class CircuitPolicies {
  readonly #cooldowns = new Map<string, ProviderConfig['cooldown']>();

  constructor(providers: readonly ProviderConfig[]) {
    for (const provider of providers) this.set(provider);
  }

  set(provider: Pick<ProviderConfig, 'id' | 'cooldown'>): void {
    this.#cooldowns.set(provider.id, provider.cooldown);
  }

  readonly policyFor = (deployment: string): CircuitPolicy => {
    const cooldown = this.#cooldowns.get(deployment.slice(0, deployment.indexOf('/')));
    const seconds = cooldown?.seconds ?? 10;
    return { failureThreshold: cooldown?.failures ?? 5, cooldownMs: seconds * 1000, maxCooldownMs: Math.max(seconds * 1000, 300_000) };
  };
}
