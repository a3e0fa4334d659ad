/**
 * Runs the OpenAI simulator in its own process for the benchmark; prints its base URL.
 * BENCH_CHUNK_DELAY_MS: pause between the chunks of a streamed answer (long streams, bench/in-flight.ts).
 * BENCH_ANSWER_DELAY_MS: time before each answer (a model's thinking time, bench/rate.ts).
 * BENCH_KEEP_ALIVE_MS: how long an idle connection stays open (bench/held.ts; Node's 5 s otherwise).
 */
import { OpenAISimulator } from '../test/simulators/openai/server.ts';

const chunkDelayMs = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0);
const answerDelayMs = Number(process.env.BENCH_ANSWER_DELAY_MS ?? 0);
const keepAliveMs = Number(process.env.BENCH_KEEP_ALIVE_MS ?? 0);
const simulator = await new OpenAISimulator({
  apiKey: 'bench-upstream-key',
  recordRequests: false,
  ...(chunkDelayMs > 0 ? { chunkDelayMs } : {}),
  ...(answerDelayMs > 0 ? { delays: { 'gpt-4o-mini': answerDelayMs } } : {}),
  ...(keepAliveMs > 0 ? { keepAliveTimeoutMs: keepAliveMs } : {}),
}).start();
process.stdout.write(`${simulator.url}\n`);
process.on('SIGTERM', () => void simulator.close().then(() => process.exit(0)));
