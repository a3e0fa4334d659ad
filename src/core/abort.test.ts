import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LightAbortController, toAbortSignal } from './abort.ts';

describe('LightAbortController', () => {
  it('calls each listener still registered once, in the order added, with the reason readable', () => {
    const controller = new LightAbortController();
    const calls: string[] = [];
    const listeners = ['a', 'b', 'c', 'd'].map((name) => () => calls.push(`${name}:${(controller.signal.reason as Error).message}`));
    for (const listener of listeners) controller.signal.addEventListener('abort', listener, { once: true });
    controller.signal.removeEventListener('abort', listeners[0]!); // the first one
    controller.signal.removeEventListener('abort', listeners[2]!); // one of the others
    controller.abort(new Error('gone'));
    controller.abort(new Error('twice'));
    assert.deepEqual(calls, ['b:gone', 'd:gone']);
    assert.equal(controller.signal.aborted, true);
    assert.equal((controller.signal.reason as Error).message, 'gone');
  });

  it('never calls a listener added after the abort, as an EventTarget does not', () => {
    const controller = new LightAbortController();
    controller.abort();
    let called = false;
    controller.signal.addEventListener('abort', () => (called = true));
    assert.equal(called, false);
    assert.ok(controller.signal.reason instanceof DOMException);
    assert.equal((controller.signal.reason as DOMException).name, 'AbortError');
  });

  it("reports a listener's exception as uncaught without skipping the other listeners", async () => {
    const controller = new LightAbortController();
    const uncaught: unknown[] = [];
    const capture = (error: unknown) => uncaught.push(error);
    const previous = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', capture);
    try {
      let second = false;
      controller.signal.addEventListener('abort', () => {
        throw new Error('listener failed');
      });
      controller.signal.addEventListener('abort', () => (second = true));
      controller.abort();
      assert.equal(second, true);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(uncaught.map((error) => (error as Error).message), ['listener failed']);
    } finally {
      process.off('uncaughtException', capture);
      for (const listener of previous) process.on('uncaughtException', listener);
    }
  });
});

describe('toAbortSignal', () => {
  it('gives an AbortSignal that aborts with the light signal and its reason, or is already aborted', () => {
    const controller = new LightAbortController();
    const signal = toAbortSignal(controller.signal);
    assert.ok(signal instanceof AbortSignal);
    assert.equal(signal.aborted, false);
    controller.abort(new Error('deadline'));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as Error).message, 'deadline');
    assert.equal((toAbortSignal(controller.signal).reason as Error).message, 'deadline');
    const real = new AbortController().signal;
    assert.equal(toAbortSignal(real), real);
  });
});
