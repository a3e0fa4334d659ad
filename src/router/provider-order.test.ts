import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutingHints } from '../core/chat-request.ts';
import type { ModelInfo } from '../core/model.ts';
import type { DeploymentState } from '../core/routing-state.ts';
import type { ProviderProfile, RoutingContext } from '../core/strategy.ts';
import { deploymentKey } from './deployment.ts';
import { dataPolicyFilter } from './filters/data-policy.ts';
import { orderByHints } from './provider-order.ts';

const model = (id: string, providerId: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({ id, providerId, upstream: id, tags: [], ...extra });

const profiles: Record<string, Partial<ProviderProfile>> = {
  east: { type: 'openai' },
  west: { type: 'openai-compatible' },
  vault: { type: 'openai-compatible', retainsData: false },
  lab: { type: 'ollama', onPrem: true, retainsData: true },
};

function context(provider: RoutingHints['provider'], options: { requirements?: RoutingContext['request']['requirements']; deployments?: Record<string, Partial<DeploymentState>> } = {}): RoutingContext {
  return {
    request: {
      requested: 'route',
      needs: new Set(),
      promptTokens: () => 1000,
      stream: false,
      metadata: {},
      requirements: options.requirements ?? {},
      hints: provider ? { provider } : {},
      allowsModel: () => true,
    },
    provider: (id) => (profiles[id] ? { id, type: 'openai', onPrem: false, retainsData: true, limits: {}, ...profiles[id] } : undefined),
    state: {
      now: 0,
      deployment: (key) => ({ samples: 0, consecutiveFailures: 0, openUntil: 0, openings: 0, probing: false, ...options.deployments?.[key] }),
      provider: () => ({ requestsThisMinute: 0, tokensThisMinute: 0 }),
      quality: () => undefined,
    },
    route: { id: 'route', models: new Set() },
    random: () => 0.5,
  };
}

const ids = (models: readonly ModelInfo[]) => models.map((entry) => entry.id);

describe('provider.sort and provider.order (OpenRouter hints) reorder candidates', () => {
  const pricey = model('pricey', 'east', { pricing: { inputPerMtok: 5, outputPerMtok: 15 } });
  const unpriced = model('unpriced', 'east');
  const budget = model('budget', 'west', { pricing: { inputPerMtok: 0.1, outputPerMtok: 0.2 } });
  const sealed = model('sealed', 'vault', { pricing: { inputPerMtok: 1, outputPerMtok: 2 } });

  it('keeps the strategy order without a sort or order hint', () => {
    assert.deepEqual(ids(orderByHints([pricey, budget], context(undefined)).ordered), ['pricey', 'budget']);
    assert.deepEqual(ids(orderByHints([pricey, budget], context({ allowFallbacks: true })).ordered), ['pricey', 'budget']);
  });

  it('sort "price": cheapest estimated cost first, unknown prices last', () => {
    const { ordered, reason } = orderByHints([unpriced, pricey, sealed, budget], context({ sort: 'price' }));
    assert.deepEqual(ids(ordered), ['budget', 'sealed', 'pricey', 'unpriced']);
    assert.match(reason ?? '', /provider\.sort=price/);
  });

  it('sort "latency" / "throughput": fastest measured first, unmeasured last', () => {
    const deployments = {
      [deploymentKey(pricey)]: { latencyMs: 900 },
      [deploymentKey(budget)]: { latencyMs: 100 },
      [deploymentKey(sealed)]: { latencyMs: 200 },
    };
    for (const sort of ['latency', 'throughput'] as const) {
      assert.deepEqual(ids(orderByHints([unpriced, pricey, sealed, budget], context({ sort }, { deployments })).ordered), ['budget', 'sealed', 'pricey', 'unpriced'], sort);
    }
  });

  it('order: named providers first, by id or type, in the order named; the others keep their order after them', () => {
    assert.deepEqual(ids(orderByHints([pricey, unpriced, budget, sealed], context({ order: ['vault', 'west'] })).ordered), ['sealed', 'budget', 'pricey', 'unpriced']);
    assert.deepEqual(ids(orderByHints([pricey, unpriced, budget, sealed], context({ order: ['openai-compatible'] })).ordered), ['budget', 'sealed', 'pricey', 'unpriced']);
    const { reason } = orderByHints([pricey, budget], context({ order: ['west'] }));
    assert.match(reason ?? '', /provider\.order=west/);
  });
});

describe('provider.data_collection "deny" (data-policy filter)', () => {
  const reject = (providerId: string, provider: RoutingHints['provider'], requirements = {}) =>
    dataPolicyFilter.reject(model('m', providerId), context(provider, { requirements }));

  it('removes candidates whose provider retains data, keeps those that do not and on-prem ones', () => {
    assert.match(reject('east', { dataCollection: 'deny' }) ?? '', /retains data/);
    assert.match(reject('west', { dataCollection: 'deny' }) ?? '', /retains data/);
    assert.equal(reject('vault', { dataCollection: 'deny' }), undefined);
    assert.equal(reject('lab', { dataCollection: 'deny' }), undefined);
  });

  it('keeps every candidate when data collection is allowed or not mentioned', () => {
    assert.equal(reject('east', { dataCollection: 'allow' }), undefined);
    assert.equal(reject('east', {}), undefined);
    assert.equal(reject('east', undefined), undefined);
  });
});
