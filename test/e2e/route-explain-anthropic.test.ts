import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-explain-anthropic-master';

/** What /v1/route/explain answers, the part read here. */
interface Explanation {
  order: string[];
  estimated_input_tokens: number;
  candidates: Array<{ model: string; removed_by?: string }>;
}

/**
 * /v1/route/explain of an Anthropic Messages body (sent with `anthropic-version`, as Anthropic's
 * clients send every request) gives the decision /v1/messages makes for it (docs/routing.md). An
 * outside probe: read as a chat completions body, `metadata.user_id` picked no split arm (explain
 * named either arm at random while /v1/messages kept to one), an image was a 400, and the
 * `system` prompt went uncounted.
 */
describe('POST /v1/route/explain with an Anthropic Messages body (official @anthropic-ai/sdk)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let client: Anthropic;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'mini', provider: 'oai', upstream: 'gpt-4o-mini', capabilities: ['tools'], pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
        { id: 'big', provider: 'oai', upstream: 'gpt-4o', capabilities: ['tools', 'vision'], pricing: { input_per_mtok: 2.5, output_per_mtok: 10 } },
      ],
      routes: [
        { id: 'ab', strategy: 'cost', candidates: ['mini', 'big'], split: [{ model: 'mini', weight: 50 }, { model: 'big', weight: 50 }] },
        { id: 'cheap', strategy: 'cost', candidates: ['mini', 'big'] },
      ],
    });
    client = new Anthropic({ baseURL: gateway.origin, apiKey: masterKey, maxRetries: 0 });
  });
  after(() => closeAll(gateway, simulator));

  const explain = (body: Record<string, unknown>) => client.post<Explanation>('/v1/route/explain', { body });

  it('picks the split arm of metadata.user_id, as /v1/messages does', async () => {
    for (const user of ['user-1', 'user-2', 'user-3', 'user-4']) {
      const body = { model: 'ab', max_tokens: 16, metadata: { user_id: user }, messages: [{ role: 'user' as const, content: 'hi' }] };
      const explained = new Set<string>();
      for (let index = 0; index < 6; index += 1) explained.add((await explain(body)).order[0]!);
      assert.equal(explained.size, 1, `explain named ${[...explained].join(' and ')} for ${user}`);
      const { response } = await client.messages.create(body).withResponse();
      assert.equal(response.headers.get('x-switchboard-model'), [...explained][0], user);
    }
  });

  it('reads images, tools and the system prompt as /v1/messages does', async () => {
    const image = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: 'iVBORw0KGgo=' } };
    const withImage = await explain({ model: 'cheap', max_tokens: 16, messages: [{ role: 'user', content: [image, { type: 'text', text: 'what is it?' }] }] });
    assert.deepEqual(withImage.order, ['big']);
    assert.equal(withImage.candidates.find((candidate) => candidate.model === 'mini')?.removed_by, 'capabilities');
    const withTool = await explain({ model: 'cheap', max_tokens: 16, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(withTool.order, ['mini', 'big']);
    const plain = await explain({ model: 'cheap', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const withSystem = await explain({ model: 'cheap', max_tokens: 16, system: 'word '.repeat(500), messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(withSystem.estimated_input_tokens >= plain.estimated_input_tokens + 500, `${withSystem.estimated_input_tokens} tokens with the system prompt`);
  });

  it('takes the key in x-api-key, as Anthropic clients (Claude Code) send it', async () => {
    const body = { model: 'cheap', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const answer = await fetch(`${gateway.origin}/v1/route/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': masterKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body),
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.ok(((await answer.json()) as Explanation).order.length > 0);
  });

  it('reads a chat completions body without the header, as before', async () => {
    const explained = await rawPost<Explanation>(gateway.origin, '/v1/route/explain', { model: 'cheap', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] }, { key: masterKey });
    assert.equal(explained.status, 200, explained.text);
    assert.deepEqual(explained.body.order, ['mini', 'big']);
  });
});
