import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import type { SpendPolicy } from '../core/governance.ts';
import type { LedgerRow } from '../core/ledger.ts';
import type { Storage } from '../core/stores.ts';
import { openSqliteStorage } from '../store/sqlite/index.ts';
import { LimitsEngine, type Demand } from './limits.ts';

const policy = (overrides: Partial<SpendPolicy>): SpendPolicy => ({ kind: 'key', subject: 'key_1', label: 'app', budgetPeriod: 'total', modelLimits: {}, ...overrides });
const demand = (costUsd: number, tokens = 10, requested = 'fast'): Demand => ({ requested, estimatedCostUsd: () => costUsd, estimatedTokens: () => tokens });
const usage = (costUsd: number, time = new Date().toISOString()) => ({ time, costUsd, inputTokens: 10, outputTokens: 5 });

function row(keyId: string, costUsd: number, time: string): LedgerRow {
  return {
    id: `req_${Math.random().toString(16).slice(2)}`, time, endpoint: 'chat', keyId, team: null, modelRequested: 'fast', route: null, model: 'fast',
    provider: 'oai', upstreamModel: 'gpt', attempts: [], inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
    tokensEstimated: false, costUsd, latencyMs: 1, ttftMs: null, status: 'ok', httpStatus: 200, errorCode: null, errorMessage: null,
    stream: false, reason: null, metadata: {}, warnings: [], guardrails: [],
  };
}

const refusedWith = (code: string) => (error: unknown) => GatewayError.isInstance(error) && error.code === code;

describe('limits and budgets (spend loaded from a real SQLite ledger)', () => {
  let directory: string;
  let storage: Storage;
  let now = Date.parse('2025-06-01T12:00:00Z');
  const engine = () =>
    new LimitsEngine({ costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger: async () => undefined, clock: () => now });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-limits-'));
    storage = await openSqliteStorage(join(directory, 'limits.db'));
  });
  after(async () => {
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('admits 50 simultaneous requests only while spend plus reservations is under the budget', async () => {
    const limits = engine();
    const budget = policy({ subject: 'key_burst', budgetUsd: 1.05 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => limits.admit([budget], demand(0.1))));
    const admitted = results.filter((result) => result.status === 'fulfilled');
    assert.equal(admitted.length, 11, 'reservations stop admission once they reach the budget');
    assert.ok(results.filter((result) => result.status === 'rejected').every((result) => refusedWith('SB_ERR_BUDGET_EXCEEDED')((result as PromiseRejectedResult).reason)));
    for (const ticket of admitted) (ticket as PromiseFulfilledResult<{ settle: (value: ReturnType<typeof usage>) => void }>).value.settle(usage(0.1, new Date(now).toISOString()));
    const spend = await limits.spend('key', 'key_burst', 'total');
    assert.ok(Math.abs(spend.spentUsd - 1.1) < 1e-9);
    assert.equal(spend.reservedUsd, 0);
    assert.ok(spend.spentUsd - 1.05 <= 0.1, 'with exact estimates, at most one request over');
    await assert.rejects(limits.admit([budget], demand(0.1)), /Budget exceeded/);
  });

  it('bounds the overspend by the requests in flight when estimates fall short (measured)', async () => {
    const limits = engine();
    const budgetUsd = 1;
    const budget = policy({ subject: 'key_waves', budgetUsd });
    const estimate = 0.05;
    const actual = 0.08; // the estimate misses 60 %: the worst case the reservation design has to absorb
    let inFlight = 0;
    let mostInFlight = 0;
    let admitted = 0;
    for (let wave = 0; wave < 50; wave += 1) {
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          let ticket;
          try {
            ticket = await limits.admit([budget], demand(estimate));
          } catch {
            return false;
          }
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await sleep(index % 7);
          inFlight -= 1;
          ticket.settle(usage(actual, new Date(now).toISOString()));
          return true;
        }),
      );
      const count = outcomes.filter(Boolean).length;
      admitted += count;
      if (count === 0) break;
    }
    const { spentUsd } = await limits.spend('key', 'key_waves', 'total');
    const overspend = spentUsd - budgetUsd;
    process.stdout.write(`# waves of 50: ${admitted} admitted, at most ${mostInFlight} in flight, overspend $${overspend.toFixed(4)} (bound $${(mostInFlight * actual).toFixed(4)})\n`);
    assert.ok(overspend <= mostInFlight * actual + 1e-9, `overspend ${overspend} > ${mostInFlight} × ${actual}`);
    assert.ok(spentUsd >= budgetUsd, 'the budget was used up');
  });

  it('starts from the spend already in the ledger for the period', async () => {
    const today = new Date(now).toISOString();
    const yesterday = new Date(now - 86_400_000).toISOString();
    await storage.ledger.append([row('key_ledger', 0.4, today), row('key_ledger', 0.3, today), row('key_ledger', 5, yesterday)]);
    const limits = engine();
    assert.ok(Math.abs((await limits.spend('key', 'key_ledger', 'day')).spentUsd - 0.7) < 1e-9);
    assert.ok(Math.abs((await limits.spend('key', 'key_ledger', 'total')).spentUsd - 5.7) < 1e-9);
    await assert.rejects(limits.admit([policy({ subject: 'key_ledger', budgetUsd: 0.7, budgetPeriod: 'day' })], demand(0.01)), refusedWith('SB_ERR_BUDGET_EXCEEDED'));
    await limits.admit([policy({ subject: 'key_ledger', budgetUsd: 0.8, budgetPeriod: 'day' })], demand(0.01));
  });

  it('starts a daily budget over at UTC midnight and says when in retry-after', async () => {
    now = Date.parse('2025-06-02T23:59:00Z');
    const limits = engine();
    const daily = policy({ subject: 'key_daily', budgetUsd: 0.1, budgetPeriod: 'day' });
    (await limits.admit([daily], demand(0.01))).settle(usage(0.2, new Date(now).toISOString()));
    await assert.rejects(limits.admit([daily], demand(0.01)), (error: unknown) => GatewayError.isInstance(error) && error.retryAfterSeconds === 60);
    now = Date.parse('2025-06-03T00:00:01Z');
    const ticket = await limits.admit([daily], demand(0.01));
    ticket.settle(usage(0.05, new Date(now).toISOString()));
    ticket.settle(usage(0.05, new Date(now).toISOString()));
    assert.ok(Math.abs((await limits.spend('key', 'key_daily', 'day')).spentUsd - 0.05) < 1e-9, 'settled once, in the new day');
  });

  it('limits rpm and tpm in a sliding minute with a retry-after, per key, team and model glob', async () => {
    now = Date.parse('2025-06-05T10:00:00Z');
    const limits = engine();
    const key = policy({ subject: 'key_rate', rpm: 2, tpm: 100, modelLimits: { 'smart*': { rpm: 1 } } });
    const team = policy({ kind: 'team', subject: 'red', label: 'red', rpm: 3 });
    (await limits.admit([key, team], demand(0, 10))).settle(usage(0));
    now += 20_000;
    (await limits.admit([key, team], demand(0, 10, 'smart'))).settle(usage(0));
    await assert.rejects(limits.admit([key, team], demand(0, 10)), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_RATE_LIMITED' && error.retryAfterSeconds === 40);
    now += 40_000;
    await assert.rejects(limits.admit([key, team], demand(0, 10, 'smart-2')), /models "smart\*"/);
    (await limits.admit([policy({ subject: 'key_other' }), team], demand(0))).settle(usage(0));
    (await limits.admit([policy({ subject: 'key_fourth' }), team], demand(0))).settle(usage(0));
    await assert.rejects(limits.admit([policy({ subject: 'key_third' }), team], demand(0)), /team "red"/);
    const tokens = policy({ subject: 'key_tokens', tpm: 30 });
    const ticket = await limits.admit([tokens], demand(0, 10));
    ticket.settle({ ...usage(0), inputTokens: 20, outputTokens: 15 });
    await assert.rejects(limits.admit([tokens], demand(0, 1)), /Token rate limit/);
  });

  it('does not count a refused request against any window', async () => {
    const limits = engine();
    const key = policy({ subject: 'key_refused', rpm: 5 });
    const team = policy({ kind: 'team', subject: 'full', label: 'full', rpm: 1 });
    (await limits.admit([policy({ subject: 'key_filler' }), team], demand(0))).settle(usage(0));
    for (let index = 0; index < 10; index += 1) await assert.rejects(limits.admit([key, team], demand(0)));
    (await limits.admit([key], demand(0))).settle(usage(0));
  });
});
