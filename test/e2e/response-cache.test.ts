import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { collectStream, openaiClient } from '../helpers/openai-client.ts';

describe('exact-match response cache (routes[].cache)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
      routes: [
        { id: 'cached', strategy: 'ordered', candidates: ['fast'], cache: { ttl_s: 60 } },
        { id: 'uncached', strategy: 'ordered', candidates: ['fast'] },
      ],
    });
    client = openaiClient(gateway, 'open');
  });
  after(() => closeAll(gateway, simulator));

  it('answers a repeated request from the cache, free and without calling the provider', async () => {
    const body = { model: 'cached', messages: [{ role: 'user' as const, content: 'what is 2+2?' }], temperature: 0 };
    const first = await client.chat.completions.create(body).withResponse();
    assert.equal(first.response.headers.get('x-switchboard-cache'), 'miss');
    const calls = simulator.chatCalls().length;
    const second = await client.chat.completions.create(body).withResponse();
    assert.equal(second.response.headers.get('x-switchboard-cache'), 'hit');
    assert.equal(second.response.headers.get('x-switchboard-attempts'), '0');
    assert.equal(second.response.headers.get('x-switchboard-cost-usd'), '0');
    assert.deepEqual(second.data, first.data);
    assert.equal(simulator.chatCalls().length, calls);
    const row = (await gateway.ledgerRow(second.response))!;
    assert.equal(row.costUsd, 0);
    assert.match(row.reason ?? '', /response cache/);

    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }).withResponse();
    assert.equal(stream.response.headers.get('x-switchboard-cache'), 'hit');
    const { text } = await collectStream(stream.data);
    assert.equal(text, first.data.choices[0]?.message.content);
    assert.equal(simulator.chatCalls().length, calls);
  });

  it('misses on any difference in the body, stores streamed answers too, and is off on other routes', async () => {
    const differs = await client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'what is 2+2?' }], temperature: 0.5 }).withResponse();
    assert.equal(differs.response.headers.get('x-switchboard-cache'), 'miss');
    const streamed = await client.chat.completions.create({ model: 'cached', stream: true, messages: [{ role: 'user', content: 'stream me' }] });
    await collectStream(streamed);
    const replay = await client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'stream me' }] }).withResponse();
    assert.equal(replay.response.headers.get('x-switchboard-cache'), 'hit');
    assert.equal(replay.data.choices[0]?.message.content, 'Simulated reply from gpt-4o-mini: stream me');
    const plain = await client.chat.completions.create({ model: 'uncached', messages: [{ role: 'user', content: 'what is 2+2?' }] }).withResponse();
    assert.equal(plain.response.headers.get('x-switchboard-cache'), null);
  });

  // An outside probe: a streamed hit rebuilt the answer from its typed form (one choice, no
  // logprobs, no system_fingerprint), and a plain answer with several choices came back as a
  // stream of one.
  it('replays a streamed answer as its provider sent it, and keeps several choices or logprobs to their own delivery', async () => {
    const body = { model: 'cached', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'replay me' }] };
    const first = await rawPost(gateway.origin, '/v1/chat/completions', body);
    assert.equal(first.headers.get('x-switchboard-cache'), 'miss');
    const calls = simulator.chatCalls().length;
    const hit = await rawPost(gateway.origin, '/v1/chat/completions', body);
    assert.equal(hit.headers.get('x-switchboard-cache'), 'hit');
    assert.equal(hit.text, first.text, 'the same chunks, byte for byte');
    assert.match(hit.text, /"system_fingerprint"/);
    // Without include_usage this caller gets no usage chunk, as from the provider.
    const withoutUsage = await rawPost(gateway.origin, '/v1/chat/completions', { ...body, stream_options: undefined });
    assert.equal(withoutUsage.headers.get('x-switchboard-cache'), 'hit');
    assert.doesNotMatch(withoutUsage.text, /"choices":\[\],/);
    assert.match(withoutUsage.text, /data: \[DONE\]\n\n$/);
    assert.equal(simulator.chatCalls().length, calls);

    const several = { model: 'cached', n: 2, messages: [{ role: 'user' as const, content: 'two answers' }] };
    const plain = await client.chat.completions.create(several);
    assert.equal(plain.choices.length, 2);
    const again = await client.chat.completions.create(several).withResponse();
    assert.equal(again.response.headers.get('x-switchboard-cache'), 'hit');
    assert.equal(again.data.choices.length, 2);
    const streamed = await client.chat.completions.create({ ...several, stream: true }).withResponse();
    assert.equal(streamed.response.headers.get('x-switchboard-cache'), 'miss', 'a stream of one choice is not the stored answer of two');
    await collectStream(streamed.data);
  });
});
