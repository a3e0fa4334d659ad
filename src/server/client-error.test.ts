import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { formatAnthropicError } from '../api/anthropic/format-error.ts';
import { formatOpenAIError } from '../api/openai/format-error.ts';
import { createClientErrorHandler } from './client-error.ts';
import type { ErrorShaper } from './ingress-format.ts';

const shapers = new Map<string, ErrorShaper>([['openai', formatOpenAIError], ['anthropic', formatAnthropicError]]);

/** A socket that records what is written to it and whether it was closed. */
function fakeSocket(headersSent = false) {
  const socket = {
    destroyed: false,
    writable: true,
    written: '',
    ended: false,
    // An answer under way while its request's body is still read (a 413 while the body drains).
    _httpMessage: headersSent ? { headersSent: true, writableFinished: false, req: { complete: false, method: 'POST', url: '/v1/chat/completions' } } : null,
    end(data?: string) {
      if (data) socket.written += data;
      socket.ended = true;
      socket.writable = false;
    },
    destroy() {
      socket.destroyed = true;
    },
    once() {
      return socket;
    },
  };
  return socket;
}

/** Node's parser error as it reaches `clientError`. */
const parserError = (code: string, raw: string, reason?: string) => Object.assign(new Error(reason ?? code), { code, rawPacket: Buffer.from(raw, 'latin1'), ...(reason ? { reason } : {}) });

describe('createClientErrorHandler: what Node’s HTTP parser refuses', () => {
  const handle = createClientErrorHandler(shapers, pino({ level: 'silent' }));

  it('answers 408 in the OpenAI shape when the request is not received in time', () => {
    const socket = fakeSocket();
    handle(parserError('ERR_HTTP_REQUEST_TIMEOUT', 'POST /v1/chat/completions HTTP/1.1\r\n'), socket as unknown as Socket);
    assert.match(socket.written, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(socket.written, /connection: close/);
    const body = JSON.parse(socket.written.split('\r\n\r\n')[1]!);
    assert.deepStrictEqual(body, { error: { message: 'The request was not received in time.', type: 'invalid_request_error', param: null, code: 'invalid_request' } });
    assert.ok(socket.ended, 'the socket is ended (then destroyed after a linger), not reset at once');
  });

  it('answers in Anthropic’s shape when the request line names /v1/messages, and only once per socket', () => {
    const socket = fakeSocket();
    handle(parserError('HPE_INVALID_HEADER_TOKEN', 'POST /v1/messages HTTP/1.1\r\nBad Header: x\r\n', 'Invalid header token'), socket as unknown as Socket);
    const [head, body] = socket.written.split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 400 Bad Request/);
    assert.deepStrictEqual(JSON.parse(body!), { type: 'error', error: { type: 'invalid_request_error', message: 'Malformed HTTP request: Invalid header token.' } });
    const written = socket.written;
    socket.writable = true;
    handle(parserError('HPE_INVALID_HEADER_TOKEN', 'x'), socket as unknown as Socket);
    assert.equal(socket.written, written);
  });

  it('writes nothing on a socket whose answer has started, and nothing on a reset one', () => {
    const started = fakeSocket(true);
    handle(parserError('ERR_HTTP_REQUEST_TIMEOUT', 'POST /v1/chat/completions HTTP/1.1\r\n'), started as unknown as Socket);
    assert.equal(started.written, '');
    const reset = fakeSocket();
    handle(parserError('ECONNRESET', ''), reset as unknown as Socket);
    assert.equal(reset.written, '');
    assert.equal(reset.ended, false);
  });
});
