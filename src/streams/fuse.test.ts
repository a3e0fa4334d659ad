import assert from 'node:assert/strict';
import type { Transformer } from 'node:stream/web';
import { describe, it } from 'node:test';
import { fuse } from './fuse.ts';

async function run<T>(input: unknown[], stream: TransformStream<unknown, T>): Promise<T[]> {
  const source = new ReadableStream({
    start(controller) {
      for (const item of input) controller.enqueue(item);
      controller.close();
    },
  });
  const output: T[] = [];
  for await (const item of source.pipeThrough(stream)) output.push(item);
  return output;
}

describe('fuse', () => {
  it('gives what the same stages give as separate streams: each output in order, flushes in stage order', async () => {
    // Splits words into letters; a flush adds a marker that the next stage still transforms.
    const letters = (): Transformer<string, string> => ({
      transform: (word, controller) => {
        for (const letter of word) controller.enqueue(letter);
      },
      flush: (controller) => controller.enqueue('|'),
    });
    const upper = (): Transformer<string, string> => ({
      start: (controller) => controller.enqueue('<'),
      transform: (letter, controller) => controller.enqueue(letter.toUpperCase()),
      flush: (controller) => controller.enqueue('>'),
    });
    const input = ['ab', '', 'c'];
    const separate = await run(input, new TransformStream<unknown, string>()).then((items) =>
      run(items, new TransformStream(letters() as Transformer<unknown, string>)).then((split) => run(split, new TransformStream(upper() as Transformer<unknown, string>))),
    );
    const fused = await run(input, new TransformStream(fuse(letters(), upper())) as TransformStream<unknown, string>);
    assert.deepEqual(fused, ['<', 'A', 'B', 'C', '|', '>']);
    assert.deepEqual(fused, separate);
  });

  it('passes chunks through a stage without transform, and errors the stream when a stage throws', async () => {
    const pass: Transformer<number, number> = {};
    const failOnThree: Transformer<number, number> = {
      transform: (value, controller) => {
        if (value === 3) throw new Error('stage failed on 3');
        controller.enqueue(value * 10);
      },
    };
    const stream = new TransformStream(fuse(pass, failOnThree)) as TransformStream<unknown, number>;
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const value of new ReadableStream({ start: (controller) => [1, 2, 3, 4].forEach((value) => controller.enqueue(value)) }).pipeThrough(stream)) seen.push(value);
    }, /stage failed on 3/);
    assert.deepEqual(seen, [10, 20]);
  });
});
