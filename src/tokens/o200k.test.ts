import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { runInFreshProcess } from '../../test/helpers/fresh-process.ts';
import { countO200kTokens } from './o200k.ts';

/** gpt-tokenizer's count with special tokens' spellings taken as text, as ours takes them. */
const reference = (text: string) => countTokens(text, { disallowedSpecial: new Set<string>() });

/** Park-Miller, so a failure is reproducible. */
function generator(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16_807) % 2_147_483_647);
}

/** Code point ranges that exercise the pre-tokenizer's classes and multi-byte UTF-8. */
const scripts: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x7f], // ASCII: words, digits, punctuation, contractions
  [0x80, 0x800], // Latin-1 and beyond: two bytes, combining marks
  [0x0400, 0x0500], // Cyrillic
  [0x0900, 0x0980], // Devanagari (marks)
  [0x3040, 0x3100], // kana
  [0x4e00, 0xa000], // CJK: three bytes, long runs without spaces
  [0xac00, 0xd7a4], // Hangul
  [0x1f300, 0x1f700], // emoji: four bytes
  [0, 0x110000], // anything, lone surrogates included
];

function randomText(next: () => number, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) {
    const [from, to] = scripts[next() % scripts.length]!;
    text += String.fromCodePoint(from + (next() % (to - from)));
    const gap = next() % 8;
    if (gap === 0) text += ' ';
    else if (gap === 1) text += '\n';
  }
  return text;
}

describe('o200k_base counts', () => {
  it("equal the token lists of gpt-tokenizer's published test plans", () => {
    const plans = readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/TestPlans.txt'), 'utf8');
    let checked = 0;
    for (const block of plans.split('EncodingName: ').slice(1)) {
      if (!block.startsWith('o200k_base\n')) continue;
      const sample = block.slice(block.indexOf('Sample: ') + 'Sample: '.length, block.indexOf('\nEncoded: '));
      const encoded = JSON.parse(block.slice(block.indexOf('\nEncoded: ') + '\nEncoded: '.length).trim()) as number[];
      assert.equal(countO200kTokens(sample), encoded.length, JSON.stringify(sample));
      checked++;
    }
    assert.ok(checked >= 50, `only ${checked} o200k_base plans were found`);
  });

  it("equal gpt-tokenizer's on 3,000 random texts in every script", () => {
    const next = generator(20_261_205);
    for (let index = 0; index < 3_000; index++) {
      const text = randomText(next, 1 + (next() % 160));
      assert.equal(countO200kTokens(text), reference(text), JSON.stringify(text));
    }
  });

  it("equal gpt-tokenizer's on 3,000 random texts of ASCII, and of Latin-1 and punctuation (cut by the faster pattern)", () => {
    const next = generator(1_234_567);
    const ascii = [...Array.from({ length: 95 }, (_, code) => String.fromCharCode(32 + code)), '\n', '\r', '\t', "'", "'s", "'ll", ' the', 'DONE', '2026', '//'];
    const latin = [...ascii, ...Array.from({ length: 96 }, (_, code) => String.fromCharCode(0xa0 + code)), '\u2019', '\u201c', '\u201d', '\u2014', '\u2026', ' \u00e9t\u00e9', "l\u2019\u00e9cole", 'STRA\u00dfE'];
    for (const alphabet of [ascii, latin]) {
      for (let index = 0; index < 3_000; index++) {
        let text = '';
        const length = 1 + (next() % 120);
        for (let character = 0; character < length; character++) text += alphabet[next() % alphabet.length];
        assert.equal(countO200kTokens(text), reference(text), JSON.stringify(text));
      }
    }
  });

  it('equal them on prose, code, numbers, whitespace, contractions and special tokens spelt out', () => {
    const texts = [
      '',
      'a',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      // Adjacent pairs of equal rank, where merging the rightmost first would count differently.
      'bbb=bbbbb',
      'rrrrrrrrrrrrrt',
      'axaaaaaaoaaao',
      "I'm sure they'll've DONE IT'S fine, we'd've known",
      'function add(a, b) {\n\treturn a + b; // sum\n}\n\n\n',
      '1234567890 3.14159 1e-9 0x1F 2026-12-05T10:00:00Z',
      '   leading and trailing   \r\n\t',
      '<|endoftext|> hi <|im_start|>user<|im_sep|>',
      'naïve café Ünïcödé Ångström',
      '\ud800 a lone high surrogate and a lone low one \udc00',
      'Приве́т नमस्ते مرحبا 你好世界 🇫🇷👨‍👩‍👧 👍🏽',
      readFileSync(new URL('../../README.md', import.meta.url), 'utf8'),
    ];
    for (const text of texts) assert.equal(countO200kTokens(text), reference(text), JSON.stringify(text.slice(0, 60)));
  });

  it('keep no text alive through the counts they remember (a slice of a string is a view of all of it)', () => {
    // 200 texts of 600 KB, each with a word of more than 13 letters that is not one token: the
    // map of merged pieces held them all (120 MB) while it kept the slices themselves.
    const grown = runInFreshProcess([
      `const { countO200kTokens } = await import(${JSON.stringify(new URL('./o200k.ts', import.meta.url).href)});`,
      'const word = (index) => index.toString(26).split("").map((digit) => String.fromCharCode(97 + parseInt(digit, 26))).join("");',
      'globalThis.gc();',
      'const before = process.memoryUsage().heapUsed;',
      "for (let index = 0; index < 200; index++) countO200kTokens(`zqxjvkwlpfmbrt${word(index)} ` + 'ab '.repeat(200_000));",
      'globalThis.gc();',
      'process.stdout.write(String(process.memoryUsage().heapUsed - before));',
    ]);
    assert.ok(Number(grown) < 20e6, `the heap grew by ${grown} bytes`);
  });

  it('count pieces longer than the scratch space it starts with (a run of base64, of CJK)', () => {
    const next = generator(7);
    let base64 = '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let index = 0; index < 3_000; index++) base64 += alphabet[next() % alphabet.length];
    let cjk = '';
    for (let index = 0; index < 1_500; index++) cjk += String.fromCodePoint(0x4e00 + (next() % 0x5200));
    for (const text of [base64, cjk, `${cjk} then ascii`]) assert.equal(countO200kTokens(text), reference(text));
  });
});
