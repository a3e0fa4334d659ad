import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getEventListeners } from 'node:events';
import { LightAbortController, toAbortSignal, waitUnlessAborted } from './abort.ts';

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

describe('LightAbortController, as an EventTarget behaves', () => {
  it('does not call a listener that an earlier one removed during the abort, nor one added twice twice', () => {
    const controller = new LightAbortController();
    const calls: string[] = [];
    const third = () => calls.push('third');
    controller.signal.addEventListener('abort', () => calls.push('first'));
    controller.signal.addEventListener('abort', () => {
      calls.push('second');
      controller.signal.removeEventListener('abort', third);
    });
    controller.signal.addEventListener('abort', third);
    const fourth = () => calls.push('fourth');
    controller.signal.addEventListener('abort', fourth);
    controller.signal.addEventListener('abort', fourth);
    controller.abort();
    assert.deepEqual(calls, ['first', 'second', 'fourth']);
  });
});

describe('waitUnlessAborted', () => {
  it('ends early when a signal aborts, and leaves no listener behind either way', async () => {
    const request = new LightAbortController();
    const real = new AbortController();
    const started = performance.now();
    const waiting = waitUnlessAborted(10_000, request.signal, real.signal, undefined);
    setTimeout(() => request.abort(new Error('gone')), 20);
    await waiting;
    assert.ok(performance.now() - started < 5_000);
    assert.equal(getEventListeners(real.signal, 'abort').length, 0);
    for (let index = 0; index < 100; index += 1) await waitUnlessAborted(0, real.signal);
    assert.equal(getEventListeners(real.signal, 'abort').length, 0);
    await waitUnlessAborted(10_000, request.signal); // already aborted: at once
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
