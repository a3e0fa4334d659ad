import { countStreamedTokens } from './count.ts';

/** Streamed text kept for counting (1 Mi characters: far more than any answer's usual length). */
const keptChars = 1 << 20;

/**
 * The text a stream produced, kept to count its tokens when the provider reports none. Bounded
 * in memory and counting time however long the stream runs: past `keptChars` nothing more is
 * kept, and the rest is counted at the kept text's tokens per character (an endless stream held
 * every piece until it ended: an outside probe grew the heap as fast as text streamed).
 */
export class StreamedText {
  #pieces: string[] = [];
  #kept = 0;
  #total = 0;

  add(text: string): void {
    this.#total += text.length;
    if (this.#kept >= keptChars) return;
    this.#pieces.push(text);
    this.#kept += text.length;
  }

  /** Tokens of everything added: counted as one text (src/tokens/count.ts), extrapolated past the kept part. */
  tokens(): number {
    if (this.#kept === 0) return 0;
    const kept = countStreamedTokens(this.#pieces);
    return this.#kept === this.#total ? kept : Math.round((kept * this.#total) / this.#kept);
  }
}
