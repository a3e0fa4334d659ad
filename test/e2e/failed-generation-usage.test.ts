import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { rawRequest } from '../helpers/http.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-failed-generation';

/** Gemini's price in the config, per million tokens, and its usage on every failed generation below. */
const geminiPrice = { input_per_mtok: 1, output_per_mtok: 10 };
const geminiUsage = { promptTokenCount: 1234, candidatesTokenCount: 321, totalTokenCount: 1555 };
const geminiCost = (1234 * 1 + 321 * 10) / 1e6;
const miniPrice = { input_per_mtok: 0.15, output_per_mtok: 0.6 };

/**
 * A generation that fails in the provider's own hands (here Gemini's MALFORMED_FUNCTION_CALL,
 * whose answer carries usageMetadata: ../shared/specs/gemini) is billed by the provider, so the
 * ledger counts it: in the failed attempt's entry, and in the row's tokens and cost, whatever
 * answered after it (docs/routing.md "Usage and cost"). A Gemini upstream of a few lines answers
 * generateContent with one GenerateContentResponse and streamGenerateContent (`?alt=sse`) with
 * `data:` messages separated by CRLF CRLF, as the recorded fixtures in src/providers/gemini/__fixtures__.
 */
describe('a generation that fails in the provider’s hands is paid for', () => {
  let upstream: Server;
  let backup: OpenAISimulator;
  let gateway: TestGateway;
  /** What the upstream streams: text before the failure, or the failure alone. */
  let streamed: 'text-then-failure' | 'failure-only' = 'text-then-failure';
  const failure = { candidates: [{ content: { parts: [], role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }], usageMetadata: geminiUsage, modelVersion: 'gemini-2.5-flash' };
  const text = { candidates: [{ content: { parts: [{ text: 'Let me call the tool' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-flash' };

  before(async () => {
    upstream = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const url = request.url ?? '';
        if (request.method === 'POST' && /:generateContent$/.test(url)) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(failure));
          return;
        }
        if (request.method === 'POST' && /:streamGenerateContent\?alt=sse$/.test(url)) {
          const chunks = streamed === 'text-then-failure' ? [text, failure] : [failure];
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.end(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join(''));
          return;
        }
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}');
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as AddressInfo;
    backup = await new OpenAISimulator({ apiKey: 'backup-key-0123456789' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'gem', type: 'gemini', base_url: `http://127.0.0.1:${port}`, api_key: 'gemini-test-key-0123456789' },
        { id: 'backup', type: 'openai', base_url: backup.url, api_key: 'backup-key-0123456789' },
      ],
      models: [
        { id: 'flash', provider: 'gem', upstream: 'gemini-2.5-flash', pricing: geminiPrice },
        { id: 'mini', provider: 'backup', upstream: 'gpt-4o-mini', pricing: miniPrice },
      ],
      routes: [{ id: 'gemini-first', strategy: 'ordered', candidates: ['flash', 'mini'] }],
    });
  });

  after(async () => {
    await closeAll(gateway, backup);
    upstream.close();
  });

  it('streamed after output: an error for the caller, the row with the tokens Gemini reported, priced', async () => {
    streamed = 'text-then-failure';
    const client = openaiClient(gateway, masterKey);
    const response = await client.chat.completions.create({ model: 'flash', stream: true, messages: [{ role: 'user', content: 'Call the weather tool.' }] }).withResponse();
    await assert.rejects(collectStream(response.data), /ended the generation with finishReason/);
    const row = await gateway.ledgerRow(response.response);
    assert.ok(row, 'the request has its row');
    assert.deepEqual([row.status, row.errorCode, row.inputTokens, row.outputTokens, row.tokensEstimated], ['error', 'SB_ERR_UPSTREAM_ERROR', 1234, 321, false]);
    assert.equal(row.costUsd, geminiCost);
  });

  it('not streamed, with nothing else to try: the error, and the row with what the failed call used', async () => {
    const answer = await chat(gateway.origin, masterKey, { model: 'flash', messages: [{ role: 'user', content: 'Call the weather tool.' }] });
    assert.equal(answer.status, 502, answer.text);
    const row = await gateway.ledgerRow(answer);
    assert.ok(row);
    assert.deepEqual([row.status, row.model, row.inputTokens, row.outputTokens, row.tokensEstimated, row.costUsd], ['error', null, 1234, 321, false, geminiCost]);
    assert.deepEqual([row.attempts[0]?.outcome, row.attempts[0]?.inputTokens, row.attempts[0]?.outputTokens], ['error', 1234, 321]);
    // The error answer says what the failed call cost, and which model it was (docs/errors.md).
    assert.equal(Number(answer.headers.get('x-switchboard-cost-usd')), geminiCost);
    assert.deepEqual(
      ['x-switchboard-model', 'x-switchboard-provider', 'x-switchboard-route', 'x-switchboard-attempts'].map((name) => answer.headers.get(name)),
      ['flash', 'gem', 'none', '1'],
    );
  });

  it('not streamed, then answered by the next candidate: both calls in the tokens and the cost, each at its own price', async () => {
    const answer = await chat(gateway.origin, masterKey, { model: 'gemini-first', messages: [{ role: 'user', content: 'Call the weather tool.' }] });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-provider'), 'backup');
    const usage = answer.json?.usage as { prompt_tokens: number; completion_tokens: number };
    const row = await gateway.ledgerRow(answer);
    assert.ok(row);
    assert.deepEqual([row.model, row.inputTokens, row.outputTokens], ['mini', 1234 + usage.prompt_tokens, 321 + usage.completion_tokens]);
    const expected = geminiCost + (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6;
    assert.ok(Math.abs(row.costUsd - expected) < 1e-8, `${row.costUsd} against ${expected}`);
    assert.ok(Math.abs(Number(answer.headers.get('x-switchboard-cost-usd')) - expected) < 1e-8, 'the cost header says the same');
    // /admin/usage names the failed attempt's tokens.
    const listed = await adminClient(gateway.origin, masterKey).get<{ data: Array<{ id: string; attempts: Array<Record<string, unknown>> }> }>('/admin/usage?limit=100');
    const attempts = listed.body.data.find((each) => each.id === answer.headers.get('x-request-id'))?.attempts;
    assert.deepEqual(
      attempts?.map((attempt) => [attempt.provider, attempt.outcome, attempt.input_tokens, attempt.output_tokens, attempt.cost_usd]),
      [
        ['gem', 'error', 1234, 321, geminiCost],
        ['backup', 'ok', undefined, undefined, undefined],
      ],
    );
  });

  it('streamed, failing before any output: the next candidate streams the answer, and the failed call is paid for', async () => {
    streamed = 'failure-only';
    const client = openaiClient(gateway, masterKey);
    const response = await client.chat.completions
      .create({ model: 'gemini-first', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Call the weather tool.' }] })
      .withResponse();
    const streamedAnswer = await collectStream(response.data);
    assert.ok(streamedAnswer.text.length > 0 && streamedAnswer.usage, 'the backup answered, with its usage');
    const row = await gateway.ledgerRow(response.response);
    assert.ok(row);
    assert.deepEqual(
      [row.status, row.model, row.inputTokens, row.outputTokens],
      ['ok', 'mini', 1234 + streamedAnswer.usage.prompt_tokens, 321 + streamedAnswer.usage.completion_tokens],
    );
    assert.deepEqual([row.attempts[0]?.inputTokens, row.attempts[0]?.outputTokens], [1234, 321]);
  });

  it('counts each failed generation on its own model in /metrics, not on the model that answered after it', async () => {
    // The four requests above: each had one Gemini call that failed having used geminiUsage.
    const metrics = String((await rawRequest<string>('GET', gateway.origin, '/metrics')).text);
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(value('switchboard_tokens_total{model="flash",provider="gem",direction="input"}'), 4 * 1234);
    assert.equal(value('switchboard_tokens_total{model="flash",provider="gem",direction="output"}'), 4 * 321);
    assert.ok(Math.abs(value('switchboard_cost_usd_total{model="flash",provider="gem"}') - 4 * geminiCost) < 1e-9);
    assert.ok(value('switchboard_tokens_total{model="mini",provider="backup",direction="input"}') < 2 * 1234, 'the backup has only its own answers');
    assert.doesNotMatch(metrics, /^switchboard_tokens_total\{model="none"/m);
  });
});
