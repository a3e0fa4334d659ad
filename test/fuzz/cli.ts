import { parseArgs } from 'node:util';
import { runFuzz, type FuzzReport } from './run-fuzz.ts';

/**
 * `npm run fuzz -- [--count N] [--seed S] [--case I,J] [--time-limit SECONDS]`: hostile requests
 * against every endpoint of a fresh gateway (test/fuzz/run-fuzz.ts). Prints the seed first; a
 * failure reproduces with `--seed S --case I`. Exits 1 when any case failed.
 */
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    case: { type: 'string' },
    'time-limit': { type: 'string', default: '900' },
    'stall-limit': { type: 'string', default: '100' },
    'valid-share': { type: 'string', default: '0.03' },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const only = values.case?.split(',').map(Number);
console.log(`fuzz: seed ${seed}, ${only ? `cases ${only.join(', ')}` : `${values.count} cases`} (reproduce with: npm run fuzz -- --seed ${seed}${only ? ` --case ${values.case}` : ` --count ${values.count}`})`);

const report = await runFuzz({
  count: Number(values.count),
  seed,
  ...(only ? { only } : {}),
  timeLimitMs: Number(values['time-limit']) * 1000,
  stallLimitMs: Number(values['stall-limit']),
  validShare: Number(values['valid-share']),
  log: (line) => console.log(line),
});
print(report);
process.exit(report.failures.length > 0 ? 1 : 0);

function print(result: FuzzReport): void {
  for (const failure of result.failures.slice(0, 50)) {
    console.log(`\n✖ case ${failure.index} (${failure.endpoint}: ${failure.attack}) — reproduce: npm run fuzz -- --seed ${result.seed} --case ${failure.index}`);
    for (const problem of failure.problems) console.log(`  - ${problem}`);
    if (failure.request) console.log(`  request:\n${indent(failure.request)}\n  answer:\n${indent(failure.answer)}`);
  }
  if (result.failures.length > 50) console.log(`\n… and ${result.failures.length - 50} more failures`);
  const kinds = new Map<string, number[]>();
  for (const failure of result.failures) {
    for (const problem of failure.problems) {
      const kind = problem.replace(/\d+/g, 'N');
      kinds.set(kind, [...(kinds.get(kind) ?? []), failure.index]);
    }
  }
  const byKind = [...kinds].sort((left, right) => right[1].length - left[1].length);
  if (byKind.length > 0) console.log(`\nfailures by kind:\n${byKind.map(([kind, cases]) => `  ${cases.length} × ${kind} (cases ${cases.slice(0, 8).join(', ')}${cases.length > 8 ? ', …' : ''})`).join('\n')}`);
  const statuses = Object.entries(result.statuses)
    .map(([status, count]) => `${status === '0' ? 'none' : status}: ${count}`)
    .join(', ');
  console.log(
    `\nfuzz: seed ${result.seed}, ${result.ran} cases in ${(result.durationMs / 1000).toFixed(1)} s${result.stoppedEarly ? ' (stopped at the time limit)' : ''}` +
      `\n  answers by status: ${statuses}` +
      `\n  5xx: ${result.serverErrors}, provider calls: ${result.providerCalls}, longest event-loop delay: ${Math.round(result.maxDelayMs)} ms (case ${result.worstCase ?? '-'}), gateway peak RSS: ${result.peakRssMb} MB` +
      (result.inconclusiveStalls.length ? `\n  stalls while the machine itself was slow (not counted): cases ${result.inconclusiveStalls.join(', ')}` : '') +
      `\n  ${result.failures.length === 0 ? '✔ no failures' : `✖ ${result.failures.length} failures`}`,
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
