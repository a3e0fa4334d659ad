import type { ChatMessage, ChatRequest } from '../core/chat-request.ts';
import { countO200kTokens } from './o200k.ts';

/**
 * Token counts for routing estimates and for the ledger when a provider reports none. Uses
 * OpenAI's o200k_base encoding for every model: exact for current OpenAI models and within a
 * few percent for others, which is what a budget estimate or a context-window filter needs.
 * The encoder (src/tokens/o200k.ts) loads its table on the first count: 5 MB and about 0.1 s,
 * where gpt-tokenizer's took 30-50 MB of RSS and 0.4 s (ADR 0015).
 *
 * Bounded in time whatever the input (issue 13, defect 1): byte-pair encoding is quadratic in
 * the length of one pre-tokenized piece, and a run without spaces (or CJK text, base64, minified
 * code) is one piece, so an encoder takes seconds on 100 KB of such text and minutes on
 * 400 KB. Text is therefore encoded in slices of at most `sliceChars` (cut at whitespace when
 * there is some), which keeps the cost linear; and past `exactChars` in all, a request's texts
 * are sampled in evenly spaced windows and the count extrapolated from their tokens per
 * character, so no input costs more than about `exactChars` characters of encoding.
 */

/** Longest slice handed to the encoder (a piece this long encodes in well under a millisecond). */
const sliceChars = 256;
/** A slice is cut at the last whitespace in its second half when it has one. */
const sliceSearchFrom = 128;
/** Up to this many characters in all are counted exactly; beyond it, samples are. */
export const exactChars = 16_384;
/** Width of one sample window past `exactChars`. */
const sampleChars = 1_024;

/** Per-message framing tokens in OpenAI's chat format. */
const tokensPerMessage = 3;
/** Flat estimate for one image (OpenAI low-detail tile); providers bill images differently. */
const tokensPerImage = 85;
/**
 * A bound on one image's tokens, for reservations that must not fall short of the bill (a
 * budget's): the most a provider's published rules charge for an image of the largest size it
 * takes, about 1,100 for OpenAI's tiled models at high detail, 1,600 for Anthropic's (its 1,568-px
 * limit), 3,800 for OpenAI's patch-based ones (1,536 patches at gpt-4.1-nano's multiplier of
 * 2.46). 85 a image let 50 concurrent requests with one image each spend 5.8 times a budget
 * (an outside probe: a 1,024-px image at high detail is 765).
 */
const imageTokensAtMost = 4_000;

/** Tokens in a text. */
export function countTextTokens(text: string): number {
  return countTextsTokens([text]);
}

/** Tokens in several texts together (bounded in time however long they are). */
export function countTextsTokens(texts: readonly string[]): number {
  let total = 0;
  for (const text of texts) total += text.length;
  if (total === 0) return 0;
  if (total <= exactChars) {
    let tokens = 0;
    for (const text of texts) tokens += countSliced(text, 0, text.length);
    return tokens;
  }
  return estimateFromSamples(texts, total);
}

/**
 * Tokens of a streamed answer given as its deltas, counted as the one text they make: a
 * provider's chunks split words from their spaces ("one " "two "), and counting each alone gives
 * up to twice the tokens of the text (a probe of a cut stream: 30 for text that is 17). Deltas
 * of different kinds (text, reasoning, a tool's arguments) are joined too; where two meet, the
 * count may differ by a token.
 */
export function countStreamedTokens(deltas: readonly string[]): number {
  return deltas.length === 0 ? 0 : countTextsTokens([deltas.join('')]);
}

/** Estimated prompt tokens of a chat request (messages and tool definitions). */
export function countPromptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  const { texts, fixed } = collectPrompt(request, tokensPerImage);
  return fixed + countTextsTokens(texts);
}

/**
 * At least as many tokens as the prompt's texts hold, without the tokenizer: every o200k token
 * is one UTF-8 byte or more, so a text's bytes bound its tokens; an image is `imageTokensAtMost`,
 * framing and files are allowed for as `countPromptTokens` allows for them. A filter that only needs to know that a
 * prompt fits (a context window) compares this first and counts only when it does not settle
 * it (issue 15: counting a 4,000-character prompt took about 1 ms with gpt-tokenizer, five times
 * the rest of a request; 0.1-0.2 ms since ADR 0015).
 */
export function promptTokensAtMost(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  const { texts, fixed } = collectPrompt(request, imageTokensAtMost);
  return fixed + textsTokensAtMost(texts);
}

/**
 * About as many tokens as the prompt holds, without the tokenizer: a quarter of its texts' UTF-8
 * bytes (o200k: 4.6 bytes a token in English prose, 5.0 in Cyrillic, 3.0 in Chinese; our
 * 32 KB counted 7,102, 6,580 and 10,941 tokens), framing, images and files allowed for as
 * `countPromptTokens` allows for them. For a reservation that the real usage replaces when the
 * request ends (a key's or team's `tpm`): counting 32 KB took 330-860 µs (docs/performance.md).
 */
export function promptTokensEstimate(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  const { texts, fixed } = collectPrompt(request, tokensPerImage);
  return fixed + textsTokensEstimate(texts);
}

/** About as many tokens as the texts hold: a quarter of their UTF-8 bytes (see `promptTokensEstimate`). */
export function textsTokensEstimate(texts: readonly string[]): number {
  return Math.ceil(textsTokensAtMost(texts) / 4);
}

/** At least as many tokens as the texts hold: their UTF-8 bytes (see `promptTokensAtMost`). */
export function textsTokensAtMost(texts: readonly string[]): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8');
  return bytes;
}

/** A prompt's texts (messages and tool definitions), and its tokens that are not text, an image taken as `imageTokens`. */
function collectPrompt(request: Pick<ChatRequest, 'messages' | 'tools'>, imageTokens: number): { texts: string[]; fixed: number } {
  const texts: string[] = [];
  let fixed = 3;
  for (const message of request.messages) fixed += collectMessage(message, texts, imageTokens);
  if (request.tools?.length) texts.push(JSON.stringify(request.tools));
  return { texts, fixed };
}

/** Pushes a message's texts; returns its tokens that are not text (framing, images, files). */
function collectMessage(message: ChatMessage, texts: string[], imageTokens: number): number {
  let fixed = tokensPerMessage;
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        texts.push(part.text);
        break;
      case 'image':
        fixed += imageTokens;
        break;
      case 'file':
        // Files are billed by the provider after its own extraction; count their size roughly.
        fixed += Math.ceil((part.data?.length ?? 0) / 8);
        break;
      case 'tool-call':
        texts.push(part.name, part.arguments);
        break;
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  }
  return fixed;
}

/** Exact-enough count of text[start, end): slices of at most `sliceChars`, cut at whitespace when possible. */
function countSliced(text: string, start: number, end: number): number {
  let tokens = 0;
  let position = start;
  while (position < end) {
    let cut = Math.min(position + sliceChars, end);
    if (cut < end) {
      const space = lastWhitespace(text, position + sliceSearchFrom, cut);
      if (space > position) cut = space;
      // Never split a surrogate pair: the halves would count as two replacement characters.
      else if (isLowSurrogate(text.charCodeAt(cut))) cut -= 1;
    }
    tokens += countO200kTokens(text.slice(position, cut));
    position = cut;
  }
  return tokens;
}

function lastWhitespace(text: string, from: number, to: number): number {
  for (let index = to; index > from; index -= 1) {
    const code = text.charCodeAt(index);
    if (code === 32 || code === 10 || code === 9 || code === 13) return index;
  }
  return -1;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Evenly spaced windows over the texts taken end to end, `exactChars` characters in all; the
 * total is their tokens per character times the total length.
 */
function estimateFromSamples(texts: readonly string[], total: number): number {
  const windows = Math.floor(exactChars / sampleChars);
  const stride = total / windows;
  let sampledChars = 0;
  let sampledTokens = 0;
  let textIndex = 0;
  let textStart = 0;
  for (let window = 0; window < windows; window += 1) {
    const at = Math.floor(window * stride);
    while (textIndex < texts.length && textStart + texts[textIndex]!.length <= at) {
      textStart += texts[textIndex]!.length;
      textIndex += 1;
    }
    const text = texts[textIndex];
    if (text === undefined) break;
    let start = at - textStart;
    if (isLowSurrogate(text.charCodeAt(start))) start += 1;
    const end = Math.min(text.length, start + sampleChars);
    sampledChars += end - start;
    sampledTokens += countSliced(text, start, end);
  }
  if (sampledChars === 0) return Math.ceil(total / 4);
  return Math.round((sampledTokens / sampledChars) * total);
}
