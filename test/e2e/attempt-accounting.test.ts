import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { countTextTokens } from '../../src/tokens/count.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-accounting-master';

/**
 * What the ledger says of each attempt and what a stream the provider left short is counted
 * at (docs/routing.md, "Usage and cost"; src/core/ledger.ts): the status the provider answered
 * with, also when its 200 held an error; the tokens of the text a stream made, not of its
 * pieces; a caller who asked for usage gets a usage chunk; after a context-length refusal, the
 * same upstream model is not asked again on another provider. Found by an outside probe of
 * failover and accounting (twenty-first session).
 */
describe('attempts and counted usage in the ledger (real gateway, official openai SDK)', () => {
  let east: OpenAISimulator;
  let west: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    east = await new OpenAISimulator({ apiKey: 'east-key', models: ['plain-model', 'broken-model', 'cut-model', 'narrow-model'], contextWindows: { 'narrow-model': 50 } }).start();
    west = await new OpenAISimulator({ apiKey: 'west-key', models: ['spare-model', 'narrow-model', 'roomy-model'], contextWindows: { 'narrow-model': 50 } }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'east', type: 'openai', base_url: east.url, api_key: 'east-key' },
        { id: 'west', type: 'openai', base_url: west.url, api_key: 'west-key' },
      ],
      // No context_window, and upstream names the catalog does not know: every window unknown.
      models: [
        { id: 'plain', provider: 'east', upstream: 'plain-model' },
        { id: 'broken', provider: 'east', upstream: 'broken-model' },
        { id: 'cut', provider: 'east', upstream: 'cut-model' },
        { id: 'spare', provider: 'west', upstream: 'spare-model' },
        { id: 'narrow-east', provider: 'east', upstream: 'narrow-model' },
        { id: 'narrow-west', provider: 'west', upstream: 'narrow-model' },
        { id: 'roomy', provider: 'west', upstream: 'roomy-model' },
      ],
      routes: [
        { id: 'with-spare', strategy: 'ordered', candidates: ['broken', 'spare'] },
        { id: 'long-prompt', strategy: 'ordered', candidates: ['narrow-east', 'narrow-west', 'roomy'] },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, east, west));

  it('records the status each provider answered with: 200 for a success, 503 for a refusal, 200 for a 200 that is not JSON', async () => {
    const plain = await client.chat.completions.create({ model: 'plain', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    const plainRow = (await gateway.ledgerRow(plain.response))!;
    assert.deepStrictEqual(
      plainRow.attempts.map((attempt) => [attempt.outcome, attempt.upstreamStatus]),
      [['ok', 200]],
    );

    east.fail({ kind: 'status', status: 503 }, { model: 'broken-model' });
    const fellBack = await client.chat.completions.create({ model: 'with-spare', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    const fellBackRow = (await gateway.ledgerRow(fellBack.response))!;
    assert.deepStrictEqual(
      fellBackRow.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode, attempt.upstreamStatus]),
      [
        ['broken', 'error', 'SB_ERR_UPSTREAM_UNAVAILABLE', 503],
        ['spare', 'ok', undefined, 200],
      ],
    );

    east.fail({ kind: 'invalid-json' }, { model: 'broken-model' });
    const garbled = await client.chat.completions.create({ model: 'with-spare', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    const garbledRow = (await gateway.ledgerRow(garbled.response))!;
    assert.deepStrictEqual(
      garbledRow.attempts.map((attempt) => [attempt.outcome, attempt.errorCode, attempt.upstreamStatus]),
      [
        ['error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE', 200],
        ['ok', undefined, 200],
      ],
    );
  });

  it("keeps the stream's 200 for an error event after output, and says the provider answered with an error", async () => {
    east.fail({ kind: 'stream-error', afterChunks: 3, message: 'The server had an error' }, { model: 'broken-model' });
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'broken', stream: true, messages: [{ role: 'user', content: 'hello' }] }, { key: masterKey });
    const last = answer.text.trim().split('\n\n').at(-1)!;
    assert.match(last, /^data: \{"error"/);
    assert.match(last, /answered with an error: The server had an error/);
    const row = (await gateway.ledgerRow(answer))!;
    assert.equal(row.status, 'error');
    assert.deepStrictEqual(
      row.attempts.map((attempt) => [attempt.outcome, attempt.errorCode, attempt.upstreamStatus]),
      [['error', 'SB_ERR_UPSTREAM_ERROR', 200]],
    );
  });

  it('ends a stream whose provider stopped after its finish with a usage chunk when asked, counting the text it made', async () => {
    const messages = [{ role: 'user' as const, content: 'count to ten please' }];
    const whole = await client.chat.completions.create({ model: 'cut', messages });
    const text = whole.choices[0]!.message.content!;
    const pieces = text.match(/\S+\s*|\s+/g)!.length;
    // The simulator's frames: the role chunk, one per word, the finish chunk; the body ends before the usage chunk and [DONE].
    east.fail({ kind: 'end-stream', afterChunks: 1 + pieces + 1 }, { model: 'cut-model' });
    const stream = await client.chat.completions.create({ model: 'cut', messages, stream: true, stream_options: { include_usage: true } }).withResponse();
    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream.data) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(streamed, text);
    assert.ok(usage, 'no usage chunk');
    assert.equal(usage.completion_tokens, countTextTokens(text));
    const row = (await gateway.ledgerRow(stream.response))!;
    assert.equal(row.status, 'ok');
    assert.equal(row.tokensEstimated, true);
    assert.equal(row.outputTokens, countTextTokens(text));
  });

  it('does not ask the same upstream model again on another provider after it refused a prompt as too long', async () => {
    const before = west.chatCalls('narrow-model').length;
    const { response } = await client.chat.completions
      .create({ model: 'long-prompt', messages: [{ role: 'user', content: 'this prompt is longer than fifty simulated tokens '.repeat(4) }] })
      .withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'roomy');
    assert.equal(west.chatCalls('narrow-model').length, before);
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(
      row.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode]),
      [
        ['narrow-east', 'error', 'SB_ERR_CONTEXT_LENGTH'],
        ['roomy', 'ok', undefined],
      ],
    );
  });
});
