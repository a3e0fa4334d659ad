/** Whitespace at the end of a text. Compiled once. */
const trailingWhitespace = /\s+$/;

/**
 * Takes the first text of a continuation piece by piece and gives back only what the caller has
 * not seen yet, so a resumed answer repeats nothing:
 * - a provider that may repeat the prefix before continuing it (Mistral's `prefix: true`) has
 *   the repeat dropped;
 * - whitespace the sent text ended with is dropped from the continuation's start when the
 *   continuation begins with it again (Anthropic refuses a prefill that ends in whitespace, so it
 *   is trimmed off, and the model writes it again).
 * Text is held back only while it could still be such a repeat; once it differs, it all flows.
 */
export class ContinuationOverlap {
  readonly #sent: string;
  readonly #trailing: string;
  #mayRepeat: boolean;
  #pending = '';
  #decided = false;

  constructor(sent: string, mayRepeatPrefix: boolean) {
    this.#sent = sent;
    this.#trailing = trailingWhitespace.exec(sent)?.[0] ?? '';
    this.#mayRepeat = mayRepeatPrefix && sent !== '';
  }

  /** The part of `piece` (with what was held back before it) to pass on now; '' while undecided. */
  take(piece: string): string {
    if (this.#decided) return piece;
    this.#pending += piece;
    if (this.#mayRepeat) {
      if (this.#pending.length < this.#sent.length && this.#sent.startsWith(this.#pending)) return '';
      if (this.#pending.startsWith(this.#sent)) this.#pending = this.#pending.slice(this.#sent.length);
      this.#mayRepeat = false;
    }
    if (this.#trailing !== '') {
      if (this.#pending.length < this.#trailing.length && this.#trailing.startsWith(this.#pending)) return '';
      if (this.#pending.startsWith(this.#trailing)) this.#pending = this.#pending.slice(this.#trailing.length);
    }
    return this.flush();
  }

  /** Everything still held back (the continuation's text ended, or something else came). */
  flush(): string {
    this.#decided = true;
    const out = this.#pending;
    this.#pending = '';
    return out;
  }
}
