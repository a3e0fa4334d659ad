import { isAscii, isUtf8, transcode } from 'node:buffer';

/**
 * Whether this Node decodes UTF-8 slowly: V8's decoder before Node 24 takes text that is not
 * ASCII a character at a time, about 4 ns a byte (32 KB of Cyrillic: 144 µs on Node 20.20, 108 on
 * 22.23, against 6 µs on 24.21, whose `toString` uses simdutf; docs/performance.md). A prompt in
 * Russian, Chinese or Arabic cost the gateway more to decode than everything else it did.
 */
const slowDecoder = Number(process.versions.node.split('.')[0]) < 24 && typeof transcode === 'function';

/**
 * Below this many bytes `toString` is as fast as the other way (measured: 1 KB of Cyrillic
 * 3.6 µs against 4.2 through ICU, 4 KB 13.1 against 4.8): the conversion's fixed cost.
 */
const transcodeFromBytes = 4096;

/**
 * `bytes` (UTF-8) as a string: the same string `bytes.toString('utf8')` gives, faster where
 * that is slow. On Node before 24, a large body that is valid UTF-8 but not ASCII goes through
 * ICU to UTF-16 (`buffer.transcode`) and is read as UTF-16, a copy; ASCII is read as Latin-1, the
 * same characters for those bytes. Invalid UTF-8 is left to `toString`, so its bytes become
 * U+FFFD exactly as before.
 */
export function utf8Text(bytes: Buffer): string {
  return slowDecoder && bytes.length >= transcodeFromBytes ? decodedOutsideV8(bytes) : bytes.toString('utf8');
}

/** `utf8Text`'s way on a slow decoder, whatever the Node version (exported for its tests). */
export function decodedOutsideV8(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  if (!isUtf8(bytes)) return bytes.toString('utf8');
  return transcode(bytes, 'utf8', 'utf16le').toString('utf16le');
}
