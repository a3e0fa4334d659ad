import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, statfsSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * An append-only file of text lines: how the ledger's journals (src/ledger/journal.ts,
 * src/ledger/in-flight-journal.ts) write. What `append` returns from is in the kernel's page
 * cache, so it outlives the process whatever kills it; like the database's WAL with
 * `synchronous = NORMAL`, only a crash of the machine itself could lose it.
 */
export interface LineFile {
  /** Appends whole lines. Throws when they cannot be stored (a full disk). */
  append(text: string): void;
  /** Empties the file (its lines are in the store, or were rewritten elsewhere). */
  empty(): void;
  close(): void;
}

export interface LineFileOptions {
  /** Start empty (the caller recovered what was there); else append after what is there. */
  truncate?: boolean;
  /** `written` forces write(2); `auto` (the default) maps the file where it can (`mappedWrites`). */
  writes?: 'auto' | 'written';
}

/**
 * Opens `path` for appending lines: mapped into memory where the platform and the filesystem
 * allow (MappedLineFile), else written with a `write(2)` a call.
 */
export function openLineFile(path: string, options: LineFileOptions = {}): LineFile {
  const mapped = options.writes === 'written' ? undefined : MappedLineFile.open(path, options.truncate === true);
  return mapped ?? new WrittenLineFile(path, options.truncate === true);
}

/**
 * The lines a file holds, without the zero bytes a mapped file is padded with past its last line
 * (a process killed while mapping it leaves them). A line cut short by a kill is the caller's to
 * skip (it does not parse). Undefined when the file cannot be read.
 */
export function readLines(path: string): string[] | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  // Only the lines are decoded, not the zeros after them (most of a mapped file's 256 KB).
  return bytes.toString('utf8', 0, contentLength(bytes)).split('\n').filter((line) => line !== '');
}

/** A `write(2)` a call, on a descriptor opened for appending. */
class WrittenLineFile implements LineFile {
  readonly #descriptor: number;

  constructor(path: string, truncate: boolean) {
    this.#descriptor = openSync(path, truncate ? 'w' : 'a');
  }

  append(text: string): void {
    writeSync(this.#descriptor, text);
  }

  empty(): void {
    ftruncateSync(this.#descriptor, 0);
  }

  close(): void {
    closeSync(this.#descriptor);
  }
}

/** native/mapped-file's functions (an optional dependency built at `npm ci`). */
interface MappedFileAddon {
  /** The file's first `length` bytes mapped shared (mmap MAP_SHARED), unmapped when collected. */
  map(descriptor: number, length: number): ArrayBuffer;
  /** Drops a mapping's pages from the process (madvise MADV_DONTNEED): one replaced before it is collected. */
  release(buffer: ArrayBuffer): void;
}

/** The addon, null where it is not installed. */
let addon: MappedFileAddon | null | undefined;

function mapper(): MappedFileAddon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('switchboard-mapped-file') as MappedFileAddon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/**
 * Filesystems (statfs `f_type`, linux/magic.h) on which a store into a mapped page whose block
 * was written before never allocates: ext2/3/4, XFS, tmpfs, and overlayfs (a container's own
 * filesystem: Docker's overlay2 keeps its upper layer on ext4 or XFS only). On copy-on-write ones
 * (Btrfs, ZFS) an overwrite allocates, and with the disk full it would fault (SIGBUS) instead of
 * failing a write(2) the journal can report; on network ones (NFS, SMB) what a store does is the
 * server's: those, and any other, are written.
 */
const mappableFilesystems = new Set([0xef53, 0x58465342, 0x01021994, 0x794c7630]);

/** Whether the file at `path` (or files in that folder) can be mapped: the addon is there and the filesystem is one above. */
export function mappedWrites(path: string): boolean {
  if (mapper() === null) return false;
  try {
    return mappableFilesystems.has(statfsSync(path).type);
  } catch {
    return false;
  }
}

/** The least a mapped file is (zeros past its lines), and what it grows from: a few hundred rows. */
const initialBytes = 256 * 1024;
const zeros = Buffer.alloc(64 * 1024);

/**
 * Lines stored into the file's pages mapped shared into memory (mmap `MAP_SHARED`), instead of a
 * `write(2)` each: a store into a shared mapping is in the page cache at once, as a write is (man
 * 2 mmap), without a system call. On this VM a journal's `write(2)` cost the gateway 9-14 µs a
 * request at one connection, where a request is a turn of its own and nothing shares the write
 * (docs/performance.md, twenty-eighth session). Past its lines the file holds zeros, which
 * `readLines` drops; `close` cuts them off. It grows by writing zeros (`write(2)`, so that a full
 * disk fails there, as an error, with the blocks of what is mapped already allocated) and
 * mapping it again; `empty` zeroes what was written, from the start (a kill meanwhile leaves a
 * file that reads as empty).
 */
class MappedLineFile implements LineFile {
  readonly #addon: MappedFileAddon;
  readonly #descriptor: number;
  #mapping: ArrayBuffer;
  #buffer: Buffer;
  #size: number;
  #offset: number;

  private constructor(addon: MappedFileAddon, descriptor: number, size: number, offset: number) {
    this.#addon = addon;
    this.#descriptor = descriptor;
    this.#mapping = addon.map(descriptor, size);
    this.#buffer = Buffer.from(this.#mapping);
    this.#size = size;
    this.#offset = offset;
  }

  /** The file mapped, or undefined where it cannot be (no addon, another filesystem, not a regular file). */
  static open(path: string, truncate: boolean): MappedLineFile | undefined {
    const mapped = mapper();
    if (mapped === null) return undefined;
    let descriptor: number | undefined;
    try {
      descriptor = openSync(path, constants.O_RDWR | constants.O_CREAT | (truncate ? constants.O_TRUNC : 0), 0o644);
      const stat = fstatSync(descriptor);
      if (!stat.isFile() || !mappedWrites(path)) {
        closeSync(descriptor);
        return undefined;
      }
      const content = stat.size === 0 ? 0 : contentLength(readFileSync(descriptor));
      let size = initialBytes;
      while (size < 2 * content) size *= 2;
      size = Math.max(size, stat.size);
      // Zeros after the lines, to the end: what a kill while emptying it left there is not read back.
      writeZeros(descriptor, content, size);
      return new MappedLineFile(mapped, descriptor, size, content);
    } catch {
      if (descriptor !== undefined) closeSync(descriptor);
      return undefined;
    }
  }

  append(text: string): void {
    // UTF-8 takes at most three bytes for each UTF-16 unit: the exact length only when near the end.
    if (text.length * 3 > this.#size - this.#offset) {
      const bytes = Buffer.byteLength(text);
      if (this.#offset + bytes > this.#size) this.#grow(this.#offset + bytes);
    }
    this.#offset += this.#buffer.write(text, this.#offset);
  }

  empty(): void {
    this.#buffer.fill(0, 0, this.#offset);
    this.#offset = 0;
  }

  close(): void {
    // Its pages leave the process now; the mapping itself goes when the collector frees it.
    this.#addon.release(this.#mapping);
    this.#buffer = Buffer.alloc(0);
    try {
      ftruncateSync(this.#descriptor, this.#offset);
    } finally {
      closeSync(this.#descriptor);
    }
  }

  #grow(needed: number): void {
    let size = this.#size * 2;
    while (size < needed) size *= 2;
    writeZeros(this.#descriptor, this.#size, size);
    const replaced = this.#mapping;
    this.#mapping = this.#addon.map(this.#descriptor, size);
    this.#buffer = Buffer.from(this.#mapping);
    this.#size = size;
    this.#addon.release(replaced);
  }
}

/** Bytes before the first zero byte (the end of a mapped file's lines), or all of them. */
function contentLength(bytes: Buffer): number {
  const end = bytes.indexOf(0);
  return end < 0 ? bytes.length : end;
}

function writeZeros(descriptor: number, from: number, to: number): void {
  for (let position = from; position < to; ) position += writeSync(descriptor, zeros, 0, Math.min(zeros.length, to - position), position);
}
