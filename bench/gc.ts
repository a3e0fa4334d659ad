/**
 * `npm run bench:gc`: what the gateway's requests leave to V8's garbage collector. A request's
 * objects should die young, in the scavenges of the young generation, which cost in proportion
 * to what survives them. What a request leaves reachable past its end is copied, then moved to
 * the old generation, and only a major GC frees it: a pause of tens of milliseconds every few
 * seconds under load, and an old generation (RSS) that grows in between. `npm run bench` shows
 * it only as CPU, p99 and RSS; this shows the cause.
 *
 * One gateway (`--workers 1`, pinned like `npm run bench`) runs with V8's --trace-gc-nvp; for
 * each series (non-streamed chat at concurrency 16 and 64, streamed chat at 16), after a
 * warm-up of BENCH_WARMUP seconds (2), BENCH_DURATION seconds (8) of load: per request, the bytes
 * allocated in the young generation and those moved to the old one, and the scavenges' and the
 * major GCs' pauses. The raw proxy of `npm run bench` moves nothing to the old generation (0.00
 * MB a scavenge on this machine), the measure of "nothing kept". Results: docs/performance.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNodeLoad, runWrkLoad, wrkInstalled, type GeneratorResult } from './load.ts';
import { benchCores, builtGatewayBin, chatBody, masterKey, startGateway, startSimulator, streamBody, writeGatewayConfig } from './processes.ts';

const durationMs = Number(process.env.BENCH_DURATION ?? 8) * 1000;
const warmupMs = Number(process.env.BENCH_WARMUP ?? 2) * 1000;
const { generatorCore, serverCore } = benchCores();
const useWrk = process.env.BENCH_GENERATOR !== 'node' && wrkInstalled();

/** What --trace-gc-nvp reported for one GC (one line). */
interface GcEvent {
  kind: 'scavenge' | 'major';
  pauseMs: number;
  allocated: number;
  promoted: number;
}

/** Reads one --trace-gc-nvp line (`pause=1.2 ... gc=s ... allocated=N promoted=N ...`). */
function parseGcLine(line: string): GcEvent | undefined {
  const fields = new Map(line.split(' ').flatMap((part) => (part.includes('=') ? [part.split('=', 2) as [string, string]] : [])));
  const kind = fields.get('gc');
  if (kind === undefined || fields.get('pause') === undefined) return undefined;
  return {
    kind: kind === 's' ? 'scavenge' : 'major',
    pauseMs: Number(fields.get('pause')),
    allocated: Number(fields.get('allocated') ?? 0),
    promoted: Number(fields.get('promoted') ?? 0),
  };
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-gc-'));
const simulator = await startSimulator(generatorCore);
const events: GcEvent[] = [];
let pending = '';
const onStdout = (text: string) => {
  pending += text;
  const lines = pending.split('\n');
  pending = lines.pop()!;
  for (const line of lines) {
    const event = parseGcLine(line);
    if (event) events.push(event);
  }
};
const rows: Array<{ label: string; result: GeneratorResult; gc: GcEvent[] }> = [];
try {
  const config = await writeGatewayConfig(directory, simulator.origin);
  const gateway = await startGateway(builtGatewayBin(), config, 1, serverCore, { flags: ['--trace-gc', '--trace-gc-nvp'], onStdout });
  try {
    for (const [label, body, concurrency] of [['chat, concurrency 16', chatBody, 16], ['chat, concurrency 64', chatBody, 64], ['stream, concurrency 16', streamBody, 16]] as const) {
      process.stderr.write(`bench: ${label}\n`);
      let first = 0;
      const options = { url: `${gateway.origin}/v1/chat/completions`, key: masterKey, body, concurrency, warmupMs, durationMs };
      const onMeasuring = () => (first = events.length);
      const result = useWrk && body === chatBody ? await runWrkLoad(options, generatorCore, onMeasuring) : await runNodeLoad(options, generatorCore, onMeasuring);
      rows.push({ label, result, gc: events.slice(first) });
    }
  } finally {
    await gateway.stop();
  }
} finally {
  await simulator.stop();
  await rm(directory, { recursive: true, force: true });
}

console.log(`\nGarbage collection per request (the gateway, one process); Node ${process.version}, ${durationMs / 1000} s per series`);
console.log('series                    req/s   allocated KB/req   to old gen KB/req   scavenges   mean pause ms   major GCs   GC pause ms/s');
for (const { label, result, gc } of rows) {
  const scavenges = gc.filter((event) => event.kind === 'scavenge');
  const majors = gc.filter((event) => event.kind === 'major');
  const sum = (list: GcEvent[], pick: (event: GcEvent) => number) => list.reduce((total, event) => total + pick(event), 0);
  const perRequest = (bytes: number) => (result.requests > 0 ? (bytes / result.requests / 1024).toFixed(2) : '-');
  console.log(
    [
      label.padEnd(22),
      result.rps.toFixed(0).padStart(8),
      perRequest(sum(scavenges, (event) => event.allocated)).padStart(18),
      perRequest(sum(scavenges, (event) => event.promoted)).padStart(19),
      String(scavenges.length).padStart(11),
      (scavenges.length ? sum(scavenges, (event) => event.pauseMs) / scavenges.length : 0).toFixed(2).padStart(15),
      String(majors.length).padStart(11),
      (sum(gc, (event) => event.pauseMs) / result.seconds).toFixed(1).padStart(15),
    ].join(' '),
  );
}
