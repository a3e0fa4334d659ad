import { isAscii, isUtf8 } from 'node:buffer';
import { endianness } from 'node:os';

/**
 * Whether this Node decodes UTF-8 slowly: V8's decoder before Node 24 takes text that is not
 * ASCII a character at a time, about 4 ns a byte (32 KB of Cyrillic: 144 µs on Node 20.20, 108 on
 * 22.23, against 6 µs on 24.21, whose `toString` uses simdutf; docs/performance.md). A prompt in
 * Russian, Chinese or Arabic cost the gateway more to decode than everything else it did. The
 * way around it below writes UTF-16 code units in the machine's byte order and reads them back as
 * UTF-16LE, so it is taken on little-endian machines only (all Node ships binaries for but s390x
 * and AIX).
 */
const slowDecoder = Number(process.versions.node.split('.')[0]) < 24 && endianness() === 'LE';

/** Below this many bytes V8's decoder costs a few microseconds at most: not worth another way. */
const decodeOwnFromBytes = 4096;

/**
 * The code units of the last body decoded, reused (a new array per body would be memory outside
 * the heap, which makes V8 collect more often), and emptied after each use, so that no prompt
 * stays in memory after its request. Bodies up to as many bytes as it has units are decoded here;
 * larger ones are left to V8: a new array for each, and from about a million characters Node's
 * reading back as UTF-16 or Latin-1 makes a string outside the heap, where `toString('utf8')`
 * does not (review of this file, docs/decisions/0017-utf8-decoding.md).
 */
const decodeOwnUpToBytes = 256 * 1024;
/** Made with the first body decoded here (never on Node 24). */
let units: Uint16Array | undefined;

/**
 * `bytes` (UTF-8) as a string: the same string `bytes.toString('utf8')` gives, faster where that
 * is slow. On Node before 24, a body of 4 to 256 KB that is ASCII is read as Latin-1 (the same
 * characters for those bytes, at half the cost), and one that is valid UTF-8 but not ASCII is
 * decoded here. Invalid UTF-8 is left to `toString`, so its bytes become U+FFFD exactly as before.
 *
 * Not `buffer.transcode` (ICU), though it decoded 32 KB of Cyrillic in 15 µs alone: the UTF-16
 * buffer it allocates for each body is memory outside the heap, which makes V8 collect more
 * often. In a loop keeping a gateway's heap (parse, keep 16 bodies), it cost 63-67 µs a body
 * against V8's 121-123 and 45-52 here, and 122-127 µs for English with some accents and curly
 * quotes, where V8 took 63 and this 62 (docs/performance.md).
 */
export function utf8Text(bytes: Buffer): string {
  return slowDecoder && bytes.length >= decodeOwnFromBytes && bytes.length <= decodeOwnUpToBytes ? utf8TextAroundV8(bytes) : bytes.toString('utf8');
}

/** `utf8Text`'s way on a slow decoder, whatever the Node version (exported for its tests). */
export function utf8TextAroundV8(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  if (!isUtf8(bytes)) return bytes.toString('utf8');
  return decodedValidUtf8(bytes);
}

/**
 * Valid UTF-8 (checked: no sequence here is cut, overlong, a surrogate or past U+10FFFF) as a
 * string, through UTF-16 code units read back as UTF-16LE (a little-endian machine's order).
 */
function decodedValidUtf8(bytes: Uint8Array): string {
  // A UTF-8 sequence of n bytes is at most n UTF-16 code units (four bytes: a surrogate pair).
  units ??= new Uint16Array(decodeOwnUpToBytes);
  const out = bytes.length <= units.length ? units : new Uint16Array(bytes.length);
  const length = bytes.length;
  let count = 0;
  for (let index = 0; index < length; ) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      out[count++] = lead;
      index += 1;
    } else if (lead < 0xe0) {
      out[count++] = ((lead & 0x1f) << 6) | (bytes[index + 1]! & 0x3f);
      index += 2;
    } else if (lead < 0xf0) {
      out[count++] = ((lead & 0x0f) << 12) | ((bytes[index + 1]! & 0x3f) << 6) | (bytes[index + 2]! & 0x3f);
      index += 3;
    } else {
      const point = (((lead & 0x07) << 18) | ((bytes[index + 1]! & 0x3f) << 12) | ((bytes[index + 2]! & 0x3f) << 6) | (bytes[index + 3]! & 0x3f)) - 0x10000;
      out[count++] = 0xd800 | (point >> 10);
      out[count++] = 0xdc00 | (point & 0x3ff);
      index += 4;
    }
  }
  const text = Buffer.from(out.buffer, out.byteOffset, count * 2).toString('utf16le');
  out.fill(0, 0, count);
  return text;
}
