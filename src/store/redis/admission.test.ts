import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connected, createTestRedis, testRedisUrl, type TestRedis } from '../../../test/helpers/redis.ts';
import { GatewayError } from '../../core/errors.ts';
import type { SpendPolicy } from '../../core/governance.ts';
import type { SpendSubject } from '../../core/stores.ts';
import { LimitsEngine, type Admission, type Demand, type Ticket } from '../../keys/limits.ts';
import { RedisAdmission } from './admission.ts';

/**
 * Several replicas' admissions over the machine's Redis: each RedisAdmission below is what one
 * replica builds, with a client of its own; they share nothing but Redis.
 */

const policy = (overrides: Partial<SpendPolicy>): SpendPolicy => ({ kind: 'key', subject: 'key_1', label: 'app', budgetPeriod: 'total', modelLimits: {}, ...overrides });
const demand = (costUsd: number, tokens = 10, requested = 'fast'): Demand => ({ requested, estimatedCostUsd: () => costUsd, estimatedTokens: () => tokens });
const usage = (costUsd: number, tokens = 15) => ({ time: new Date().toISOString(), costUsd, inputTokens: tokens, outputTokens: 0 });
const refusedWith = (code: string, pattern?: RegExp) => (error: unknown) => GatewayError.isInstance(error) && error.code === code && (!pattern || pattern.test(error.message));

describe('limits and budgets shared by replicas through Redis', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const admissions: RedisAdmission[] = [];
  /** Spend in "the ledger", as each replica's costSince reads it. */
  const ledger = new Map<string, number>();
  const reachability: boolean[] = [];

  const replica = (options: { url?: string; leaseMs?: number; fallback?: Admission; clock?: () => number } = {}) => {
    const client = new Redis(options.url ?? testRedisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, lazyConnect: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    clients.push(client);
    const costSince = async (subject: SpendSubject) => ledger.get('keyId' in subject ? subject.keyId : subject.team) ?? 0;
    const admission = new RedisAdmission({
      client,
      prefix: redis.prefix,
      fallback: options.fallback ?? new LimitsEngine({ costSince, flushLedger: async () => undefined }),
      costSince,
      flushLedger: async () => undefined,
      reachability: (reachable) => reachability.push(reachable),
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    admissions.push(admission);
    return admission;
  };
  const ready = () => connected(clients);

  before(async () => {
    redis = await createTestRedis();
  });
  after(async () => {
    for (const admission of admissions) admission.close();
    for (const client of clients) client.disconnect();
    await redis.drop();
  });

  it('admits an rpm limit once across three replicas, and says when the window frees up', async () => {
    const replicas = [replica(), replica(), replica()];
    await ready();
    const limited = policy({ subject: 'key_rpm', rpm: 10 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, index) => replicas[index % 3]!.admit([limited], demand(0))));
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 10);
    const refusal = (results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason as GatewayError;
    assert.ok(refusedWith('SB_ERR_RATE_LIMITED', /Rate limit reached for key "app": 10 requests per minute/)(refusal));
    assert.ok(refusal.retryAfterSeconds! >= 59 && refusal.retryAfterSeconds! <= 60, `retry after ${refusal.retryAfterSeconds}`);
  });

  it('counts tokens against tpm and replaces each estimate with the real count', async () => {
    const [first, second] = [replica(), replica()];
    await ready();
    const limited = policy({ subject: 'key_tpm', tpm: 100 });
    const ticket = await first.admit([limited], demand(0, 100));
    await assert.rejects(second.admit([limited], demand(0, 5)), refusedWith('SB_ERR_RATE_LIMITED', /Token rate limit reached for key "app": 100 tokens per minute/));
    ticket.settle(usage(0, 20));
    await sleep(50);
    // 20 real tokens count now, not the 100 estimated: 80 more fit, then the window is full.
    await second.admit([limited], demand(0, 80));
    await assert.rejects(first.admit([limited], demand(0, 1)), refusedWith('SB_ERR_RATE_LIMITED'));
  });

  it('holds a model glob window apart from the key window', async () => {
    const replicas = [replica(), replica()];
    await ready();
    const limited = policy({ subject: 'key_glob', modelLimits: { 'gpt-*': { rpm: 2 } } });
    await replicas[0]!.admit([limited], demand(0, 1, 'gpt-4o'));
    await replicas[1]!.admit([limited], demand(0, 1, 'gpt-4o-mini'));
    await assert.rejects(replicas[0]!.admit([limited], demand(0, 1, 'gpt-4o')), refusedWith('SB_ERR_RATE_LIMITED', /on models "gpt-\*": 2 requests/));
    await replicas[1]!.admit([limited], demand(0, 1, 'claude-haiku'));
  });

  it('loads a budget from the ledger once and shares spend and reservations between replicas', async () => {
    ledger.set('key_budget', 0.03);
    const [first, second, third] = [replica(), replica(), replica()];
    await ready();
    const budgeted = policy({ subject: 'key_budget', budgetUsd: 0.05 });
    const tickets: Ticket[] = [];
    tickets.push(await first.admit([budgeted], demand(0.01)));
    tickets.push(await second.admit([budgeted], demand(0.01)));
    // 0.03 spent and 0.02 reserved: a third request waits for the two in flight.
    await assert.rejects(third.admit([budgeted], demand(0.01)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /held by 2 request\(s\) in flight: spent \$0\.030000 and reserved \$0\.020000/));
    const status = await third.spend('key', 'key_budget', 'total');
    assert.equal(status.spentUsd, 0.03);
    assert.equal(status.reservedUsd, 0.02);
    assert.equal(status.inFlight, 2);
    for (const ticket of tickets) ticket.settle(usage(0.01));
    await sleep(50);
    assert.equal((await first.spend('key', 'key_budget', 'total')).spentUsd, 0.05);
    await assert.rejects(third.admit([budgeted], demand(0.01)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /Budget exceeded for key "app": spent \$0\.050000 of its \$0\.05 total budget/));
  });

  it('adds the spend of requests without a ticket to a loaded budget', async () => {
    ledger.set('key_untracked', 0);
    const [first, second] = [replica(), replica()];
    await ready();
    assert.equal((await first.spend('key', 'key_untracked', 'day')).spentUsd, 0);
    second.recordSpend([{ kind: 'key', subject: 'key_untracked' }], usage(0.25));
    await sleep(50);
    assert.equal((await first.spend('key', 'key_untracked', 'day')).spentUsd, 0.25);
    assert.equal((await first.spend('key', 'key_untracked', 'total')).spentUsd, 0, 'a period loaded after the request reads the ledger (here: empty)');
  });

  it('frees the reservations of a replica that died when their lease ends', async () => {
    ledger.set('key_lease', 0);
    const dying = replica({ leaseMs: 300 });
    const survivor = replica({ leaseMs: 300 });
    await ready();
    const budgeted = policy({ subject: 'key_lease', budgetUsd: 1 });
    await dying.admit([budgeted], demand(1));
    await assert.rejects(survivor.admit([budgeted], demand(0.6)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /held by 1 request/));
    // A live request's lease is renewed: still held after two leases.
    await sleep(700);
    await assert.rejects(survivor.admit([budgeted], demand(0.6)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /held by 1 request/));
    dying.close();
    clients[clients.length - 2]!.disconnect();
    await sleep(700);
    (await survivor.admit([budgeted], demand(0.6))).settle(usage(0.6));
  });

  it('admits through the fallback while Redis cannot be reached, and says so once', async () => {
    let fallbackAdmissions = 0;
    const local = new LimitsEngine({ costSince: async () => 0, flushLedger: async () => undefined });
    const fallback: Admission = {
      admit: (policies, asked) => {
        fallbackAdmissions += 1;
        return local.admit(policies, asked);
      },
      spend: (kind, subject, period) => local.spend(kind, subject, period),
      recordSpend: (subjects, spent) => local.recordSpend(subjects, spent),
    };
    reachability.length = 0;
    const unreachable = replica({ url: 'redis://127.0.0.1:1', fallback });
    const limited = policy({ subject: 'key_down', rpm: 2 });
    await unreachable.admit([limited], demand(0));
    await unreachable.admit([limited], demand(0));
    await assert.rejects(unreachable.admit([limited], demand(0)), refusedWith('SB_ERR_RATE_LIMITED'), 'the fallback still enforces the limit in this process');
    assert.equal(fallbackAdmissions, 3);
    assert.deepEqual(reachability, [false]);
    assert.equal((await redis.keys()).some((key) => key.includes('key_down')), false);
  });

  it('the fallback knows what was spent through Redis when Redis stops answering again', async () => {
    ledger.set('key_outages', 0);
    // One replica's fallback, used by its admission before, between and after two outages.
    const local = new LimitsEngine({ costSince: async () => 0, flushLedger: async () => undefined });
    const down = replica({ url: 'redis://127.0.0.1:1', fallback: local });
    const up = replica({ fallback: local });
    await new Promise((resolve) => clients[clients.length - 1]!.status === 'ready' ? resolve(undefined) : clients[clients.length - 1]!.once('ready', resolve));
    const budgeted = policy({ subject: 'key_outages', budgetUsd: 1 });
    // First outage: the fallback loads the budget's spend (0) and admits.
    (await down.admit([budgeted], demand(0.1))).settle(usage(0));
    // Redis answers: the whole budget is spent through it.
    for (let index = 0; index < 4; index += 1) (await up.admit([budgeted], demand(0.1))).settle(usage(0.25));
    await sleep(50);
    await assert.rejects(up.admit([budgeted], demand(0.1)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /spent \$1\.000000/));
    // Second outage: the fallback must not start over from what it loaded in the first.
    await assert.rejects(down.admit([budgeted], demand(0.1)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /spent \$1\.000000/));
  });

  it('checks each policy in turn, its windows then its budget, as the engine of one process does', async () => {
    ledger.set('key_order', 2);
    const costSince = async (subject: SpendSubject) => ledger.get('keyId' in subject ? subject.keyId : subject.team) ?? 0;
    const local = new LimitsEngine({ costSince, flushLedger: async () => undefined });
    const shared = replica();
    await new Promise((resolve) => (clients.at(-1)!.status === 'ready' ? resolve(undefined) : clients.at(-1)!.once('ready', resolve)));
    const key = policy({ subject: 'key_order', budgetUsd: 1 });
    const team = policy({ kind: 'team', subject: 'team_order', label: 'research', rpm: 1 });
    for (const engine of [local, shared]) {
      await engine.admit([team], demand(0));
      // The key's budget is spent and the team's window full: the key, first, says why.
      await assert.rejects(engine.admit([key, team], demand(0.1)), refusedWith('SB_ERR_BUDGET_EXCEEDED', /Budget exceeded for key "app": spent \$2\.000000/));
    }
  });

  it("measures windows by one clock, not by each replica's", async () => {
    // A replica whose clock is a minute and a half ahead, one whose clock is 5 s behind.
    const ahead = replica({ clock: () => Date.now() + 90_000 });
    const behind = replica({ clock: () => Date.now() - 5_000 });
    const inTime = replica();
    for (const client of clients.slice(-3)) if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    const limited = policy({ subject: 'key_clocks', rpm: 1 });
    await inTime.admit([limited], demand(0));
    await assert.rejects(ahead.admit([limited], demand(0)), refusedWith('SB_ERR_RATE_LIMITED'), 'the request of a moment ago is still in the window');
    const refusal = await behind.admit([limited], demand(0)).then(
      () => assert.fail('admitted over the limit'),
      (error: unknown) => error as GatewayError,
    );
    assert.ok(refusal.retryAfterSeconds! <= 60, `retry after ${refusal.retryAfterSeconds} s, for a window of 60 s`);
  });

  it('releases what an admission that got no answer in time reserved, since the fallback admitted it', async () => {
    ledger.set('key_slow', 0);
    const slow = replica();
    const client = clients.at(-1)!;
    const other = replica();
    for (const each of clients.slice(-2)) if (each.status !== 'ready') await new Promise((resolve) => each.once('ready', resolve));
    await slow.spend('key', 'key_slow', 'total');
    // The next script runs, but its answer comes after the command timeout.
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let late = true;
    (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = async (...args: unknown[]) => {
      const result = await evalsha(...args);
      if (late) {
        late = false;
        throw new Error('Command timed out');
      }
      return result;
    };
    const budgeted = policy({ subject: 'key_slow', budgetUsd: 0.5 });
    (await slow.admit([budgeted], demand(0.6))).settle(usage(0));
    await sleep(50);
    (await other.admit([budgeted], demand(0.6))).settle(usage(0));
  });
});
