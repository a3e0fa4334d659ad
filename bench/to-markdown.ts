/**
 * Turns a results file of `npm run bench` into the Markdown tables of docs/performance.md.
 * Usage: node --import tsx bench/to-markdown.ts [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import { baselines, type BenchResults, type Comparison } from './report.ts';

const results = JSON.parse(readFileSync(process.argv[2] ?? 'bench/results/latest.json', 'utf8')) as BenchResults;
const number = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits));
const median = (values: readonly number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;

/** The gateway against a baseline that ran (nginx, Portkey's gateway), or nothing when it did not. */
function baselineTable(name: string, figures: (row: Comparison) => Array<number | undefined>): string[] {
  const rows = results.comparisons.filter((row) => figures(row)[0] !== undefined);
  if (rows.length === 0) return [];
  return [
    '',
    `| series | gateway req/s ÷ ${name} | added p50 ms: ${name} / gateway | added p99 ms: ${name} / gateway | gateway CPU ÷ ${name} |`,
    '|---|---:|---:|---:|---:|',
    ...rows.map((row) => {
      const [rps, addedP50, addedP99, cpu] = figures(row);
      return `| ${row.mode} c${row.concurrency} | ${number(rps, 2)} | ${number(addedP50, 2)} / ${number(row.gatewayAddedP50, 2)} | ${number(addedP99, 2)} / ${number(row.gatewayAddedP99, 2)} | ${number(cpu, 2)} |`;
    }),
  ];
}

const lines = [
  `Run ${results.date.slice(0, 16).replace('T', ' ')} UTC, Node ${results.node}, ${results.cpus} cores, ${String(results.settings.durationSeconds)} s per series, generator: ${String(results.settings.generator)}.`,
  '',
  '| series | target | req/s | p50 ms | p99 ms | TTFB p50 / p99 ms | CPU µs/req | peak RSS MB |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...results.series.map((row) =>
    [
      `${row.mode === 'chat' ? 'chat' : 'stream'} c${row.concurrency}`,
      row.target,
      number(row.rps, 0),
      number(row.p50, 2),
      number(row.p99, 2),
      row.ttfbP50 === undefined ? '' : `${number(row.ttfbP50, 2)} / ${number(row.ttfbP99, 2)}`,
      number(row.cpuMicrosPerRequest, 0),
      number(row.peakRssMb, 0),
    ].join(' | '),
  ).map((line) => `| ${line} |`),
  '',
  '| series | gateway req/s ÷ proxy | added p50 ms: proxy / gateway | added p99 ms: proxy / gateway | gateway added TTFB p50 ms | gateway CPU ÷ proxy |',
  '|---|---:|---:|---:|---:|---:|',
  ...results.comparisons.map(
    (row) =>
      `| ${row.mode} c${row.concurrency} | ${number(row.rpsVsProxy, 2)} | ${number(row.proxyAddedP50, 2)} / ${number(row.gatewayAddedP50, 2)} | ${number(row.proxyAddedP99, 2)} / ${number(row.gatewayAddedP99, 2)} | ${number(row.gatewayAddedTtfbP50, 2)} | ${number(row.cpuVsProxy, 1)} |`,
  ),
  ...baselines.flatMap(({ name, figures }) => baselineTable(name, figures)),
  '',
  '| start | spawn → listening, ms (median) | RSS MB idle / under 16 concurrent requests |',
  '|---|---|---|',
  ...results.startup.map(
    (startup) =>
      `| --workers ${startup.workers} | ${startup.coldStartMs.map((ms) => ms.toFixed(0)).join(', ')} (${median(startup.coldStartMs).toFixed(0)}) | ${startup.processes.map((each) => `${each.role} ${number(each.idleMb, 0)} / ${number(each.loadedMb, 0)}`).join('; ')} |`,
  ),
];
console.log(lines.join('\n'));
