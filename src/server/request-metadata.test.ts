import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { headerMetadata } from './request-metadata.ts';

const withHeader = (value: string) => ({ identity: null, headers: { 'x-switchboard-metadata': value } });

describe('x-switchboard-metadata', () => {
  it('reads a JSON object of strings over the key’s defaults', () => {
    const identity = { kind: 'virtual', keyId: 'k', team: null, governance: { policies: [], metadata: { env: 'prod', team: 'a' } } } as never;
    assert.deepStrictEqual(headerMetadata({ identity, headers: { 'x-switchboard-metadata': '{"team":"b"}' } }), { env: 'prod', team: 'b' });
  });

  it('names a key whose value is not a string quoted and cut short, not echoed whole (a fuzzed 12 KB key)', () => {
    const key = `k${'x'.repeat(12_000)}\n`;
    assert.throws(
      () => headerMetadata(withHeader(JSON.stringify({ [key]: 1 }))),
      (error: unknown) => {
        assert.ok(GatewayError.isInstance(error));
        assert.equal(error.param, 'x-switchboard-metadata');
        assert.ok(error.message.length < 400, `${error.message.length} characters`);
        assert.ok(!error.message.includes('\n'), 'control characters escaped');
        return true;
      },
    );
  });
});
