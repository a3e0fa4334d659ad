import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-governance-guardrails';

/** The text of every message the provider received, joined. */
function upstreamText(simulator: OpenAISimulator): string {
  const body = simulator.requests.at(-1)?.body;
  return JSON.stringify(body?.messages ?? body?.input ?? null);
}

describe('guardrails per route and per key (real gateway, SQLite file)', () => {
  let cloud: OpenAISimulator;
  let onPrem: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;

  const ask = (model: string, content: string, key = masterKey) => chat(gateway.origin, key, { model, messages: [{ role: 'user', content }] });

  before(async () => {
    cloud = await new OpenAISimulator().start();
    onPrem = await new OpenAISimulator({ apiKey: 'vllm-key', acceptUnknownFields: true, models: ['qwen'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: cloud.url, api_key: cloud.apiKey },
        { id: 'local', type: 'openai-compatible', base_url: onPrem.url, api_key: 'vllm-key', data_policy: { on_prem: true } },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small', pricing: { input_per_mtok: 1, output_per_mtok: 0 } },
        { id: 'qwen', provider: 'local', upstream: 'qwen', pricing: { input_per_mtok: 0, output_per_mtok: 0 } },
      ],
      routes: [
        { id: 'redacted', candidates: ['fast'], guardrails: ['pii-redact'] },
        { id: 'strict', candidates: ['fast'], guardrails: ['pii-block', 'codenames', 'short'] },
        { id: 'sensitive', strategy: 'ordered', candidates: ['fast', 'qwen'], guardrails: ['pii-on-prem'] },
      ],
      guardrails: [
        { name: 'pii-redact', type: 'pii', action: 'redact' },
        { name: 'pii-block', type: 'pii', entities: ['card_number', 'iban', 'national_id', 'api_key'], action: 'block' },
        { name: 'pii-on-prem', type: 'pii', entities: ['email', 'phone'], action: 'on_prem' },
        { name: 'codenames', type: 'deny', patterns: ['project\\s+falcon'] },
        { name: 'short', type: 'max_prompt_tokens', max_tokens: 60 },
      ],
    });
    admin = adminClient(gateway.origin, masterKey);
  });

  after(() => closeAll(gateway, cloud, onPrem));

  it('checks and sends the same text when a body repeats a key: what JSON.parse kept, never the bytes the guardrail did not see', async () => {
    // JSON.parse keeps a repeated key's last value: the guardrails see "hello"; the earlier
    // value must not reach the provider through the caller's bytes either.
    const bodies = [
      '{"model":"redacted","messages":[{"role":"user","content":"jane.doe@example.com","content":"hello"}]}',
      '{"model":"redacted","messages":[{"role":"user","content":"jane.doe@example.com"}],"messages":[{"role":"user","content":"hello"}]}',
      '{"model":"strict","messages":[{"role":"user","content":"about project falcon","content":"hello"}]}',
    ];
    for (const text of bodies) {
      const answer = await rawPost(gateway.origin, '/v1/chat/completions', text, { key: masterKey });
      assert.equal(answer.status, 200, answer.text);
      const sent = cloud.requests.at(-1)!.raw.toString('utf8');
      for (const secret of ['jane.doe@example.com', 'falcon']) assert.ok(!sent.includes(secret), `${secret} reached the provider: ${sent}`);
      assert.deepEqual(JSON.parse(sent).messages, [{ role: 'user', content: 'hello' }]);
    }
  });

  it('redacts emails, phones, valid card numbers and keys before the provider sees them, and records it', async () => {
    const secretKey = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    const answer = await ask('redacted', `Mail jane.doe@example.com or call +1 415 555 2671; card 4111 1111 1111 1111; key ${secretKey}; order 4111 1111 1111 1112.`);
    assert.equal(answer.status, 200, answer.text);
    const sent = upstreamText(cloud);
    for (const raw of ['jane.doe@example.com', '+1 415 555 2671', '4111 1111 1111 1111', secretKey]) assert.ok(!sent.includes(raw), `${raw} reached the provider`);
    for (const marker of ['[REDACTED_EMAIL]', '[REDACTED_PHONE]', '[REDACTED_CARD_NUMBER]', '[REDACTED_API_KEY]']) assert.ok(sent.includes(marker), `${marker} missing`);
    assert.ok(sent.includes('4111 1111 1111 1112'), 'a number failing the Luhn check is not a card');
    const row = await gateway.ledgerRow(answer);
    assert.deepEqual(row?.guardrails, [{ name: 'pii-redact', type: 'pii', result: 'redacted', findings: { email: 1, phone: 1, card_number: 1, api_key: 1 } }]);
    assert.ok(row?.warnings.some((warning) => /pii-redact/.test(warning.message)), 'the redaction is a warning too');
    assert.ok(!JSON.stringify(row).includes('jane.doe@example.com'), 'the ledger row holds the data');

    const clean = await ask('redacted', 'nothing personal here, order 12345678');
    assert.equal(clean.status, 200);
    assert.deepEqual((await gateway.ledgerRow(clean))?.guardrails, [{ name: 'pii-redact', type: 'pii', result: 'passed' }]);
  });

  it('blocks with a 400 naming the guardrail and the kind of data, never the data', async () => {
    const calls = cloud.chatCalls().length;
    const iban = 'DE89 3704 0044 0532 0130 00';
    const answer = await ask('strict', `wire it to ${iban}`);
    assert.equal(answer.status, 400);
    assert.equal(answer.json?.error?.code, 'guardrail_blocked');
    assert.match(answer.json?.error?.message ?? '', /guardrail "pii-block".*iban/);
    assert.ok(!answer.text.includes(iban) && !answer.text.includes('DE89'));
    assert.equal(cloud.chatCalls().length, calls, 'a blocked request reached the provider');
    const row = await gateway.ledgerRow(answer);
    assert.equal(row?.status, 'error');
    assert.deepEqual(row?.guardrails, [{ name: 'pii-block', type: 'pii', result: 'blocked', findings: { iban: 1 } }]);

    assert.equal((await ask('strict', 'wire it to DE89 3704 0044 0532 0130 01')).status, 200, 'an IBAN with a wrong checksum passes');
    assert.equal((await ask('strict', 'my ssn is 078-05-1120')).status, 400);
    assert.equal((await ask('strict', 'the ticket is 078-05-112')).status, 200);
  });

  it('blocks denied patterns and prompts over the token limit', async () => {
    const denied = await ask('strict', 'What is the status of Project  Falcon?');
    assert.equal(denied.status, 400);
    assert.match(denied.json?.error?.message ?? '', /guardrail "codenames".*denied pattern/);
    assert.ok(!/falcon/i.test(denied.text), 'the matched text is echoed');
    const long = await ask('strict', 'word '.repeat(200));
    assert.equal(long.status, 400);
    assert.match(long.json?.error?.message ?? '', /guardrail "short".*prompt is too long/);
    const row = await gateway.ledgerRow(long);
    assert.equal(row?.guardrails.at(-1)?.result, 'blocked');
  });

  it('restricts a request with personal data to on-prem providers', async () => {
    const open = await ask('sensitive', 'what is the capital of France?');
    assert.equal(open.status, 200);
    assert.equal(open.headers.get('x-switchboard-provider'), 'oai');
    const personal = await ask('sensitive', 'reply to jane.doe@example.com about the invoice');
    assert.equal(personal.status, 200, personal.text);
    assert.equal(personal.headers.get('x-switchboard-provider'), 'local');
    assert.ok(upstreamText(onPrem).includes('jane.doe@example.com'), 'on_prem keeps the text as it is');
    const row = await gateway.ledgerRow(personal);
    assert.deepEqual(row?.guardrails, [{ name: 'pii-on-prem', type: 'pii', result: 'restricted_on_prem', findings: { email: 1 } }]);
  });

  // An outside routing probe: explain named the cloud model where the request went on-prem.
  it('explains the route a guardrail’s action gives, and a block as the refusal the request would get', async () => {
    const explain = (model: string, content: string) => rawPost<{ pick: { provider: string } | null; guardrails?: unknown[]; error?: { message: string } }>(gateway.origin, '/v1/route/explain', { model, messages: [{ role: 'user', content }] }, { key: masterKey });
    const open = await explain('sensitive', 'what is the capital of France?');
    assert.equal(open.body.pick?.provider, 'oai');
    assert.deepEqual(open.body.guardrails, [{ name: 'pii-on-prem', type: 'pii', result: 'passed' }]);
    const personal = await explain('sensitive', 'reply to jane.doe@example.com about the invoice');
    assert.equal(personal.status, 200, personal.text);
    assert.equal(personal.body.pick?.provider, 'local');
    assert.deepEqual(personal.body.guardrails, [{ name: 'pii-on-prem', type: 'pii', result: 'restricted_on_prem', findings: { email: 1 } }]);
    const blocked = await explain('strict', 'tell me about project falcon');
    assert.equal(blocked.status, 400);
    assert.match(blocked.body.error?.message ?? '', /codenames/);
  });

  it('applies a key\'s guardrails to every model it calls, embeddings included', async () => {
    const created = await admin.post<{ key: string }>('/admin/keys', { name: 'guarded', guardrails: ['pii-block', 'pii-redact'] });
    assert.equal(created.status, 201, created.text);
    const key = created.body.key;
    assert.equal((await ask('fast', 'hello there', key)).status, 200);
    assert.equal((await ask('fast', 'card 5500 0055 5555 5559', key)).status, 400);
    const embedded = await rawPost(gateway.origin, '/v1/embeddings', { model: 'embed', input: ['contact bob@example.org', 'plain text'] }, { key });
    assert.equal(embedded.status, 200, embedded.text);
    const sent = upstreamText(cloud);
    assert.ok(sent.includes('[REDACTED_EMAIL]') && !sent.includes('bob@example.org'), sent);
  });
});
