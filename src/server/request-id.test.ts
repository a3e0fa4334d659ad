import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRequestId } from './request-id.ts';

describe('newRequestId', () => {
  it('is req_ and 32 hex digits, unique, and sorts by time', () => {
    const ids = Array.from({ length: 10_000 }, (_, index) => newRequestId(1_790_000_000_000 + Math.floor(index / 100)));
    for (const id of ids) assert.match(id, /^req_[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
    const byTime = ids.filter((_, index) => index % 100 === 0);
    assert.deepEqual([...byTime].sort(), byTime, 'a later millisecond sorts after an earlier one');
    assert.ok(newRequestId() > newRequestId(Date.now() - 1000));
  });
});
