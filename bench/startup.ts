/**
 * Start time and memory per process of `switchboard serve`: the time from spawn to the
 * "Switchboard listening" line (config file, SQLite), with one process and with two workers; the
 * resident memory of each process when idle, and its peak under a non-streamed load.
 */
import { availableParallelism } from 'node:os';
import { runNodeLoad } from './load.ts';
import { childrenOf, residentMb, sampleResident } from './process-stats.ts';
import { masterKey, startGateway } from './processes.ts';

export interface ProcessMemory {
  role: 'single' | 'primary' | 'worker';
  idleMb: number | undefined;
  loadedMb: number | undefined;
}

export interface StartupResult {
  workers: number;
  /** Spawn to "listening", each run, in milliseconds. */
  coldStartMs: number[];
  processes: ProcessMemory[];
}

export interface StartupOptions {
  bin: string;
  config: string;
  body: string;
  runs: number;
  loadMs: number;
  /** Core for the load generator, if pinning. */
  generatorCore: number | undefined;
}

export async function measureStartup(workers: number, options: StartupOptions): Promise<StartupResult> {
  const coldStartMs: number[] = [];
  let processes: ProcessMemory[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const started = performance.now();
    const gateway = await startGateway(options.bin, options.config, workers);
    coldStartMs.push(performance.now() - started);
    if (run === options.runs - 1) {
      // Settled: timers of the first second (ledger flush, metrics) have run.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const pids = [gateway.pid, ...childrenOf(gateway.pid)];
      const idle = new Map(pids.map((pid) => [pid, residentMb(pid)]));
      const sampler = sampleResident(() => pids);
      await runNodeLoad(
        { url: `${gateway.origin}/v1/chat/completions`, key: masterKey, body: options.body, concurrency: 16, warmupMs: 0, durationMs: options.loadMs },
        options.generatorCore,
        () => undefined,
      );
      const loaded = sampler.stop();
      processes = pids.map((pid, index) => ({
        role: workers === 1 ? 'single' : index === 0 ? 'primary' : 'worker',
        idleMb: idle.get(pid),
        loadedMb: loaded.get(pid),
      }));
    }
    await gateway.stop();
  }
  return { workers, coldStartMs, processes };
}

/** Two workers only where there are two cores to run them. */
export function workerCounts(): number[] {
  return availableParallelism() >= 2 ? [1, 2] : [1];
}
