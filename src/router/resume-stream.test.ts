import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError } from '../core/errors.ts';
import type { ModelInfo } from '../core/model.ts';
import type { EventReader, StreamEvent } from '../core/stream-event.ts';
import { burstReader } from '../../test/helpers/events.ts';
import { resumableStream, type StreamAttempt, type StreamContinuer } from './resume-stream.ts';

/**
 * The resumable stream read the way the HTTP layer reads it (src/server/send-stream.ts): a read,
 * then every event ready at once (`poll`). A provider's events often come in one burst, the
 * attempt's failure with them; what `poll` takes of it must resume exactly as a read would.
 */

const request = {
  model: 'chat',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
  stream: true,
  includeUsage: true,
  metadata: {},
  hints: {},
} as unknown as ChatRequest;

const model = (providerId: string): ModelInfo => ({ id: 'chat', providerId, upstream: `${providerId}-model`, tags: [] });

/** An attempt whose events before its first output were peeked, and whose rest comes in one read. */
function attempt(providerId: string, buffered: StreamEvent[], rest: StreamEvent[]): StreamAttempt & { released: () => boolean } {
  let released = false;
  return {
    buffered,
    reader: burstReader(rest).reader,
    model: model(providerId),
    record: { model: 'chat', provider: providerId, upstreamModel: `${providerId}-model`, outcome: 'ok', latencyMs: 1 },
    startedAt: 0,
    stallMs: 60_000,
    abort: () => undefined,
    release: () => void (released = true),
    released: () => released,
  };
}

/** Everything the stream gives, each read followed by the polls it makes possible; how many reads it took. */
async function readPolling(reader: EventReader<StreamEvent>): Promise<{ events: StreamEvent[]; reads: number }> {
  const events: StreamEvent[] = [];
  let reads = 0;
  for (;;) {
    reads += 1;
    const next = await reader.read();
    if (next.done) return { events, reads };
    events.push(next.value);
    for (let ready = reader.poll?.(); ready !== undefined; ready = reader.poll?.()) {
      if (ready.done) return { events, reads };
      events.push(ready.value);
    }
  }
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
});
