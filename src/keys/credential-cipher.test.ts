import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialCipher } from './credential-cipher.ts';

describe('credential cipher (AES-256-GCM)', () => {
  const cipher = new CredentialCipher('a master key');
  const secret = '{"api_key":"sk-live-very-secret"}';

  it('round-trips and never shows the plaintext in the sealed value', () => {
    const sealed = cipher.seal(secret, 'provider-a');
    assert.match(sealed, /^v1:[A-Za-z0-9+/=]+$/);
    assert.ok(!sealed.includes('sk-live'));
    assert.equal(cipher.open(sealed, 'provider-a'), secret);
    assert.notEqual(cipher.seal(secret, 'provider-a'), sealed, 'a fresh IV each time');
  });

  it('does not open with another key, for another record, or after tampering', () => {
    const sealed = cipher.seal(secret, 'provider-a');
    assert.throws(() => new CredentialCipher('another key').open(sealed, 'provider-a'));
    assert.throws(() => cipher.open(sealed, 'provider-b'));
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1]! ^= 1;
    assert.throws(() => cipher.open(`v1:${bytes.toString('base64')}`, 'provider-a'));
    assert.throws(() => cipher.open('v0:abc', 'provider-a'), /format/);
  });

  it('derives the same key from the same secret (values survive a restart)', () => {
    assert.equal(new CredentialCipher('a master key').open(cipher.seal(secret, 'p'), 'p'), secret);
  });
});
