import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryRoutingState } from '../store/memory/routing-state.ts';
import { parseDuration, readRateLimitHeaders } from '../upstream/rate-limit-tap.ts';
import { compileRules, type RuleSubject } from './rules.ts';
import { pickWeighted, stickyRoll } from './split.ts';

const subject = (extra: Partial<RuleSubject> = {}): RuleSubject => ({
  metadata: {},
  keyId: null,
  keyName: null,
  team: null,
  model: 'auto',
  header: () => undefined,
  now: new Date('2026-11-25T12:00:00Z'),
  ...extra,
});

describe('rules', () => {
  const rules = compileRules([
    { when: { 'metadata.env': 'staging' }, route: 'cheap' },
    { when: { 'metadata.sensitive': 'true' }, require: { on_prem: true } },
    { when: { model: 'gpt-*', team: ['red', 'blue'] }, set: { temperature: 0 } },
    { when: { 'header.x-tier': 'free', time: '22:00-06:00' }, deny: true },
    { when: { key: 'batch-key' }, deny: 'batch keys cannot call this' },
  ]);

  it('takes the first matching rule', () => {
    assert.equal(rules.match(subject({ metadata: { env: 'staging', sensitive: 'true' } }))?.route, 'cheap');
    assert.deepEqual(rules.match(subject({ metadata: { sensitive: 'true' } }))?.require, { onPrem: true });
    assert.equal(rules.match(subject({ metadata: { env: 'prod' } })), undefined);
  });

  it('matches globs, lists, headers, keys and time windows that wrap midnight', () => {
    assert.deepEqual(rules.match(subject({ model: 'gpt-4o', team: 'blue' }))?.set, { temperature: 0 });
    assert.equal(rules.match(subject({ model: 'gpt-4o', team: 'green' })), undefined);
    const free = { header: (name: string) => (name === 'x-tier' ? 'free' : undefined) };
    assert.equal(rules.match(subject({ ...free, now: new Date('2026-11-25T23:30:00Z') }))?.deny, 'Request denied by rule 3.');
    assert.equal(rules.match(subject({ ...free, now: new Date('2026-11-25T12:00:00Z') })), undefined);
    assert.equal(rules.match(subject({ keyName: 'batch-key' }))?.deny, 'batch keys cannot call this');
  });
});

describe('split', () => {
  it('is deterministic per route and key, and spreads keys by weight', () => {
    assert.equal(stickyRoll('route', 'ann'), stickyRoll('route', 'ann'));
    assert.notEqual(stickyRoll('route', 'ann'), stickyRoll('other', 'ann'));
    const arms = [{ model: 'a', weight: 3 }, { model: 'b', weight: 1 }];
    let a = 0;
    for (let index = 0; index < 4000; index += 1) if (pickWeighted(arms, stickyRoll('route', `user-${index}`)) === 0) a += 1;
    assert.ok(Math.abs(a / 4000 - 0.75) < 0.03, `share ${a / 4000}`);
    assert.equal(pickWeighted([{ model: 'a', weight: 0 }], 0.5), -1);
  });
});

describe('memory routing state: circuit breaker', () => {
  it("tells the others of its failures and of the first success after them, and counts theirs as its own", () => {
    const policy = () => ({ failureThreshold: 3, cooldownMs: 500, maxCooldownMs: 4000 });
    const told: string[] = [];
    const here = createMemoryRoutingState(policy, () => 1000, (news) => told.push(`${news.deployment} ${news.outcome}`));
    here.recordSuccess('p/m', { latencyMs: 10, streamed: false });
    assert.deepEqual(told, [], 'a success after successes is no news');
    here.recordFailure('p/m', {});
    here.recordSuccess('p/m', { latencyMs: 10, streamed: false });
    here.recordSuccess('p/m', { latencyMs: 10, streamed: false });
    assert.deepEqual(told, ['p/m failed', 'p/m recovered']);

    const there = createMemoryRoutingState(policy, () => 1000);
    there.applyHealthNews({ deployment: 'p/m', outcome: 'failed' });
    there.applyHealthNews({ deployment: 'p/m', outcome: 'failed' });
    assert.equal(there.admit('p/m'), 'closed');
    there.recordFailure('p/m', {});
    assert.equal(there.admit('p/m'), 'refused', "two of another process's failures and one of its own open the circuit");
    there.applyHealthNews({ deployment: 'p/m', outcome: 'recovered' });
    assert.equal(there.admit('p/m'), 'closed', "another process's success closes it");
    assert.equal(there.snapshot().deployment('p/m').consecutiveFailures, 0);
    assert.equal(there.snapshot().deployment('p/m').samples, 0, 'without a latency sample');
  });

  it('keeps the state of 10,000 deployments at most: callers name any <provider>/<upstream>', () => {
    const state = createMemoryRoutingState(() => ({ failureThreshold: 1, cooldownMs: 500, maxCooldownMs: 4000 }), () => 1000);
    for (let index = 0; index < 10_000; index += 1) state.recordFailure(`p/made-up-${index}`, {});
    assert.equal(state.snapshot().deployment('p/made-up-0').openUntil, 1500, 'the first ones are remembered');
    state.recordFailure('p/one-too-many', {});
    assert.equal(state.snapshot().deployment('p/one-too-many').openUntil, 0, 'past the bound, not remembered');
  });

  it('opens after the threshold, refuses during the cooldown, lets one probe through, closes on success', () => {
    let now = 1000;
    const state = createMemoryRoutingState(() => ({ failureThreshold: 2, cooldownMs: 500, maxCooldownMs: 4000 }), () => now);
    state.recordFailure('p/m', {});
    assert.equal(state.snapshot().deployment('p/m').openUntil, 0);
    state.recordFailure('p/m', {});
    assert.equal(state.snapshot().deployment('p/m').openUntil, 1500);
    assert.equal(state.admit('p/m'), 'refused');
    now = 1600;
    assert.equal(state.admit('p/m'), 'probe');
    assert.equal(state.admit('p/m'), 'refused', 'only one probe at a time');
    state.recordFailure('p/m', { probe: true });
    assert.equal(state.snapshot().deployment('p/m').openUntil, 1600 + 1000, 'a failed probe re-opens for twice as long');
    now = 2700;
    assert.equal(state.admit('p/m'), 'probe');
    state.recordSuccess('p/m', { latencyMs: 100, streamed: false });
    assert.equal(state.snapshot().deployment('p/m').openUntil, 0);
    assert.equal(state.admit('p/m'), 'closed');
  });

  it('doubles the cooldown once per failed probe, not per failure while open (issue 14)', () => {
    let now = 0;
    const state = createMemoryRoutingState(() => ({ failureThreshold: 2, cooldownMs: 10_000, maxCooldownMs: 300_000 }), () => now);
    state.recordFailure('p/m', {});
    state.recordFailure('p/m', {});
    assert.equal(state.snapshot().deployment('p/m').openUntil, 10_000);
    // Calls that were in flight when it opened fail too: the cooldown stays as it is.
    for (let failure = 0; failure < 5; failure += 1) state.recordFailure('p/m', {});
    assert.equal(state.snapshot().deployment('p/m').openUntil, 10_000);
    const cooldowns: number[] = [];
    for (let probe = 0; probe < 3; probe += 1) {
      now = state.snapshot().deployment('p/m').openUntil;
      assert.equal(state.admit('p/m'), 'probe');
      state.recordFailure('p/m', {}); // a late failure of an older call while the probe runs
      state.recordFailure('p/m', { probe: true });
      cooldowns.push(state.snapshot().deployment('p/m').openUntil - now);
    }
    assert.deepEqual(cooldowns, [20_000, 40_000, 80_000]);
    now = state.snapshot().deployment('p/m').openUntil;
    assert.equal(state.admit('p/m'), 'probe');
    state.recordSuccess('p/m', { latencyMs: 1, streamed: true });
    assert.equal(state.admit('p/m'), 'closed', 'one success closes the circuit');
  });

  it('gives the probe to the next call when the probe ended without a verdict', () => {
    let now = 0;
    const state = createMemoryRoutingState(() => ({ failureThreshold: 1, cooldownMs: 100, maxCooldownMs: 100 }), () => now);
    state.recordFailure('p/m', {});
    now = 200;
    assert.equal(state.admit('p/m'), 'probe');
    assert.equal(state.admit('p/m'), 'refused');
    state.releaseProbe('p/m');
    assert.equal(state.admit('p/m'), 'probe');
  });

  it('keeps decaying latency averages per kind', () => {
    const state = createMemoryRoutingState(() => ({ failureThreshold: 5, cooldownMs: 1, maxCooldownMs: 1 }));
    state.recordSuccess('p/m', { latencyMs: 100, streamed: false });
    state.recordSuccess('p/m', { latencyMs: 200, streamed: false });
    state.recordSuccess('p/m', { latencyMs: 40, streamed: true });
    const deployment = state.snapshot().deployment('p/m');
    assert.equal(deployment.latencyMs, 130);
    assert.equal(deployment.ttftMs, 40);
  });
});

describe('rate-limit headers', () => {
  it('reads OpenAI-style and Anthropic-style headers', () => {
    assert.deepEqual(readRateLimitHeaders({ 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-limit-requests': '500', 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-tokens': '1000' }), {
      remainingRequests: 12,
      limitRequests: 500,
      remainingTokens: 1000,
      requestsResetMs: 360_000,
    });
    assert.deepEqual(readRateLimitHeaders({ 'anthropic-ratelimit-requests-remaining': '3', 'anthropic-ratelimit-requests-reset': '2026-11-25T12:00:30Z' }, Date.parse('2026-11-25T12:00:00Z')), {
      remainingRequests: 3,
      requestsResetMs: 30_000,
    });
    assert.equal(readRateLimitHeaders({ 'content-type': 'application/json' }), undefined);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('20ms'), 20);
  });

  // An outside probe: the two resets were kept as one (the later), so a request limit spent for a
  // second held the provider out of the balance until its tokens' reset, minutes later.
  it('clears each count at its own reset', () => {
    let now = 0;
    const state = createMemoryRoutingState(() => ({ failureThreshold: 5, cooldownMs: 1, maxCooldownMs: 1 }), () => now);
    state.recordRateLimit('p', readRateLimitHeaders({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-tokens': '990000', 'x-ratelimit-reset-tokens': '6m0s' }, now)!);
    assert.equal(state.snapshot().provider('p').remainingRequests, 0);
    now = 1_001;
    const load = state.snapshot().provider('p');
    assert.equal(load.remainingRequests, undefined, 'the request limit is back after its 1 s');
    assert.equal(load.remainingTokens, 990_000, 'the token count stands until its own reset');
    now = 360_001;
    assert.equal(state.snapshot().provider('p').remainingTokens, undefined);
  });
});
