import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-adaptive-master';

describe('feedback and the adaptive strategy', () => {
  let simulator: OpenAISimulator;
  let directory: string;
  let gateway: TestGateway;
  let client: OpenAI;
  const config = () => ({
    server: { master_key: masterKey },
    providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
    models: [
      { id: 'cheap', provider: 'oai', upstream: 'cheap-model', pricing: { input_per_mtok: 0.1, output_per_mtok: 0.4 }, quality: 0.8 },
      { id: 'premium', provider: 'oai', upstream: 'premium-model', pricing: { input_per_mtok: 3, output_per_mtok: 15 }, quality: 0.9 },
    ],
    routes: [{ id: 'smart', strategy: 'adaptive', candidates: ['cheap', 'premium'], min_quality: 0.7 }],
  });
  const feedback = (body: unknown, key: string | null = masterKey) => rawPost<{ error: { message: string } }>(gateway.origin, '/v1/feedback', body, { key });

  before(async () => {
    simulator = await new OpenAISimulator({ models: ['cheap-model', 'premium-model'] }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-adaptive-'));
    gateway = await startGateway(config(), { directory });
    client = openaiClient(gateway, masterKey);
  });
  after(async () => {
    await closeAll(gateway, simulator);
    await rm(directory, { recursive: true, force: true });
  });

  it('picks the cheapest model whose learned quality clears min_quality, and moves away from one that disappoints', async () => {
    const first = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(first.response.headers.get('x-switchboard-model'), 'cheap');
    for (let index = 0; index < 10; index += 1) {
      const { response } = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: `q${index}` }] }).withResponse();
      if (response.headers.get('x-switchboard-model') !== 'cheap') break;
      const answer = await feedback({ request_id: response.headers.get('x-request-id'), score: 0 });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { request_id: response.headers.get('x-request-id'), model: 'cheap', provider: 'oai', score: 0, recorded: true });
    }
    const later = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'again' }] }).withResponse();
    assert.equal(later.response.headers.get('x-switchboard-model'), 'premium');
  });

  it('keeps what it learned across a restart', async () => {
    await gateway.close();
    gateway = await startGateway(config(), { directory });
    client = openaiClient(gateway, masterKey);
    const { response } = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'after restart' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'premium');
  });

  it('rejects bad feedback with OpenAI-shaped 400s and unknown ids with 404', async () => {
    const { response } = await client.chat.completions.create({ model: 'premium', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    const id = response.headers.get('x-request-id');
    for (const [body, status] of [[{ request_id: id, score: 1.5 }, 400], [{ request_id: id }, 400], [{ score: 1 }, 400], [{ request_id: 'req_nope', score: 1 }, 404]] as const) {
      const answer = await feedback(body);
      assert.equal(answer.status, status, JSON.stringify(body));
      const error = answer.body.error;
      assert.ok(error.message);
    }
    const unauthenticated = await feedback({ request_id: id, score: 1 }, null);
    assert.equal(unauthenticated.status, 401);
  });
});
