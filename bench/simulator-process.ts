/** Runs the OpenAI simulator in its own process for the benchmark; prints its base URL. */
import { OpenAISimulator } from '../test/simulators/openai/server.ts';

const simulator = await new OpenAISimulator({ apiKey: 'bench-upstream-key', recordRequests: false }).start();
process.stdout.write(`${simulator.url}\n`);
process.on('SIGTERM', () => void simulator.close().then(() => process.exit(0)));
