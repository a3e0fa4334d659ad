import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import type { SpendPolicy } from '../core/governance.ts';
import { LimitsEngine } from '../keys/limits.ts';
import { AdmissionArbiter } from './arbiter.ts';
import { restartDelay } from './primary.ts';
import type { AdmitParams } from './protocol.ts';
import { RpcPeer, type Envelope } from './rpc.ts';

type Served = { double: [number, number]; refuse: [undefined, void]; note: [string, void] };

/** Two peers joined by an asynchronous, JSON-copying channel, as Node's IPC is. */
function pair() {
  const deliver = (target: () => RpcPeer<Served, Served>) => (envelope: Envelope, done: (error: Error | null) => void) => {
    const copy = JSON.parse(JSON.stringify(envelope)) as unknown;
    setImmediate(() => {
      target().receive(copy);
      done(null);
    });
  };
  const left: RpcPeer<Served, Served> = new RpcPeer(deliver(() => right), { timeoutMs: 200 });
  const right: RpcPeer<Served, Served> = new RpcPeer(deliver(() => left), { timeoutMs: 200 });
  return { left, right };
}

describe('cluster channel (src/cluster/rpc.ts)', () => {
  it('answers calls, carries a GatewayError with its caller-facing details, and keeps notifications in order', async () => {
    const { left, right } = pair();
    const notes: string[] = [];
    right.handle('double', (value) => value * 2);
    right.handle('refuse', () => {
      throw new GatewayError('SB_ERR_RATE_LIMITED', 'Rate limit reached.', { publicCode: 'rate_limit_exceeded', retryAfterSeconds: 7 });
    });
    right.handle('note', (text) => {
      notes.push(text);
    });
    assert.equal(await left.call('double', 21), 42);
    await assert.rejects(left.call('refuse', undefined), (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.equal(error.code, 'SB_ERR_RATE_LIMITED');
      assert.equal(error.status, 429);
      assert.equal(error.publicCode, 'rate_limit_exceeded');
      assert.equal(error.retryAfterSeconds, 7);
      return true;
    });
    for (const text of ['a', 'b', 'c']) left.notify('note', text);
    assert.equal(await left.call('double', 1), 2);
    assert.deepEqual(notes, ['a', 'b', 'c'], 'notifications sent before a call are handled before it');
    assert.equal(right.receive({ type: 'prom-client:getMetricsReq' }), false, 'other users of the channel pass by');
  });

  it('fails a call with 503 when the other side does not answer or is gone', async () => {
    const { left, right } = pair();
    right.handle('double', () => new Promise<number>(() => undefined));
    await assert.rejects(left.call('double', 1, 50), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UNAVAILABLE');
    const waiting = left.call('double', 1);
    left.close(new GatewayError('SB_ERR_UNAVAILABLE', 'The Switchboard cluster primary is gone.'));
    await assert.rejects(waiting, /primary is gone/);
    await assert.rejects(left.call('double', 1), /primary is gone/);
  });
});

describe('admission arbiter (the primary holds every worker’s limits)', () => {
  const policy = (overrides: Partial<SpendPolicy>): SpendPolicy => ({ kind: 'key', subject: 'key_1', label: 'app', budgetPeriod: 'total', modelLimits: {}, ...overrides });
  const params = (policies: SpendPolicy[], costUsd = 0): AdmitParams => ({ policies, requested: 'fast', costUsd, tokens: 10 });
  const engine = () => new LimitsEngine({ costSince: async () => 0, flushLedger: async () => undefined });

  it('counts the requests of every worker in one rpm window', async () => {
    const arbiter = new AdmissionArbiter(engine());
    const limited = policy({ subject: 'key_rpm', rpm: 4 });
    const outcomes = await Promise.allSettled([1, 2, 1, 2, 1, 2, 1, 2].map((worker) => arbiter.admit(worker, params([limited]))));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 4);
    assert.ok(outcomes.filter((outcome) => outcome.status === 'rejected').every((outcome) => GatewayError.isInstance(outcome.reason) && outcome.reason.code === 'SB_ERR_RATE_LIMITED'));
  });

  it('releases what a dead worker’s requests reserved, and only its own', async () => {
    const limits = engine();
    const arbiter = new AdmissionArbiter(limits);
    const budget = policy({ subject: 'key_budget', budgetUsd: 0.75 });
    const first = await arbiter.admit(1, params([budget], 0.25));
    await arbiter.admit(1, params([budget], 0.25));
    const survivor = await arbiter.admit(2, params([budget], 0.25));
    await assert.rejects(arbiter.admit(2, params([budget], 0.25)), /held by 3 request/);
    arbiter.settle(2, first, { time: new Date().toISOString(), costUsd: 5, inputTokens: 0, outputTokens: 0 });
    assert.equal((await limits.spend('key', 'key_budget', 'total')).inFlight, 3, 'a worker cannot settle another worker’s ticket');
    arbiter.settle(1, first, { time: new Date().toISOString(), costUsd: 0.2, inputTokens: 0, outputTokens: 0 });
    assert.equal(arbiter.release(1), 1);
    const spend = await limits.spend('key', 'key_budget', 'total');
    assert.equal(spend.inFlight, 1);
    assert.ok(Math.abs(spend.reservedUsd - 0.25) < 1e-9, `reserved ${spend.reservedUsd}`);
    assert.ok(Math.abs(spend.spentUsd - 0.2) < 1e-9, 'released requests cost $0, as their rows say');
    arbiter.settle(2, survivor, { time: new Date().toISOString(), costUsd: 0.25, inputTokens: 0, outputTokens: 0 });
    assert.equal(arbiter.outstanding, 0);
    assert.equal(arbiter.release(1), 0);
  });

  // An outside probe: a worker died while the primary still loaded its key's spend; the ticket,
  // made after the release, held its reservation forever and refused the key's later requests.
  it('does not keep an admission that finishes after its worker was released', async () => {
    let loaded: () => void = () => undefined;
    const slow = new LimitsEngine({ costSince: () => new Promise<number>((resolve) => (loaded = () => resolve(0))), flushLedger: async () => undefined });
    const arbiter = new AdmissionArbiter(slow);
    const budget = policy({ subject: 'key_slow', budgetUsd: 0.3, tpm: 100 });
    const admitting = arbiter.admit(7, params([budget], 0.25));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(arbiter.release(7), 0);
    loaded();
    await assert.rejects(admitting, (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UNAVAILABLE');
    const spend = await slow.spend('key', 'key_slow', 'total');
    assert.equal(spend.inFlight, 0);
    assert.equal(spend.reservedUsd, 0);
    assert.equal(arbiter.outstanding, 0);
    await arbiter.admit(8, params([budget], 0.25));
  });

  it('keeps a dead worker’s requests in the tpm window at their prompts’ estimate', async () => {
    const arbiter = new AdmissionArbiter(engine());
    const limited = policy({ subject: 'key_tpm', tpm: 15 });
    await arbiter.admit(1, params([limited]));
    await arbiter.admit(1, params([limited]));
    arbiter.release(1);
    await assert.rejects(arbiter.admit(2, params([limited])), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_RATE_LIMITED');
  });
});

describe('worker replacement delay', () => {
  it('replaces a worker at once, then backs off while it keeps dying young, up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 8, 20].map(restartDelay), [0, 500, 1_000, 2_000, 4_000, 30_000, 30_000]);
  });
});
