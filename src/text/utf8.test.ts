import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8TextAroundV8, utf8Text } from './utf8.ts';

/** A random string of `length` code points drawn from `ranges` (inclusive), lone surrogates excluded. */
function randomText(length: number, ranges: ReadonlyArray<readonly [number, number]>, random: () => number): string {
  let text = '';
  for (let index = 0; index < length; index += 1) {
    const [low, high] = ranges[Math.floor(random() * ranges.length)]!;
    let point = low + Math.floor(random() * (high - low + 1));
    if (point >= 0xd800 && point <= 0xdfff) point = 0xfffd;
    text += String.fromCodePoint(point);
  }
  return text;
}

/** A seeded generator, so a failure can be replayed (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = [0x00, 0x7f] as const;
const scripts = [ascii, [0x80, 0x7ff], [0x800, 0xffff], [0x10000, 0x10ffff], [0x400, 0x4ff], [0x4e00, 0x9fff]] as const;

describe('utf8Text', () => {
  it('gives what toString gives for valid UTF-8 of every kind, above and below the size it switches at', () => {
    const random = seeded(42);
    for (let round = 0; round < 200; round += 1) {
      const length = [10, 1500, 4096, 9000][round % 4]!;
      const text = randomText(length, round % 5 === 0 ? [ascii] : scripts.slice(0, 1 + (round % scripts.length)), random);
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(utf8TextAroundV8(bytes), text, `round ${round}`);
      assert.equal(utf8Text(bytes), text, `round ${round}`);
    }
  });

  it('decodes a body after a larger one, and one larger than the array it reuses, without leftovers', () => {
    // The reused array holds 256 Ki code units: 150,000 two-byte characters are 300,000 bytes.
    for (const repeat of [9000, 300, 150_000, 400, 60_000]) {
      const text = `${'Ж'.repeat(repeat)}😀${'a'.repeat(3000)}`;
      assert.equal(utf8TextAroundV8(Buffer.from(text, 'utf8')), text, String(repeat));
    }
  });

  it('decodes bodies at and past the 256 KB it decodes itself as toString does', () => {
    for (const bytes of [256 * 1024, 256 * 1024 + 2, 8 * 1024 * 1024]) {
      const text = 'Ж'.repeat(bytes / 2);
      const encoded = Buffer.from(text, 'utf8');
      assert.equal(encoded.length, bytes);
      assert.equal(utf8Text(encoded), text, String(bytes));
    }
  });

  it('keeps a byte-order mark, NUL characters and characters outside the BMP as they are', () => {
    const text = `\ufeff{"a":"\u0000 😀 ${'Привет, мир. '.repeat(400)}"}`;
    const bytes = Buffer.from(text, 'utf8');
    assert.ok(bytes.length > 4096);
    assert.equal(utf8TextAroundV8(bytes), text);
    assert.equal(utf8Text(bytes), text);
  });

  it('turns invalid bytes into U+FFFD exactly as toString does', () => {
    const large = Buffer.from('Привет, мир. '.repeat(400), 'utf8');
    const invalid = [
      Buffer.from([0x80]), // a lone continuation byte
      Buffer.from([0xd0]), // a sequence cut short at the end
      Buffer.from([0xc0, 0xaf]), // an overlong encoding of "/"
      Buffer.from([0xed, 0xa0, 0x80]), // a surrogate encoded as UTF-8 (CESU-8)
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
      Buffer.from([0xff, 0xfe]),
    ];
    for (const bad of invalid) {
      for (const bytes of [Buffer.concat([large, bad]), Buffer.concat([bad, large]), Buffer.concat([large.subarray(0, 2001), bad, large])]) {
        assert.equal(utf8TextAroundV8(bytes), bytes.toString('utf8'), bad.toString('hex'));
        assert.equal(utf8Text(bytes), bytes.toString('utf8'), bad.toString('hex'));
      }
    }
  });
});
