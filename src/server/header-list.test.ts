import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerList } from './header-list.ts';

describe('headerList', () => {
  it('lists names and values of each object in order, numbers as text, a list value once per item, undefined left out', () => {
    assert.deepStrictEqual(headerList({ 'x-request-id': 'req_1', 'content-length': 12 }, { 'set-cookie': ['a=1', 'b=2'], 'x-none': undefined }, {}), [
      'x-request-id',
      'req_1',
      'content-length',
      '12',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
    ]);
  });
});
