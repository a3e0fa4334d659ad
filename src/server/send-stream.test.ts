import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { EventReader } from '../core/stream-event.ts';
import { sendEventStream } from './send-stream.ts';

/** A body of ready pieces, as the formatter gives them. */
function readerOf(pieces: string[]): EventReader<string> {
  let index = 0;
  const next = () => (index < pieces.length ? { done: false as const, value: pieces[index++]! } : { done: true as const, value: undefined });
  return { read: async () => next(), poll: () => next(), cancel: async () => undefined };
}

describe('sendEventStream', () => {
  it('sends the end of the body, [DONE] with it, only once the row is journaled', async () => {
    let journal!: () => void;
    const journaled = new Promise<void>((resolve) => (journal = resolve));
    let asked = 0;
    const server = createServer((_request, response) => {
      const reader = readerOf(['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: [DONE]\n\n']);
      void sendEventStream(response, ['x-request-id', 'req_s'], reader, {
        onClientClosed: () => assert.fail('the client did not leave'),
        onFailed: (error) => assert.fail(String(error)),
        journaled: () => ((asked += 1), journaled),
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const [answer] = (await once(get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), 'response')) as [IncomingMessage];
    assert.equal(answer.headers['content-type'], 'text/event-stream; charset=utf-8');
    let received = '';
    let ended = false;
    answer.setEncoding('utf8');
    answer.on('data', (chunk: string) => (received += chunk));
    answer.on('end', () => (ended = true));
    // Several turns: the body would have ended by now if it did not wait.
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(asked, 1);
    assert.equal(ended, false, 'the body ended before the row was journaled');
    assert.doesNotMatch(received, /\[DONE\]/, '[DONE] went out before the row was journaled');
    journal();
    await once(answer, 'end');
    assert.equal(received, 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    server.close();
  });

  // An outside probe: every wait for the socket to drain left a listener behind.
  it('waits for a slow reader without piling listeners on the response', async () => {
    const pieces = Array.from({ length: 30 }, (_, index) => `data: ${String(index).padEnd(128 * 1024, 'x')}\n\n`);
    const closeListeners: number[] = [];
    let sent!: Promise<void>;
    const server = createServer((_request, response) => {
      let index = 0;
      const reader: EventReader<string> = {
        read: async () => {
          closeListeners.push(response.listenerCount('close') + response.listenerCount('drain'));
          return index < pieces.length ? { done: false, value: pieces[index++]! } : { done: true, value: undefined };
        },
        cancel: async () => undefined,
      };
      sent = sendEventStream(response, [], reader, { onClientClosed: () => assert.fail('the client did not leave'), onFailed: (error) => assert.fail(String(error)) });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const [answer] = (await once(get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), 'response')) as [IncomingMessage];
    let received = 0;
    answer.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // A slow reader: the socket's buffers fill, and the gateway waits for them to drain.
      answer.pause();
      setTimeout(() => answer.resume(), 2);
    });
    try {
      await once(answer, 'end');
      await sent;
      assert.equal(received, pieces.join('').length);
      assert.ok(Math.max(...closeListeners) <= closeListeners[0]! + 1, `close and drain listeners grew from ${closeListeners[0]} to ${Math.max(...closeListeners)}`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
