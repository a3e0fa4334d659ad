import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlidingWindow } from './sliding-window.ts';

describe('sliding window', () => {
  it('sums what happened in the last minute and forgets the rest', () => {
    const window = new SlidingWindow(60_000);
    window.add(0, 1);
    window.add(30_000, 2);
    assert.equal(window.total(59_999), 3);
    assert.equal(window.total(60_000), 2);
    assert.equal(window.total(90_000), 0);
  });

  it('says how long until the total falls under a limit', () => {
    const window = new SlidingWindow(60_000);
    window.add(0, 1);
    window.add(10_000, 1);
    window.add(20_000, 1);
    assert.equal(window.waitBelow(30_000, 3), 30_000, 'the oldest entry leaves at 60 s');
    assert.equal(window.waitBelow(30_000, 2), 40_000, 'two must leave');
    assert.equal(window.waitBelow(30_000, 4), 0);
  });

  it('adjusts an entry to the real amount, unless it already left', () => {
    const window = new SlidingWindow(1000);
    const entry = window.add(0, 10);
    window.adjust(entry, 25);
    assert.equal(window.total(500), 25);
    const old = window.add(600, 5);
    assert.equal(window.total(1700), 0);
    window.adjust(old, 50);
    assert.equal(window.total(1700), 0, 'an expired entry does not come back');
  });

  it('keeps memory bounded under a long stream of events', () => {
    const window = new SlidingWindow(1000);
    for (let time = 0; time < 100_000; time += 1) window.add(time, 1);
    assert.equal(window.total(100_000), 999);
  });
});
