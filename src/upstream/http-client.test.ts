import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamRequest } from '../core/http-client.ts';
import { transportError } from './http-client.ts';

const upstream = (redact?: (text: string) => string): UpstreamRequest => ({
  url: 'https://proxy.example/v1/chat/completions?api-key=proxy-secret-0123',
  headers: {},
  signal: new AbortController().signal,
  firstByteTimeoutMs: 1000,
  idleTimeoutMs: 1000,
  provider: 'p',
  ...(redact ? { redact } : {}),
});

describe('transport errors', () => {
  it('redact a message that quotes the URL or a header, and drop its cause (log lines print causes)', () => {
    const failure = new Error('request to https://proxy.example/v1/chat/completions?api-key=proxy-secret-0123 failed');
    const error = transportError(failure, upstream((text) => text.replaceAll('proxy-secret-0123', '[redacted]')));
    assert.equal(error.code, 'SB_ERR_UPSTREAM_CONNECTION');
    assert.equal(error.message, 'Connection to provider "p" failed (request to https://proxy.example/v1/chat/completions?api-key=[redacted] failed)');
    assert.equal(error.cause, undefined);
    assert.ok(!String(error.stack).includes('proxy-secret-0123'));
  });

  it('name a socket error by its code and keep it as the cause', () => {
    const failure = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const error = transportError(failure, upstream((text) => text));
    assert.equal(error.message, 'Connection to provider "p" failed (ECONNREFUSED)');
    assert.equal(error.cause, failure);
  });
});
