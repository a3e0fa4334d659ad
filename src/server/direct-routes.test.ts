import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { RequestRecord } from '../ledger/request-record.ts';
import { DirectRoutes } from './direct-routes.ts';

/**
 * Which requests the direct path takes: only the plain form SDKs send. Everything else must reach
 * Fastify, whose route answers the edges (413 with its drain, 415, 503 while closing, a query
 * string, a trailing slash): test/e2e/http-edge.test.ts and direct-routes.test.ts check those answers.
 */
describe('DirectRoutes.take', () => {
  function routes(closing = false) {
    const authenticated: string[] = [];
    const direct = new DirectRoutes({
      maxBodyBytes: 1000,
      authenticate: (headers) => {
        authenticated.push(String(headers.authorization));
        throw new GatewayError('SB_ERR_UNAUTHORIZED', 'no');
      },
      newRecord: (id, endpoint) => new RequestRecord(id, endpoint, () => undefined),
      answerFailure: (error) => ({ error: error as GatewayError, status: 401, headers: {}, text: '{}' }),
      isClosing: () => closing,
    });
    direct.add({ path: '/v1/chat/completions', format: 'openai', endpoint: 'chat', handler: () => Promise.reject(new Error('not reached')) });
    return { direct, authenticated };
  }

  function request(method: string, url: string, headers: IncomingHttpHeaders): IncomingMessage {
    return Object.assign(new EventEmitter(), { method, url, headers }) as unknown as IncomingMessage;
  }

  function response(): ServerResponse & { written: number[] } {
    const written: number[] = [];
    return Object.assign(new EventEmitter(), {
      written,
      headersSent: false,
      destroyed: false,
      writeHead: (status: number) => written.push(status),
      end: () => undefined,
    }) as unknown as ServerResponse & { written: number[] };
  }

  const plain = { 'content-length': '20', 'content-type': 'application/json', authorization: 'Bearer k' };

  it('takes a POST to the exact path with a Content-Length within the limit and a JSON or no content type', () => {
    for (const headers of [plain, { ...plain, 'content-type': 'application/json; charset=utf-8' }, { 'content-length': '1000' }]) {
      const { direct, authenticated } = routes();
      const answer = response();
      assert.equal(direct.take(request('POST', '/v1/chat/completions', headers), answer), true, JSON.stringify(headers));
      assert.equal(authenticated.length, 1, 'authenticated first, before the body is read');
      assert.deepStrictEqual(answer.written, [401]);
    }
  });

  it('leaves every other request to Fastify, untouched', () => {
    const others: Array<[string, string, IncomingHttpHeaders]> = [
      ['GET', '/v1/chat/completions', plain],
      ['POST', '/v1/chat/completions?x=1', plain],
      ['POST', '/v1/chat/completions/', plain],
      ['POST', '/v1/chat/%63ompletions', plain],
      ['POST', '/v1/models', plain],
      ['POST', '/v1/chat/completions', { ...plain, 'content-length': undefined, 'transfer-encoding': 'chunked' }],
      ['POST', '/v1/chat/completions', { ...plain, 'transfer-encoding': 'chunked' }],
      ['POST', '/v1/chat/completions', { ...plain, 'content-length': '1001' }],
      ['POST', '/v1/chat/completions', { ...plain, 'content-length': '0' }],
      ['POST', '/v1/chat/completions', { ...plain, 'content-type': 'text/plain' }],
      ['POST', '/v1/chat/completions', { ...plain, 'content-type': 'application/json; charset=latin1' }],
      ['POST', '/v1/chat/completions', { ...plain, 'content-type': 'not a type' }],
    ];
    for (const [method, url, headers] of others) {
      const { direct, authenticated } = routes();
      const answer = response();
      assert.equal(direct.take(request(method, url, headers), answer), false, `${method} ${url} ${JSON.stringify(headers)}`);
      assert.deepStrictEqual([authenticated, answer.written], [[], []]);
    }
  });

  it('leaves requests to Fastify once the server drains (it answers 503 once it closes)', () => {
    const { direct, authenticated } = routes(true);
    assert.equal(direct.take(request('POST', '/v1/chat/completions', plain), response()), false);
    assert.deepStrictEqual(authenticated, []);
  });
});
