import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { upstreamRequest } from '../../test/helpers/upstream-request.ts';
import { createHttpClient } from './http-client.ts';

/**
 * The upstream client's pools (./idle-first-pool.ts) against a real HTTP server, counting the
 * connections the server sees: one per request in flight, reused once free, the one freed last
 * first, and the pool still right after a refused connection, an idle socket the server closed,
 * and a close.
 */

interface Upstream {
  origin: string;
  server: Server;
  /** Every connection the server accepted, in order. */
  connections: Socket[];
  /** The client port of each request's connection, in order of arrival. */
  ports: number[];
  /** Answers every request held so far, and those that come later at once. */
  release(): void;
  /** Answers the held request that arrived `index`th (from 0). */
  answer(index: number): void;
}

const started: Upstream[] = [];
const clients: Array<ReturnType<typeof createHttpClient>> = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const upstream of started.splice(0)) {
    upstream.server.closeAllConnections();
    upstream.server.close();
  }
});

/** A server that holds each answer until `release()` (or answers at once with `hold: false`). */
async function startUpstream(options: { hold?: boolean; port?: number; keepAliveTimeoutMs?: number } = {}): Promise<Upstream> {
  const held: Array<ServerResponse | undefined> = [];
  let holding = options.hold ?? false;
  const connections: Socket[] = [];
  const ports: number[] = [];
  const answer = (response: ServerResponse) => response.end('{"ok":true}');
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    ports.push(request.socket.remotePort!);
    request.resume();
    request.on('end', () => (holding ? held.push(response) : answer(response)));
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => connections.push(socket));
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const upstream: Upstream = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    connections,
    ports,
    release() {
      holding = false;
      for (const response of held.splice(0)) if (response) answer(response);
    },
    answer(index) {
      answer(held[index]!);
      held[index] = undefined;
    },
  };
  started.push(upstream);
  return upstream;
}

function newClient(): ReturnType<typeof createHttpClient> {
  const client = createHttpClient({ keepAliveTimeoutMs: 10_000 });
  clients.push(client);
  return client;
}

/**
 * Sends a request and reads its answer, then lets a turn of the event loop pass: undici gives a
 * connection back to its pool a turn after the answer ended (client-h1.js waits a full cycle
 * before reusing a socket, for servers that close it though they said keep-alive).
 */
async function call(client: ReturnType<typeof createHttpClient>, origin: string): Promise<string> {
  const text = await send(client, origin);
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

async function send(client: ReturnType<typeof createHttpClient>, origin: string): Promise<string> {
  const response = await client.send(upstreamRequest(`${origin}/v1/chat/completions`, { firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000 }));
  return response.text();
}

/** Waits until `condition` holds, checking every few milliseconds (at most 5 s). */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('timed out waiting for the upstream');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('upstream connection pools', () => {
  it('open one connection per request in flight, then reuse them without opening more', async () => {
    const upstream = await startUpstream({ hold: true });
    const client = newClient();
    const first = Array.from({ length: 20 }, () => call(client, upstream.origin));
    await until(() => upstream.ports.length === 20);
    assert.equal(upstream.connections.length, 20);
    upstream.release();
    assert.deepEqual(await Promise.all(first), Array(20).fill('{"ok":true}'));
    // As many again at once, and then one after another: all on the 20 connections already open.
    assert.equal((await Promise.all(Array.from({ length: 20 }, () => call(client, upstream.origin)))).length, 20);
    for (let index = 0; index < 10; index += 1) await call(client, upstream.origin);
    assert.equal(upstream.connections.length, 20);
    assert.equal(new Set(upstream.ports).size, 20);
  });

  it('send a request on the connection freed last', async () => {
    const upstream = await startUpstream({ hold: true });
    const client = newClient();
    const answers = Array.from({ length: 3 }, () => send(client, upstream.origin));
    await until(() => upstream.ports.length === 3);
    // Freed in the order second, first, third (undici's own Pool would take the first it opened).
    for (const index of [1, 0, 2]) {
      upstream.answer(index);
      await answers[index];
      await new Promise((resolve) => setImmediate(resolve));
    }
    upstream.release();
    // One at a time from here: each goes out on the connection the one before it freed.
    for (let index = 0; index < 5; index += 1) await call(client, upstream.origin);
    assert.deepEqual(upstream.ports.slice(3), Array(5).fill(upstream.ports[2]));
    assert.equal(upstream.connections.length, 3);
  });

  it('recover after a refused connection and after the server closed an idle one', async () => {
    const upstream = await startUpstream({ keepAliveTimeoutMs: 50 });
    const client = newClient();
    assert.equal(await call(client, upstream.origin), '{"ok":true}');
    // The server closes the idle connection: the next request opens another.
    await until(() => upstream.connections[0]!.destroyed);
    assert.equal(await call(client, upstream.origin), '{"ok":true}');
    assert.equal(upstream.connections.length, 2);
    // Nobody listens on the port: refused, with the gateway's error.
    const port = Number(new URL(upstream.origin).port);
    upstream.server.closeAllConnections();
    upstream.server.close();
    await once(upstream.server, 'close');
    await assert.rejects(call(client, upstream.origin), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_CONNECTION');
    // Listening again on the same port: the pool connects anew.
    const again = await startUpstream({ port });
    assert.equal(await call(client, again.origin), '{"ok":true}');
    assert.equal(again.connections.length, 1);
  });

  it('close every connection on close, free or not yet used again', async () => {
    const upstream = await startUpstream({ hold: true });
    const client = newClient();
    const answers = Array.from({ length: 4 }, () => call(client, upstream.origin));
    await until(() => upstream.ports.length === 4);
    upstream.release();
    await Promise.all(answers);
    await client.close();
    clients.splice(clients.indexOf(client), 1);
    await until(() => upstream.connections.every((socket) => socket.destroyed || socket.readableEnded));
    assert.equal(upstream.connections.length, 4);
  });
});
