import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-master-body-limits';

/**
 * Upstream bodies that do not end when they should, against a real gateway: the gateway's memory,
 * CPU and connections stay bounded, and a complete answer is delivered as complete at once
 * (docs/decisions/0014-upstream-calls.md, "Bodies that do not end"). The upstream stops writing
 * after a bounded amount, so that a gateway without the limits fails these tests (at its
 * timeouts) instead of taking the machine's memory.
 */

/** What the upstream saw of each request, by model. */
interface Seen {
  port: number;
  closedAt?: number;
  /** Bytes written after the answer's end. */
  after: number;
}

const seen = new Map<string, Seen[]>();
let server: Server;
let origin: string;

const chunk = (extra: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'sim', ...extra })}\n\n`;
const openAIAnswer = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'one two three' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
  chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }),
  'data: [DONE]\n\n',
].join('');
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const anthropicAnswer = [
  event('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'sim', content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
  event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 0 }),
  event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
  event('message_stop', { type: 'message_stop' }),
].join('');

/** Writes `piece` until the connection closes or `limit` bytes were written, counting them in `record.after`. */
async function pump(response: ServerResponse, piece: string | Buffer, limit: number, record: Seen): Promise<void> {
  while (!response.destroyed && record.after < limit) {
    record.after += piece.length;
    if (!response.write(piece)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
  }
}

const megabyte = 1024 * 1024;

async function answer(model: string, request: IncomingMessage, response: ServerResponse, record: Seen): Promise<void> {
  const sse = () => response.writeHead(200, { 'content-type': 'text/event-stream' });
  switch (model) {
    case 'done-then-open':
      sse();
      response.write(openAIAnswer);
      return; // the body never ends
    case 'done-then-more':
      sse();
      response.write(openAIAnswer);
      return pump(response, chunk({ choices: [{ index: 0, delta: { content: 'after' }, finish_reason: null }] }).repeat(100), 512 * megabyte, record);
    case 'done-then-late-end':
      sse();
      response.write(openAIAnswer);
      setTimeout(() => response.end(), 30);
      return;
    case 'stop-then-pings':
      sse();
      response.write(anthropicAnswer);
      return pump(response, event('ping', { type: 'ping' }).repeat(100), 512 * megabyte, record);
    case 'error-endless':
      response.writeHead(500, { 'content-type': 'application/json' });
      response.write('{"error":{"message":"');
      return pump(response, Buffer.alloc(megabyte, 'e'), 64 * megabyte, record);
    case 'endless-line':
      sse();
      response.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'first' }, finish_reason: null }] }));
      response.write('data: {"x":"');
      // 48 MiB of a line that never ends, then silence.
      return pump(response, Buffer.alloc(megabyte, 'z'), 48 * megabyte, record);
    case 'ok':
      if ((JSON.parse(await body(request)) as { stream?: boolean }).stream) {
        sse();
        response.end(openAIAnswer);
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'sim', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
      }
      return;
    default:
      response.writeHead(400).end();
  }
}

const bodies = new WeakMap<IncomingMessage, Promise<string>>();
function body(request: IncomingMessage): Promise<string> {
  let text = bodies.get(request);
  if (!text) {
    text = (async () => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      return Buffer.concat(parts).toString('utf8');
    })();
    bodies.set(request, text);
  }
  return text;
}

/** Waits up to `ms` for `condition`. */
async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; !condition() && waited < ms; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

/** The upstream's record of the last request for `model`. */
const last = (model: string): Seen => seen.get(model)!.at(-1)!;

describe('upstream bodies that do not end when they should (real gateway, hostile upstream)', () => {
  let gateway: TestGateway;

  before(async () => {
    server = createServer((request, response) => {
      void body(request).then((text) => {
        const model = (JSON.parse(text) as { model: string }).model;
        const record: Seen = { port: request.socket.remotePort!, after: 0 };
        seen.set(model, [...(seen.get(model) ?? []), record]);
        request.socket.once('close', () => (record.closedAt ??= Date.now()));
        return answer(model, request, response, record);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cooldown = { failures: 100_000, seconds: 1 };
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        // A 4 s timeout: without the limits, these tests end at it (stall, answer or idle timeout).
        { id: 'up', type: 'openai-compatible', base_url: `${origin}/v1`, api_key: 'sk-up-test', timeout_ms: 4_000, cooldown },
        { id: 'an', type: 'anthropic', base_url: origin, api_key: 'sk-ant-test', timeout_ms: 4_000, cooldown },
      ],
      models: ['done-then-open', 'done-then-more', 'done-then-late-end', 'error-endless', 'endless-line', 'ok']
        .map((name) => ({ id: `m-${name}`, provider: 'up', upstream: name, pricing: { input_per_mtok: 1, output_per_mtok: 2 } }))
        .concat([{ id: 'a-stop-then-pings', provider: 'an', upstream: 'stop-then-pings', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }]),
    });
  });

  after(async () => {
    await closeAll(gateway);
    server.closeAllConnections();
    server.close();
  });

  const streamed = (model: string) => rawPost(gateway.origin, '/v1/chat/completions', { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });

  for (const [model, what] of [
    ['m-done-then-open', 'leaves the body open'],
    ['m-done-then-more', 'goes on sending chunks'],
  ] as const) {
    it(`finishes an OpenAI-style answer at [DONE] when the upstream ${what}, and closes that connection`, async () => {
      const started = Date.now();
      const answer = await streamed(model);
      const elapsed = Date.now() - started;
      assert.equal(answer.status, 200);
      assert.ok(answer.text.trimEnd().endsWith('data: [DONE]'), `the answer did not end with [DONE]: ${answer.text.slice(-300)}`);
      assert.ok(elapsed < 2_000, `the finished answer took ${elapsed} ms`);
      const row = (await gateway.ledgerRow(answer))!;
      assert.deepEqual([row.status, row.errorCode, row.outputTokens, row.tokensEstimated], ['ok', null, 3, false]);
      const record = last(model.slice(2));
      assert.ok(await waitFor(() => record.closedAt !== undefined, 2_000), 'the upstream connection was left open');
      assert.ok(record.after < 16 * megabyte, `${record.after} bytes were sent after [DONE]`);
    });
  }

  it('stops reading an Anthropic stream at message_stop when pings keep coming, and closes that connection', async () => {
    const answer = await streamed('a-stop-then-pings');
    assert.equal(answer.status, 200);
    assert.ok(answer.text.trimEnd().endsWith('data: [DONE]'));
    assert.equal((await gateway.ledgerRow(answer))!.status, 'ok');
    const record = last('stop-then-pings');
    assert.ok(await waitFor(() => record.closedAt !== undefined, 2_000), `the upstream connection was left open (${record.after} bytes of pings read so far)`);
    const sentThen = record.after;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(record.after, sentThen);
    assert.ok(record.after < 16 * megabyte, `${record.after} bytes of pings were sent after message_stop`);
  });

  it('keeps the connection of a finished answer whose body ends a moment after [DONE]', async () => {
    for (let index = 0; index < 3; index += 1) {
      const answer = await streamed('m-done-then-late-end');
      assert.equal((await gateway.ledgerRow(answer))!.status, 'ok');
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    const ports = new Set(seen.get('done-then-late-end')!.map((record) => record.port));
    assert.equal(ports.size, 1, 'a well-behaved upstream lost its connection');
  });

  for (const stream of [false, true]) {
    it(`reports a 500 whose body never ends from its status at once, and closes that connection (${stream ? 'streamed' : 'not streamed'})`, async () => {
      const started = Date.now();
      const answer = await rawPost<{ error: { message: string } }>(gateway.origin, '/v1/chat/completions', { model: 'm-error-endless', stream, messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });
      const elapsed = Date.now() - started;
      assert.equal(answer.status, 502, answer.text.slice(0, 300));
      assert.match(answer.body.error.message, /Provider "up" answered 500: HTTP 500$/);
      assert.ok(elapsed < 2_000, `the error took ${elapsed} ms`);
      const row = (await gateway.ledgerRow(answer))!;
      assert.equal(row.errorCode, 'SB_ERR_UPSTREAM_ERROR');
      const record = last('error-endless');
      assert.ok(await waitFor(() => record.closedAt !== undefined, 2_000), 'the upstream connection was left open');
      assert.ok(record.after < 16 * megabyte, `${record.after} bytes of the error body were sent`);
    });
  }

  it('ends a stream whose event never ends with SB_ERR_UPSTREAM_INVALID_RESPONSE, naming the limit, and closes that connection', async () => {
    const started = Date.now();
    const answer = await streamed('m-endless-line');
    const elapsed = Date.now() - started;
    assert.equal(answer.status, 200);
    assert.match(answer.text, /"message":"Provider \\"up\\" sent a stream event longer than 16 MiB, the limit; the stream was not read further"/);
    assert.doesNotMatch(answer.text, /zzzz/);
    assert.ok(elapsed < 3_000, `the error took ${elapsed} ms`);
    const row = (await gateway.ledgerRow(answer))!;
    assert.deepEqual([row.status, row.errorCode], ['error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE']);
    const record = last('endless-line');
    assert.ok(await waitFor(() => record.closedAt !== undefined, 2_000), 'the upstream connection was left open');
    // The gateway still answers.
    const after = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'm-ok', messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });
    assert.equal(after.status, 200);
  });
});
