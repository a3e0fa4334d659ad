import assert from 'node:assert/strict';
import type { Transformer } from 'node:stream/web';
import { describe, it } from 'node:test';
import { decodeServerSentEvents, type SseMessage } from './sse.ts';
import { readAll } from '../../../test/helpers/events.ts';

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
