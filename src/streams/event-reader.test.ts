import assert from 'node:assert/strict';
import type { Transformer } from 'node:stream/web';
import { describe, it } from 'node:test';
import { iterableSource, PullReader, readerOf, transformReader, type PullController } from './event-reader.ts';
import { burstReader, readAll } from '../../test/helpers/events.ts';

describe('PullReader', { timeout: 2000 }, () => {
  it('pulls only while a read waits, and a pull that enqueues several chunks serves several reads', async () => {
    let pulls = 0;
    const reader = new PullReader<number>({
      pull(controller) {
        pulls += 1;
        if (pulls === 1) {
          controller.enqueue(1);
          controller.enqueue(2);
        } else controller.close();
      },
    });
    assert.equal(pulls, 0, 'nothing is read ahead of the reader');
    assert.deepEqual(await reader.read(), { done: false, value: 1 });
    assert.deepEqual(await reader.read(), { done: false, value: 2 });
    assert.equal(pulls, 1);
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  it('hands a chunk enqueued from outside a pull (a signal, a timer) to the read waiting on a pending pull', async () => {
    let outside!: PullController<string>;
    const reader = new PullReader<string>({
      start: (controller) => (outside = controller),
      pull: () => new Promise<void>(() => undefined),
    });
    const reading = reader.read();
    outside.enqueue('from outside');
    outside.close();
    assert.deepEqual(await reading, { done: false, value: 'from outside' });
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  it('rejects reads once errored (a throwing pull errors the stream), and cancel ends a waiting read and cancels the source', async () => {
    const failing = new PullReader<number>({
      pull() {
        throw new Error('source failed');
      },
    });
    await assert.rejects(failing.read(), /source failed/);
    await assert.rejects(failing.read(), /source failed/);

    let cancelled: unknown;
    const hanging = new PullReader<number>({ pull: () => new Promise<void>(() => undefined), cancel: (reason) => void (cancelled = reason) });
    const reading = hanging.read();
    await hanging.cancel('caller left');
    assert.deepEqual(await reading, { done: true, value: undefined });
    assert.equal(cancelled, 'caller left');
  });

  it('is async-iterable, and breaking out of the loop cancels the source', async () => {
    let cancelled = false;
    let next = 0;
    const reader = new PullReader<number>({ pull: (controller) => controller.enqueue((next += 1)), cancel: () => void (cancelled = true) });
    const seen: number[] = [];
    for await (const value of reader) {
      seen.push(value);
      if (value === 3) break;
    }
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(cancelled, true);
  });
});

describe('transformReader', { timeout: 2000 }, () => {
  const words = (items: string[]) => iterableSource((async function* () { yield* items; })());

  it('reads what pipeThrough(new TransformStream(transformer)) reads: swallowed chunks, several outputs per chunk, start and flush', async () => {
    const letters = (): Transformer<string, string> => ({
      start: (controller) => controller.enqueue('<'),
      transform: (word, controller) => {
        for (const letter of word) controller.enqueue(letter);
      },
      flush: (controller) => controller.enqueue('>'),
    });
    const input = ['ab', '', '', 'c'];
    const web: string[] = [];
    for await (const item of ReadableStream.from(input).pipeThrough(new TransformStream(letters()))) web.push(item);
    assert.deepEqual(await readAll(transformReader(words(input), letters())), web);
    assert.deepEqual(web, ['<', 'a', 'b', 'c', '>']);
  });

  it('errors the output and cancels the source when the transformer throws; terminate ends the output and cancels the source', async () => {
    let cancels = 0;
    const source = () => new PullReader<number>({ pull: (controller) => controller.enqueue(1), cancel: () => void (cancels += 1) });
    const throwing = transformReader<number, number>(source(), {
      transform() {
        throw new Error('bad chunk');
      },
    });
    await assert.rejects(throwing.read(), /bad chunk/);
    assert.equal(cancels, 1);
    const terminating = transformReader<number, number>(source(), {
      transform(value, controller) {
        controller.enqueue(value);
        controller.terminate();
      },
    });
    assert.deepEqual(await readAll(terminating), [1]);
    assert.equal(cancels, 2);
  });

  it('does not flush when its output is cancelled while a read waits on the source (as a TransformStream does not)', async () => {
    let flushed = 0;
    let release!: () => void;
    const source = new PullReader<number>({
      pull: () => new Promise<void>((resolve) => (release = resolve)),
      cancel: () => release(),
    });
    const output = transformReader<number, number>(source, { flush: () => void (flushed += 1) });
    const reading = output.read();
    await output.cancel('caller left');
    assert.deepEqual(await reading, { done: true, value: undefined });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(flushed, 0);
  });
});

describe('iterableSource', { timeout: 2000 }, () => {
  it('reads a web stream through its reader, so cancel reaches it while a read is pending', async () => {
    let cancelled: unknown;
    const stream = new ReadableStream<number>({ pull: () => new Promise<void>(() => undefined), cancel: (reason) => void (cancelled = reason) });
    const reader = iterableSource(stream);
    const reading = reader.read();
    await reader.cancel('gone');
    assert.equal(cancelled, 'gone');
    assert.deepEqual(await reading, { done: true, value: undefined });
  });
  it('feeds a transformReader straight from the iterator, and a cancel of the reader does not wait for a stalled next()', async () => {
    const upper: Transformer<string, string> = { transform: (chunk, controller) => controller.enqueue(chunk.toUpperCase()) };
    assert.deepEqual(await readAll(transformReader(iterableSource((async function* () { yield* ['a', 'b']; })()), upper)), ['A', 'B']);
    let returned = false;
    let calls = 0;
    const stalled: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => (calls++ === 0 ? Promise.resolve({ done: false as const, value: 'x' }) : new Promise<IteratorResult<string>>(() => undefined)),
        return: () => {
          returned = true;
          return new Promise<IteratorResult<string>>(() => undefined);
        },
      }),
    };
    const reader = transformReader(iterableSource(stalled), upper);
    assert.deepEqual(await reader.read(), { done: false, value: 'X' });
    const reading = reader.read();
    await reader.cancel('client left');
    assert.equal(returned, true);
    assert.deepEqual(await reading, { done: true, value: undefined });
  });
});

describe('poll', { timeout: 2000 }, () => {
  const upper: Transformer<string, string> = { transform: (chunk, controller) => controller.enqueue(chunk.toUpperCase()) };

  it('answers a PullReader from its queue, undefined where a read would wait, done once closed, undefined once errored', async () => {
    const { reader, pulls } = burstReader(['a', 'b', 'c']);
    assert.equal(reader.poll(), undefined, 'nothing queued, and no pullNow: a read would wait');
    assert.equal(pulls(), 0, 'a poll never starts an asynchronous pull');
    assert.deepEqual(await reader.read(), { done: false, value: 'a' });
    assert.deepEqual(reader.poll(), { done: false, value: 'b' });
    assert.deepEqual(reader.poll(), { done: false, value: 'c' });
    assert.equal(reader.poll(), undefined);
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
    assert.deepEqual(reader.poll(), { done: true, value: undefined });

    const failing = new PullReader<number>({ pull: (controller) => (controller.enqueue(1), controller.enqueue(2), controller.error(new Error('upstream broke'))) });
    assert.deepEqual(await failing.read(), { done: false, value: 1 }, 'the read waiting when the chunk came');
    assert.equal(failing.poll(), undefined, 'an error empties the queue, and is never answered by poll');
    await assert.rejects(failing.read(), /upstream broke/);
  });

  it('takes every ready chunk through stacked transformReaders at once, in order, right after the read that woke them', async () => {
    // Two stages over one burst, as provider → guard → tap: the read resolves a microtask before
    // the stages' pulls settle, and the polls that follow must still reach the burst's queue.
    const split: Transformer<string, string> = { transform: (chunk, controller) => { for (const letter of chunk) if (letter !== '-') controller.enqueue(letter); } };
    const { reader: source, pulls } = burstReader(['ab', '-', 'c', 'de']);
    const outer = transformReader(transformReader(source, split), upper);
    assert.deepEqual(await outer.read(), { done: false, value: 'A' });
    const polled: string[] = [];
    for (let next = outer.poll(); next !== undefined && !next.done; next = outer.poll()) polled.push(next.value);
    assert.deepEqual(polled, ['B', 'C', 'D', 'E'], 'several outputs of one chunk, a swallowed chunk, the rest of the burst');
    assert.equal(pulls(), 1, 'all of it from the one upstream read');
    assert.deepEqual(await outer.read(), { done: true, value: undefined });
  });

  it('mixes with reads without losing or reordering a chunk, and ends with done (the transformer flushed) when the source has ended', async () => {
    let flushed = 0;
    const counting: Transformer<string, string> = { transform: (chunk, controller) => controller.enqueue(chunk), flush: (controller) => controller.enqueue(`flushed ${(flushed += 1)}`) };
    const chunks = ['1', '2', '3', '4', '5'];
    const reader = transformReader(iterableSource(ReadableStream.from([])), counting);
    assert.equal(reader.poll(), undefined, 'a web stream has no poll: reads only');
    const { reader: source } = burstReader(chunks);
    const outer = transformReader(source, counting);
    const seen: string[] = [];
    let polls = 0;
    for (let next = await outer.read(); !next.done; next = polls++ % 2 === 0 ? (outer.poll() ?? (await outer.read())) : await outer.read()) seen.push(next.value);
    assert.deepEqual(seen, [...chunks, 'flushed 1']);
    assert.deepEqual(outer.poll(), { done: true, value: undefined });
  });

  it('reaches the iterator of an upstream body that has one, and a transformer that throws errors the stream for the next read', async () => {
    const ready = ['x', 'y'];
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false as const, value: 'w' }),
        poll: () => (ready.length > 0 ? { done: false as const, value: ready.shift()! } : undefined),
      }),
    };
    let seen = 0;
    const throwing: Transformer<string, string> = {
      transform(chunk, controller) {
        if ((seen += 1) === 3) throw new Error('bad event');
        controller.enqueue(chunk);
      },
    };
    const reader = transformReader(iterableSource(body), throwing);
    assert.deepEqual(await reader.read(), { done: false, value: 'w' });
    assert.deepEqual(reader.poll(), { done: false, value: 'x' });
    assert.equal(reader.poll(), undefined, 'the transformer threw on the next chunk');
    await assert.rejects(reader.read(), /bad event/);
  });
});

describe('readerOf', { timeout: 2000 }, () => {
  it('takes a lean reader as it is, and reads a web stream through a reader of its own', async () => {
    const lean = new PullReader<number>({ pull: (controller) => (controller.enqueue(7), controller.close()) });
    assert.equal(readerOf(lean), lean);
    const stream = ReadableStream.from([1, 2]);
    assert.deepEqual(await readAll(readerOf(stream)), [1, 2]);
    assert.ok(stream.locked, 'the web stream is read through its own reader');
  });
});
