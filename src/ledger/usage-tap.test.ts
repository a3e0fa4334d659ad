import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import type { LedgerRow } from '../core/ledger.ts';
import { GatewayError } from '../core/errors.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import { countTextTokens } from '../tokens/count.ts';
import { RequestRecord } from './request-record.ts';
import { UsageTap } from './usage-tap.ts';

const request: ChatRequest = {
  model: 'fast',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Write something long.' }] }],
  stream: true,
  includeUsage: false,
  metadata: {},
  hints: {},
};

function tapped(): { tap: UsageTap; rows: LedgerRow[]; writer: WritableStreamDefaultWriter<StreamEvent> } {
  const rows: LedgerRow[] = [];
  const record = new RequestRecord('req_test', 'chat', (row) => rows.push(row));
  const tap = new UsageTap(record, request);
  const stream = new TransformStream(tap.transformer);
  const writer = stream.writable.getWriter();
  void stream.readable.pipeTo(new WritableStream());
  return { tap, rows, writer };
}

describe('UsageTap', () => {
  it('records the streamed usage the provider reported, and finishes the row once', async () => {
    const { rows, writer } = tapped();
    await writer.write({ type: 'text-delta', id: 't', delta: 'Hello' });
    await writer.write({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: { inputTokens: 7, outputTokens: 2 } });
    await writer.close();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'ok');
    assert.equal(rows[0]!.outputTokens, 2);
    assert.equal(rows[0]!.tokensEstimated, false);
  });

  it("bills an unfinished stream's prompt as the provider counted it at the start (cache reads included), the output as streamed", async () => {
    for (const end of ['client', 'error', 'cut'] as const) {
      const { tap, rows, writer } = tapped();
      // Anthropic's message_start: 100 new prompt tokens and 40,000 read from the cache.
      const inputUsage = { inputTokens: 40_100, outputTokens: 1, cachedInputTokens: 40_000 };
      await writer.write({ type: 'stream-start', id: 'm', model: 'claude', created: 0, warnings: [], inputUsage });
      await writer.write({ type: 'text-delta', id: 't', delta: 'Hello there, and more words after that.' });
      if (end === 'client') tap.clientClosed();
      else if (end === 'error') await writer.write({ type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'overloaded') });
      else await writer.close();
      assert.equal(rows.length, 1, end);
      assert.equal(rows[0]!.inputTokens, 40_100, end);
      assert.equal(rows[0]!.cachedInputTokens, 40_000, end);
      assert.equal(rows[0]!.outputTokens, countTextTokens('Hello there, and more words after that.'), end);
      assert.equal(rows[0]!.tokensEstimated, true, end);
    }
  });

  // Issue 13, defect 1: a client hanging up on a long stream of text without spaces made the tap
  // count everything streamed with the quadratic encoder: the CPU stayed at 100% for minutes.
  it('counts a client-abandoned stream of 4 MB without spaces in bounded time and memory', async () => {
    // The encoder's tables load on the first count (0.3-0.4 s, src/tokens/count.ts): loaded before
    // the timed part, which is the estimate itself (a loaded machine made the load alone near 1 s).
    countTextTokens('warm');
    const { tap, rows, writer } = tapped();
    const delta = 'x'.repeat(4_096);
    for (let index = 0; index < 1_024; index += 1) await writer.write({ type: 'text-delta', id: 't', delta });
    const started = performance.now();
    tap.clientClosed();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1_000, `estimate took ${elapsed.toFixed(0)} ms`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'client_aborted');
    assert.equal(rows[0]!.tokensEstimated, true);
    // o200k encodes runs of "x" at about 8 characters per token; text past the kept part is
    // counted at the kept part's rate, so the whole 4 MB is accounted, not just the first MB.
    const expected = (4_096 * 1_024) / 8;
    assert.ok(Math.abs(rows[0]!.outputTokens - expected) / expected < 0.1, `${rows[0]!.outputTokens} output tokens`);
  });

  it('estimates usage when the provider sent none, and an upstream error finishes the row as an error', async () => {
    const first = tapped();
    await first.writer.write({ type: 'text-delta', id: 't', delta: 'Hello there, how are you?' });
    await first.writer.write({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop' });
    assert.equal(first.rows[0]!.tokensEstimated, true);
    assert.ok(first.rows[0]!.outputTokens >= 5);

    const second = tapped();
    await second.writer.write({ type: 'text-delta', id: 't', delta: 'partial' });
    await second.writer.close();
    assert.equal(second.rows[0]!.status, 'error');
    assert.equal(second.rows[0]!.errorCode, 'SB_ERR_STREAM_INTERRUPTED');
  });

  it('counts the output of a stream the caller left as the text it made, not delta by delta', async () => {
    const { tap, rows, writer } = tapped();
    const text = 'Simulated reply from m4: one two three four five six seven eight nine ten';
    for (const delta of text.split(/(?<= )/)) await writer.write({ type: 'text-delta', id: 't', delta });
    tap.clientClosed();
    assert.equal(rows[0]!.status, 'client_aborted');
    assert.equal(rows[0]!.outputTokens, countTextTokens(text));
    assert.equal(rows[0]!.tokensEstimated, true);
  });

  it('records the usage an error event reports (a failed generation the provider billed) instead of counting', async () => {
    const reported = tapped();
    await reported.writer.write({ type: 'text-delta', id: 't', delta: 'Let me call' });
    await reported.writer.write({ type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_ERROR', 'failed generation'), usage: { inputTokens: 9, outputTokens: 40 } });
    assert.deepEqual([reported.rows[0]!.status, reported.rows[0]!.inputTokens, reported.rows[0]!.outputTokens, reported.rows[0]!.tokensEstimated], ['error', 9, 40, false]);

    const counted = tapped();
    await counted.writer.write({ type: 'text-delta', id: 't', delta: 'Let me call' });
    await counted.writer.write({ type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_ERROR', 'connection reset') });
    assert.equal(counted.rows[0]!.tokensEstimated, true);
    assert.ok(counted.rows[0]!.outputTokens > 0 && counted.rows[0]!.outputTokens < 40);
  });

  it('bills every call of a resumed stream the caller left: the ones that broke as the resume said, the last counted on its prompt and prefix, each at its own price', async () => {
    const rows: LedgerRow[] = [];
    const record = new RequestRecord('req_resumed', 'chat', (row) => rows.push(row));
    const pricing = (input: number) => ({ inputPerMtok: input, outputPerMtok: 10 * input, cachedInputPerMtok: input / 2 });
    const first = { id: 'a', providerId: 'p1', upstream: 'a-model', tags: [], pricing: pricing(1) };
    const second = { id: 'b', providerId: 'p2', upstream: 'b-model', tags: [], pricing: pricing(2) };
    record.answered = first;
    const tap = new UsageTap(record, request);
    const stream = new TransformStream(tap.transformer);
    const writer = stream.writable.getWriter();
    void stream.readable.pipeTo(new WritableStream());
    const prefix = 'The first call said this much before it broke.';
    await writer.write({ type: 'text-delta', id: 't', delta: prefix });
    const broke = { inputTokens: 5_000, outputTokens: 12, cachedInputTokens: 4_000, estimated: true };
    await writer.write({ type: 'resume', spent: [{ model: first, usage: broke }], model: second });
    await writer.write({ type: 'text-delta', id: 't', delta: ' And the second call went on.' });
    tap.clientClosed();
    const row = rows[0]!;
    assert.equal(row.status, 'client_aborted');
    const continued = { inputTokens: countTextTokens('Write something long.'), outputTokens: countTextTokens(' And the second call went on.') };
    assert.ok(Math.abs(row.inputTokens - (5_000 + continued.inputTokens + countTextTokens(prefix))) <= 8, `${row.inputTokens} input tokens: both prompts, the second with the prefix`);
    assert.equal(row.cachedInputTokens, 4_000);
    assert.ok(row.outputTokens >= 12 + continued.outputTokens - 2, `${row.outputTokens} output tokens`);
    const secondInput = row.inputTokens - 5_000;
    const secondOutput = row.outputTokens - 12;
    const expected = ((5_000 - 4_000) * 1 + 4_000 * 0.5 + 12 * 10 + secondInput * 2 + secondOutput * 20) / 1_000_000;
    assert.ok(Math.abs(row.costUsd - expected) < 1e-9, `${row.costUsd} against ${expected}`);
  });

  it('tells when the row of a stream that finished is journaled, so that the end of its body can wait for it', async () => {
    let journaled: (() => void) | undefined;
    const record = new RequestRecord('req_journaled', 'chat', (_row, then) => (journaled = then));
    const tap = new UsageTap(record, request);
    const stream = new TransformStream(tap.transformer);
    const writer = stream.writable.getWriter();
    void stream.readable.pipeTo(new WritableStream());
    await writer.write({ type: 'text-delta', id: 't', delta: 'Hello' });
    assert.equal(tap.journaled(), undefined, 'nothing to wait for before the stream finished');
    await writer.write({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: { inputTokens: 3, outputTokens: 1 } });
    assert.ok(journaled, 'the record did not ask to be told when its row is journaled');
    const waiting = tap.journaled();
    assert.ok(waiting instanceof Promise);
    let resolved = false;
    void waiting.then(() => (resolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resolved, false, 'resolved before the row was journaled');
    journaled();
    await waiting;
    assert.equal(tap.journaled(), undefined);

    // A stream that failed is recorded at once (no callback): nothing to wait for.
    const failed = tapped();
    await failed.writer.write({ type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_ERROR', 'boom') });
    assert.equal(failed.rows[0]!.status, 'error');
    assert.equal(failed.tap.journaled(), undefined);
  });
});
