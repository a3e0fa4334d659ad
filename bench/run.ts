/**
 * `npm run bench`: what Switchboard adds to a call. Starts the OpenAI simulator and a gateway in
 * front of it (SQLite ledger, metrics on), then measures the same requests sent directly and
 * through the gateway: non-streamed latency (sequential and 16 concurrent) and streamed time to
 * first byte. Then micro-benchmarks of the hot helpers. Prints a table; exits 0.
 */
import { Agent, request } from 'undici';
import { startGateway } from '../test/helpers/gateway.ts';
import { OpenAISimulator } from '../test/simulators/openai/server.ts';
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
    for await (const chunk of response.body) {
      void chunk;
      const first = performance.now() - started;
      await response.body.dump();
      return first;
    }
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

const simulator = await new OpenAISimulator().start();
const gateway = await startGateway({
  server: { master_key: 'bench-master', log_level: 'warn' },
  providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
  models: [{ id: 'gpt-4o-mini', provider: 'oai', upstream: 'gpt-4o-mini' }],
});
const direct = `${simulator.url}/chat/completions`;
const through = `${gateway.baseURL}/chat/completions`;
const count = Number(process.env.BENCH_REQUESTS ?? 2000);

const rows = [];
for (const [name, concurrency, stream] of [
  ['chat, sequential', 1, false],
  ['chat, 16 concurrent', 16, false],
  ['stream TTFB, sequential', 1, true],
] as const) {
  const base = await series(`${name} (direct)`, () => timed(direct, simulator.apiKey, body, stream), count, concurrency);
  const gate = await series(`${name} (gateway)`, () => timed(through, 'bench-master', body, stream), count, concurrency);
  rows.push(base, gate, { label: `${name}: overhead`, p50: gate.p50 - base.p50, p99: gate.p99 - base.p99, rps: Number.NaN });
}
await gateway.close();
await simulator.close();
await agent.close();

console.log(`\nGateway overhead (${count} requests per series, loopback, Node ${process.version})`);
console.log('series'.padEnd(40), 'p50 ms'.padStart(9), 'p99 ms'.padStart(9), 'req/s'.padStart(9));
for (const row of rows) {
  console.log(row.label.padEnd(40), row.p50.toFixed(3).padStart(9), row.p99.toFixed(3).padStart(9), (Number.isNaN(row.rps) ? '' : row.rps.toFixed(0)).padStart(9));
}
await runMicroBenchmarks();
