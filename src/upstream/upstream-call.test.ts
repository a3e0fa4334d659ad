import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { answerComplete, type UpstreamRequest } from '../core/http-client.ts';
import { upstreamRequest } from '../../test/helpers/upstream-request.ts';
import { createHttpClient } from './http-client.ts';

/**
 * The upstream client against a real HTTP server: how each way of reading an answer behaves
 * (iterating, text, discard), backpressure, closing early, failures mid-body, and aborts.
 */

type Route = (request: IncomingMessage, response: ServerResponse) => void;
const routes = new Map<string, Route>();
const sockets = new Set<string>();
let server: Server;
let origin: string;
const client = createHttpClient({ keepAliveTimeoutMs: 5_000 });

before(async () => {
  server = createServer((request, response) => {
    sockets.add(`${request.socket.remotePort}`);
    routes.get(request.url ?? '')!(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await client.close();
  server.closeAllConnections();
  server.close();
});

function call(path: string, overrides: Partial<UpstreamRequest> = {}, through = client): Promise<Awaited<ReturnType<typeof client.send>>> {
  return through.send(upstreamRequest(`${origin}${path}`, overrides));
}

const megabyte = Buffer.alloc(1024 * 1024, 'a');

describe('upstream calls', () => {
  it('read an answer as text, with its status and headers', async () => {
    routes.set('/text', (_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json', 'x-extra': 'yes' });
      response.write('{"a":');
      setTimeout(() => response.end('"é"}'), 10);
    });
    const response = await call('/text');
    assert.equal(response.status, 201);
    assert.equal(response.headers['x-extra'], 'yes');
    assert.equal(await response.text(), '{"a":"é"}');
  });

  it('iterate the chunks as they arrive, and pause the connection while they are not read', async () => {
    let written = 0;
    routes.set('/big', (_request, response) => {
      response.writeHead(200);
      const pump = () => {
        while (written < 16) {
          written += 1;
          if (!response.write(megabyte)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    const response = await call('/big');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing read yet: the server could not write the 16 MB into a paused connection.
    assert.ok(written < 16, `the server wrote ${written} MB into an unread answer`);
    let bytes = 0;
    for await (const chunk of response.body) bytes += chunk.length;
    assert.equal(bytes, 16 * megabyte.length);
  });

  it('hand over the chunks one socket read brought without waiting (poll), then wait for the rest, then end', async () => {
    // Four chunks of a chunked body in one socket write, as a provider's events arrive together.
    // Framed by hand: Node 26's http server joins the writes of a corked answer into one chunk.
    let finish!: () => void;
    const frame = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n${['one ', 'two ', 'three ', 'four '].map(frame).join('')}`);
        finish = () => socket.end(`${frame('last')}0\r\n\r\n`);
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    try {
      const response = await client.send(upstreamRequest(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/burst`));
      const iterator = response.body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array> & { poll(): IteratorResult<Uint8Array> | undefined };
      const text = (result: IteratorResult<Uint8Array> | undefined) => (result && !result.done ? Buffer.from(result.value).toString() : result);
      const first = text(await iterator.next());
      const polled: unknown[] = [];
      for (let next = iterator.poll(); next !== undefined; next = iterator.poll()) polled.push(text(next));
      assert.equal([first, ...polled].join(''), 'one two three four ');
      assert.ok(polled.length >= 1, 'chunks that came with the first are taken without a promise');
      assert.equal(iterator.poll(), undefined, 'nothing more has come: a read would wait');
      const rest = iterator.next();
      finish();
      assert.equal(text(await rest), 'last');
      for (let waited = 0; iterator.poll() === undefined && waited < 50; waited += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(iterator.poll(), { done: true, value: undefined });
    } finally {
      raw.close();
    }
  });

  it('close the connection when the reader stops early, even while a read waits', async () => {
    let closed = false;
    routes.set('/stall', (request, response) => {
      response.writeHead(200);
      response.write('first');
      request.socket.once('close', () => (closed = true));
    });
    const response = await call('/stall');
    const iterator = response.body[Symbol.asyncIterator]();
    assert.equal(Buffer.from((await iterator.next()).value!).toString(), 'first');
    const pending = iterator.next();
    await iterator.return!();
    assert.deepEqual(await pending, { done: true, value: undefined });
    for (let waited = 0; !closed && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(closed, 'the connection was left open');
  });

  it('discard an answer still arriving, read to its end, and reuse its connection', async () => {
    routes.set('/small', (_request, response) => {
      response.writeHead(200, { 'content-length': String(100 * 1024) });
      response.write('x'.repeat(50 * 1024));
      setTimeout(() => response.end('x'.repeat(50 * 1024)), 20);
    });
    // A client of its own, so that no connection of another test is in its pool.
    const own = createHttpClient();
    try {
      sockets.clear();
      for (let index = 0; index < 3; index += 1) {
        await (await call('/small', {}, own)).discard();
        // undici marks the connection free again on its next tick.
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(sockets.size, 1, 'the discarded answer did not give its connection back');
    } finally {
      await own.close();
    }
  });

  it('fail a read with a connection error when the answer is cut mid-body', async () => {
    routes.set('/cut', (request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
      setTimeout(() => request.socket.destroy(), 20);
    });
    const response = await call('/cut');
    await assert.rejects(response.text(), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_CONNECTION');
  });

  it('time out on a silent body, naming the idle limit', async () => {
    routes.set('/silent', (_request, response) => {
      response.writeHead(200);
      response.write('one');
    });
    const response = await call('/silent', { idleTimeoutMs: 100 });
    await assert.rejects(response.text(), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_TIMEOUT' && /100 ms/.test(error.message));
  });

  it('end with the signal’s reason when aborted before or after the answer began', async () => {
    routes.set('/slow', (_request, response) => void setTimeout(() => response.end('late'), 1_000));
    const reason = new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', 'deadline');
    const before = new AbortController();
    const pending = call('/slow', { signal: before.signal });
    setTimeout(() => before.abort(reason), 20);
    await assert.rejects(pending, (error: unknown) => error === reason);

    const already = new AbortController();
    already.abort(reason);
    await assert.rejects(call('/slow', { signal: already.signal }), (error: unknown) => error === reason);

    routes.set('/drip', (_request, response) => {
      response.writeHead(200);
      response.write('one');
    });
    const during = new AbortController();
    const response = await call('/drip', { signal: during.signal });
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    const waiting = iterator.next();
    during.abort();
    await assert.rejects(waiting, (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_CLIENT_CLOSED');
  });

  it('read a large answer as text or discard it when the reader comes after the connection paused', async () => {
    const size = 300 * 1024;
    routes.set('/paused', (_request, response) => response.end('y'.repeat(size)));
    const late = async () => {
      const response = await call('/paused');
      // Nobody reads for a while: the connection pauses past 64 KiB of unread chunks.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return response;
    };
    const within = <T>(promise: Promise<T>) =>
      Promise.race([promise, new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('never settled')), 2_000))]);
    assert.equal((await within((await late()).text())).length, size);
    await within((await late()).discard());
    let bytes = 0;
    for await (const chunk of (await late()).body) bytes += chunk.length;
    assert.equal(bytes, size);
  });

  it('refuse a second reader of one answer, leaving the first one as it was', async () => {
    routes.set('/once', (_request, response) => response.end('x'));
    const response = await call('/once');
    await response.text();
    await assert.rejects(response.text(), /already read/);

    routes.set('/pending', (_request, response) => {
      response.writeHead(200);
      response.write('first');
      setTimeout(() => response.end('second'), 50);
    });
    const streaming = await call('/pending');
    const iterator = streaming.body[Symbol.asyncIterator]();
    assert.equal(Buffer.from((await iterator.next()).value!).toString(), 'first');
    const waiting = iterator.next();
    await assert.rejects(streaming.text(), /already read/);
    await assert.rejects(streaming.discard(), /already read/);
    assert.equal(Buffer.from((await waiting).value!).toString(), 'second');
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });
});

/** Waits up to `ms` for `condition`, checking every 10 ms. */
async function waitFor(condition: () => boolean, ms = 2_000): Promise<boolean> {
  for (let waited = 0; !condition() && waited < ms; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

describe('upstream calls: bodies that do not end when they should', () => {
  it('read text only up to its limit: past it the connection is closed and the read fails, retryably, naming the limit and none of the body', async () => {
    let closed = false;
    let written = 0;
    routes.set('/endless-text', (request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      request.socket.once('close', () => (closed = true));
      const pump = () => {
        while (!closed && written < 64 * megabyte.length) {
          written += megabyte.length;
          if (!response.write(megabyte)) return void response.once('drain', pump);
        }
      };
      pump();
    });
    const response = await call('/endless-text');
    await assert.rejects(response.text(2 * 1024 * 1024), (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.equal(error.code, 'SB_ERR_UPSTREAM_INVALID_RESPONSE');
      assert.equal(error.retryable, true);
      assert.equal(error.upstreamStatus, 500);
      assert.equal(error.message, 'Provider "local" sent a body longer than 2 MiB, the limit; it was not read further');
      return true;
    });
    assert.ok(await waitFor(() => closed), 'the connection was left open');
    assert.ok(written < 32 * megabyte.length, `the server could write ${written / megabyte.length} MB`);
  });

  it('fail text at once when the declared length is over the limit, and read a body exactly at it', async () => {
    routes.set('/declared', (_request, response) => {
      response.writeHead(200, { 'content-length': String(4096) });
      response.write('x'.repeat(1024));
    });
    await assert.rejects((await call('/declared')).text(4095), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_INVALID_RESPONSE' && /4095 bytes/.test(error.message));
    routes.set('/exact', (_request, response) => response.end('y'.repeat(4096)));
    assert.equal((await (await call('/exact')).text(4096)).length, 4096);
  });

  it('keep the connection of a finished answer whose end comes a moment later (answerComplete)', async () => {
    routes.set('/late-end', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: [DONE]\n\n');
      setTimeout(() => response.end(), 30);
    });
    const own = createHttpClient();
    try {
      sockets.clear();
      for (let index = 0; index < 3; index += 1) {
        const iterator = (await call('/late-end', {}, own)).body[Symbol.asyncIterator]();
        await iterator.next();
        await iterator.return!(answerComplete);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      assert.equal(sockets.size, 1, 'a finished answer whose end came late lost its connection');
    } finally {
      await own.close();
    }
  });

  it('close the connection of a finished answer that goes on sending, or never ends (answerComplete)', async () => {
    const closed = new Set<string>();
    let sentAfter = 0;
    routes.set('/more', (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: [DONE]\n\n');
      request.socket.once('close', () => closed.add('/more'));
      const timer = setInterval(() => {
        sentAfter += 64 * 1024;
        response.write(': ping\n\n'.repeat(8 * 1024));
      }, 5);
      request.socket.once('close', () => clearInterval(timer));
    });
    routes.set('/open', (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: [DONE]\n\n');
      request.socket.once('close', () => closed.add('/open'));
    });
    for (const path of ['/more', '/open']) {
      const iterator = (await call(path)).body[Symbol.asyncIterator]();
      await iterator.next();
      const pending = iterator.return!(answerComplete);
      assert.deepEqual(await pending, { done: true, value: undefined });
      assert.ok(await waitFor(() => closed.has(path)), `${path}: the connection was left open`);
    }
    assert.ok(sentAfter < 4 * 1024 * 1024, `${sentAfter} bytes were sent after the answer's end before it was closed`);
  });
});
