import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsOf, SeriesTable } from './series-table.ts';

describe('SeriesTable', () => {
  it('gives one series per tuple of label values, made once, listed in the order first seen', () => {
    const made: string[][] = [];
    const table = new SeriesTable((values) => {
      made.push([...values]);
      return { values: [...values], count: 0 };
    });
    table.get(['a', 'b', 'c']).count += 1;
    table.get(['a', 'b', 'd']).count += 1;
    table.get(['a', 'b', 'c']).count += 1;
    // A value holding the separator a joined key would use, and tuples sharing a prefix.
    table.get(['a\u0000b', 'c', '']).count += 1;
    table.get(['a', 'b\u0000c', '']).count += 1;
    assert.deepEqual(made, [['a', 'b', 'c'], ['a', 'b', 'd'], ['a\u0000b', 'c', ''], ['a', 'b\u0000c', '']]);
    assert.deepEqual(table.values().map((series) => series.count), [2, 1, 1, 1]);
    table.clear();
    assert.equal(table.values().length, 0);
    assert.equal(table.get(['a', 'b', 'c']).count, 0);
  });

  it('keeps the one series of a metric without labels', () => {
    const table = new SeriesTable(() => ({ count: 0 }));
    table.get([]).count += 1;
    table.get([]).count += 1;
    assert.deepEqual(table.values(), [{ count: 2 }]);
    assert.deepEqual(labelsOf(['model', 'provider'], ['m', 'p']), { model: 'm', provider: 'p' });
  });
});
