import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import { streamedHello } from '../../test/helpers/chat-request.ts';
import { GatewayError } from '../core/errors.ts';
import type { ModelInfo } from '../core/model.ts';
import type { EventReader, ReadResult, StreamEvent } from '../core/stream-event.ts';
import { burstReader, readPolling } from '../../test/helpers/events.ts';
import { transformReader } from '../streams/event-reader.ts';
import { resumableStream, type StreamAttempt, type StreamContinuer } from './resume-stream.ts';

/**
 * The resumable stream read the way the HTTP layer reads it (src/server/send-stream.ts): a read,
 * then every event ready at once (`poll`). A provider's events often come in one burst, the
 * attempt's failure with them; what `poll` takes of it must resume exactly as a read would.
 */

const request = streamedHello;

const model = (providerId: string): ModelInfo => ({ id: 'chat', providerId, upstream: `${providerId}-model`, tags: [] });

/** An attempt whose events before its first output were peeked, and whose rest comes in one read. */
function attempt(providerId: string, buffered: StreamEvent[], rest: StreamEvent[], mayRepeatPrefix = false): StreamAttempt & { released: () => boolean } {
  let released = false;
  return {
    mayRepeatPrefix,
    buffered,
    reader: burstReader(rest).reader,
    model: model(providerId),
    record: { model: 'chat', provider: providerId, upstreamModel: `${providerId}-model`, outcome: 'ok', latencyMs: 1 },
    startedAt: 0,
    stallMs: 60_000,
    progress: {},
    abort: () => undefined,
    release: () => void (released = true),
    released: () => released,
  };
}

const usage = { inputTokens: 4, outputTokens: 2 };

describe('resumable stream read with poll', { timeout: 5000 }, () => {
  it('passes a burst through at once, and one finish ends it', async () => {
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [] }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Hel' }], [
      { type: 'text-delta', id: 't', delta: 'lo.' },
      { type: 'text-end', id: 't' },
      { type: 'finish', finishReason: 'stop', usage },
    ]);
    const continuer: StreamContinuer = { broke: () => assert.fail('nothing broke'), continueStream: () => assert.fail('nothing to continue') };
    const { events, reads } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    assert.deepEqual(
      events.map((event) => event.type),
      ['stream-start', 'text-start', 'text-delta', 'text-delta', 'text-end', 'finish'],
    );
    assert.equal(reads, 2, 'one read for the replayed events, one for the burst: the rest taken by polls');
    assert.ok(first.released());
  });

  it('resumes on another attempt when the failure comes within a burst the polls take', async () => {
    const broken = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'Provider "p1" broke off', { provider: 'p1' });
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [] }, { type: 'text-start', id: 't1' }, { type: 'text-delta', id: 't1', delta: 'Hel' }], [
      { type: 'text-delta', id: 't1', delta: 'lo, ' },
      { type: 'error', error: broken },
      { type: 'text-delta', id: 't1', delta: 'never read: the attempt broke before it' },
    ]);
    const second = attempt('p2', [{ type: 'stream-start', id: 's2', model: 'p2-model', created: 2, warnings: [] }, { type: 'text-start', id: 't2' }, { type: 'text-delta', id: 't2', delta: 'world' }], [
      { type: 'text-end', id: 't2' },
      { type: 'finish', finishReason: 'stop', usage },
    ]);
    const broke: GatewayError[] = [];
    const continued: ChatRequest[] = [];
    const continuer: StreamContinuer = {
      broke: (_attempt, error) => void broke.push(error),
      continueStream: async (_broken, _error, continuation) => {
        continued.push(continuation);
        return second;
      },
    };
    const { events } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    assert.deepEqual(broke, [broken], 'the failure polled out of the burst is the one recovered from');
    assert.equal(continued[0]?.assistantPrefix, 'Hello, ', 'the continuation carries exactly the text the caller got');
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [`${event.id}:${event.delta}`] : []));
    assert.deepEqual(text, ['t1:Hel', 't1:lo, ', 't1:world'], 'one text block, nothing repeated or lost');
    assert.deepEqual(
      events.map((event) => event.type),
      ['stream-start', 'text-start', 'text-delta', 'text-delta', 'resume', 'text-delta', 'text-end', 'finish'],
    );
    const finish = events.at(-1);
    assert.ok(finish?.type === 'finish' && finish.usageByAttempt?.length === 2, 'the finish sums both attempts');
    assert.ok(second.released(), 'the attempt that finished stops listening (the broken one is the executor’s, in broke())');
  });

  it('ends with the error event when nothing can continue a failure the polls took', async () => {
    const broken = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'Provider "p1" broke off', { provider: 'p1' });
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [] }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Hel' }], [
      { type: 'error', error: broken },
    ]);
    const continuer: StreamContinuer = { broke: () => undefined, continueStream: async () => undefined };
    const { events } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    assert.equal(last?.type === 'error' && last.error, broken);
    assert.ok(!events.some((event) => event.type === 'finish'), 'never a normal finish');
  });

  // An outside probe: every stream kept all the text it had sent until it ended, so an endless
  // stream grew the heap as fast as text streamed.
  it('does not continue an answer longer than a prefix can be, and keeps none of its text for it', async () => {
    const broken = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'Provider "p1" broke off', { provider: 'p1' });
    const piece = 'word '.repeat(20_000);
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [] }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: piece }], [
      ...Array.from({ length: 11 }, (): StreamEvent => ({ type: 'text-delta', id: 't', delta: piece })),
      { type: 'error', error: broken },
    ]);
    let asked = false;
    const continuer: StreamContinuer = {
      broke: () => undefined,
      continueStream: async () => {
        asked = true;
        return undefined;
      },
    };
    const { events } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    assert.equal(asked, false, 'past 1 Mi characters the answer is not continued');
    const last = events.at(-1);
    assert.ok(last?.type === 'error' && last.usage === undefined);
    assert.equal(events.filter((event) => event.type === 'text-delta').length, 12, 'every piece still reaches the caller');
  });

  it('ends a resumed stream that fails again with every attempt’s usage: the provider’s where its error reported it, else counted', async () => {
    const billed = { inputTokens: 9, outputTokens: 40 };
    const failedGeneration = new GatewayError('SB_ERR_UPSTREAM_ERROR', 'Provider "p1" ended the generation with finishReason', { provider: 'p1' });
    const cut = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'Provider "p2" broke off', { provider: 'p2' });
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [] }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Hello, ' }], [
      { type: 'error', error: failedGeneration, usage: billed },
    ]);
    const second = attempt('p2', [{ type: 'stream-start', id: 's2', model: 'p2-model', created: 2, warnings: [] }, { type: 'text-start', id: 'u' }, { type: 'text-delta', id: 'u', delta: 'world' }], [
      { type: 'error', error: cut },
    ]);
    const next = [second];
    const continuer: StreamContinuer = { broke: () => undefined, continueStream: async () => next.shift() };
    const { events } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    const last = events.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error, cut);
    assert.deepEqual(
      last.usageByAttempt?.map((part) => [part.model.providerId, part.usage.estimated ?? false]),
      [
        ['p1', false],
        ['p2', true],
      ],
    );
    assert.deepEqual(last.usageByAttempt?.[0]?.usage, billed, 'the failed generation’s own report, not a count');
    const counted = last.usageByAttempt![1]!.usage;
    assert.ok(counted.outputTokens > 0 && counted.inputTokens > 0, 'the cut attempt counted: its prompt and what it streamed');
    assert.deepEqual([last.usage?.inputTokens, last.usage?.outputTokens], [billed.inputTokens + counted.inputTokens, billed.outputTokens + counted.outputTokens]);
  });

  it('bills a cut attempt’s prompt as its provider counted it at the start, cache reads included, not by our count', async () => {
    // Anthropic's message_start (src/providers/anthropic) reports the prompt, a cached one here.
    const prompt = { inputTokens: 2400, outputTokens: 1, cachedInputTokens: 2000 };
    const cut = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'Provider "p1" broke off', { provider: 'p1' });
    const first = attempt('p1', [{ type: 'stream-start', id: 's', model: 'p1-model', created: 1, warnings: [], inputUsage: prompt }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Hello, ' }], [
      { type: 'error', error: cut },
    ]);
    // The continuation reports a start of its own, and then no usage at all: counted on its own prompt.
    const second = attempt('p2', [{ type: 'stream-start', id: 's2', model: 'p2-model', created: 2, warnings: [] }, { type: 'text-start', id: 'u' }, { type: 'text-delta', id: 'u', delta: 'world' }], [
      { type: 'text-end', id: 'u' },
      { type: 'finish', finishReason: 'stop' },
    ]);
    const next = [second];
    const continuer: StreamContinuer = { broke: () => undefined, continueStream: async () => next.shift() };
    const { events } = await readPolling(resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true }));
    const last = events.at(-1);
    assert.ok(last?.type === 'finish');
    const [broke, resumed] = last.usageByAttempt!;
    assert.deepEqual(
      [broke?.usage.inputTokens, broke?.usage.cachedInputTokens, broke?.usage.estimated],
      [2400, 2000, true],
      'the cut attempt: the prompt its provider reported, cache reads kept',
    );
    assert.ok(broke!.usage.outputTokens > 1, 'and what it streamed, counted');
    assert.equal(resumed?.usage.cachedInputTokens, undefined, 'the continuation reported no start usage: its prompt counted, not the first attempt’s');
    assert.ok(resumed!.usage.inputTokens > 0 && resumed!.usage.inputTokens < 2400);
  });

  // Found in review: the resume stream reads on by itself after events it swallowed (a
  // continuation repeating the text so far, a held error), with no read of the caller's waiting.
  // A poll then must not take the event after the one that read is bringing.
  const text = (events: StreamEvent[]) => events.map((event) => (event.type === 'text-delta' ? event.delta : event.type === 'error' ? `<error: ${event.error.message}>` : `<${event.type}>`)).join('');
  const start = (id: string): StreamEvent => ({ type: 'stream-start', id, model: 'm', created: 1, warnings: [] });
  /** The text the caller reads through one more stage (the tap and formatter's), with or without polls. */
  const through = async (attempts: () => { first: StreamAttempt; next: StreamAttempt[] }, polls: boolean) => {
    const { first, next } = attempts();
    const continuer: StreamContinuer = { broke: () => undefined, continueStream: async () => next.shift() };
    const resumed = resumableStream(first, request, { continuer, signal: new AbortController().signal, resume: true });
    return text((await readPolling(transformReader<StreamEvent, StreamEvent>(resumed, { transform: (event, controller) => controller.enqueue(event) }), polls)).events);
  };

  const broken = new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'broke', { provider: 'p1' });
  /** The first attempt: "Hello, ", then it breaks. */
  const brokeAfterHello = () => attempt('p1', [start('s'), { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Hello, ' }], [{ type: 'error', error: broken }]);
  /** A continuation that repeats the text so far (Mistral): its first output, part of the repeat, is swallowed; then `rest`. */
  const repeating = (rest: StreamEvent[]) => attempt('p2', [start('s2'), { type: 'text-start', id: 'u' }, { type: 'text-delta', id: 'u', delta: 'Hello' }], rest, true);

  it('gives with polls exactly what reads alone give when a continuation repeats the text so far', async () => {
    const attempts = () => ({
      first: brokeAfterHello(),
      next: [
        repeating([
          { type: 'text-delta', id: 'u', delta: ', wor' },
          { type: 'text-delta', id: 'u', delta: 'ld' },
          { type: 'text-delta', id: 'u', delta: '!' },
          { type: 'text-end', id: 'u' },
          { type: 'finish', finishReason: 'stop', usage },
        ]),
      ],
    });
    const readOnly = await through(attempts, false);
    assert.equal(readOnly, '<stream-start><text-start>Hello, <resume>world!<text-end><finish>');
    assert.equal(await through(attempts, true), readOnly);
  });

  it('never passes on what an attempt sent after its error, nor lets that attempt’s end fail the next one', async () => {
    const attempts = () => ({
      first: brokeAfterHello(),
      next: [
        repeating([
          { type: 'error', error: broken },
          { type: 'text-delta', id: 'u', delta: 'JUNK-after-error' },
        ]),
        attempt('p3', [start('s3'), { type: 'text-start', id: 'v' }, { type: 'text-delta', id: 'v', delta: 'world' }], [
          { type: 'text-end', id: 'v' },
          { type: 'finish', finishReason: 'stop', usage },
        ]),
      ],
    });
    const readOnly = await through(attempts, false);
    assert.ok(!readOnly.includes('JUNK'));
    assert.ok(readOnly.endsWith('world<text-end><finish>'), readOnly);
    assert.equal(await through(attempts, true), readOnly);
  });

  // The two cases above, driven step by step instead of through the microtask order of a
  // recovery (one promise hop more there hid them from the tests above). The window: the caller's
  // read was answered (with the resume), and the stream reads on by itself, through what the
  // repeating continuation swallowed, into a read of that attempt, or into its failure.
  /** An attempt's reader answered by the test: a read waits for `answer`; `ready` is what a poll finds. */
  function gatedReader() {
    let waiting: ((result: ReadResult<StreamEvent>) => void) | undefined;
    let readStarted!: () => void;
    const started = new Promise<void>((resolve) => (readStarted = resolve));
    const ready: Array<ReadResult<StreamEvent>> = [];
    const reader: EventReader<StreamEvent> = {
      read: () => {
        readStarted();
        return new Promise((resolve) => (waiting = resolve));
      },
      poll: () => ready.shift(),
      cancel: async () => undefined,
    };
    const answer = (result: ReadResult<StreamEvent>) => {
      assert.ok(waiting, 'a read of the attempt is waiting');
      const resolve = waiting;
      waiting = undefined;
      resolve(result);
    };
    return { reader, ready, answer, started };
  }
  const delta = (value: string): ReadResult<StreamEvent> => ({ done: false, value: { type: 'text-delta', id: 'u', delta: value } });
  const end: Array<ReadResult<StreamEvent>> = [
    { done: false, value: { type: 'text-end', id: 'u' } },
    { done: false, value: { type: 'finish', finishReason: 'stop', usage } },
  ];

  /** "Hello, " then a break; read up to the resume, with the repeating continuation's own read of its attempt started. */
  async function readToResume(continueStream: StreamContinuer['continueStream']) {
    const gate = gatedReader();
    const continuation = { ...repeating([]), reader: gate.reader };
    let calls = 0;
    const continuer: StreamContinuer = { broke: () => undefined, continueStream: (...args) => (calls++ === 0 ? Promise.resolve(continuation) : continueStream(...args)) };
    const stream = resumableStream(brokeAfterHello(), request, { continuer, signal: new AbortController().signal, resume: true });
    const got: StreamEvent[] = [];
    for (let next = await stream.read(); !next.done; next = await stream.read()) {
      got.push(next.value);
      if (next.value.type === 'resume') break;
    }
    assert.equal(text(got), '<stream-start><text-start>Hello, <resume>');
    await gate.started;
    return { stream, gate, got };
  }

  it('takes nothing by poll while its own read of the attempt is under way', async () => {
    const { stream, gate, got } = await readToResume(() => assert.fail('nothing else broke'));
    gate.ready.push(delta('ld!'), ...end); // the events after the one the read is bringing
    assert.equal(stream.poll?.(), undefined, 'the events after the one being read are not taken ahead of it');
    gate.answer(delta(', wor'));
    got.push(...(await readPolling(stream)).events);
    assert.equal(text(got), '<stream-start><text-start>Hello, <resume>world!<text-end><finish>');
  });

  it('takes nothing by poll while a failure is recovered from, so nothing the broken attempt sent after its error passes', async () => {
    let called!: () => void;
    const continueCalled = new Promise<void>((resolve) => (called = resolve));
    let resume!: (attempt: StreamAttempt) => void;
    const { stream, gate, got } = await readToResume(() => {
      called();
      return new Promise((resolve) => (resume = resolve));
    });
    gate.ready.push(delta('JUNK-after-error'));
    gate.answer({ done: false, value: { type: 'error', error: broken } });
    await continueCalled;
    assert.equal(stream.poll?.(), undefined, 'nothing is taken from the attempt that broke');
    resume(attempt('p3', [start('s3'), { type: 'text-start', id: 'v' }, { type: 'text-delta', id: 'v', delta: 'world' }], [end[0]!.value!, end[1]!.value!] as StreamEvent[]));
    got.push(...(await readPolling(stream)).events);
    assert.equal(text(got), '<stream-start><text-start>Hello, <resume><resume>world<text-end><finish>');
    assert.equal(gate.ready.length, 1, 'the broken attempt was never polled again');
  });
});
