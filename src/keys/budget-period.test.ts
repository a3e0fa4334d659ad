import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { periodEnd, periodKey, periodStart } from './budget-period.ts';

describe('budget periods (UTC calendar)', () => {
  const time = Date.parse('2025-03-31T23:59:59.500Z');
  it('days and months start and end at UTC midnight', () => {
    assert.equal(periodKey('day', time), 'day:2025-03-31');
    assert.equal(periodStart('day', time)?.toISOString(), '2025-03-31T00:00:00.000Z');
    assert.equal(periodEnd('day', time)?.toISOString(), '2025-04-01T00:00:00.000Z');
    assert.equal(periodKey('month', time), 'month:2025-03');
    assert.equal(periodStart('month', time)?.toISOString(), '2025-03-01T00:00:00.000Z');
    assert.equal(periodEnd('month', time)?.toISOString(), '2025-04-01T00:00:00.000Z');
    assert.equal(periodEnd('month', Date.parse('2025-12-15T00:00:00Z'))?.toISOString(), '2026-01-01T00:00:00.000Z');
  });
  it('total never resets', () => {
    assert.equal(periodKey('total', time), 'total');
    assert.equal(periodStart('total', time), undefined);
    assert.equal(periodEnd('total', time), undefined);
  });
  it('period keys order in time', () => {
    assert.ok(periodKey('day', time) < periodKey('day', time + 1000));
    assert.ok(periodKey('month', time) < periodKey('month', time + 1000));
  });
});
