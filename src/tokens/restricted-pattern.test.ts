import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { outsidePattern, restrictedPattern, type CharacterRanges } from './restricted-pattern.ts';

/** Park-Miller, so a failure is reproducible. */
function generator(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16_807) % 2_147_483_647);
}

/** What src/tokens/o200k.ts restricts its split to: ASCII, Latin-1 and general punctuation. */
const latinAndPunctuation: CharacterRanges = [
  [0x0000, 0x00ff],
  [0x2000, 0x206f],
];

/** Every character of the ranges, with more weight on what the patterns treat apart: letters of each case, digits, apostrophes, whitespace, slashes. */
function alphabetOf(ranges: CharacterRanges): string[] {
  const all = ranges.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, index) => String.fromCharCode(first + index)));
  const inRanges = (character: string) => ranges.some(([first, last]) => character.charCodeAt(0) >= first && character.charCodeAt(0) <= last);
  const weighted = [...'aeiouAEIOUsStTdDmMlLvVrR0123456789éÉßñ²½'.split('').flatMap((character) => [character, character]), ..."''''    \n\n\r\t//\u00a0\u2019\u2014".split('')];
  return [...all, ...weighted.filter(inRanges)];
}

function pieces(pattern: RegExp, text: string): string[] {
  const found: string[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === '') pattern.lastIndex++;
    else found.push(match[0]);
  }
  return found;
}

describe('restrictedPattern', () => {
  for (const [name, original] of [
    ['o200k_base', O200K_TOKEN_SPLIT_REGEX],
    ['cl100k_base', CL100K_TOKEN_SPLIT_REGEX],
  ] as const) {
    for (const [set, ranges] of [
      ['ASCII', [[0x00, 0x7f]] as CharacterRanges],
      ['Latin-1 and general punctuation', latinAndPunctuation],
    ] as const) {
      it(`cuts 20,000 random texts of ${set} into the same pieces as ${name}'s pattern`, () => {
        const restricted = restrictedPattern(original.source, ranges);
        assert.ok(restricted !== undefined && !restricted.includes('\\p{'), restricted);
        const full = new RegExp(original.source, 'gu');
        const fast = new RegExp(restricted, 'g');
        const alphabet = alphabetOf(ranges);
        const next = generator(name.length * 7_919 + set.length);
        for (let index = 0; index < 20_000; index++) {
          let text = '';
          const length = 1 + (next() % 40);
          for (let character = 0; character < length; character++) text += alphabet[next() % alphabet.length];
          assert.deepEqual(pieces(fast, text), pieces(full, text), JSON.stringify(text));
        }
      });
    }
  }

  it('finds a character outside the ranges, a surrogate always', () => {
    const outside = outsidePattern(latinAndPunctuation);
    assert.equal(outside.test('plain ASCII, café, l\u2019\u00e9t\u00e9 \u2014 \u00bd'), false);
    for (const character of ['\u0100', '\u1fff', '\u2070', '\u4e2d', '\ud83d\ude00', '\ud800']) assert.equal(outside.test(`a${character}b`), true, JSON.stringify(character));
  });

  it('gives up on a negated property or one it does not know, rather than guess', () => {
    assert.equal(restrictedPattern(String.raw`\P{L}+`, latinAndPunctuation), undefined);
    assert.equal(restrictedPattern(String.raw`\p{NotAProperty}+|\s+`, latinAndPunctuation), undefined);
  });

  it('replaces a property inside and outside a class, and leaves an escaped backslash alone', () => {
    const restricted = restrictedPattern(String.raw`[\p{L}\p{N}]+|\p{N}{1,3}|\p{M}|\\p{L}`, [[0x00, 0x7f]]);
    assert.equal(restricted, String.raw`[\u0041-\u005a\u0061-\u007a\u0030-\u0039]+|[\u0030-\u0039]{1,3}|[]|\\p{L}`);
  });
});
