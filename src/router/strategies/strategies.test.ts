import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelInfo } from '../../core/model.ts';
import type { DeploymentState, ProviderLoad } from '../../core/routing-state.ts';
import type { ProviderProfile, RoutingContext } from '../../core/strategy.ts';
import { adaptiveStrategy, learnedQuality } from './adaptive.ts';
import { balanceStrategy } from './balance.ts';
import { capabilityStrategy } from './capability.ts';
import { costStrategy } from './cost.ts';
import { latencyStrategy } from './latency.ts';
import { orderedStrategy } from './ordered.ts';

const model = (id: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({ id, providerId: extra.providerId ?? 'p', upstream: id, tags: [], ...extra });

function context(options: {
  promptTokens?: number;
  /** The prompt must not be counted: promptTokens() throws. */
  uncounted?: boolean;
  explain?: boolean;
  maxOutputTokens?: number;
  minQuality?: number;
  split?: Array<{ model: string; weight: number }>;
  metadata?: Record<string, string>;
  stickyKey?: string;
  stream?: boolean;
  deployments?: Record<string, Partial<DeploymentState>>;
  loads?: Record<string, Partial<ProviderLoad>>;
  feedback?: Record<string, { count: number; sum: number }>;
  profiles?: Record<string, Partial<ProviderProfile>>;
  random?: () => number;
} = {}): RoutingContext {
  return {
    request: {
      requested: 'route',
      needs: new Set(),
      promptTokens: () => {
        if (options.uncounted) throw new Error('the prompt was counted');
        return options.promptTokens ?? 1000;
      },
      ...(options.explain ? { explain: true } : {}),
      ...(options.maxOutputTokens !== undefined ? { maxOutputTokens: options.maxOutputTokens } : {}),
      stream: options.stream ?? false,
      metadata: options.metadata ?? {},
      ...(options.stickyKey ? { stickyKey: options.stickyKey } : {}),
      requirements: {},
      hints: {},
      allowsModel: () => true,
    },
    provider: (id) => ({ id, type: 'openai', onPrem: false, retainsData: true, limits: {}, ...options.profiles?.[id] }),
    state: {
      now: 0,
      deployment: (key) => ({ samples: 0, consecutiveFailures: 0, openUntil: 0, openings: 0, probing: false, ...options.deployments?.[key] }),
      provider: (id) => ({ requestsThisMinute: 0, tokensThisMinute: 0, ...options.loads?.[id] }),
      quality: (model) => options.feedback?.[model],
    },
    route: { id: 'route', minQuality: options.minQuality, split: options.split, models: new Set() },
    random: options.random ?? (() => 0.5),
  };
}

describe('cost strategy', () => {
  const cheap = model('cheap', { pricing: { inputPerMtok: 0.1, outputPerMtok: 0.4 }, quality: 0.5 });
  const mid = model('mid', { pricing: { inputPerMtok: 0.5, outputPerMtok: 1.5 }, quality: 0.75 });
  const premium = model('premium', { pricing: { inputPerMtok: 5, outputPerMtok: 15 }, quality: 0.95 });
  const unknown = model('unknown', { quality: 0.99 });

  it('orders by estimated cost of prompt and expected output (every score for /v1/route/explain)', () => {
    const ranking = costStrategy.rank([premium, mid, cheap], context({ promptTokens: 1000, maxOutputTokens: 100, explain: true }));
    assert.deepEqual(ranking.ordered.map((candidate) => candidate.id), ['cheap', 'mid', 'premium']);
    assert.equal(ranking.scores?.cheap, (1000 * 0.1 + 100 * 0.4) / 1e6);
    assert.match(ranking.reason, /^cost: cheapest of 3: cheap \(\$0\.000140\)$/);
  });

  it('does not count the prompt when no two candidates’ prices cross', () => {
    const ranking = costStrategy.rank([premium, unknown, mid, cheap], context({ uncounted: true }));
    assert.deepEqual(ranking.ordered.map((candidate) => candidate.id), ['cheap', 'mid', 'premium', 'unknown']);
    assert.equal(ranking.reason, 'cost: cheapest of 4: cheap (cheapest at any prompt length)');
    assert.equal(costStrategy.rank([unknown], context({ uncounted: true })).reason, 'cost: cheapest of 1: unknown (unknown price)');
  });

  it('puts candidates in the order the count would give, whatever the prompt (seeded prices, caps and ties)', () => {
    // Park-Miller: products stay below 2^53, so the sequence is exact in floating point.
    let state = 11;
    const next = (range: number) => ((state = (state * 48_271) % 2_147_483_647), state % range);
    const outcomes = { settled: 0, counted: 0 };
    for (let run = 0; run < 400; run += 1) {
      const candidates = Array.from({ length: 2 + next(4) }, (_, index) =>
        next(6) === 0
          ? model(`m${index}`, { quality: next(3) / 2 })
          : model(`m${index}`, {
              pricing: { inputPerMtok: next(4), outputPerMtok: next(4) },
              quality: next(3) / 2,
              ...(next(3) === 0 ? { maxOutputTokens: 1 + next(300) } : {}),
            }),
      );
      const maxOutputTokens = next(2) === 0 ? undefined : 1 + next(2000);
      let settled: string[] | undefined;
      try {
        settled = costStrategy.rank(candidates, context({ uncounted: true, maxOutputTokens })).ordered.map((candidate) => candidate.id);
        outcomes.settled += 1;
      } catch {
        outcomes.counted += 1;
      }
      for (const promptTokens of [6, 100, 5_000, 200_000]) {
        const counted = costStrategy.rank(candidates, context({ promptTokens, maxOutputTokens, explain: true })).ordered.map((candidate) => candidate.id);
        assert.deepEqual(costStrategy.rank(candidates, context({ promptTokens, maxOutputTokens })).ordered.map((candidate) => candidate.id), counted, `run ${run}`);
        if (settled) assert.deepEqual(settled, counted, `run ${run}, ${promptTokens} tokens`);
      }
    }
    // Both paths were taken: orders settled by prices, and prices that cross, counted.
    assert.ok(outcomes.settled > 50 && outcomes.counted > 50, JSON.stringify(outcomes));
  });

  it('leaves out candidates below min_quality or of unknown quality', () => {
    const ranking = costStrategy.rank([premium, mid, cheap, model('mystery', { pricing: { inputPerMtok: 0, outputPerMtok: 0 } })], context({ minQuality: 0.7 }));
    assert.deepEqual(ranking.ordered.map((candidate) => candidate.id), ['mid', 'premium']);
    assert.match(ranking.excluded?.cheap ?? '', /0.5 < min_quality 0.7/);
    assert.match(ranking.excluded?.mystery ?? '', /unknown/);
  });

  it('ranks unknown prices last', () => {
    assert.deepEqual(costStrategy.rank([unknown, premium], context()).ordered.map((candidate) => candidate.id), ['premium', 'unknown']);
  });

  it('weighs output heavily when the request allows a long answer', () => {
    const inputHeavy = model('input-heavy', { pricing: { inputPerMtok: 3, outputPerMtok: 3 } });
    const outputHeavy = model('output-heavy', { pricing: { inputPerMtok: 0.1, outputPerMtok: 20 } });
    assert.equal(costStrategy.rank([inputHeavy, outputHeavy], context({ promptTokens: 10_000, maxOutputTokens: 10 })).ordered[0]!.id, 'output-heavy');
    assert.equal(costStrategy.rank([inputHeavy, outputHeavy], context({ promptTokens: 10, maxOutputTokens: 10_000 })).ordered[0]!.id, 'input-heavy');
  });
});

describe('latency strategy', () => {
  const fast = model('fast');
  const slow = model('slow');
  const fresh = model('fresh');

  it('measures unmeasured candidates first', () => {
    const ranking = latencyStrategy.rank([fast, fresh], context({ deployments: { 'p/fast': { latencyMs: 100, samples: 3 } } }));
    assert.equal(ranking.ordered[0]!.id, 'fresh');
  });

  it('prefers the lowest latency, by time to first token for streams', () => {
    const deployments = { 'p/fast': { latencyMs: 900, ttftMs: 80, samples: 5 }, 'p/slow': { latencyMs: 300, ttftMs: 400, samples: 5 } };
    assert.equal(latencyStrategy.rank([slow, fast], context({ deployments, random: () => 0.9 })).ordered[0]!.id, 'slow');
    assert.equal(latencyStrategy.rank([slow, fast], context({ deployments, stream: true, random: () => 0.9 })).ordered[0]!.id, 'fast');
  });

  it('still probes another candidate now and then', () => {
    const deployments = { 'p/fast': { latencyMs: 50, samples: 5 }, 'p/slow': { latencyMs: 500, samples: 5 } };
    const ranking = latencyStrategy.rank([fast, slow], context({ deployments, random: () => 0.01 }));
    assert.equal(ranking.ordered[0]!.id, 'slow');
    assert.match(ranking.reason, /exploration/);
  });
});

describe('balance strategy', () => {
  const a = model('a', { providerId: 'pa' });
  const b = model('b', { providerId: 'pb' });
  const split = [{ model: 'a', weight: 3 }, { model: 'b', weight: 1 }];

  it('splits by weight', () => {
    let rolls = 0;
    const picks = { a: 0, b: 0 };
    for (let index = 0; index < 1000; index += 1) {
      const roll = (rolls++ % 1000) / 1000;
      picks[balanceStrategy.rank([a, b], context({ split, random: () => roll })).ordered[0]!.id as 'a' | 'b'] += 1;
    }
    assert.deepEqual(picks, { a: 750, b: 250 });
  });

  it('moves traffic away from a provider nearing its rpm limit, and off one at its limit', () => {
    const near = context({ split, profiles: { pa: { limits: { rpm: 100 } } }, loads: { pa: { requestsThisMinute: 95 } }, random: () => 0.5 });
    const nearScores = balanceStrategy.rank([a, b], near).scores!;
    assert.ok(nearScores.a! < 3 && nearScores.a! > 0, `weight of a near its limit: ${nearScores.a}`);
    const full = context({ split, loads: { pa: { remainingRequests: 0, limitRequests: 500 } }, random: () => 0.1 });
    assert.equal(balanceStrategy.rank([a, b], full).ordered[0]!.id, 'b');
  });

  it('is sticky per key', () => {
    const first = balanceStrategy.rank([a, b], context({ split, stickyKey: 'user-42', random: () => 0.99 })).ordered[0]!.id;
    for (let index = 0; index < 10; index += 1) {
      assert.equal(balanceStrategy.rank([a, b], context({ split, stickyKey: 'user-42', random: () => index / 10 })).ordered[0]!.id, first);
    }
  });
});

describe('capability and ordered strategies', () => {
  it('puts models tagged for the task first, then by quality', () => {
    const coder = model('coder', { tags: ['code'], quality: 0.6 });
    const general = model('general', { tags: ['chat'], quality: 0.9 });
    assert.equal(capabilityStrategy.rank([general, coder], context({ metadata: { task: 'code' } })).ordered[0]!.id, 'coder');
    assert.equal(capabilityStrategy.rank([coder, general], context()).ordered[0]!.id, 'general');
  });

  it('keeps the configured order', () => {
    assert.deepEqual(orderedStrategy.rank([model('x'), model('y')], context()).ordered.map((candidate) => candidate.id), ['x', 'y']);
  });
});

describe('adaptive strategy', () => {
  const cheap = model('cheap', { pricing: { inputPerMtok: 0.1, outputPerMtok: 0.4 }, quality: 0.8 });
  const premium = model('premium', { pricing: { inputPerMtok: 3, outputPerMtok: 15 }, quality: 0.9 });

  it('learns quality as the prior counted ten times, averaged with feedback', () => {
    assert.equal(learnedQuality(cheap, context()).quality, 0.8);
    assert.equal(learnedQuality(cheap, context({ feedback: { cheap: { count: 10, sum: 0 } } })).quality, 0.4);
    assert.equal(learnedQuality(model('fresh'), context()).quality, 0.5);
  });

  it('takes the cheapest model clearing min_quality on learned quality', () => {
    assert.equal(adaptiveStrategy.rank([premium, cheap], context({ minQuality: 0.7 })).ordered[0]!.id, 'cheap');
    const disappointed = adaptiveStrategy.rank([premium, cheap], context({ minQuality: 0.7, feedback: { cheap: { count: 10, sum: 1 } } }));
    assert.deepEqual(disappointed.ordered.map((candidate) => candidate.id), ['premium']);
    assert.match(disappointed.excluded?.cheap ?? '', /learned quality 0.450 \(10 feedback\)/);
  });

  it('keeps answering once feedback takes every candidate below min_quality: best learned quality first, said in the reason', () => {
    const feedback = { cheap: { count: 10, sum: 1 }, premium: { count: 30, sum: 6 } };
    const ranking = adaptiveStrategy.rank([premium, cheap], context({ minQuality: 0.7, feedback }));
    // cheap: (0.8×10 + 1) / 20 = 0.45; premium: (0.9×10 + 6) / 40 = 0.375.
    assert.deepEqual(ranking.ordered.map((candidate) => candidate.id), ['cheap', 'premium']);
    assert.match(ranking.reason, /^adaptive: no candidate reaches min_quality 0\.7 after feedback; best learned quality first: cheap \(learned quality 0\.450/);
  });

  it('says so when min_quality is above every prior, with no feedback yet, rather than blame feedback', () => {
    const ranking = adaptiveStrategy.rank([premium, cheap], context({ minQuality: 0.95 }));
    assert.deepEqual(ranking.ordered.map((candidate) => candidate.id), ['premium', 'cheap']);
    assert.match(ranking.reason, /^adaptive: no candidate reaches min_quality 0\.95 even before feedback \(every prior quality is below it\); best learned quality first: premium/);
  });

  it('without a minimum, ranks by learned quality per dollar', () => {
    assert.equal(adaptiveStrategy.rank([premium, cheap], context()).ordered[0]!.id, 'cheap');
  });
});
