import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCatalog } from '../../catalog/index.ts';
import { GatewayError } from '../../core/errors.ts';
import type { RoutingRequest } from '../../core/strategy.ts';
import { compileModelAccess } from '../../keys/model-access.ts';
import { createMemoryRoutingState } from '../../store/memory/routing-state.ts';
import { strategies } from '../index.ts';
import { ModelRegistry } from '../model-registry.ts';
import { Planner } from '../plan.ts';
import { allowedModelsFilter } from './allowed-models.ts';

const registry = new ModelRegistry(
  ['a1', 'b1', 'c1', 'd1'].map((id) => ({ id, provider: 'p', tags: [] })),
  [{ id: 'p', catalogType: 'openai' }],
  createCatalog('2026-01-01', []),
);
const planner = new Planner({
  registry,
  routes: [
    { id: 'r1', strategy: 'ordered', candidates: ['a1', 'b1'], fallbacks: ['c1'], guardrails: [] },
    { id: 'r2', strategy: 'ordered', candidates: ['b1'], fallbacks: [], guardrails: [] },
  ],
  strategies,
  filters: [allowedModelsFilter],
  providers: (id) => ({ id, type: 'openai', onPrem: false, retainsData: true, limits: {} }),
  state: createMemoryRoutingState(() => ({ failureThreshold: 5, cooldownMs: 1000, maxCooldownMs: 1000 })),
});

function plan(requested: string, allowed: string[], hints: RoutingRequest['hints'] = {}) {
  const allowsModel = compileModelAccess(allowed);
  return planner.plan({ requested, needs: new Set(), promptTokens: () => 10, stream: false, metadata: {}, requirements: {}, hints, allowsModel });
}

const removed = (requested: string, allowed: string[], hints: RoutingRequest['hints'] = {}) =>
  plan(requested, allowed, hints).considered.flatMap((entry) => (entry.removedBy ? [`${entry.model.id}: ${entry.reason}`] : []));

function forbidden(requested: string, allowed: string[], pattern: RegExp): void {
  assert.throws(
    () => plan(requested, allowed),
    (error: unknown) => GatewayError.isInstance(error) && error.status === 403 && pattern.test(error.message),
  );
}

describe('key allow-list filter', () => {
  it("lets a key allowed a route id use the route's candidates and fallbacks through it", () => {
    assert.deepEqual(
      plan('r1', ['r1']).candidates.map((model) => model.id),
      ['a1', 'b1', 'c1'],
    );
    assert.deepEqual(
      plan('r1', ['r*']).candidates.map((model) => model.id),
      ['a1', 'b1', 'c1'],
      'a glob naming the route counts',
    );
  });

  it("does not extend the route's grant to a model the request's models hint adds", () => {
    assert.deepEqual(removed('r1', ['r1'], { models: ['d1', 'b1'] }), ['d1: not allowed for this key']);
    assert.deepEqual(
      plan('r1', ['r1', 'd1'], { models: ['d1'] }).candidates.map((model) => model.id),
      ['a1', 'b1', 'c1', 'd1'],
      'a hint model the key allows by name is kept',
    );
  });

  it('keeps to the models the key names when it is not allowed the route', () => {
    assert.deepEqual(
      plan('r1', ['a1']).candidates.map((model) => model.id),
      ['a1'],
    );
    assert.deepEqual(removed('r1', ['a1']), ['b1: not allowed for this key', 'c1: not allowed for this key']);
    forbidden('r1', ['r2'], /No model of `r1` can serve this request \(a1: not allowed for this key; b1: not allowed for this key; c1: not allowed for this key\)/);
  });

  it("does not allow a route's models outside it: named directly, or through another route", () => {
    forbidden('a1', ['r1'], /a1: not allowed for this key/);
    assert.deepEqual(
      plan('r2', ['r2']).candidates.map((model) => model.id),
      ['b1'],
    );
    forbidden('r2', ['r1'], /b1: not allowed for this key/);
  });
});
