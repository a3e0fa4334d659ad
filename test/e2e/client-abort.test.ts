import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

describe('a caller that goes away', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new OpenAISimulator({ chunkDelayMs: 30 }).start();
    gateway = await startGateway({
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
    });
    client = openaiClient(gateway, 'unused');
  });
  after(() => closeAll(gateway, simulator));

  it('mid-stream: the upstream call is closed and the ledger records the tokens streamed', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'fast', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }] },
      { signal: controller.signal },
    );
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received += 1;
      if (received === 3) {
        controller.abort();
        break;
      }
    }
    // The first token estimate loads the encoder (about 0.35 s, src/tokens/count.ts) before the
    // upstream call is closed: wait for the close rather than a fixed time.
    for (const started = Date.now(); simulator.abandoned === 0 && Date.now() - started < 5_000; ) await sleep(50);
    assert.equal(simulator.abandoned, 1, 'the upstream stream was not closed');
    const row = (await gateway.ledger()).find((candidate) => candidate.stream);
    assert.ok(row);
    assert.equal(row.status, 'client_aborted');
    assert.equal(row.tokensEstimated, true);
    assert.ok(row.outputTokens >= 3 && row.outputTokens < 20, `output tokens ${row.outputTokens}`);
    assert.ok(row.costUsd > 0);
  });

  it('before the answer: the pending upstream call is aborted', async () => {
    simulator.fail({ kind: 'hang' });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal });
    await sleep(100);
    controller.abort();
    await assert.rejects(pending);
    await sleep(200);
    assert.equal(simulator.abandoned, 2);
    const rows = await gateway.ledger();
    assert.equal(rows.filter((row) => row.status === 'client_aborted').length, 2);
  });
});

describe('the in-flight gauge (/metrics)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    simulator = await new OpenAISimulator({ chunkDelayMs: 30 }).start();
    gateway = await startGateway({
      server: { master_key: 'sk-master-gauge' },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
    });
  });
  after(() => closeAll(gateway, simulator));

  /** The gauge as a scrape reads it: the scrape itself is one request in flight. */
  const inFlight = async () => {
    const text = await fetch(`${gateway.origin}/metrics`, { headers: { authorization: 'Bearer sk-master-gauge' } }).then((response) => response.text());
    return Number(/^switchboard_in_flight_requests (\S+)$/m.exec(text)?.[1]);
  };
  const chat = (key: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'one two three four five six' }], ...body }),
      ...(signal ? { signal } : {}),
    });

  it('comes back to idle after refused, aborted and streamed requests', async () => {
    assert.equal(await inFlight(), 1);
    // Refused by authentication: counted out as it was counted in.
    for (let index = 0; index < 3; index += 1) assert.equal((await chat('wrong-key', {})).status, 401);
    assert.equal(await inFlight(), 1);
    // Aborted by the caller before the answer, and in the middle of a stream.
    simulator.fail({ kind: 'hang' });
    const hanging = new AbortController();
    const pending = chat('sk-master-gauge', {}, hanging.signal).catch((error: Error) => error);
    await sleep(100);
    hanging.abort();
    await pending;
    const streaming = new AbortController();
    const answer = await chat('sk-master-gauge', { stream: true }, streaming.signal);
    const reader = answer.body!.getReader();
    await reader.read();
    streaming.abort();
    await reader.read().catch(() => undefined);
    for (const started = Date.now(); (await inFlight()) !== 1 && Date.now() - started < 3_000; ) await sleep(50);
    assert.equal(await inFlight(), 1);
  });
});
