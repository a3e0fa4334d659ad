/**
 * What writing the ledger costs the event loop (issue 15, docs/decisions/0011-ledger-write-path.md):
 * per row on the request thread (the journal line and the queue), and per batch of 500 rows sent
 * to a real SQLite file. Reported: the main thread's own CPU time (Linux /proc; load from other
 * processes does not inflate it), event-loop active time across the flush (work of another
 * thread does not count, waiting for a core does), and the whole process's CPU, so that moving
 * work to a thread cannot hide it. Run alone: `node --import tsx bench/ledger-write.ts`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerRow } from '../src/core/ledger.ts';
import { FileRowJournal } from '../src/ledger/journal.ts';
import { LedgerWriter } from '../src/ledger/writer.ts';
import { openSqliteStorage } from '../src/store/sqlite/index.ts';
import { newRequestId } from '../src/server/request-id.ts';
import { ledgerRow } from '../test/helpers/ledger-row.ts';

/** The fixture row (test/helpers/ledger-row.ts) with the gateway's id and time of request `index`. */
function sampleRow(index: number): LedgerRow {
  const time = 1_760_000_000_000 + index;
  // The gateway's id (time-ordered, src/server/request-id.ts): a sequential id would hide
  // the cost of keys spread over the B-tree, which random ids had.
  return ledgerRow(newRequestId(time), { time: new Date(time).toISOString() });
}

const rowsOnRequestThread = 10_000;
const batchRows = 500;
const batches = 20;

/**
 * CPU time of the calling thread in milliseconds (Linux: /proc schedstat, nanoseconds), so that
 * other threads and other processes on a shared machine do not count; elsewhere undefined.
 */
function threadCpuMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

interface Figures {
  appendMicros: number;
  appendCpuMicros: number | undefined;
  loopMs: number;
  cpuMs: number | undefined;
  wallMs: number;
  processCpuMs: number;
}

async function measureOnce(): Promise<Figures> {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-ledger-'));
  // The second argument is ignored where openSqliteStorage takes one (before issue 15).
  const storage = await openSqliteStorage(join(directory, 'bench.db'), { ledgerThread: true });
  const writer = new LedgerWriter(storage.ledger, {
    journal: new FileRowJournal(join(directory, 'bench.db')),
    batchSize: Number.MAX_SAFE_INTEGER,
    intervalMs: 3_600_000,
    onFailure: (error) => {
      throw error;
    },
  });
  try {
    let next = 0;
    // Warm up both paths (JIT, statement caches, the writer thread when there is one).
    for (let index = 0; index < 1_000; index += 1) writer.append(sampleRow(next++));
    await writer.flush();

    const rows = Array.from({ length: rowsOnRequestThread }, () => sampleRow(next++));
    const appendCpu = threadCpuMs();
    const started = performance.now();
    for (const row of rows) writer.append(row);
    const appendMicros = ((performance.now() - started) * 1000) / rowsOnRequestThread;
    const appendCpuMicros = appendCpu === undefined ? undefined : ((threadCpuMs()! - appendCpu) * 1000) / rowsOnRequestThread;
    await writer.flush();

    let loopMs = 0;
    let wallMs = 0;
    let cpuMs = 0;
    let processCpuMs = 0;
    for (let batch = 0; batch < batches; batch += 1) {
      for (let index = 0; index < batchRows; index += 1) writer.append(sampleRow(next++));
      const utilization = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      const threadCpu = threadCpuMs();
      const flushStarted = performance.now();
      await writer.flush();
      wallMs += performance.now() - flushStarted;
      if (threadCpu !== undefined) cpuMs += threadCpuMs()! - threadCpu;
      loopMs += performance.eventLoopUtilization(utilization).active;
      const used = process.cpuUsage(cpu);
      processCpuMs += (used.user + used.system) / 1000;
    }
    const stored = await storage.ledger.query({ limit: 10_000 });
    if (stored.length < 10_000) throw new Error(`only ${stored.length} rows readable after the flushes`);
    return { appendMicros, appendCpuMicros, loopMs: loopMs / batches, cpuMs: threadCpuMs() === undefined ? undefined : cpuMs / batches, wallMs: wallMs / batches, processCpuMs: processCpuMs / batches };
  } finally {
    await writer.close();
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;

/** Medians of `rounds` runs (the machine is shared), with the writer thread a gateway uses when it has more than one core. */
export async function runLedgerBenchmarks(rounds = 3): Promise<void> {
  console.log(`\nLedger writes (SQLite file, journal on; medians of ${rounds} runs)`);
  const figures: Figures[] = [];
  for (let round = 0; round < rounds; round += 1) figures.push(await measureOnce());
  const of = (pick: (figure: Figures) => number | undefined) => (figures.some((figure) => pick(figure) === undefined) ? undefined : median(figures.map((figure) => pick(figure)!)));
  const show = (label: string, value: number | undefined, unit: string) => console.log(label.padEnd(58), value === undefined ? 'n/a'.padStart(12) : `${value.toFixed(2)} ${unit}`.padStart(12));
  show(`append: per row, wall (${rowsOnRequestThread} rows)`, of((figure) => figure.appendMicros), 'µs');
  show('append: per row, main-thread CPU', of((figure) => figure.appendCpuMicros), 'µs');
  show(`flush ${batchRows} rows: event-loop active time per batch`, of((figure) => figure.loopMs), 'ms');
  show(`flush ${batchRows} rows: main-thread CPU per batch`, of((figure) => figure.cpuMs), 'ms');
  show(`flush ${batchRows} rows: wall time per batch`, of((figure) => figure.wallMs), 'ms');
  show(`flush ${batchRows} rows: process CPU per batch (all threads)`, of((figure) => figure.processCpuMs), 'ms');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runLedgerBenchmarks();
