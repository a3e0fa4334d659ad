import type { Transformer } from 'node:stream/web';
/**
 * Synchronous stream stages run as one stage. Each stage is written as a Transformer (the object
 * `new TransformStream()` takes), but instead of a stream per stage, with a promise turn per
 * chunk at each, a stage's `enqueue` calls the next stage's `transform` at once. The result is a
 * Transformer too, run by transformReader() (./event-reader.ts) or a TransformStream.
 * A streamed answer passes through some ten stages (bytes → SSE → provider events → guard →
 * resume → tap → formatter): building and crossing a web stream costs several microseconds on
 * Node 20 (each is made transferable), per request and per chunk, so the stages that follow
 * each other synchronously are fused (issue 15, docs/performance.md).
 *
 * Stages must be synchronous: a `transform`, `start` or `flush` that returns a promise is not
 * awaited. An exception in any stage errors the whole stream, as it would have errored its own.
 */
// The stages' types chain (each one's output is the next one's input), which a rest parameter
// cannot say; the overloads below keep callers typed.
type AnyTransformer = Transformer<unknown, unknown>;

export function fuse<A, B, C>(first: Transformer<A, B>, second: Transformer<B, C>): Transformer<A, C>;
export function fuse<A, B, C, D>(first: Transformer<A, B>, second: Transformer<B, C>, third: Transformer<C, D>): Transformer<A, D>;
export function fuse(...stages: Array<Transformer<never, unknown>>): Transformer<unknown, unknown> {
  const chain = stages as AnyTransformer[];
  let controllers: Array<TransformStreamDefaultController<unknown>> = [];
  return {
    start(output) {
      controllers = chain.map((_, index) => new StageController(chain, index, output, () => controllers));
      chain.forEach((stage, index) => stage.start?.(controllers[index]!));
    },
    transform(chunk) {
      pass(chain, 0, chunk, controllers);
    },
    flush() {
      chain.forEach((stage, index) => stage.flush?.(controllers[index]!));
    },
  };
}

/** Hands `chunk` to stage `index`, or to the stream's reader after the last stage. */
function pass(chain: AnyTransformer[], index: number, chunk: unknown, controllers: Array<TransformStreamDefaultController<unknown>>): void {
  const stage = chain[index]!;
  if (stage.transform) stage.transform(chunk, controllers[index]!);
  else controllers[index]!.enqueue(chunk);
}

/**
 * What stage `index` sees as its controller: enqueue feeds the next stage, the rest acts on the
 * stream. A class, not an object literal: V8 keeps a literal with a getter (`desiredSize`) in
 * dictionary mode, a hash table of its own per object (about 450 bytes) and no inline caches for
 * the `enqueue` every event goes through.
 */
class StageController implements TransformStreamDefaultController<unknown> {
  readonly #chain: AnyTransformer[];
  readonly #next: number;
  readonly #output: TransformStreamDefaultController<unknown>;
  readonly #controllers: () => Array<TransformStreamDefaultController<unknown>>;

  constructor(chain: AnyTransformer[], index: number, output: TransformStreamDefaultController<unknown>, controllers: () => Array<TransformStreamDefaultController<unknown>>) {
    this.#chain = chain;
    this.#next = index === chain.length - 1 ? -1 : index + 1;
    this.#output = output;
    this.#controllers = controllers;
  }

  get desiredSize(): number | null {
    return this.#output.desiredSize;
  }

  enqueue(chunk?: unknown): void {
    if (this.#next === -1) this.#output.enqueue(chunk);
    else pass(this.#chain, this.#next, chunk, this.#controllers());
  }

  error(reason?: unknown): void {
    this.#output.error(reason);
  }

  terminate(): void {
    this.#output.terminate();
  }
}
