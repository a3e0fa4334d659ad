import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it('replaces the values of credential parameters, whatever their case or encoding', () => {
    assert.equal(redactUrl('/v1/chat/completions?api_key=sb-0123456789'), '/v1/chat/completions?api_key=[redacted]');
    assert.equal(redactUrl('/v1/models?key=AIzaSecret&limit=5'), '/v1/models?key=[redacted]&limit=5');
    assert.equal(redactUrl('/x?a=1&Api-Key=s1&access_token=s2&client_secret=s3&X-Amz-Signature=s4&apikey=s5&api%5Fkey=s6#frag'), '/x?a=1&Api-Key=[redacted]&access_token=[redacted]&client_secret=[redacted]&X-Amz-Signature=[redacted]&apikey=[redacted]&api%5Fkey=[redacted]#frag');
  });

  it('replaces a virtual key secret in the path but its last four characters (/admin/keys/{id} takes one)', () => {
    const secret = `sb-${'A1b2_C3d4-'.repeat(4)}xyz`;
    assert.equal(redactUrl(`/admin/keys/${secret}`), '/admin/keys/sb-[redacted]-xyz');
    assert.equal(redactUrl(`/admin/keys/${secret}/rotate?key=${secret}`), '/admin/keys/sb-[redacted]-xyz/rotate?key=[redacted]');
  });

  // An outside probe: a secret pasted with a stray character, or with its dash encoded, was logged whole.
  it('replaces a secret within a path segment, in any query parameter, and one with its dash percent-encoded', () => {
    const secret = `sb-${'A1b2_C3d4-'.repeat(4)}xyz`;
    assert.equal(redactUrl(`/admin/keys/${secret}%0A`), '/admin/keys/sb-[redacted]-xyz%0A');
    assert.equal(redactUrl(`/admin/keys/Bearer%20${secret}`), '/admin/keys/Bearer%20sb-[redacted]-xyz');
    assert.equal(redactUrl(`/admin/keys/%22${secret}%22`), '/admin/keys/%22sb-[redacted]-xyz%22');
    assert.equal(redactUrl(`/admin/keys/${secret}x`), '/admin/keys/sb-[redacted]xyzx');
    assert.equal(redactUrl(`/admin/keys/sb%2d${secret.slice(3)}`), '/admin/keys/sb-[redacted]-xyz');
    assert.equal(redactUrl(`/admin/usage?key_id=${secret}&limit=5`), '/admin/usage?key_id=sb-[redacted]-xyz&limit=5');
  });

  it('leaves other URLs and parameters as they are', () => {
    for (const url of ['/v1/chat/completions', '/admin/usage?model=fast&limit=10&group_by=key', '/admin/keys/key_123?monkey=1', '/x?%E0%A4%A=1']) assert.equal(redactUrl(url), url);
  });
});
