import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What the writer thread is started with. */
export interface LedgerThreadData {
  path: string;
}

/**
 * A batch: rows as JSON text, UTF-8, one a line (`JSON.stringify` never writes a raw newline),
 * in the first `length` bytes of `bytes`, which is transferred, not copied, and comes back with
 * the reply to carry the next batch.
 */
export type LedgerThreadRequest = { kind: 'write'; id: number; bytes: ArrayBuffer; length: number } | { kind: 'close' };

export type LedgerThreadReply = { id: number; bytes: ArrayBuffer; error?: { message: string; code?: string } };

/** A batch buffer is kept for the next one up to this size (a larger one was for a backlog). */
const keptBufferBytes = 8 * 1024 * 1024;

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Sends ledger batches to a worker thread that owns its own connection to the database file
 * (./ledger-worker.ts), so the inserts (10-20 µs a row here: the table and its five indexes) run
 * beside the event loop instead of on it (docs/decisions/0011-ledger-write-path.md). WAL mode
 * lets the main connection read while the thread writes, and a write resolves only once its
 * transaction is committed, so rows are readable from the main connection when it does.
 *
 * The thread starts with the first batch, not with the process: it takes about 100 ms of CPU to
 * load, which at start competed with the loading of the gateway itself and of the other
 * workers (docs/performance.md, 2026-12-05 start time); the first batch waits for it instead,
 * off any request's path. It does not keep the process alive while no batch is waiting. If it
 * dies, the batches it had are rejected (the ledger writer keeps and retries them) and the next
 * batch starts a new one.
 */
export class LedgerThread {
  readonly #data: LedgerThreadData;
  readonly #waiting = new Map<number, Waiting>();
  #worker: Worker | undefined;
  /** The last batch's buffer, back from the thread: reused, since fresh memory costs page faults. */
  #spare: ArrayBuffer | undefined;
  #nextId = 0;
  #closed = false;

  constructor(path: string) {
    this.#data = { path };
  }

  /** Inserts the rows (each a row's JSON text, src/ledger/row-text.ts) in one transaction; resolves once committed. */
  write(lines: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the ledger store is closed'));
    if (lines.length === 0) return Promise.resolve();
    const worker = (this.#worker ??= this.#start());
    const id = (this.#nextId += 1);
    const { bytes, length } = this.#encode(lines);
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ kind: 'write', id, bytes, length } satisfies LedgerThreadRequest, [bytes]);
    });
  }

  /**
   * The lines as UTF-8 into the spare buffer (grown when short). Encoding into memory already
   * mapped is a fraction of what `postMessage` of a string costs, which allocates and copies.
   */
  #encode(lines: readonly string[]): { bytes: ArrayBuffer; length: number } {
    let buffer = Buffer.from(this.#spare ?? new ArrayBuffer(1024 * 1024));
    this.#spare = undefined;
    let offset = 0;
    for (const line of lines) {
      // Three bytes of UTF-8 at most per UTF-16 unit, and the newline.
      const needed = offset + line.length * 3 + 1;
      if (needed > buffer.length) {
        const larger = Buffer.from(new ArrayBuffer(needed * 2));
        buffer.copy(larger, 0, 0, offset);
        buffer = larger;
      }
      offset += buffer.write(line, offset);
      buffer[offset] = 0x0a;
      offset += 1;
    }
    // Without the last newline.
    return { bytes: buffer.buffer as ArrayBuffer, length: offset - 1 };
  }

  /** Lets the batches already sent finish, then closes the thread's connection and ends it. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'close' } satisfies LedgerThreadRequest);
    await exited;
  }

  #start(): Worker {
    const worker = spawnLedgerWorker(this.#data);
    worker.unref();
    worker.on('message', (reply: LedgerThreadReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) worker.unref();
      if (reply.bytes.byteLength <= keptBufferBytes) this.#spare = reply.bytes;
      if (reply.error) waiting.reject(Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
      else waiting.resolve();
    });
    worker.on('error', (error) => this.#ended(worker, error));
    worker.on('exit', (code) => this.#ended(worker, new Error(`the ledger writer thread ended (exit code ${code})`)));
    return worker;
  }

  /** The thread failed or ended: what it had not answered is rejected (still queued by the writer). */
  #ended(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const each of waiting) each.reject(error);
  }
}

/**
 * Starts ./ledger-worker with the extension this file has: `.js` once built (dist/ledger-worker.js,
 * an entry point of the bundle beside the chunk holding this code: scripts/build.js), `.ts` when run
 * from the sources, where the worker registers tsx's loader itself (a worker does not inherit a
 * loader registered at run time, as bin/switchboard.js does; its require hook starts faster
 * than the ESM one, which would start a loader thread of its own).
 */
function spawnLedgerWorker(data: LedgerThreadData): Worker {
  const here = fileURLToPath(import.meta.url);
  const entry = fileURLToPath(new URL(`./ledger-worker${extname(here)}`, import.meta.url));
  if (extname(here) !== '.ts') return new Worker(entry, { workerData: data });
  const loader = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(loader)}).register(); require(${JSON.stringify(entry)});`, { eval: true, execArgv: [], workerData: data });
}
