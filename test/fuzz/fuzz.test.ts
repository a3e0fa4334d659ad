import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from './run-fuzz.ts';

/**
 * The fuzz of `npm run fuzz`, small and with a fixed seed, so every `npm test` sends the same
 * 600 hostile requests (bad JSON, wrong types, huge strings and arrays, deep nesting, invalid
 * UTF-8, control characters in names and headers, prototype keys, slow bodies) to every endpoint.
 */
describe('fuzz: hostile requests against every endpoint', () => {
  it('answers each with a 4xx in the endpoint’s shape, no provider call, no 5xx, no stall, no crash', async (context) => {
    const seed = 20_261_304;
    const report = await runFuzz({ count: 600, seed, timeLimitMs: 90_000, stallLimitMs: 100, validShare: 0.03 });
    context.diagnostic(
      `seed ${seed}: ${report.ran} cases in ${report.durationMs} ms; statuses ${JSON.stringify(report.statuses)}; longest event-loop delay ${Math.round(report.maxDelayMs)} ms; peak RSS ${report.peakRssMb} MB` +
        (report.inconclusiveStalls.length ? `; stalls while the machine was busy (not counted): cases ${report.inconclusiveStalls.join(', ')}` : ''),
    );
    const described = report.failures
      .slice(0, 10)
      .map((failure) => `case ${failure.index} (${failure.endpoint}: ${failure.attack}): ${failure.problems.join('; ')}\n${failure.request.slice(0, 300)}\n→ ${failure.answer.slice(0, 300)}`)
      .join('\n\n');
    assert.equal(report.failures.length, 0, `${report.failures.length} failing cases (npm run fuzz -- --seed ${seed} --case N reproduces one):\n${described}`);
    assert.ok(report.ran >= 500, `only ${report.ran} cases ran before the time limit`);
    assert.equal(report.serverErrors, 0);
    assert.equal(report.providerCalls, 0);
  });
});
