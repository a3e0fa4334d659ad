import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyMatcher } from './auth-hook.ts';

describe('keyMatcher', () => {
  it('accepts the key itself and nothing else: not a prefix, an extension, a near miss or another case', () => {
    const matches = keyMatcher('sb-master-Key-01');
    assert.equal(matches('sb-master-Key-01'), true);
    for (const other of ['', 'sb-master-Key-0', 'sb-master-Key-011', 'sb-master-Key-02', 'SB-master-Key-01', 'sb-master-Key-01sb-master-Key-01', 'x'.repeat(16), 'sb-master-Kéy-01']) {
      assert.equal(matches(other), false, JSON.stringify(other));
    }
  });

  it('compares beyond the 8 bits of a code unit, and never matches with an empty expected key', () => {
    assert.equal(keyMatcher('ключ-Ā')('ключ-Ā'), true);
    // U+0101 and U+0001 share their low byte.
    assert.equal(keyMatcher('ключ-Ā')('ключ-\u0001'), false);
    assert.equal(keyMatcher('')(''), false);
    assert.equal(keyMatcher('')('anything'), false);
  });
});
