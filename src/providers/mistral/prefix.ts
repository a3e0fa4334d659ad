/**
 * Mistral answers a final assistant message with `prefix: true` by starting its answer with that
 * message's content (openapi.yaml AssistantMessage.prefix: "force the model to start its answer
 * by the content of the message"; Mistral's prefix guide slices it off: `content[len(prefix):]`).
 * A caller's prefill asks for the continuation only (Anthropic's Messages API returns what
 * follows the prefill), so the repeat is dropped: whole from a complete answer, and from a stream
 * by holding text back only while it could still be the repeat. An answer that does not start
 * with the prefix is kept as it is.
 */
export function dropPrefix(text: string, prefix: string | undefined): string {
  return prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/** A stream's text, piece by piece, without the repeated prefix. */
export class PrefixRepeat {
  readonly #prefix: string;
  #pending = '';
  #decided: boolean;

  constructor(prefix: string | undefined) {
    this.#prefix = prefix ?? '';
    this.#decided = this.#prefix === '';
  }

  /** The part of `piece` (with what was held back before it) to pass on now; '' while undecided. */
  take(piece: string): string {
    if (this.#decided) return piece;
    this.#pending += piece;
    if (this.#pending.length < this.#prefix.length && this.#prefix.startsWith(this.#pending)) return '';
    this.#decided = true;
    const out = dropPrefix(this.#pending, this.#prefix);
    this.#pending = '';
    return out;
  }

  /** What is still held back (the text ended, or something else came). */
  flush(): string {
    this.#decided = true;
    const out = this.#pending;
    this.#pending = '';
    return out;
  }
}
