import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, rawRequest } from '../helpers/http.ts';
import { assertOpenAIError } from '../helpers/openai-client.ts';
import { sendRaw } from '../helpers/raw-socket.ts';
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

    const badEncoding = await sendRaw(gateway.origin, `GET /v1/models/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${masterKey}\r\n\r\n`);
    assert.equal(badEncoding.status, 400);
    assertOpenAIError(JSON.parse(badEncoding.body));
    const longParameter = await rawRequest('GET', gateway.origin, `/admin/keys/${'k'.repeat(150)}`, undefined, { key: masterKey });
    assert.equal(longParameter.status, 414);
    assertOpenAIError(longParameter.body);
  });

  it('still answers a good request after all this', async () => {
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', chatBody, { key: masterKey });
    assert.equal(answer.status, 200);
  });
});
