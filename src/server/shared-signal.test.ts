import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { SharedSignal } from './shared-signal.ts';

describe('SharedSignal', () => {
  it('holds one listener on the signal however many requests wait on it, and calls each once at abort', () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const calls: number[] = [];
    const unsubscribes = Array.from({ length: 5_000 }, (_, index) => shared.subscribe(() => calls.push(index)));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    assert.equal(shared.listeners, 5_000);
    for (const unsubscribe of unsubscribes.slice(0, 4_990)) unsubscribe();
    controller.abort(new Error('drain deadline'));
    assert.deepEqual(calls, [4_990, 4_991, 4_992, 4_993, 4_994, 4_995, 4_996, 4_997, 4_998, 4_999]);
    assert.equal(shared.listeners, 0);
    assert.equal((shared.reason as Error).message, 'drain deadline');
  });

  it('calls every subscriber when one throws, and reports the exception as uncaught', async () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    let later = false;
    shared.subscribe(() => {
      throw new Error('listener fault');
    });
    shared.subscribe(() => {
      later = true;
    });
    // The test runner fails a file on any uncaught exception: its handlers step aside for this one.
    const runners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    try {
      const uncaught = new Promise<Error>((resolve) => process.once('uncaughtException', resolve));
      controller.abort();
      assert.equal(later, true);
      assert.equal((await uncaught).message, 'listener fault');
    } finally {
      for (const runner of runners) process.on('uncaughtException', runner);
    }
  });

  it('unlinks a subscriber from anywhere in the order, once, and keeps the others in the order they came', () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const calls: string[] = [];
    const [first, middle, last] = ['first', 'middle', 'last'].map((name) => shared.subscribe(() => calls.push(name)));
    middle!();
    middle!();
    assert.equal(shared.listeners, 2);
    const late = shared.subscribe(() => calls.push('late'));
    first!();
    assert.equal(shared.listeners, 2);
    controller.abort();
    assert.deepEqual(calls, ['last', 'late']);
    // Unsubscribing after the abort (a request that ends after the drain deadline) changes nothing.
    last!();
    late();
    assert.equal(shared.listeners, 0);
  });

  it('does not call a subscriber that an earlier one unsubscribed during the abort', () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const calls: string[] = [];
    let second: () => void = () => undefined;
    shared.subscribe(() => {
      calls.push('first');
      second();
    });
    second = shared.subscribe(() => calls.push('second'));
    shared.subscribe(() => calls.push('third'));
    controller.abort();
    assert.deepEqual(calls, ['first', 'third']);
  });

  it('never calls a subscriber that came after the abort', async () => {
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    controller.abort();
    let called = false;
    shared.subscribe(() => {
      called = true;
    })();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(called, false);
    assert.equal(shared.aborted, true);
  });
});
