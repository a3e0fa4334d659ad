/**
 * `npm run bench`: what Switchboard adds to a call. The OpenAI simulator and the gateway
 * (`switchboard serve`, SQLite ledger, metrics on, logs at warn) each run in their own process,
 * as in production; this process only sends requests, the same ones directly and through the
 * gateway: non-streamed latency (sequential and 16 concurrent) and streamed time to first byte.
 * Then micro-benchmarks of the hot helpers. Prints a table; exits 0. Results: docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runMicroBenchmarks } from './micro.ts';

const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello in five words.' }] });

async function timed(url: string, key: string, payload: string, stream: boolean): Promise<number> {
  const started = performance.now();
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: stream ? payload.replace('{', '{"stream":true,') : payload,
  });
  if (stream) {
    // Time to the first body bytes, then read the rest (the connection goes back to the pool).
    const first = new Promise<number>((resolve) => response.body.once('data', () => resolve(performance.now() - started)));
    await response.body.dump({ limit: Number.POSITIVE_INFINITY });
    return first;
  }
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  return performance.now() - started;
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

async function series(label: string, run: () => Promise<number>, count: number, concurrency: number) {
  for (let index = 0; index < 50; index += 1) await run();
  const samples: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        samples.push(await run());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { label, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), rps: count / seconds };
}

/** Starts a child process and resolves with the first match of `pattern` in its output. */
function startChild(args: string[], pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = pattern.exec(output);
      if (found) resolve({ child, match: found[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
const simulator = await startChild(['--import', 'tsx', 'bench/simulator-process.ts'], /(http:\/\/\S+)\n/, 'stdout');
const config = join(directory, 'bench.yaml');
await writeFile(
  config,
  [
    'server: { master_key: bench-master, log_level: warn }',
    `storage: { url: "sqlite://${join(directory, 'bench.db')}" }`,
    `providers: [{ id: oai, type: openai, base_url: "${simulator.match}", api_key: bench-upstream-key }]`,
    'models: [{ id: gpt-4o-mini, provider: oai, upstream: gpt-4o-mini }]',
  ].join('\n'),
);
const gateway = await startChild(['bin/switchboard.js', 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1'], /listening on (http:\/\/\S+)/, 'stderr');
const direct = `${simulator.match}/chat/completions`;
const through = `${gateway.match}/v1/chat/completions`;
const count = Number(process.env.BENCH_REQUESTS ?? 2000);

const rows = [];
for (const [name, concurrency, stream] of [
  ['chat, sequential', 1, false],
  ['chat, 16 concurrent', 16, false],
  ['stream TTFB, sequential', 1, true],
] as const) {
  const base = await series(`${name} (direct)`, () => timed(direct, 'bench-upstream-key', body, stream), count, concurrency);
  const gate = await series(`${name} (gateway)`, () => timed(through, 'bench-master', body, stream), count, concurrency);
  rows.push(base, gate, { label: `${name}: overhead`, p50: gate.p50 - base.p50, p99: gate.p99 - base.p99, rps: Number.NaN });
}
gateway.child.kill('SIGTERM');
simulator.child.kill('SIGTERM');
await agent.close();
await rm(directory, { recursive: true, force: true });

console.log(`\nGateway overhead (${count} requests per series; client, gateway and simulator in separate processes on loopback; Node ${process.version})`);
console.log('series'.padEnd(40), 'p50 ms'.padStart(9), 'p99 ms'.padStart(9), 'req/s'.padStart(9));
for (const row of rows) {
  console.log(row.label.padEnd(40), row.p50.toFixed(3).padStart(9), row.p99.toFixed(3).padStart(9), (Number.isNaN(row.rps) ? '' : row.rps.toFixed(0)).padStart(9));
}
await runMicroBenchmarks();
