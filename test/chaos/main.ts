import { parseArgs } from 'node:util';
import { allFaultKinds, describeReport, runChaos, type FaultKind } from './chaos-run.ts';

/**
 * `npm run chaos [-- --duration 180 --seed 7 --concurrency 8 --fault-rate 0.35 --outage 60 --cooldown 10 --mix cut-stream,stall]`:
 * a few minutes of load through failing providers (test/chaos/chaos-run.ts). Exits 1 when a
 * client saw an error, an answer was not the whole text, the ledger does not have every request
 * exactly once, the dead provider got more than two probes in a cooldown, it was not used again
 * after recovering, or the heap without V8's compiled code grew by more than 10%.
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '180' },
    seed: { type: 'string', default: '14' },
    concurrency: { type: 'string', default: '8' },
    'fault-rate': { type: 'string', default: '0.35' },
    'outage-start': { type: 'string', default: '20' },
    outage: { type: 'string', default: '60' },
    cooldown: { type: 'string', default: '10' },
    flap: { type: 'string', default: '5' },
    mix: { type: 'string' },
  },
});

const mix = values.mix ? (values.mix.split(',') as FaultKind[]) : allFaultKinds;
const unknown = mix.filter((kind) => !allFaultKinds.includes(kind));
if (unknown.length > 0) {
  console.error(`unknown fault kinds: ${unknown.join(', ')} (known: ${allFaultKinds.join(', ')})`);
  process.exit(2);
}
const seconds = (name: keyof typeof values) => Number(values[name]) * 1000;
const report = await runChaos({
  seed: Number(values.seed),
  durationMs: seconds('duration'),
  concurrency: Number(values.concurrency),
  faultRate: Number(values['fault-rate']),
  outageStartMs: seconds('outage-start'),
  outageMs: seconds('outage'),
  cooldownSeconds: Number(values.cooldown),
  flapMs: seconds('flap'),
  mix,
  log: (line) => console.log(line),
});
for (const line of describeReport(report)) console.log(line);
const problems = [
  report.clientErrors.length > 0 && 'client-visible errors',
  report.wrongAnswers.length > 0 && 'answers not whole',
  report.ledgerMismatches.length > 0 && 'ledger mismatches',
  report.outage.maxCallsPerCooldown > 2 && 'more than two probes in a cooldown',
  report.outage.recoveredAfterMs === null && 'the recovered provider was not used again',
  report.heap.growth > 0.1 && 'heap (without code) grew by more than 10%',
].filter(Boolean);
console.log(problems.length ? `FAILED: ${problems.join(', ')}` : 'PASSED');
process.exit(problems.length ? 1 : 0);
