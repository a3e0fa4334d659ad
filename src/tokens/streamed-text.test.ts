import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countStreamedTokens } from './count.ts';
import { StreamedText } from './streamed-text.ts';

describe('StreamedText', () => {
  it('counts short streams exactly, as one text', () => {
    const text = new StreamedText();
    for (const piece of ['Hel', 'lo, ', 'wor', 'ld.']) text.add(piece);
    assert.equal(text.tokens(), countStreamedTokens(['Hello, world.']));
    assert.equal(new StreamedText().tokens(), 0);
  });

  it('counts past what it keeps at the kept text’s rate', () => {
    const text = new StreamedText();
    const piece = 'one two three four '.repeat(1_000);
    for (let index = 0; index < 200; index += 1) text.add(piece); // 3.8 M characters, past the 1 Mi kept
    const perPiece = countStreamedTokens([piece]);
    const tokens = text.tokens();
    assert.ok(Math.abs(tokens - perPiece * 200) / (perPiece * 200) < 0.01, `${tokens} tokens for about ${perPiece * 200}`);
  });
});
