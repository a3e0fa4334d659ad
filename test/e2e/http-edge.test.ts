import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, rawRequest } from '../helpers/http.ts';
import { assertOpenAIError } from '../helpers/openai-client.ts';
import { exchangeRaw, sendRaw } from '../helpers/raw-socket.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-http-edge';

/**
 * What reaches the HTTP layer before any route: requests Node's parser refuses, bodies over the
 * limit, bodies too deep to walk, empty bodies. Every one gets a small JSON answer in the
 * caller's error shape, and no provider is called.
 */
describe('the HTTP edge: malformed requests, oversized and empty bodies', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  const chatBody = { model: 'fast', messages: [{ role: 'user', content: 'hi' }] };

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey, max_body_mb: 1 },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
    });
  });

  after(() => closeAll(gateway, simulator));

  it('answers what Node’s HTTP parser refuses with JSON in the OpenAI shape (Anthropic’s on /v1/messages)', async () => {
    const badLine = await sendRaw(gateway.origin, 'GARBAGE\r\n\r\n');
    assert.equal(badLine.status, 400);
    assert.equal(badLine.headers['content-type'], 'application/json');
    const badLineBody = JSON.parse(badLine.body);
    assertOpenAIError(badLineBody);
    assert.match(badLineBody.error.message, /Malformed HTTP request/);

    const badHeader = await sendRaw(gateway.origin, 'GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    assert.equal(badHeader.status, 400);
    assertOpenAIError(JSON.parse(badHeader.body));

    const longUri = await sendRaw(gateway.origin, `GET /v1/models?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(longUri.status, 414);
    assertOpenAIError(JSON.parse(longUri.body));

    const bigHeader = await sendRaw(gateway.origin, `POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(bigHeader.status, 431);
    assert.deepStrictEqual(JSON.parse(bigHeader.body), { type: 'error', error: { type: 'invalid_request_error', message: 'The request headers are too large (16384 bytes at most).' } });

    // Refused on an API endpoint: a ledger row (no key, the headers were not read), named by the answer.
    const longChatUri = await sendRaw(gateway.origin, `POST /v1/chat/completions?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(longChatUri.status, 414);
    const rows = await gateway.ledger();
    const refused = [bigHeader, longChatUri].map((answer) => rows.find((row) => row.id === answer.headers['x-request-id']));
    assert.deepStrictEqual(
      refused.map((row) => row && [row.endpoint, row.status, row.httpStatus, row.errorCode, row.keyId]),
      [
        ['messages', 'error', 431, 'SB_ERR_INVALID_REQUEST', null],
        ['chat', 'error', 414, 'SB_ERR_INVALID_REQUEST', null],
      ],
    );
    // Not an API endpoint, or no path at all: no row, as for an unknown endpoint.
    for (const answer of [badLine, badHeader, longUri]) assert.equal(answer.headers['x-request-id'], undefined);
    assert.equal(rows.filter((row) => row.httpStatus === 414 || row.httpStatus === 431).length, 2);

    // Headers that overflow in a later TCP segment than the request line: still 431 (the parser's
    // chunk holds no request line, so the path is unknown: OpenAI's shape, no row).
    const split = await sendRaw(gateway.origin, { pieces: ['POST /v1/messages HTTP/1.1\r\nHost: x\r\n', `x-padding: ${'a'.repeat(20_000)}\r\n\r\n`], pauseMs: 50 });
    assert.equal(split.status, 431);
    assertOpenAIError(JSON.parse(split.body));
    // A method the endpoint does not take is no API request (a well-formed one is a 404 without a row).
    const getChat = await sendRaw(gateway.origin, `GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(getChat.status, 431);
    assert.equal(getChat.headers['x-request-id'], undefined);
  });

  it('answers 413 to a client that writes a whole body over the limit before reading, every time', async () => {
    const size = 60 * 1024 * 1024;
    const body = Buffer.alloc(size, 0x20);
    // Half the clients ask to close the connection after the answer, half keep it alive.
    const request = (connection: string) =>
      Buffer.concat([
        Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nConnection: ${connection}\r\nContent-Length: ${size}\r\n\r\n`),
        body,
      ]);
    const statuses: Array<number | string> = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const answer = await sendRaw(gateway.origin, request(attempt % 2 === 0 ? 'close' : 'keep-alive'), 15_000);
      // The whole body must go out without EPIPE: the client is not cut off while it still writes.
      statuses.push(answer.complete && !answer.error ? answer.status : `${answer.status} (${answer.error ?? 'incomplete'})`);
      if (answer.complete) {
        const body = JSON.parse(answer.body);
        assertOpenAIError(body);
        assert.equal(body.error.code, 'request_too_large');
      }
    }
    assert.deepStrictEqual(statuses, new Array(10).fill(413));
    const rows = (await gateway.ledger()).filter((row) => row.httpStatus === 413);
    assert.ok(rows.length >= 10, 'each 413 has its ledger row');
    assert.equal(simulator.requests.length, 0);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const piece = 'a'.repeat(256 * 1024);
    const chunks = Array.from({ length: 8 }, () => `${piece.length.toString(16)}\r\n${piece}\r\n`).join('') + '0\r\n\r\n';
    const answer = await sendRaw(gateway.origin, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`);
    assert.equal(answer.status, 413);
    assert.ok(answer.complete);
  });

  it('refuses bodies nested deeper than 100 levels, and prototype keys, in the caller’s shape', async () => {
    const deep = `{"model":"fast","messages":[{"role":"user","content":"hi"}],"extra":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const chat = await rawPost(gateway.origin, '/v1/chat/completions', deep, { key: masterKey });
    assert.equal(chat.status, 400);
    assertOpenAIError(chat.body);
    assert.match(chat.body.error.message, /nested more than 100 levels/);

    const messages = await rawPost(gateway.origin, '/v1/messages', deep.replace('"model":"fast"', '"model":"fast","max_tokens":5'), { key: masterKey });
    assert.equal(messages.status, 400);
    assert.deepStrictEqual(messages.body, { type: 'error', error: { type: 'invalid_request_error', message: 'The JSON body is nested more than 100 levels deep.' } });

    const admin = await rawPost(gateway.origin, '/admin/keys', `{"name":"x","metadata":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, { key: masterKey });
    assert.equal(admin.status, 400);
    assertOpenAIError(admin.body);

    const proto = await rawPost(gateway.origin, '/v1/chat/completions', '{"model":"fast","messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}', { key: masterKey });
    assert.equal(proto.status, 400);
    assertOpenAIError(proto.body);
    assert.match(proto.body.error.message, /__proto__/);
    assert.equal(simulator.requests.length, 0);
  });

  it('takes an empty body with a JSON content type on routes that need no body', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    const emptyJson = (method: string, path: string) =>
      rawRequest(method, gateway.origin, path, undefined, { key: masterKey, headers: { 'content-type': 'application/json' } });
    const key = (await admin.post<{ id: string }>('/admin/keys', { name: 'empty-bodies' })).body;
    const rotated = await emptyJson('POST', `/admin/keys/${key.id}/rotate`);
    assert.equal(rotated.status, 200, rotated.text);
    const revoked = await emptyJson('DELETE', `/admin/keys/${key.id}`);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((revoked.body as { revoked: boolean }).revoked, true);
    const team = (await admin.post<{ id: string }>('/admin/teams', { name: 'empty-body-team' })).body;
    assert.equal((await emptyJson('DELETE', `/admin/teams/${team.id}`)).status, 200);
    assert.equal((await emptyJson('DELETE', '/admin/providers/nope')).status, 404);
    assert.equal((await emptyJson('GET', '/health/live')).status, 200);

    // A route that needs a body still says so.
    const chat = await emptyJson('POST', '/v1/chat/completions');
    assert.equal(chat.status, 400);
    assertOpenAIError(chat.body);
    assert.match(chat.body.error.message, /must be a JSON object/);
  });

  it('answers unknown endpoints and malformed URLs in the caller’s shape, briefly', async () => {
    const answer = await rawRequest('GET', gateway.origin, `/v1/${'x'.repeat(8000)}`, undefined, { key: masterKey });
    assert.equal(answer.status, 404);
    assertOpenAIError(answer.body);
    assert.ok(answer.text.length < 500);
    const anthropic = await rawRequest('POST', gateway.origin, '/v1/messages/batches', {}, { key: masterKey });
    assert.equal(anthropic.status, 404);
    assert.deepStrictEqual(anthropic.body, { type: 'error', error: { type: 'not_found_error', message: 'Unknown endpoint: POST /v1/messages/batches' } });

    // A known path asked with the wrong method: 405 with the methods it takes, in the path's shape.
    const wrongMethod = await rawRequest('GET', gateway.origin, '/v1/chat/completions', undefined, { key: masterKey });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assertOpenAIError(wrongMethod.body);
    assert.equal(wrongMethod.body.error.code, 'method_not_allowed');
    assert.equal(wrongMethod.body.error.message, 'Method GET is not allowed on /v1/chat/completions; it takes POST');
    const wrongAnthropic = await rawRequest('GET', gateway.origin, '/v1/messages', undefined, { key: masterKey });
    assert.equal(wrongAnthropic.status, 405);
    assert.deepStrictEqual(wrongAnthropic.body, { type: 'error', error: { type: 'invalid_request_error', message: 'Method GET is not allowed on /v1/messages; it takes POST' } });
    const adminKey = await rawRequest('POST', gateway.origin, '/admin/keys/key_123', {}, { key: masterKey });
    assert.equal(adminKey.status, 405);
    assert.deepEqual(adminKey.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'PATCH']);

    const badEncoding = await sendRaw(gateway.origin, `GET /v1/models/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\n\r\n`);
    assert.equal(badEncoding.status, 400);
    assertOpenAIError(JSON.parse(badEncoding.body));
    const longParameter = await rawRequest('GET', gateway.origin, `/admin/keys/${'k'.repeat(150)}`, undefined, { key: masterKey });
    assert.equal(longParameter.status, 414);
    assertOpenAIError(longParameter.body);
  });

  // An outside probe: a connection carrying more than one request lost answers the provider had
  // given (and the ledger recorded as sent) when the gateway refused what came before or after.
  describe('on a connection carrying several requests', () => {
    const chat = (extra = '', text = JSON.stringify(chatBody), path = '/v1/chat/completions') =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`;

    it('answers a request pipelined behind a body refused as not JSON, on the same connection', async () => {
      const calls = simulator.chatCalls().length;
      // `?q`: the query string sends the first to Fastify's route, whose JSON parser refuses it.
      const { answers } = await exchangeRaw(gateway.origin, chat('', '{bad', '/v1/chat/completions?q') + chat('Connection: close\r\n'), 5_000);
      assert.deepStrictEqual(
        answers.map((answer) => answer.status),
        [400, 200],
      );
      assertOpenAIError(JSON.parse(answers[0]!.body));
      assert.equal(JSON.parse(answers[1]!.body).object, 'chat.completion');
      assert.equal(simulator.chatCalls().length, calls + 1);
      const row = (await gateway.ledger()).find((entry) => entry.id === answers[1]!.headers['x-request-id']);
      assert.equal(row?.status, 'ok');
    });

    it('answers a request followed by bytes the parser refuses, then closes', async () => {
      for (const after of ['GARBAGE\r\n\r\n', chat()]) {
        // The second case: a request after one that said `Connection: close` ("Data after Connection: close").
        const first = after === 'GARBAGE\r\n\r\n' ? chat() : chat('Connection: close\r\n');
        const { answers, closed } = await exchangeRaw(gateway.origin, first + after, 5_000);
        assert.equal(answers.length, 1, `answers: ${answers.map((answer) => answer.status).join(', ')}`);
        assert.equal(answers[0]!.status, 200, answers[0]!.body);
        assert.equal(JSON.parse(answers[0]!.body).object, 'chat.completion');
        assert.ok(closed);
        const row = (await gateway.ledger()).find((entry) => entry.id === answers[0]!.headers['x-request-id']);
        assert.equal(row?.status, 'ok');
      }
    });

    it('refuses a pipelined request in its turn: a malformed chunk is answered 400 on its own row, a client leaving is client_aborted, garbage has no row', async () => {
      simulator.fail({ kind: 'slow', delayMs: 300 }, { model: 'gpt-4o-mini', times: 3 });
      const badChunk = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`;
      const rowsBefore = new Set((await gateway.ledger()).map((row) => row.id));
      const chunked = await exchangeRaw(gateway.origin, chat() + badChunk, 5_000);
      assert.deepStrictEqual(
        chunked.answers.map((answer) => answer.status),
        [200, 400],
      );
      assert.ok(chunked.closed);
      // The client half-closes with its second request's body unfinished: the connection must not stay.
      const { hostname, port } = new URL(gateway.origin);
      const socket = connect(Number(port), hostname);
      const received: Buffer[] = [];
      socket.on('data', (data: Buffer) => received.push(data));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.end(chat() + `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":`);
      const started = performance.now();
      await closed;
      assert.ok(performance.now() - started < 3_000, 'the connection stayed open');
      assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 200 /);
      const garbage = await exchangeRaw(gateway.origin, chat() + 'GARBAGE\r\n\r\n', 5_000);
      assert.deepStrictEqual(
        garbage.answers.map((answer) => answer.status),
        [200],
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const added = (await gateway.ledger()).filter((row) => !rowsBefore.has(row.id));
      assert.deepStrictEqual(
        added.map((row) => [row.status, row.httpStatus]).sort(),
        [['client_aborted', 499], ['error', 400], ['ok', 200], ['ok', 200], ['ok', 200]],
      );
      assert.ok(added.some((row) => row.id === chunked.answers[1]!.headers['x-request-id'] && row.httpStatus === 400));
    });

    it('answers a 415 to a content type it cannot read, and the request behind it', async () => {
      const { answers } = await exchangeRaw(gateway.origin, chat('', JSON.stringify(chatBody)).replace('Content-Type: application/json', 'Content-Type: ;;;') + chat('Connection: close\r\n'), 5_000);
      assert.deepStrictEqual(
        answers.map((answer) => answer.status),
        [415, 200],
      );
      assertOpenAIError(JSON.parse(answers[0]!.body));
    });
  });

  it('records one row for a request whose chunked body the parser refuses, with the status it was answered', async () => {
    const before = new Set((await gateway.ledger()).map((row) => row.id));
    const answer = await sendRaw(
      gateway.origin,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    );
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.body).error.message, /Malformed HTTP request/);
    // The row is written once the body's read has failed too: wait for the turn to end.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const added = (await gateway.ledger()).filter((row) => !before.has(row.id));
    assert.deepStrictEqual(
      added.map((row) => [row.id, row.status, row.httpStatus, row.errorCode]),
      [[answer.headers['x-request-id'], 'error', 400, 'SB_ERR_INVALID_REQUEST']],
    );
  });

  it('records a client that leaves in the middle of its body as client_aborted, on both paths', async () => {
    for (const framing of ['Content-Length: 100', 'Transfer-Encoding: chunked']) {
      const before = new Set((await gateway.ledger()).map((row) => row.id));
      const { hostname, port } = new URL(gateway.origin);
      const socket = connect(Number(port), hostname);
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n${framing.startsWith('Content') ? '{"model":' : '9\r\n{"model":\r\n'}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      let added: Awaited<ReturnType<TestGateway['ledger']>> = [];
      for (let tries = 0; tries < 50 && added.length === 0; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        added = (await gateway.ledger()).filter((row) => !before.has(row.id));
      }
      assert.deepStrictEqual(
        added.map((row) => [row.status, row.httpStatus, row.errorCode]),
        [['client_aborted', 499, 'SB_ERR_CLIENT_CLOSED']],
        `${framing}: ${added.map((row) => row.errorMessage).join(', ')}`,
      );
    }
  });

  it('records one row for a request without Host whose chunked body is malformed too', async () => {
    const before = new Set((await gateway.ledger()).map((row) => row.id));
    const answer = await sendRaw(gateway.origin, `POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
    assert.equal(answer.status, 400);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const added = (await gateway.ledger()).filter((row) => !before.has(row.id));
    assert.deepStrictEqual(
      added.map((row) => [row.id, row.httpStatus]),
      [[answer.headers['x-request-id'], 400]],
    );
  });

  it('refuses a request without Host, or with an Expect it cannot meet, in the caller’s shape and with a row', async () => {
    const noHost = await sendRaw(gateway.origin, `POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    assert.equal(noHost.status, 400);
    assert.match(JSON.parse(noHost.body).error.message, /Host header/);
    const expectation = await sendRaw(gateway.origin, `POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nx-api-key: ${masterKey}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    assert.equal(expectation.status, 417);
    assert.deepStrictEqual(JSON.parse(expectation.body), { type: 'error', error: { type: 'invalid_request_error', message: 'Expect: something-else is not supported (only 100-continue).' } });
    assert.equal(expectation.headers['request-id'], expectation.headers['x-request-id']);
    const rows = await gateway.ledger();
    assert.deepStrictEqual(
      [noHost, expectation].map((answer) => rows.find((row) => row.id === answer.headers['x-request-id'])).map((row) => row && [row.endpoint, row.httpStatus]),
      [
        ['chat', 400],
        ['messages', 417],
      ],
    );
  });

  it('names the request in `request-id` on every /v1/messages answer, as Anthropic’s SDKs read it', async () => {
    const answers = [
      await rawPost(gateway.origin, '/v1/messages', { model: 'fast', max_tokens: 5, messages: [] }, { key: 'wrong' }),
      await rawPost(gateway.origin, '/v1/messages', '{bad', { headers: { 'x-api-key': masterKey } }),
      await rawPost(gateway.origin, '/v1/messages?beta=true', '{bad', { headers: { 'x-api-key': masterKey } }),
      await rawPost(gateway.origin, '/v1/messages/unknown', {}, { headers: { 'x-api-key': masterKey } }),
      await rawPost(gateway.origin, '/v1/messages', 'x'.repeat(1024 * 1024 + 1), { headers: { 'x-api-key': masterKey } }),
    ];
    assert.deepStrictEqual(
      answers.map((answer) => answer.status),
      [401, 400, 400, 404, 413],
    );
    for (const answer of answers) {
      assert.match(answer.headers.get('request-id') ?? '', /^req_/, `${answer.status}: no request-id`);
      assert.equal(answer.headers.get('request-id'), answer.headers.get('x-request-id'));
    }
  });

  it('closes a stream’s connection when the caller asked for it, and says so', async () => {
    const body = JSON.stringify({ ...chatBody, stream: true });
    const request = (extra: string) =>
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
    // sendRaw returns when the server closes the connection (a stream has no content-length), or
    // after the timeout when it keeps it open.
    const closing = await sendRaw(gateway.origin, request('Connection: close\r\n'), 3_000);
    assert.equal(closing.status, 200);
    assert.equal(closing.headers.connection, 'close');
    assert.match(closing.body, /data: \[DONE\]/);
    assert.equal(closing.error, undefined);
    const started = Date.now();
    const kept = await sendRaw(gateway.origin, request(''), 1_000);
    assert.equal(kept.headers.connection, 'keep-alive');
    assert.ok(Date.now() - started >= 900, 'a keep-alive stream’s connection stays open');
  });

  it('still answers a good request after all this', async () => {
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', chatBody, { key: masterKey });
    assert.equal(answer.status, 200);
  });
});
