/**
 * A caller's JSON body edited as bytes, for relaying it to a provider that speaks its format
 * without parsing and serialising it again: JSON.stringify of a 63 KB prompt took 100 µs on
 * Node 20 and 31 µs on Node 24, and writing the string out encoded it to UTF-8 once more
 * (docs/performance.md, "Large bodies"). Only top-level members are touched; everything inside
 * them goes out byte for byte.
 */

/** What to change at the top level. Values are JSON texts (`'"gpt-4o-mini"'`). */
export interface TopLevelEdit {
  /**
   * How many keys (at every depth) the parsed body holds without the omitted members
   * (`countKeys`). The bytes must hold as many, else a key is repeated somewhere: JSON.parse
   * kept its last value, which is all that guardrails, token counts and the cache looked at,
   * while the bytes still carry the others. Such a body is serialised from its parse instead.
   */
  keys: number;
  /** Members whose value is replaced. */
  replace: Readonly<Record<string, string>>;
  /** Members left out. */
  omit: readonly string[];
  /** Members appended; if the body already has one of them, no edit is made (undefined). */
  add: Readonly<Record<string, string>>;
}

const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

/**
 * `bytes` (a JSON object as UTF-8) with `edit` applied, or undefined when the text is not one
 * this reads with certainty (not an object, a top-level key with an escape in it, a member to
 * add already there): the caller then serialises the parsed body instead.
 */
export function editTopLevel(bytes: Uint8Array, edit: TopLevelEdit): Buffer | undefined {
  const members = topLevelMembers(bytes);
  if (!members) return undefined;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Buffer[] = [];
  let keys = 0;
  for (const member of members) {
    if (Object.hasOwn(edit.add, member.key)) return undefined;
    if (edit.omit.includes(member.key)) continue;
    keys += member.keys;
    const value = Object.hasOwn(edit.replace, member.key) ? edit.replace[member.key] : undefined;
    parts.push(value === undefined ? buffer.subarray(member.start, member.end) : Buffer.from(`${JSON.stringify(member.key)}:${value}`));
  }
  if (keys !== edit.keys) return undefined;
  for (const [key, value] of Object.entries(edit.add)) parts.push(Buffer.from(`${JSON.stringify(key)}:${value}`));
  const pieces: Buffer[] = [openingBrace];
  parts.forEach((part, index) => {
    if (index > 0) pieces.push(separator);
    pieces.push(part);
  });
  pieces.push(closingBrace);
  return Buffer.concat(pieces);
}

const openingBrace = Buffer.from('{');
const separator = Buffer.from(',');
const closingBrace = Buffer.from('}');

/** One top-level member: its key, where its text runs (from the key's quote to the value's end), and how many keys it holds (itself and every key inside its value). */
export interface Member {
  key: string;
  start: number;
  end: number;
  keys: number;
}

/** Keys of `value` at every depth, as `editTopLevel` compares them with the bytes'. */
export function countKeys(value: unknown): number {
  if (Array.isArray(value)) {
    let keys = 0;
    for (const item of value) keys += countKeys(item);
    return keys;
  }
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  for (const key in value) keys += 1 + countKeys((value as Record<string, unknown>)[key]);
  return keys;
}

/** Colons outside strings in the last value `valueEnd` read: the keys inside it. */
let colonsInValue = 0;

/** The members of the JSON object `bytes` holds, in order; undefined if it is not one, or a key holds an escape. */
export function topLevelMembers(bytes: Uint8Array): Member[] | undefined {
  let index = skipSpace(bytes, 0);
  if (bytes[index] !== openBrace) return undefined;
  index = skipSpace(bytes, index + 1);
  const members: Member[] = [];
  if (bytes[index] === closeBrace) return onlySpaceAfter(bytes, index + 1) ? members : undefined;
  for (;;) {
    if (bytes[index] !== quote) return undefined;
    const start = index;
    const keyEnd = stringEnd(bytes, index);
    if (keyEnd < 0) return undefined;
    // A key spelt with escapes ("mod\u0065l") is "model" to JSON.parse: not read here.
    if (bytes.subarray(start + 1, keyEnd - 1).includes(backslash)) return undefined;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset + start + 1, keyEnd - start - 2).toString('utf8');
    index = skipSpace(bytes, keyEnd);
    if (bytes[index] !== colon) return undefined;
    index = skipSpace(bytes, index + 1);
    const end = valueEnd(bytes, index);
    if (end < 0) return undefined;
    members.push({ key, start, end, keys: 1 + colonsInValue });
    index = skipSpace(bytes, end);
    if (bytes[index] === comma) {
      index = skipSpace(bytes, index + 1);
      continue;
    }
    if (bytes[index] === closeBrace) return onlySpaceAfter(bytes, index + 1) ? members : undefined;
    return undefined;
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(bytes: Uint8Array, index: number): number {
  while (index < bytes.length) {
    const byte = bytes[index]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) break;
    index += 1;
  }
  return index;
}

function onlySpaceAfter(bytes: Uint8Array, index: number): boolean {
  return skipSpace(bytes, index) === bytes.length;
}

/** Just past the string that opens at `index` (a quote); -1 if it never closes. */
function stringEnd(bytes: Uint8Array, index: number): number {
  let from = index + 1;
  for (;;) {
    const close = bytes.indexOf(quote, from);
    if (close < 0) return -1;
    // Escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (bytes[close - 1 - slashes] === backslash) slashes += 1;
    if (slashes % 2 === 0) return close + 1;
    from = close + 1;
  }
}

/** Just past the value that starts at `index`; -1 if it does not end. */
function valueEnd(bytes: Uint8Array, index: number): number {
  colonsInValue = 0;
  const first = bytes[index];
  if (first === quote) return stringEnd(bytes, index);
  if (first === openBrace || first === openBracket) {
    let depth = 0;
    let colons = 0;
    while (index < bytes.length) {
      const byte = bytes[index]!;
      if (byte === quote) {
        index = stringEnd(bytes, index);
        if (index < 0) return -1;
        continue;
      }
      if (byte === colon) colons += 1;
      else if (byte === openBrace || byte === openBracket) depth += 1;
      else if (byte === closeBrace || byte === closeBracket) {
        depth -= 1;
        if (depth === 0) {
          colonsInValue = colons;
          return index + 1;
        }
      }
      index += 1;
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator or space.
  const start = index;
  while (index < bytes.length) {
    const byte = bytes[index]!;
    if (byte === comma || byte === closeBrace || byte === closeBracket || byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) break;
    index += 1;
  }
  return index > start ? index : -1;
}
