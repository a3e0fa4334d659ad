/**
 * What `npm run bench` prints and writes: a table per series, the gateway's ratios to the raw
 * proxy and to the direct upstream, bench/results/latest.json and bench/results/latest.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import type { GeneratorResult } from './load.ts';
import type { ProcessCost } from './process-stats.ts';
import type { StartupResult } from './startup.ts';

/**
 * nginx: when it is installed (bench/nginx.ts); portkey: when BENCH_PORTKEY says where it is
 * (bench/portkey.ts); relay: with BENCH_RELAY=1 (bench/parsing-relay.mjs).
 */
export type Target = 'direct' | 'proxy' | 'nginx' | 'portkey' | 'relay' | 'gateway';
export type Mode = 'chat' | 'stream';

/** A series: what the generator measured, and what the process under test (proxy or gateway) spent. */
export interface SeriesResult extends GeneratorResult, ProcessCost {
  mode: Mode;
  concurrency: number;
  target: Target;
}

/** The gateway against the baselines, for one mode and concurrency. */
export interface Comparison {
  mode: Mode;
  concurrency: number;
  /** Gateway req/s divided by the raw proxy's. */
  rpsVsProxy: number;
  /** Latency added over calling the upstream directly, in ms (p50, p99; streams: first byte too). */
  proxyAddedP50: number;
  gatewayAddedP50: number;
  proxyAddedP99: number;
  gatewayAddedP99: number;
  gatewayAddedTtfbP50?: number;
  /** Gateway CPU per request divided by the proxy's. */
  cpuVsProxy?: number;
  /** When nginx ran: its latency added over direct (ms), the gateway's req/s and CPU divided by its. */
  nginxAddedP50?: number;
  nginxAddedP99?: number;
  rpsVsNginx?: number;
  cpuVsNginx?: number;
  /** When Portkey's gateway ran: the same against it. */
  portkeyAddedP50?: number;
  portkeyAddedP99?: number;
  rpsVsPortkey?: number;
  cpuVsPortkey?: number;
  /** When the parsing relay ran: the same against it. */
  relayAddedP50?: number;
  relayAddedP99?: number;
  rpsVsRelay?: number;
  cpuVsRelay?: number;
}

/** The baselines besides the raw proxy, each with its figures in a comparison: req/s ÷, added p50 and p99, CPU ÷ (the gateway's against its). */
export const baselines: ReadonlyArray<{ name: string; figures: (row: Comparison) => Array<number | undefined> }> = [
  { name: 'nginx', figures: (row) => [row.rpsVsNginx, row.nginxAddedP50, row.nginxAddedP99, row.cpuVsNginx] },
  { name: 'Portkey', figures: (row) => [row.rpsVsPortkey, row.portkeyAddedP50, row.portkeyAddedP99, row.cpuVsPortkey] },
  { name: 'relay', figures: (row) => [row.rpsVsRelay, row.relayAddedP50, row.relayAddedP99, row.cpuVsRelay] },
];

export interface BenchResults {
  date: string;
  node: string;
  cpus: number;
  settings: Record<string, unknown>;
  series: SeriesResult[];
  comparisons: Comparison[];
  startup: StartupResult[];
}

export function compare(series: readonly SeriesResult[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const gateway of series.filter((each) => each.target === 'gateway')) {
    const find = (target: Target) => series.find((each) => each.target === target && each.mode === gateway.mode && each.concurrency === gateway.concurrency);
    const direct = find('direct');
    const proxy = find('proxy');
    const nginx = find('nginx');
    const portkey = find('portkey');
    const relay = find('relay');
    if (!direct || !proxy) continue;
    comparisons.push({
      mode: gateway.mode,
      concurrency: gateway.concurrency,
      rpsVsProxy: gateway.rps / proxy.rps,
      proxyAddedP50: proxy.p50 - direct.p50,
      gatewayAddedP50: gateway.p50 - direct.p50,
      proxyAddedP99: proxy.p99 - direct.p99,
      gatewayAddedP99: gateway.p99 - direct.p99,
      ...(gateway.ttfbP50 !== undefined && direct.ttfbP50 !== undefined ? { gatewayAddedTtfbP50: gateway.ttfbP50 - direct.ttfbP50 } : {}),
      ...(gateway.cpuMicrosPerRequest !== undefined && proxy.cpuMicrosPerRequest ? { cpuVsProxy: gateway.cpuMicrosPerRequest / proxy.cpuMicrosPerRequest } : {}),
      ...(nginx ? { nginxAddedP50: nginx.p50 - direct.p50, nginxAddedP99: nginx.p99 - direct.p99, rpsVsNginx: gateway.rps / nginx.rps } : {}),
      ...(nginx && gateway.cpuMicrosPerRequest !== undefined && nginx.cpuMicrosPerRequest ? { cpuVsNginx: gateway.cpuMicrosPerRequest / nginx.cpuMicrosPerRequest } : {}),
      ...(portkey ? { portkeyAddedP50: portkey.p50 - direct.p50, portkeyAddedP99: portkey.p99 - direct.p99, rpsVsPortkey: gateway.rps / portkey.rps } : {}),
      ...(portkey && gateway.cpuMicrosPerRequest !== undefined && portkey.cpuMicrosPerRequest ? { cpuVsPortkey: gateway.cpuMicrosPerRequest / portkey.cpuMicrosPerRequest } : {}),
      ...(relay ? { relayAddedP50: relay.p50 - direct.p50, relayAddedP99: relay.p99 - direct.p99, rpsVsRelay: gateway.rps / relay.rps } : {}),
      ...(relay && gateway.cpuMicrosPerRequest !== undefined && relay.cpuMicrosPerRequest ? { cpuVsRelay: gateway.cpuMicrosPerRequest / relay.cpuMicrosPerRequest } : {}),
    });
  }
  return comparisons;
}

/** `value` with `digits` decimals, right-aligned in `width` columns; blank when unknown. */
export const fixed = (value: number | undefined, digits: number, width: number) => (value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits)).padStart(width);

export function printResults(results: BenchResults): void {
  const { settings } = results;
  console.log(`\nSwitchboard benchmark, ${results.date}, Node ${results.node}, ${results.cpus} cores; ${JSON.stringify(settings)}`);
  console.log(
    ['series'.padEnd(10), 'target'.padEnd(8), 'gen'.padEnd(5), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'ttfb50'.padStart(8), 'ttfb99'.padStart(8), 'cpu µs/req'.padStart(11), 'peak MB'.padStart(8), 'errors'.padStart(7)].join(' '),
  );
  for (const row of results.series) {
    console.log(
      [
        `${row.mode} c${row.concurrency}`.padEnd(10),
        row.target.padEnd(8),
        row.generator.padEnd(5),
        fixed(row.rps, 0, 8),
        fixed(row.p50, 3, 8),
        fixed(row.p99, 3, 8),
        fixed(row.ttfbP50, 3, 8),
        fixed(row.ttfbP99, 3, 8),
        fixed(row.cpuMicrosPerRequest, 0, 11),
        fixed(row.peakRssMb, 1, 8),
        String(row.errors).padStart(7),
      ].join(' '),
    );
  }
  console.log('\nGateway vs raw proxy (added = over direct; ms)');
  console.log(['series'.padEnd(10), 'req/s ÷ proxy'.padStart(14), 'added p50 proxy/gateway'.padStart(24), 'added p99 proxy/gateway'.padStart(24), 'added ttfb p50'.padStart(15), 'cpu ÷ proxy'.padStart(12)].join(' '));
  for (const row of results.comparisons) {
    console.log(
      [
        `${row.mode} c${row.concurrency}`.padEnd(10),
        fixed(row.rpsVsProxy, 2, 14),
        `${row.proxyAddedP50.toFixed(3)} / ${row.gatewayAddedP50.toFixed(3)}`.padStart(24),
        `${row.proxyAddedP99.toFixed(3)} / ${row.gatewayAddedP99.toFixed(3)}`.padStart(24),
        fixed(row.gatewayAddedTtfbP50, 3, 15),
        fixed(row.cpuVsProxy, 1, 12),
      ].join(' '),
    );
  }
  for (const { name, figures } of baselines) printBaseline(results.comparisons, name, figures);
  for (const startup of results.startup) {
    const sorted = [...startup.coldStartMs].sort((left, right) => left - right);
    const memory = startup.processes.map((each) => `${each.role} ${fixed(each.idleMb, 0, 0)}/${fixed(each.loadedMb, 0, 0)}`).join(', ');
    console.log(`\nStart (--workers ${startup.workers}): ${startup.coldStartMs.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)}); RSS MB idle/under load: ${memory}`);
  }
}

/** The gateway against a baseline that ran (nginx, Portkey's gateway): req/s and CPU ratios, added latency. */
function printBaseline(comparisons: readonly Comparison[], name: string, figures: (row: Comparison) => Array<number | undefined>): void {
  const rows = comparisons.filter((row) => figures(row)[0] !== undefined);
  if (rows.length === 0) return;
  console.log(`\nGateway vs ${name} (added = over direct; ms)`);
  console.log(['series'.padEnd(10), `req/s ÷ ${name}`.padStart(16), `added p50 ${name}/gateway`.padStart(26), `added p99 ${name}/gateway`.padStart(26), `cpu ÷ ${name}`.padStart(14)].join(' '));
  for (const row of rows) {
    const [rps, addedP50, addedP99, cpu] = figures(row);
    console.log(
      [
        `${row.mode} c${row.concurrency}`.padEnd(10),
        fixed(rps, 2, 16),
        `${addedP50!.toFixed(3)} / ${row.gatewayAddedP50.toFixed(3)}`.padStart(26),
        `${addedP99!.toFixed(3)} / ${row.gatewayAddedP99.toFixed(3)}`.padStart(26),
        fixed(cpu, 2, 14),
      ].join(' '),
    );
  }
}

/** Writes latest.json and latest.svg into `directory`. */
export async function writeResults(results: BenchResults, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(directory, 'latest.svg'), renderChart(results));
}
