import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { encodeEvent, type StreamFrame } from '../../../test/simulators/bedrock/frames.ts';
import { readAll } from '../../../test/helpers/events.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { answerComplete, type HttpClient } from '../../core/http-client.ts';
import type { ProviderCall, ProviderSettings } from '../../core/provider-adapter.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { providerDefinitions } from '../index.ts';

/**
 * Every streaming adapter ends its answer at its finish event, through guardStream: the upstream
 * body is let go of at once as complete (`answerComplete`, which closes a connection whose body
 * does not end soon after: src/upstream/upstream-call.ts), and nothing the upstream sends after
 * the finish is read (pings after Anthropic's message_stop, chunks after OpenAI's [DONE]).
 */

const fixture = (type: string, name: string) => readFile(new URL(`../${type}/__fixtures__/${name}`, import.meta.url));
const text = (value: string) => Buffer.from(value);

interface Case {
  type: string;
  settings?: Partial<ProviderSettings>;
  model: string;
  answer: () => Promise<Uint8Array>;
  /** What the upstream goes on sending after its answer's end. */
  trailing: Uint8Array;
}

const bedrockFrames = async () => {
  const frames = JSON.parse((await fixture('bedrock', 'bedrock-stream-text.json')).toString()) as StreamFrame[];
  return Buffer.concat(frames.map((frame, index) => encodeEvent(frame, index)));
};

const cases: Case[] = [
  { type: 'openai', model: 'gpt-4o', answer: () => fixture('openai-compatible', 'openai-stream-text.sse'), trailing: text('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n') },
  { type: 'mistral', model: 'mistral-large-latest', answer: () => fixture('mistral', 'mistral-stream-docs.sse'), trailing: text('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n') },
  { type: 'anthropic', model: 'claude-sonnet-4-5', answer: () => fixture('anthropic', 'anthropic-stream-text.sse'), trailing: text('event: ping\ndata: {"type": "ping"}\n\n') },
  { type: 'cohere', model: 'command-a-03-2025', answer: () => fixture('cohere', 'cohere-stream-text.sse'), trailing: text(': keep-alive\n\n') },
  {
    type: 'bedrock',
    model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    settings: { options: { region: 'us-west-2', aws_access_key_id: 'AKIATEST', aws_secret_access_key: 'test-secret' } },
    answer: bedrockFrames,
    trailing: encodeEvent({ eventType: 'metadata', payload: { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } } }),
  },
];

/**
 * An HttpClient answering with `answer`, then `trailing` 1,000 times, or (undefined) nothing more
 * with the body's end still to come; counting what was read after the answer and how the body was
 * let go of.
 */
function upstream(answer: Uint8Array, trailing: Uint8Array | undefined) {
  const seen = { trailingRead: 0, returned: [] as unknown[] };
  let sentAnswer = false;
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      if (!sentAnswer) {
        sentAnswer = true;
        return { done: false, value: answer };
      }
      if (trailing === undefined) return new Promise<never>(() => undefined);
      if (seen.trailingRead >= 1_000) return { done: true, value: undefined };
      seen.trailingRead += 1;
      return { done: false, value: trailing };
    },
    async return(reason?: unknown) {
      seen.returned.push(reason);
      return { done: true, value: undefined };
    },
  };
  const http: HttpClient = {
    send: async () => ({ status: 200, headers: {}, body: { [Symbol.asyncIterator]: () => iterator }, text: async () => '', discard: async () => undefined }),
  };
  return { http, seen };
}

const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true, includeUsage: true, metadata: {}, hints: {} };

/** The adapter's events for a stream whose upstream sends `answer`, then `trailing`. */
async function stream(entry: Case, answer: Uint8Array, trailing: Uint8Array | undefined) {
  const { http, seen } = upstream(answer, trailing);
  const settings: ProviderSettings = { id: 'p', type: entry.type, baseUrl: 'https://upstream.invalid', apiKey: 'test-key', headers: {}, timeoutMs: 5_000, options: {}, ...entry.settings };
  const adapter = providerDefinitions.get(entry.type)!.create(settings, { http, images: { fetch: () => Promise.reject(new Error('not used')) } });
  const call: ProviderCall = { model: entry.model, signal: new AbortController().signal, timeoutMs: 5_000, requestId: 'req' };
  const events: StreamEvent[] = await readAll(await adapter.streamChat(request, call));
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { events, seen };
}

describe('streams end at their finish, whatever the upstream sends after it', () => {
  for (const entry of cases) {
    it(`${entry.type}: an upstream that goes on sending after the answer's end is not read further`, { timeout: 10_000 }, async () => {
      const { events, seen } = await stream(entry, await entry.answer(), entry.trailing);
      assert.equal(events.at(-1)?.type, 'finish', `ended with ${JSON.stringify(events.at(-1))}`);
      assert.equal(seen.returned.length, 1, 'the body was not let go of');
      // Web streams (Bedrock's decoder) may have pulled a chunk or two ahead.
      assert.ok(seen.trailingRead <= 3, `${seen.trailingRead} chunks were read after the answer's end`);
    });

    it(`${entry.type}: a body whose end is still to come after the finish is let go of as complete (its connection may be kept)`, { timeout: 10_000 }, async () => {
      const { events, seen } = await stream(entry, await entry.answer(), undefined);
      assert.equal(events.at(-1)?.type, 'finish', `ended with ${JSON.stringify(events.at(-1))}`);
      assert.deepEqual(seen.returned, [answerComplete]);
    });
  }
});
