import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeReport, runChaos } from './chaos-run.ts';

/**
 * A short chaos run with a fixed seed (`npm run chaos` is the long one): 12 s of load through
 * providers failing in every way the simulators can, one flapping and one down for 3 s, each
 * route with a healthy candidate (test/chaos/chaos-run.ts).
 */
describe('chaos: failing providers under load (seed 14, 12 s)', () => {
  it('gives every client the whole answer, books every request once, probes the dead provider once per cooldown and uses it again once it recovers', async () => {
    const report = await runChaos({ seed: 14, durationMs: 12_000, concurrency: 6, faultRate: 0.35, outageStartMs: 2000, outageMs: 3000, cooldownSeconds: 0.5, flapMs: 2000 });
    const summary = describeReport(report).join('\n');
    assert.ok(report.requests > 100, summary);
    assert.deepEqual(report.clientErrors, [], summary);
    assert.deepEqual(report.wrongAnswers, [], summary);
    assert.deepEqual(report.ledgerMismatches, [], summary);
    assert.ok(report.resumed > 0, `no stream was resumed\n${summary}`);
    assert.ok(report.outage.maxCallsPerCooldown <= 2, summary);
    report.outage.probeGapsMs.forEach((gap, index) => assert.ok(gap >= 500 * 2 ** index - 50, `probe ${index + 1} before its cooldown\n${summary}`));
    assert.notEqual(report.outage.recoveredAfterMs, null, summary);
    assert.ok(report.heap.growth < 0.1, summary);
  });
});
