import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { asciiOnlyPattern } from './ascii-pattern.ts';

/** Park-Miller, so a failure is reproducible. */
function generator(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16_807) % 2_147_483_647);
}

/** Every ASCII character, weighted toward what the patterns treat apart: letters of each case, digits, apostrophes, whitespace, slashes. */
const alphabet = [
  ...Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
  ...'aeiouAEIOUsStTdDmMlLvVrR0123456789'.split(''),
  ..."''''    \n\n\r\t//".split(''),
];

function pieces(pattern: RegExp, text: string): string[] {
  const found: string[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === '') pattern.lastIndex++;
    else found.push(match[0]);
  }
  return found;
}

describe('asciiOnlyPattern', () => {
  for (const [name, original] of [
    ['o200k_base', O200K_TOKEN_SPLIT_REGEX],
    ['cl100k_base', CL100K_TOKEN_SPLIT_REGEX],
  ] as const) {
    it(`cuts 20,000 random ASCII texts into the same pieces as ${name}'s pattern`, () => {
      const restricted = asciiOnlyPattern(original.source);
      assert.ok(restricted !== undefined && !restricted.includes('\\p{'), restricted);
      const full = new RegExp(original.source, 'gu');
      const ascii = new RegExp(restricted, 'g');
      const next = generator(name.length * 7_919);
      for (let index = 0; index < 20_000; index++) {
        let text = '';
        const length = 1 + (next() % 40);
        for (let character = 0; character < length; character++) text += alphabet[next() % alphabet.length];
        assert.deepEqual(pieces(ascii, text), pieces(full, text), JSON.stringify(text));
      }
    });
  }

  it('gives up on a property it does not know, or a negated one, rather than guess', () => {
    assert.equal(asciiOnlyPattern(String.raw`\p{Sc}+|\s+`), undefined);
    assert.equal(asciiOnlyPattern(String.raw`\P{L}+`), undefined);
    assert.equal(asciiOnlyPattern(String.raw`[\p{L}\p{N}]+|\p{N}{1,3}|\\p{L}`), String.raw`[A-Za-z0-9]+|[0-9]{1,3}|\\p{L}`);
  });
});
