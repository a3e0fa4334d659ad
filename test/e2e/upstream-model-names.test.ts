import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-model-names';

/**
 * Issue 13, defect 6: `<provider>/<model>` lets a caller name any model of a configured provider,
 * and Gemini, Bedrock and Azure OpenAI put that name in the URL path. A name such as
 * `gem/../../evil/path?` must not move the request (and the provider key riding on it) to another
 * path of the provider's host: it is a 400 in the caller's shape, no provider is called, and the
 * request still has its ledger row. Valid names still work, encoded as the providers' SDKs do.
 */
describe('model names that go into provider URLs', () => {
  let gemini: GeminiSimulator;
  let bedrock: BedrockSimulator;
  let azure: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    gemini = await new GeminiSimulator().start();
    bedrock = await new BedrockSimulator().start();
    azure = await new OpenAISimulator({ apiKey: 'azure-key-0123456789', azureApiVersion: '2024-10-21' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'gem', type: 'gemini', base_url: gemini.url, api_key: gemini.apiKey },
        { id: 'aws', type: 'bedrock', base_url: bedrock.url, region: 'us-east-1', api_key: bedrock.apiKey },
        { id: 'az', type: 'azure-openai', base_url: azure.url, api_key: 'azure-key-0123456789' },
      ],
    });
  });

  after(() => closeAll(gateway, gemini, bedrock, azure));

  const ask = (model: string, stream = false) => chat(gateway.origin, masterKey, { model, stream, messages: [{ role: 'user', content: 'hi' }] });

  it('refuses path-changing names with a 400 before any provider call, for each provider that puts the name in its URL', async () => {
    const simulators = [gemini, bedrock, azure];
    const before = simulators.map((simulator) => simulator.requests.length);
    const names = ['gem/../../evil/path?', 'gem/../../../evil/path?', 'gem/models/../../evil', 'gem/gemini-2.5-flash?alt=json#', 'aws/..', 'aws/../../evil', 'az/..', 'az/../../evil/path?'];
    for (const name of names) {
      for (const stream of [false, true]) {
        const answer = await ask(name, stream);
        assert.equal(answer.status, 400, `${name}: ${answer.text}`);
        assert.equal(answer.json?.error?.type, 'invalid_request_error');
        assert.match(answer.json?.error?.message ?? '', /is not a valid (Gemini model name|Bedrock model id|Azure OpenAI deployment name)/);
        const row = await gateway.ledgerRow(answer);
        assert.equal(row?.status, 'error');
        assert.equal(row?.httpStatus, 400);
      }
    }
    assert.deepEqual(
      simulators.map((simulator, index) => simulator.requests.slice(before[index]).map((request) => request.path)),
      [[], [], []],
      'a provider was called',
    );
  });

  it('still calls valid names, encoded as a path segment', async () => {
    assert.equal((await ask('gem/gemini-2.5-flash')).status, 200);
    assert.equal(gemini.chatCalls().at(-1)?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal((await ask('aws/anthropic.claude-3-haiku-20240307-v1:0')).status, 200);
    assert.equal(bedrock.requests.at(-1)?.path, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    assert.equal((await ask('az/gpt-4o-prod')).status, 200);
    assert.equal(azure.requests.at(-1)?.path, '/openai/deployments/gpt-4o-prod/chat/completions');
  });
});
