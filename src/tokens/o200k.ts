import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { outsidePattern, restrictedPattern, type CharacterRanges } from './restricted-pattern.ts';

/**
 * Counts tokens of OpenAI's o200k_base encoding from a compact table: 5.1 MB of typed arrays,
 * built on the first count in about 0.1 s. gpt-tokenizer, which gives the same counts, keeps
 * its 200,000 tokens as strings in a Map and parses them from a 2.4 MB JavaScript module:
 * 0.37-0.49 s of the event loop and 30-50 MB of a process's RSS on the first count, which a
 * gateway pays as soon as one client leaves a stream, a key has a tpm limit, or the adaptive
 * strategy runs; tiktoken (WASM) and js-tiktoken cost as much or more (docs/performance.md,
 * docs/decisions/0015-compact-token-counter.md).
 *
 * The table is OpenAI's own `o200k_base.tiktoken` (base64 of each token's bytes, then its rank),
 * as gpt-tokenizer ships it, and the pre-tokenizer is gpt-tokenizer's o200k split pattern; what
 * is ours is the lookup and the merge loop, which follow tiktoken's `byte_pair_merge` (merge the
 * adjacent pair of lowest rank, leftmost first, until none is a token). src/tokens/o200k.test.ts
 * checks the counts against gpt-tokenizer's and against its published test plans.
 */

const require = createRequire(import.meta.url);

interface Table {
  /** Every token's bytes, one after another, in the order of the file. */
  bytes: Uint8Array;
  /** Where each token's bytes start in `bytes`; one entry more, the end of the last. */
  starts: Uint32Array;
  /** Each token's rank, the merge's priority (in o200k, its line in the file). */
  ranks: Int32Array;
  /**
   * Open addressing, by the low bits of a token's hash: in each slot, the token's index + 1 in
   * the low `indexBits` bits (0: empty) and the hash's top bits above them, so that most probes
   * of another token are told apart without reading its bytes.
   */
  slots: Int32Array;
  /** Slots - 1 (a power of two - 1). */
  mask: number;
  /** The pre-tokenizer: text is cut into pieces, and no token crosses a piece's edge. */
  split: RegExp;
  /** The same for text of `fastCharacters` only, four to five times faster (src/tokens/restricted-pattern.ts). */
  fastSplit: RegExp | undefined;
}

let table: Table | undefined;

/** Bits of a slot that hold a token's index + 1 (o200k has 199,998 tokens); the rest, its hash's tag. */
const indexBits = 18;
const indexMask = (1 << indexBits) - 1;
/** The top bits of a hash, as stored above the index in a slot. */
const tagOf = (hash: number) => (hash >>> (32 - (31 - indexBits))) << indexBits;

/** Higher than any rank: a pair that is not a token. */
const noRank = 0x7fffffff;

/** FNV-1a over bytes[start, end). */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ bytes[index]!, 0x01000193);
  return hash | 0;
}

/** The rank of the token whose bytes are bytes[start, end), or `noRank`. */
function rankOf(t: Table, bytes: Uint8Array, start: number, end: number): number {
  const hash = hashOf(bytes, start, end);
  const length = end - start;
  const tag = tagOf(hash);
  for (let slot = hash & t.mask; ; slot = (slot + 1) & t.mask) {
    const entry = t.slots[slot]!;
    if (entry === 0) return noRank;
    if ((entry & ~indexMask) !== tag) continue;
    const token = (entry & indexMask) - 1;
    const from = t.starts[token]!;
    if (t.starts[token + 1]! - from !== length) continue;
    let same = true;
    for (let offset = 0; offset < length; offset++) {
      if (t.bytes[from + offset] !== bytes[start + offset]) {
        same = false;
        break;
      }
    }
    if (same) return t.ranks[token]!;
  }
}

const base64Values = (() => {
  const values = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let index = 0; index < alphabet.length; index++) values[alphabet.charCodeAt(index)] = index;
  return values;
})();

/** Reads and indexes the table (once per process), in one pass over the file and one over its tokens. */
function loadTable(): Table {
  const file = readFileSync(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
  const { O200K_TOKEN_SPLIT_REGEX } = require('gpt-tokenizer/encodingParams/constants') as { O200K_TOKEN_SPLIT_REGEX: RegExp };
  // The file is in order of rank, so its last rank + 1 bounds its number of lines (o200k: exactly).
  const most = lastRank(file) + 1;
  const bytes = new Uint8Array(Math.ceil((file.length * 3) / 4));
  const starts = new Uint32Array(most + 1);
  const ranks = new Int32Array(most);
  let tokens = 0;
  let written = 0;
  for (let at = 0; at < file.length; tokens++) {
    if (tokens === most) throw new Error('o200k_base.tiktoken: its ranks are not in order');
    starts[tokens] = written;
    let bits = 0;
    let pending = 0;
    for (; at < file.length && file[at] !== 32; at++) {
      const value = base64Values[file[at]!]!;
      if (value < 0) continue; // '=' padding
      bits = ((bits << 6) | value) & 0xffffff;
      pending += 6;
      if (pending >= 8) {
        pending -= 8;
        bytes[written++] = (bits >> pending) & 0xff;
      }
    }
    if (at >= file.length) throw new Error(`o200k_base.tiktoken: line ${tokens + 1} has no rank`);
    let rank = 0;
    for (at++; at < file.length && file[at] !== 10; at++) {
      const digit = file[at]! - 48;
      if (digit >= 0 && digit <= 9) rank = rank * 10 + digit;
    }
    at++;
    ranks[tokens] = rank;
  }
  starts[tokens] = written;
  if (tokens >= indexMask) throw new Error(`o200k_base.tiktoken: ${tokens} tokens, more than a slot can index`);
  let capacity = 1;
  while (capacity < tokens * 2.5) capacity <<= 1;
  const t: Table = {
    bytes: bytes.slice(0, written),
    starts: tokens === most ? starts : starts.slice(0, tokens + 1),
    ranks: tokens === most ? ranks : ranks.slice(0, tokens),
    slots: new Int32Array(capacity),
    mask: capacity - 1,
    // Our own copy, sticky, so that its lastIndex is ours alone (matchAll would clone it per text).
    split: new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'uy'),
    fastSplit: fastSplitOf(O200K_TOKEN_SPLIT_REGEX.source),
  };
  for (let token = 0; token < tokens; token++) {
    const hash = hashOf(t.bytes, t.starts[token]!, t.starts[token + 1]!);
    let slot = hash & t.mask;
    while (t.slots[slot] !== 0) slot = (slot + 1) & t.mask;
    t.slots[slot] = tagOf(hash) | (token + 1);
  }
  return t;
}

/**
 * The characters of most prompts: ASCII, Latin-1 (the letters of Western European languages) and
 * general punctuation (the typographic quotes, dashes and ellipses of pasted and generated text).
 */
const fastCharacters: CharacterRanges = [
  [0x0000, 0x00ff],
  [0x2000, 0x206f],
];
const outsideFastCharacters = outsidePattern(fastCharacters);

function fastSplitOf(source: string): RegExp | undefined {
  const restricted = restrictedPattern(source, fastCharacters);
  return restricted === undefined ? undefined : new RegExp(restricted, 'y');
}

/** The rank on the file's last line. */
function lastRank(file: Uint8Array): number {
  let end = file.length;
  while (end > 0 && (file[end - 1] === 10 || file[end - 1] === 13)) end--;
  let start = end;
  while (start > 0 && file[start - 1]! >= 48 && file[start - 1]! <= 57) start--;
  let rank = 0;
  for (let index = start; index < end; index++) rank = rank * 10 + file[index]! - 48;
  return rank;
}

const encoder = new TextEncoder();
/** Any UTF-16 code unit past ASCII (surrogates included: no u flag). */
const nonAscii = /[\u0080-\uffff]/;
/** Scratch space of the counting loop, grown as longer pieces come: a piece's bytes, and its parts. */
let pieceBytes = new Uint8Array(1024);
let nextBoundary = new Int32Array(1026);
let pairRanks = new Int32Array(1026);

/**
 * Counts of pieces that are not one token, by piece: their merge loop is most of a count's time,
 * and words recur (a conversation's history comes again with each turn). Emptied when full, so
 * it holds at most `mergedPiecesKept` pieces of `mergedPieceLongest` characters or fewer (about
 * 1 MB at most; a longer piece, base64 or a long identifier, seldom comes again).
 */
const mergedPieces = new Map<string, number>();
const mergedPiecesKept = 10_000;
const mergedPieceLongest = 64;

/**
 * Tokens of the piece text[start, end) of the pre-tokenizer; `ascii`: the text is ASCII (a byte
 * per character).
 */
function countPiece(t: Table, text: string, start: number, end: number, ascii: boolean): number {
  let length = end - start;
  if (pieceBytes.length < length * 3) {
    pieceBytes = new Uint8Array(length * 3);
    nextBoundary = new Int32Array(length * 3 + 2);
    pairRanks = new Int32Array(length * 3 + 2);
  }
  let piece: string | undefined;
  // A piece is a few characters: copying them costs less than a call into the encoder.
  if (ascii) for (let index = 0; index < length; index++) pieceBytes[index] = text.charCodeAt(start + index);
  else length = encoder.encodeInto((piece = text.slice(start, end)), pieceBytes).written;
  if (length <= 1 || rankOf(t, pieceBytes, 0, length) !== noRank) return 1;
  if (end - start > mergedPieceLongest) return mergeCount(t, length);
  piece ??= text.slice(start, end);
  const known = mergedPieces.get(piece);
  if (known !== undefined) return known;
  const parts = mergeCount(t, length);
  if (mergedPieces.size >= mergedPiecesKept) mergedPieces.clear();
  // A copy, not the slice: V8 makes a slice of 13 characters or more a view of the string it was
  // cut from, and the map would keep that whole text (a prompt of any size) alive.
  mergedPieces.set(piece.length >= 13 ? ` ${piece}`.slice(1) : piece, parts);
  return parts;
}

/** Tokens of the `length` bytes in `pieceBytes`, merged as tiktoken's byte_pair_merge does. */
function mergeCount(t: Table, length: number): number {
  // Parts start at byte boundaries linked by `nextBoundary`; pairRanks[p] is the rank of the part
  // starting at p joined with the next one. Every single byte is a token, so parts never fail.
  for (let boundary = 0; boundary < length; boundary++) {
    nextBoundary[boundary] = boundary + 1;
    pairRanks[boundary] = boundary + 2 <= length ? rankOf(t, pieceBytes, boundary, boundary + 2) : noRank;
  }
  nextBoundary[length] = length + 1;
  let parts = length;
  for (;;) {
    let lowest = noRank;
    let at = -1;
    let before = -1;
    for (let previous = -1, boundary = 0; boundary < length; previous = boundary, boundary = nextBoundary[boundary]!) {
      if (pairRanks[boundary]! < lowest) {
        lowest = pairRanks[boundary]!;
        at = boundary;
        before = previous;
      }
    }
    if (lowest === noRank) return parts;
    nextBoundary[at] = nextBoundary[nextBoundary[at]!]!;
    parts--;
    pairRanks[at] = pairRank(t, at, length);
    if (before !== -1) pairRanks[before] = pairRank(t, before, length);
  }
}

/** The rank of the part starting at `boundary` joined with the next, or `noRank`. */
function pairRank(t: Table, boundary: number, length: number): number {
  const next = nextBoundary[boundary]!;
  return next < length ? rankOf(t, pieceBytes, boundary, nextBoundary[next]!) : noRank;
}

/**
 * Tokens of `text` in o200k_base, special tokens such as `<|endoftext|>` counted as the text
 * they are spelt with. Loads the table on the first call.
 */
export function countO200kTokens(text: string): number {
  const t = (table ??= loadTable());
  const ascii = !nonAscii.test(text);
  const split = t.fastSplit !== undefined && (ascii || !outsideFastCharacters.test(text)) ? t.fastSplit : t.split;
  let tokens = 0;
  // Sticky: `test` matches at `start` and moves lastIndex to the piece's end, without building a
  // match array or the piece's string. The patterns match at every position; where one did not,
  // the character would be skipped, as a global search skips it.
  for (let start = 0; start < text.length; ) {
    split.lastIndex = start;
    const end = split.test(text) ? split.lastIndex : start;
    if (end === start) {
      start++;
      continue;
    }
    tokens += countPiece(t, text, start, end, ascii);
    start = end;
  }
  return tokens;
}
