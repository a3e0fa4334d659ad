/**
 * Runs the OpenAI simulator in its own process for the benchmark; prints its base URL.
 * BENCH_CHUNK_DELAY_MS: pause between the chunks of a streamed answer (long streams, bench/in-flight.ts).
 */
import { OpenAISimulator } from '../test/simulators/openai/server.ts';

const chunkDelayMs = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0);
const simulator = await new OpenAISimulator({ apiKey: 'bench-upstream-key', recordRequests: false, ...(chunkDelayMs > 0 ? { chunkDelayMs } : {}) }).start();
process.stdout.write(`${simulator.url}\n`);
process.on('SIGTERM', () => void simulator.close().then(() => process.exit(0)));
