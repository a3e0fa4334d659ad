import type { ReasoningPart } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { NativeChunkEvent, StreamEvent, StreamStartEvent } from '../core/stream-event.ts';
import type { NativeStream } from '../core/response-cache.ts';

type Part = ChatResult['content'][number];

/**
 * Largest streamed answer cached, in characters of its text and of the provider's chunks (an
 * OpenAI-style chunk is some 240 characters a token: 32 Mi holds about 140,000 tokens, more than
 * models write in one answer). A longer one is not kept.
 */
const maxCachedChars = 32 << 20;

/**
 * Assembles a streamed answer as its events go by, so a streamed answer can be cached like a
 * plain one: the typed ChatResult (text, reasoning with its signature or redacted data, refusal,
 * tool calls with their arguments, in the order their blocks started; finish, stop sequence and
 * usage), and the provider's own chunks when it spoke the caller's format, which a streamed hit
 * replays verbatim (every choice, logprobs, fields the typed result has no place for).
 * `take()` returns them once the stream finished normally, else undefined; an answer longer
 * than `maxCachedChars` is dropped as it goes (an endless stream must not grow without bound).
 */
export class ResultCollector {
  #start: StreamStartEvent | undefined;
  readonly #parts: Part[] = [];
  readonly #byId = new Map<string, Part>();
  #refusal: Extract<Part, { type: 'refusal' }> | undefined;
  #finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  /** The provider's chunks, while the stream is verbatim; dropped when it resumed on another call. */
  #chunks: NativeChunkEvent[] | undefined;
  #chars = 0;
  #tooLong = false;

  add(event: StreamEvent): void {
    if (this.#tooLong) return;
    const size = event.type === 'native-chunk' ? event.data.length : 'delta' in event ? event.delta.length : 0;
    if (size > 0 && (this.#chars += size) > maxCachedChars) {
      this.#tooLong = true;
      this.#parts.length = 0;
      this.#byId.clear();
      this.#chunks = undefined;
      return;
    }
    switch (event.type) {
      case 'stream-start':
        this.#start = event;
        if (event.nativeFormat) this.#chunks = [];
        return;
      case 'native-chunk':
        this.#chunks?.push(event);
        return;
      case 'resume':
        this.#chunks = undefined;
        return;
      case 'text-delta': {
        const part = this.#part(`text:${event.id}`, () => ({ type: 'text', text: '' }));
        if (part.type === 'text') part.text += event.delta;
        return;
      }
      case 'reasoning-start':
        this.#reasoning(event.id);
        return;
      case 'reasoning-delta':
        this.#reasoning(event.id).text += event.delta;
        return;
      case 'reasoning-signature':
        this.#reasoning(event.id).signature = event.signature;
        return;
      case 'reasoning-redacted':
        this.#reasoning(event.id).redacted = event.data;
        return;
      case 'refusal-delta':
        if (!this.#refusal) {
          this.#refusal = { type: 'refusal', text: '' };
          this.#parts.push(this.#refusal);
        }
        this.#refusal.text += event.delta;
        return;
      case 'tool-input-start':
        this.#part(`tool:${event.id}`, () => ({ type: 'tool-call', id: event.id, name: event.toolName, arguments: '' }));
        return;
      case 'tool-input-delta': {
        const tool = this.#byId.get(`tool:${event.id}`);
        if (tool?.type === 'tool-call') tool.arguments += event.delta;
        return;
      }
      case 'finish':
        this.#finish = event;
        return;
      default:
        return;
    }
  }

  take(): { result: ChatResult; stream?: NativeStream } | undefined {
    const start = this.#start;
    const finish = this.#finish;
    if (!start || !finish?.usage || this.#tooLong) return undefined;
    const result: ChatResult = {
      id: start.id,
      model: start.model,
      created: start.created,
      // Empty text blocks say nothing (a stream's opening delta); a reasoning block may be only a signature.
      content: this.#parts.filter((part) => part.type !== 'text' || part.text !== ''),
      finishReason: finish.finishReason,
      ...(finish.rawFinishReason ? { rawFinishReason: finish.rawFinishReason } : {}),
      ...(finish.stopSequence !== undefined ? { stopSequence: finish.stopSequence } : {}),
      usage: finish.usage,
      warnings: start.warnings,
    };
    if (!this.#chunks || !start.nativeFormat) return { result };
    return { result, stream: { format: start.nativeFormat, chunks: this.#chunks } };
  }

  #part(key: string, create: () => Part): Part {
    let part = this.#byId.get(key);
    if (!part) {
      part = create();
      this.#byId.set(key, part);
      this.#parts.push(part);
    }
    return part;
  }

  #reasoning(id: string): ReasoningPart {
    return this.#part(`reasoning:${id}`, () => ({ type: 'reasoning', text: '' })) as ReasoningPart;
  }
}
