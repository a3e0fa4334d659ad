import assert from 'node:assert/strict';
import type { Transformer } from 'node:stream/web';
import { describe, it } from 'node:test';
import { answerComplete } from '../../core/http-client.ts';
import { decodeServerSentEvents, EventTooLongError, type SseMessage } from './sse.ts';
import { readAll } from '../../../test/helpers/events.ts';
import { readerOf } from '../../streams/event-reader.ts';

/** The messages of an SSE body that arrives as `chunks` (bytes cut anywhere). */
async function messages(chunks: Uint8Array[]): Promise<SseMessage[]> {
  const body = (async function* () {
    yield* chunks;
  })();
  const passThrough: Transformer<SseMessage, SseMessage> = { transform: (message, controller) => controller.enqueue(message) };
  return readAll(decodeServerSentEvents(body, passThrough));
}

/** `text` as UTF-8, cut into pieces of `size` bytes (through multi-byte characters). */
function cut(text: string | Uint8Array, size: number): Uint8Array[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const pieces: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return pieces;
}

describe('server-sent events from bytes', () => {
  const text = 'event: delta\ndata: {"text":"héllo — 世界 🎉"}\n\n: keep-alive\n\ndata: [DONE]\n\n';
  const expected: SseMessage[] = [{ event: 'delta', data: '{"text":"héllo — 世界 🎉"}' }, { data: '[DONE]' }];

  it('decodes UTF-8 cut anywhere, a byte at a time included, and drops comments', async () => {
    for (const size of [1, 2, 3, 5, 7, 1024]) assert.deepEqual(await messages(cut(text, size)), expected, `pieces of ${size} bytes`);
  });

  it('drops one leading byte-order mark, even cut across chunks, and keeps one met later', async () => {
    const withMark = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const size of [1, 2, 4, 1024]) assert.deepEqual(await messages(cut(withMark, size)), expected, `pieces of ${size} bytes`);
    assert.deepEqual(await messages([Buffer.from('data: \ufeffx\n\n')]), [{ data: '\ufeffx' }], 'a mark inside the data is data');
  });

  it('counts a last event without its blank line, and turns invalid UTF-8 into U+FFFD', async () => {
    assert.deepEqual(await messages(cut('data: {"a":1}\n\ndata: {"b":2}', 4)), [{ data: '{"a":1}' }, { data: '{"b":2}' }]);
    assert.deepEqual(await messages([Buffer.from('data: a'), Buffer.from([0xff, 0xe4, 0xb8]), Buffer.from('\n\n')]), [{ data: 'a\ufffd\ufffd' }]);
  });
});

/**
 * A body that sends `head`, then `piece` `times` times (never a whole event), counting what was
 * read and how the reader let go of it.
 */
function endlessBody(head: string, piece: string, times: number) {
  const seen = { pieces: 0, returned: [] as unknown[] };
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      if (seen.pieces === 0 && head !== '') {
        seen.pieces += 1;
        return { done: false, value: Buffer.from(head) };
      }
      if (seen.pieces > times) return { done: true, value: undefined };
      seen.pieces += 1;
      return { done: false, value: Buffer.from(piece) };
    },
    async return(reason?: unknown) {
      seen.returned.push(reason);
      return { done: true, value: undefined };
    },
  };
  return { body: { [Symbol.asyncIterator]: () => iterator }, seen };
}

const passThrough: Transformer<SseMessage, SseMessage> = { transform: (message, controller) => controller.enqueue(message) };

describe('server-sent events: the longest event', () => {
  it('ends a stream whose line never ends past the limit, and closes the body, keeping the events before it', async () => {
    const { body, seen } = endlessBody('data: first\n\ndata: ', 'x'.repeat(1024), 10_000);
    const reader = readerOf(decodeServerSentEvents(body, passThrough, undefined, 64 * 1024));
    assert.deepEqual(await reader.read(), { done: false, value: { data: 'first' } });
    await assert.rejects(reader.read(), (error: unknown) => error instanceof EventTooLongError && error.limit === 64 * 1024);
    assert.ok(seen.pieces < 100, `${seen.pieces} pieces of 1 KiB were read for a 64 KiB limit`);
    assert.equal(seen.returned.length, 1, 'the body was not closed');
    assert.ok(seen.returned[0] instanceof EventTooLongError, 'closed as a failure, not as a finished answer');
  });

  it('counts an event of many data lines without its blank line as one event', async () => {
    const { body, seen } = endlessBody('', 'data: 0123456789abcdef\n', 100_000);
    await assert.rejects(readAll(decodeServerSentEvents(body, passThrough, undefined, 64 * 1024)), EventTooLongError);
    assert.ok(seen.pieces < 10_000, `${seen.pieces} lines were read for a 64 KiB limit`);
  });

  it('takes events up to the limit, and passes a cancel reason on to the body (answerComplete)', async () => {
    const event = `data: ${'y'.repeat(1000)}\n\n`;
    assert.deepEqual(await messages(cut(event.repeat(3), 333)), Array(3).fill({ data: 'y'.repeat(1000) }));
    const { body, seen } = endlessBody(event, event, 10);
    const reader = decodeServerSentEvents(body, passThrough, undefined, 1024);
    assert.equal((await reader.read()).done, false);
    await reader.cancel(answerComplete);
    assert.deepEqual(seen.returned, [answerComplete]);
  });
});
