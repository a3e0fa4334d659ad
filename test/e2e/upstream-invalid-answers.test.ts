import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-invalid-answers';

/**
 * A provider's 200 whose body is valid JSON but no answer (`{"foo":"bar"}`, `{"choices": []}`,
 * a Message without `content`) is SB_ERR_UPSTREAM_INVALID_RESPONSE (docs/errors.md): a failed,
 * retryable attempt, so the next candidate answers; never relayed to the caller as a success,
 * byte for byte (OpenAI passthrough, Anthropic passthrough) or as an empty message.
 */
describe('200 answers that are not answers (real gateway, simulators)', () => {
  let primary: OpenAISimulator;
  let secondary: OpenAISimulator;
  let claude: AnthropicSimulator;
  let gateway: TestGateway;

  before(async () => {
    primary = await new OpenAISimulator({ apiKey: 'primary-key-0123456789', models: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small'] }).start();
    secondary = await new OpenAISimulator({ apiKey: 'secondary-key-0123456789' }).start();
    claude = await new AnthropicSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'a', type: 'openai', base_url: primary.url, api_key: 'primary-key-0123456789' },
        { id: 'b', type: 'openai', base_url: secondary.url, api_key: 'secondary-key-0123456789' },
        { id: 'c', type: 'anthropic', base_url: claude.url, api_key: claude.apiKey },
      ],
      models: [
        // One model per injected failure: a failure counts against its deployment's health.
        { id: 'a-chat', provider: 'a', upstream: 'gpt-4o-mini' },
        { id: 'a-messages', provider: 'a', upstream: 'gpt-4o' },
        { id: 'a-alone', provider: 'a', upstream: 'gpt-4.1-mini' },
        { id: 'a-embed', provider: 'a', upstream: 'text-embedding-3-small' },
        { id: 'b-chat', provider: 'b', upstream: 'gpt-4o-mini' },
        { id: 'b-embed', provider: 'b', upstream: 'text-embedding-3-small' },
        { id: 'c-claude', provider: 'c', upstream: 'claude-sim-sonnet' },
        { id: 'c-alone', provider: 'c', upstream: 'claude-sim-haiku' },
      ],
      routes: [
        { id: 'a-then-b', strategy: 'ordered', candidates: ['a-chat', 'b-chat'] },
        { id: 'a-then-b-messages', strategy: 'ordered', candidates: ['a-messages', 'b-chat'] },
        { id: 'claude-then-b', strategy: 'ordered', candidates: ['c-claude', 'b-chat'] },
        { id: 'both-broken', strategy: 'ordered', candidates: ['a-alone', 'c-alone'] },
        { id: 'embed-a-then-b', strategy: 'ordered', candidates: ['a-embed', 'b-embed'] },
      ],
    });
  });

  after(() => closeAll(gateway, primary, secondary, claude));

  const messages = [{ role: 'user', content: 'hello' }];
  const attemptsOf = async (answer: { headers: Headers }) =>
    (await gateway.ledgerRow(answer))!.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode ?? null]);

  for (const body of [{ foo: 'bar' }, { choices: [] }]) {
    it(`falls back when an OpenAI provider answers 200 ${JSON.stringify(body)} to the OpenAI ingress (passthrough)`, async () => {
      primary.fail({ kind: 'status', status: 200, body }, { model: 'gpt-4o-mini' });
      const answer = await chat(gateway.origin, masterKey, { model: 'a-then-b', messages });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers.get('x-switchboard-provider'), 'b');
      assert.equal(answer.headers.get('x-switchboard-attempts'), '2');
      assert.match(answer.json?.choices?.[0]?.message.content ?? '', /^Simulated reply from gpt-4o-mini: hello/);
      assert.doesNotMatch(answer.text, /"foo"/);
      const row = (await gateway.ledgerRow(answer))!;
      assert.equal(row.status, 'ok');
      assert.deepEqual(await attemptsOf(answer), [['a-chat', 'error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE'], ['b-chat', 'ok', null]]);
      assert.match(row.attempts[0]!.message ?? '', /^Provider "a" answered with a body that is not a chat completion: "choices" is not a non-empty array$/);
    });
  }

  it('falls back when an OpenAI provider answers 200 {"choices": []} to /v1/messages, instead of an empty message', async () => {
    primary.fail({ kind: 'status', status: 200, body: { choices: [] } }, { model: 'gpt-4o' });
    const answer = await rawPost<{ type: string; content: Array<{ type: string; text?: string }> }>(
      gateway.origin,
      '/v1/messages',
      { model: 'a-then-b-messages', max_tokens: 100, messages },
      { headers: { 'x-api-key': masterKey, 'anthropic-version': '2023-06-01' } },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-attempts'), '2');
    assert.equal(answer.body.type, 'message');
    assert.match(answer.body.content[0]?.text ?? '', /^Simulated reply from gpt-4o-mini: hello/);
    assert.deepEqual(await attemptsOf(answer), [['a-messages', 'error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE'], ['b-chat', 'ok', null]]);
  });

  it('falls back when an Anthropic provider answers 200 {"foo":"bar"} to /v1/messages (passthrough), instead of relaying it', async () => {
    claude.fail({ kind: 'status', status: 200, body: { foo: 'bar' } }, { model: 'claude-sim-sonnet' });
    const answer = await rawPost<{ type: string; content: Array<{ type: string; text?: string }> }>(
      gateway.origin,
      '/v1/messages',
      { model: 'claude-then-b', max_tokens: 100, messages },
      { headers: { 'x-api-key': masterKey, 'anthropic-version': '2023-06-01' } },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-provider'), 'b');
    assert.equal(answer.headers.get('x-switchboard-attempts'), '2');
    assert.doesNotMatch(answer.text, /"foo"/);
    assert.match(answer.body.content[0]?.text ?? '', /^Simulated reply from gpt-4o-mini: hello/);
    const row = (await gateway.ledgerRow(answer))!;
    assert.deepEqual(await attemptsOf(answer), [['c-claude', 'error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE'], ['b-chat', 'ok', null]]);
    assert.match(row.attempts[0]!.message ?? '', /^Provider "c" answered with a body that is not a message: "type" is not "message"$/);
  });

  it('fails with a 502 naming each attempt when no candidate answers with an answer', async () => {
    primary.fail({ kind: 'status', status: 200, body: { foo: 'bar' } }, { model: 'gpt-4.1-mini' });
    claude.fail({ kind: 'status', status: 200, body: { id: 'msg_1', type: 'message', role: 'assistant' } }, { model: 'claude-sim-haiku' });
    const answer = await chat(gateway.origin, masterKey, { model: 'both-broken', messages });
    assert.equal(answer.status, 502, answer.text);
    assert.equal(answer.headers.get('x-switchboard-attempts'), '2');
    assert.equal(answer.json?.error?.type, 'api_error');
    assert.equal(
      answer.json?.error?.message,
      'All 2 attempts failed: a/gpt-4.1-mini: Provider "a" answered with a body that is not a chat completion: "choices" is not a non-empty array; ' +
        'c/claude-sim-haiku: Provider "c" answered with a body that is not a message: "content" is not an array',
    );
    const row = (await gateway.ledgerRow(answer))!;
    assert.deepEqual([row.status, row.httpStatus, row.errorCode], ['error', 502, 'SB_ERR_UPSTREAM_INVALID_RESPONSE']);
  });

  it('falls back when an embeddings answer holds no vectors', async () => {
    primary.fail({ kind: 'status', status: 200, body: { object: 'list', data: [], model: 'text-embedding-3-small' } }, { model: 'text-embedding-3-small' });
    const answer = await rawPost<{ data: Array<{ embedding: number[] }> }>(gateway.origin, '/v1/embeddings', { model: 'embed-a-then-b', input: ['one', 'two'] }, { key: masterKey });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-provider'), 'b');
    assert.equal(answer.body.data.length, 2);
    assert.deepEqual(await attemptsOf(answer), [['a-embed', 'error', 'SB_ERR_UPSTREAM_INVALID_RESPONSE'], ['b-embed', 'ok', null]]);
  });
});
