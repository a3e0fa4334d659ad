import { close, fdatasync, open } from 'node:fs';

/** The file calls a flusher makes: node:fs's (each runs on libuv's thread pool), or a test's. */
export interface WalFlusherFiles {
  open(path: string, flags: 'r', callback: (error: NodeJS.ErrnoException | null, fd: number) => void): void;
  fdatasync(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void;
  close(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void;
}

export interface WalFlusherOptions {
  /** Least time between two flushes' starts. */
  intervalMs?: number;
  files?: WalFlusherFiles;
}

const nodeFiles: WalFlusherFiles = { open, fdatasync, close };

/**
 * Flushes the write-ahead log of a connection that commits on the event loop to the disk
 * (`fdatasync` on libuv's thread pool) at most every `intervalMs` while it is written, so that
 * the checkpoint SQLite runs inside a commit (every 1,000 pages of log by default) finds the log
 * on the disk already.
 *
 * Why: with `synchronous = NORMAL` a commit in WAL mode writes without an fsync, and SQLite syncs
 * the log before each checkpoint and the database after it (https://sqlite.org/pragma.html#pragma_synchronous,
 * https://sqlite.org/wal.html#ckpt). A checkpoint after 1,000 pages is about 4 MB of log that
 * the kernel may not have written yet: its `fsync` took 2.6-2.9 ms on this VM (4 MB written then
 * `fdatasync`ed, against 0.13 ms for 64 KB), inside the commit of whichever batch crossed the
 * mark, so on the event loop when the ledger has no writer thread of its own (one core: ADR
 * 0011). That pause was the p99 of one core at c=1 (docs/performance.md, fourteenth session).
 * Flushed ahead, the log's own sync finds little left; the database's, after the pages are
 * copied, stays (it cannot be done ahead: the pages are written inside the checkpoint).
 *
 * It changes nothing SQLite relies on: an extra `fdatasync` of the log, of a descriptor of our
 * own, only makes what was written durable sooner, and SQLite still makes each sync it would
 * make. Closing a descriptor of a file releases every POSIX lock the process holds on that file
 * (https://sqlite.org/howtocorrupt.html, 2.2), but SQLite locks only the database file and, in
 * WAL mode, the `-shm` file: it opens the log with no locking (os_unix.c, `unixOpen`: every file
 * but the main database gets `UNIXFILE_NOLOCK`), so closing this one releases none of SQLite's.
 * A failed flush is left to SQLite's own sync, which reports it.
 */
export class WalFlusher {
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #files: WalFlusherFiles;
  #fd: number | undefined;
  /** An open or a flush in flight. */
  #busy = false;
  /** Written since the flush in flight started. */
  #dirty = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #idle: (() => void) | undefined;

  constructor(walPath: string, options: WalFlusherOptions = {}) {
    this.#path = walPath;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#files = options.files ?? nodeFiles;
  }

  /** A transaction was committed: flush the log now, or once the interval since the last has passed. */
  written(): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (this.#busy || this.#timer) return;
    const wait = this.#lastStart + this.#intervalMs - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(this.#onTimer, wait);
      // A flush pending is no reason to keep the process up: SQLite syncs what it needs itself.
      this.#timer.unref();
      return;
    }
    this.#start();
  }

  /** Stops flushing; resolves once a call in flight has ended and the descriptor is closed. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#busy) await new Promise<void>((resolve) => (this.#idle = resolve));
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => this.#files.close(fd, () => resolve()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (!this.#closed && !this.#busy) this.#start();
  };

  #start(): void {
    this.#busy = true;
    this.#dirty = false;
    this.#lastStart = performance.now();
    if (this.#fd === undefined) this.#files.open(this.#path, 'r', this.#onOpen);
    else this.#files.fdatasync(this.#fd, this.#onFlushed);
  }

  readonly #onOpen = (error: NodeJS.ErrnoException | null, fd: number): void => {
    if (error) return this.#onFlushed();
    this.#fd = fd;
    if (this.#closed) return this.#onFlushed();
    this.#files.fdatasync(fd, this.#onFlushed);
  };

  readonly #onFlushed = (): void => {
    this.#busy = false;
    if (this.#closed) {
      this.#idle?.();
      this.#idle = undefined;
      return;
    }
    // Written while this flush ran: the next one, after the interval.
    if (this.#dirty) this.written();
  };
}
