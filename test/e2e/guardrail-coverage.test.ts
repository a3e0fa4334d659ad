import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-guardrail-coverage';
const email = 'jane.leak@example.com';
const user = { role: 'user', content: 'hello' };
const tool = (description: string) => ({ type: 'function', function: { name: 'send', description, parameters: { type: 'object', properties: { to: { type: 'string', description } } } } });

/**
 * Outside probes of what a guardrail reads: every text of a request that reaches a provider, in
 * either ingress format, passed through or translated. Before, an email in a tool description,
 * a schema description, `user`, `stop`, `prediction`, a thinking block or a document's title or
 * context passed a block guardrail and reached the provider; token-id embedding inputs passed
 * unread and uncounted; and a rule's `set` dropped the caller's anthropic-beta header.
 */
describe('guardrails cover every text a provider receives (real gateway, strict simulators)', () => {
  let openai: OpenAISimulator;
  let anthropic: AnthropicSimulator;
  let gateway: TestGateway;

  before(async () => {
    openai = await new OpenAISimulator().start();
    anthropic = await new AnthropicSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'ant', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
      ],
      models: [
        { id: 'gpt', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'claude', provider: 'ant', upstream: 'claude-sonnet-4-5', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small', pricing: { input_per_mtok: 1, output_per_mtok: 0 } },
      ],
      routes: [
        { id: 'redact-gpt', candidates: ['gpt'], guardrails: ['redact'] },
        { id: 'block-gpt', candidates: ['gpt'], guardrails: ['block'] },
        { id: 'redact-claude', candidates: ['claude'], guardrails: ['redact'] },
        { id: 'block-claude', candidates: ['claude'], guardrails: ['block'] },
        { id: 'block-embed', candidates: ['embed'], guardrails: ['block', 'short'] },
        { id: 'short-embed', candidates: ['embed'], guardrails: ['short'] },
      ],
      rules: [
        { when: { 'header.x-cool': 'yes' }, set: { temperature: '0.5' } },
        { when: { 'metadata.sensitive': 'yes' }, route: 'block-embed' },
      ],
      guardrails: [
        { name: 'redact', type: 'pii', action: 'redact' },
        { name: 'block', type: 'pii', action: 'block' },
        { name: 'short', type: 'max_prompt_tokens', max_tokens: 20 },
      ],
    });
  });

  after(() => closeAll(gateway, openai, anthropic));

  const send = async (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const from: [number, number] = [openai.requests.length, anthropic.requests.length];
    const answer = await rawPost(gateway.origin, path, body, { key: masterKey, headers: { 'anthropic-version': '2023-06-01', ...headers } });
    return { answer, sent: [...openai.requests.slice(from[0]), ...anthropic.requests.slice(from[1])].map((request) => request.raw.toString('utf8')) };
  };

  const chatBodies = (model: string): Array<[string, Record<string, unknown>]> => [
    ['tool description', { model, messages: [user], tools: [tool(`send to ${email}`)] }],
    ['response_format schema', { model, messages: [user], response_format: { type: 'json_schema', json_schema: { name: 'x', description: email, schema: { type: 'object', properties: { to: { type: 'string', description: email } } } } } }],
    ['user', { model, messages: [user], user: email }],
    ['stop', { model, messages: [user], stop: [email] }],
    ['message name', { model, messages: [{ role: 'user', content: 'hi', name: email }] }],
    // A schema's fields are the caller's: an example object's `id`, a default's `url` are its text (an outside probe).
    ['tool schema example', { model, messages: [user], tools: [{ type: 'function', function: { name: 'send', parameters: { type: 'object', properties: { id: { type: 'string' } }, examples: [{ id: email }] } } }] }],
    ['response_format schema default', { model, messages: [user], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { contact: { type: 'object', default: { url: `mailto:${email}` } } } } } } }],
  ];
  const messagesBodies = (model: string): Array<[string, Record<string, unknown>]> => [
    ['thinking', { model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [user, { role: 'assistant', content: [{ type: 'thinking', thinking: email, signature: 'sig' }, { type: 'text', text: 'ok' }] }, user] }],
    ['tool description', { model, max_tokens: 10, messages: [user], tools: [{ name: 'f', description: email, input_schema: { type: 'object' } }] }],
    ['tool schema example', { model, max_tokens: 10, messages: [user], tools: [{ name: 'f', input_schema: { type: 'object', examples: [{ data: email }] } }] }],
    ['document context', { model, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', title: email, context: email, source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }, { type: 'text', text: 'x' }] }] }],
  ];

  it('redacts them on the way to a provider of either format, and records it without the data', async () => {
    const cases = [
      ...chatBodies('redact-gpt').map(([name, body]) => [`chat→openai ${name}`, '/v1/chat/completions', body] as const),
      ...chatBodies('redact-claude').map(([name, body]) => [`chat→anthropic ${name}`, '/v1/chat/completions', body] as const),
      ['chat→openai prediction', '/v1/chat/completions', { model: 'redact-gpt', messages: [user], prediction: { type: 'content', content: email } }] as const,
      ...messagesBodies('redact-claude').map(([name, body]) => [`messages→anthropic ${name}`, '/v1/messages', body] as const),
    ];
    for (const [name, path, body] of cases) {
      const { answer, sent } = await send(path, body);
      assert.equal(answer.status, 200, `${name}: ${answer.text}`);
      assert.equal(sent.length, 1, name);
      assert.ok(!sent[0]!.includes(email), `${name}: the email reached the provider: ${sent[0]}`);
      // Anthropic has no message names: nothing of one is sent there.
      if (name !== 'chat→anthropic message name') assert.ok(sent[0]!.includes('[REDACTED_EMAIL]'), name);
      const row = await gateway.ledgerRow(answer);
      assert.equal(row?.guardrails[0]?.result, 'redacted', name);
      assert.ok(!JSON.stringify(row).includes(email), `${name}: the ledger row holds the email`);
    }
    assert.ok(!gateway.logs.some((line) => line.includes(email)), 'a log line holds the email');
  });

  it('blocks them before any provider call, in the caller\'s error shape', async () => {
    const cases = [
      ...chatBodies('block-gpt').map(([name, body]) => [`chat ${name}`, '/v1/chat/completions', body] as const),
      ...messagesBodies('block-claude').map(([name, body]) => [`messages ${name}`, '/v1/messages', body] as const),
    ];
    for (const [name, path, body] of cases) {
      const { answer, sent } = await send(path, body);
      assert.equal(answer.status, 400, `${name}: ${answer.text}`);
      assert.equal(sent.length, 0, `${name}: a provider was called`);
      assert.match(answer.text, /guardrail \\?"block\\?": it contains email/, name);
      assert.ok(!answer.text.includes(email), name);
      if (path === '/v1/messages') assert.equal((answer.body as { type: string }).type, 'error', name);
    }
    assert.ok(!gateway.logs.some((line) => line.includes(email)), 'a log line holds the email');
  });

  it('blocks token-id embedding inputs a text guardrail cannot read, and counts them against a token limit', async () => {
    const tokens = Array.from({ length: 50 }, (_, index) => 1000 + index);
    const blocked = await send('/v1/embeddings', { model: 'block-embed', input: [tokens] });
    assert.equal(blocked.answer.status, 400, blocked.answer.text);
    assert.match(blocked.answer.text, /token-id inputs cannot be read/);
    assert.equal(blocked.sent.length, 0);
    const long = await send('/v1/embeddings', { model: 'short-embed', input: tokens });
    assert.equal(long.answer.status, 400, long.answer.text);
    assert.match(long.answer.text, /50 prompt tokens > 20 allowed/);
    assert.equal((await send('/v1/embeddings', { model: 'short-embed', input: tokens.slice(0, 10) })).answer.status, 200);
  });

  // An outside probe: a rule's route to a guarded embeddings route ran none of its guardrails.
  it('runs the guardrails of the route a rule sends an embeddings request to', async () => {
    const routed = await send('/v1/embeddings', { model: 'embed', input: [`about ${email}`], metadata: { sensitive: 'yes' } });
    assert.equal(routed.answer.status, 400, routed.answer.text);
    assert.match(routed.answer.text, /guardrail \\?"block\\?": it contains email/);
    assert.equal(routed.sent.length, 0);
    assert.equal((await send('/v1/embeddings', { model: 'embed', input: [`about ${email}`] })).answer.status, 200, 'the model itself has no guardrail');
  });

  it('keeps the caller\'s anthropic-beta header and sends a rule\'s numbers as numbers', async () => {
    const from = anthropic.requests.length;
    const { answer } = await send('/v1/messages', { model: 'claude', max_tokens: 10, messages: [user] }, { 'x-cool': 'yes', 'anthropic-beta': 'context-1m-2025-08-07' });
    assert.equal(answer.status, 200, answer.text);
    const received = anthropic.requests[from]!;
    assert.equal(received.body?.temperature, 0.5);
    assert.equal(received.headers['anthropic-beta'], 'context-1m-2025-08-07');
    const row = await gateway.ledgerRow(answer);
    assert.deepEqual(row?.warnings.map((warning) => warning.message), ['rules[0] set temperature to 0.5']);
  });
});
