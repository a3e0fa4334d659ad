import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, databaseBytes, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, type RawAnswer } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-governance-keys';

/** What /v1/route/explain answers, the part read here. */
interface Explanation {
  route: string | null;
  order: string[];
  candidates: Array<{ model: string; role: string; status: string; removed_by?: string; reason?: string }>;
}

interface KeyAnswer {
  id: string;
  key?: string;
  name: string;
  team: string | null;
  models: string[] | null;
  revoked: boolean;
  key_hint: string;
  metadata: Record<string, string>;
  expires_at: string | null;
}

describe('virtual keys through /admin/keys (real gateway, SQLite file, official openai SDK)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;
  const secrets: string[] = [];

  const createKey = async (body: Record<string, unknown>) => {
    const answer = await admin.post<KeyAnswer>('/admin/keys', body);
    assert.equal(answer.status, 201, answer.text);
    secrets.push(answer.body.key!);
    return answer.body as KeyAnswer & { key: string };
  };
  const hello = (key: string | undefined, model = 'fast') => chat(gateway.origin, key, { model, messages: [{ role: 'user', content: 'hello' }] });

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
        { id: 'smart', provider: 'oai', upstream: 'gpt-4o', pricing: { input_per_mtok: 2.5, output_per_mtok: 10 } },
        { id: 'gpt-4.1-mini', provider: 'oai', pricing: { input_per_mtok: 0.4, output_per_mtok: 1.6 } },
      ],
      routes: [{ id: 'auto', strategy: 'ordered', candidates: ['fast', 'smart'] }],
      rules: [{ when: { 'metadata.via': 'auto' }, route: 'auto' }],
    });
    admin = adminClient(gateway.origin, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('shows the secret once, at creation, and never in a listing, a read or the database', async () => {
    const created = await createKey({ name: 'billing-app', team: 'payments', models: ['fast', 'gpt-*'], metadata: { env: 'prod' }, rpm: 100 });
    assert.match(created.key, /^sb-[A-Za-z0-9_-]{43}$/);
    assert.match(created.id, /^key_/);
    assert.equal(created.name, 'billing-app');
    assert.deepEqual(created.models, ['fast', 'gpt-*']);
    assert.equal(created.key_hint, `sb-...${created.key.slice(-4)}`);

    const listed = await admin.get<{ data: KeyAnswer[] }>('/admin/keys');
    assert.equal(listed.status, 200);
    const entry = listed.body.data.find((key) => key.id === created.id);
    assert.ok(entry);
    assert.equal(entry.key, undefined);
    for (const field of ['id', 'name', 'team', 'models', 'budget_usd', 'budget_period', 'spent_usd', 'rpm', 'tpm', 'expires_at', 'revoked', 'created_at', 'key_hint']) {
      assert.ok(field in entry, `listing lacks ${field}`);
    }
    assert.ok(!listed.text.includes(created.key), 'the listing holds the secret');
    const read = await admin.get<KeyAnswer>(`/admin/keys/${created.id}`);
    assert.equal(read.status, 200);
    assert.ok(!read.text.includes(created.key));

    const answer = await hello(created.key);
    assert.equal(answer.status, 200, answer.text);
    const row = await gateway.ledgerRow(answer);
    assert.equal(row?.keyId, created.id);
    assert.equal(row?.team, 'payments');

    const bytes = await databaseBytes(gateway);
    assert.ok(!bytes.includes(Buffer.from(created.key)), 'the secret is in the database file');
    assert.ok(!bytes.includes(Buffer.from(created.key.slice(3))), 'the secret body is in the database file');
  });

  it('answers 403 for models outside the allow-list and lists only allowed ones in /v1/models', async () => {
    const created = await createKey({ name: 'narrow', models: ['fast', 'gpt-*'] });
    const forbidden = await hello(created.key, 'smart');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json?.error?.type, 'permission_error');
    assert.equal(forbidden.json?.error?.code, 'model_not_allowed');
    // The key's list or its team's may be the one that refuses: the message does not blame the key alone.
    assert.equal(forbidden.json?.error?.message, 'This key (or its team) is not allowed to use the model `smart`.');
    assert.equal(simulator.chatCalls('gpt-4o').length, 0, 'a forbidden model reached the provider');
    assert.equal((await hello(created.key, 'auto')).status, 403, 'a route id is checked against the globs too');
    assert.equal((await hello(created.key, 'gpt-4.1-mini')).status, 200, 'the glob gpt-* allows it');

    const client = openaiClient(gateway, created.key);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids.sort(), ['fast', 'gpt-4.1-mini']);
    await assert.rejects(client.models.retrieve('smart'), (error: unknown) => error instanceof OpenAI.NotFoundError);

    const master = openaiClient(gateway, masterKey);
    const all: string[] = [];
    for await (const model of master.models.list()) all.push(model.id);
    // Model and route ids first, then the provider's `oai/<model>` addresses (docs/routing.md).
    assert.deepEqual(all.slice(0, 4).sort(), ['auto', 'fast', 'gpt-4.1-mini', 'smart']);
    assert.ok(all.slice(4).length > 0 && all.slice(4).every((id) => id.startsWith('oai/')), all.join(', '));
  });

  it("lets a key whose allow-list names a route call that route, its candidates allowed through it (and only through it)", async () => {
    const created = await createKey({ name: 'route-only', models: ['auto'] });
    const client = openaiClient(gateway, created.key);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids, ['auto']);

    const { data, response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from gpt-4o-mini: hello');
    assert.equal(response.headers.get('x-switchboard-route'), 'auto');
    assert.equal(response.headers.get('x-switchboard-model'), 'fast');
    const streamed = await client.chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'hello' }] });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Simulated reply from gpt-4o-mini: hello');

    const explain = (body: Record<string, unknown>): Promise<RawAnswer<Explanation>> => rawPost<Explanation>(gateway.origin, '/v1/route/explain', body, { key: created.key });
    const explained = await explain({ model: 'auto', messages: [{ role: 'user', content: 'hello' }], models: ['gpt-4.1-mini'] });
    assert.equal(explained.status, 200, explained.text);
    assert.deepEqual(
      explained.body.candidates.map((entry) => [entry.model, entry.role, entry.status, entry.reason]),
      [
        ['fast', 'candidate', 'kept', undefined],
        ['smart', 'candidate', 'kept', undefined],
        ['gpt-4.1-mini', 'hint', 'removed', 'not allowed for this key'],
      ],
      "a model the caller adds with the models hint is not the route's: the key must allow it by name",
    );
    assert.equal((await hello(created.key, 'fast')).status, 403, "the route's candidates are not allowed by name");
    assert.equal((await explain({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] })).status, 403);
  });

  it("keeps a route's candidates to the key's own models when a rule sends the key there", async () => {
    const created = await createKey({ name: 'fast-only', models: ['fast'] });
    const explained = await rawPost<Explanation>(gateway.origin, '/v1/route/explain', { model: 'fast', metadata: { via: 'auto' }, messages: [{ role: 'user', content: 'hello' }] }, { key: created.key });
    assert.equal(explained.status, 200, explained.text);
    assert.equal(explained.body.route, 'auto');
    assert.deepEqual(explained.body.order, ['fast']);
    assert.equal(explained.body.candidates.find((entry) => entry.model === 'smart')?.reason, 'not allowed for this key');
    const answer = await chat(gateway.origin, created.key, { model: 'fast', metadata: { via: 'auto' }, messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-route'), 'auto');
  });

  it('takes a virtual key in x-api-key on /v1/messages, with its allow-list', async () => {
    const created = await createKey({ name: 'anthropic-client', models: ['fast'] });
    const send = (model: string, key: string) =>
      rawPost<{ type: string }>(gateway.origin, '/v1/messages', { model, max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] }, { headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } });
    const ok = await send('fast', created.key);
    assert.equal(ok.status, 200, ok.text);
    const row = await gateway.ledgerRow(ok);
    assert.equal(row?.keyId, created.id);
    const forbidden = await send('smart', created.key);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.type, 'error', 'errors take the Anthropic shape');
    assert.equal((await send('fast', 'sb-not-a-key')).status, 401);
  });

  it('applies a PATCH at once (the key cache is invalidated)', async () => {
    const created = await createKey({ name: 'patched', models: ['fast'] });
    assert.equal((await hello(created.key, 'smart')).status, 403);
    const patched = await admin.patch<KeyAnswer>(`/admin/keys/${created.id}`, { models: ['fast', 'smart'], metadata: { owner: 'ana' } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.models, ['fast', 'smart']);
    assert.deepEqual(patched.body.metadata, { owner: 'ana' });
    assert.equal((await hello(created.key, 'smart')).status, 200);
  });

  it('rotates: the new secret works, the old one is 401 at once, the id stays', async () => {
    const created = await createKey({ name: 'rotating' });
    assert.equal((await hello(created.key)).status, 200);
    const rotated = await admin.post<KeyAnswer>(`/admin/keys/${created.id}/rotate`);
    assert.equal(rotated.status, 200);
    secrets.push(rotated.body.key!);
    assert.equal(rotated.body.id, created.id);
    assert.notEqual(rotated.body.key, created.key);
    const old = await hello(created.key);
    assert.equal(old.status, 401);
    assert.equal(old.json?.error?.type, 'authentication_error');
    assert.equal((await hello(rotated.body.key)).status, 200);
  });

  it('revokes with DELETE: the key is 401 and listed as revoked', async () => {
    const created = await createKey({ name: 'revoked' });
    assert.equal((await hello(created.key)).status, 200);
    const revoked = await admin.delete<KeyAnswer>(`/admin/keys/${created.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.revoked, true);
    const answer = await hello(created.key);
    assert.equal(answer.status, 401);
    assert.match(answer.json?.error?.message ?? '', /revoked/);
    assert.equal((await admin.get<KeyAnswer>(`/admin/keys/${created.id}`)).body.revoked, true);
    // What still uses a revoked key: its refusals are on its rows (they had no key).
    const rows = (await admin.get<{ data: Array<{ key_id: string | null; http_status: number; error_code: string | null }> }>(`/admin/usage?key_id=${created.id}`)).body.data;
    assert.deepEqual(
      rows.map((row) => row.http_status),
      [401, 200],
      'the refusal, then the request before the revocation (newest first)',
    );
  });

  it('refuses to rotate a revoked key (409): its new secret would never work', async () => {
    const created = await createKey({ name: 'revoked-then-rotated' });
    assert.equal((await admin.delete<KeyAnswer>(`/admin/keys/${created.id}`)).status, 200);
    const rotated = await admin.post<{ error: { code: string } }>(`/admin/keys/${created.id}/rotate`);
    assert.equal(rotated.status, 409);
    assert.equal(rotated.body.error.code, 'conflict');
    assert.equal((await hello(created.key)).status, 401);
  });

  it('expires: a key past expires_at is 401, one before it works', async () => {
    const expired = await createKey({ name: 'expired', expires_at: new Date(Date.now() - 1000).toISOString() });
    const answer = await hello(expired.key);
    assert.equal(answer.status, 401);
    assert.match(answer.json?.error?.message ?? '', /expired/);
    const expiredRows = (await admin.get<{ data: Array<{ http_status: number }> }>(`/admin/usage?key_id=${expired.id}`)).body.data;
    assert.deepEqual(expiredRows.map((row) => row.http_status), [401], 'an expired key is named on its refusal’s row');
    const soon = await createKey({ name: 'soon', expires_at: new Date(Date.now() + 1500).toISOString() });
    assert.equal((await hello(soon.key)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    assert.equal((await hello(soon.key)).status, 401, 'expiry is checked on every request, cached or not');
  });

  it('needs the master key on /admin: none or a wrong one is 401, a virtual key 403', async () => {
    const created = await createKey({ name: 'not-admin' });
    assert.equal((await adminClient(gateway.origin, undefined).get('/admin/keys')).status, 401);
    assert.equal((await adminClient(gateway.origin, 'sb-wrong').get('/admin/keys')).status, 401);
    const virtual = await adminClient(gateway.origin, created.key).get<{ error: { type: string; message: string } }>('/admin/keys');
    assert.equal(virtual.status, 403);
    assert.equal(virtual.body.error.type, 'permission_error');
    assert.equal((await adminClient(gateway.origin, created.key).post('/admin/keys', { name: 'escalate' })).status, 403);
  });

  it('rejects bad bodies with a 400 naming the field', async () => {
    const missing = await admin.post<{ error: { message: string; param: string | null } }>('/admin/keys', { team: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.param, 'name');
    const unknownField = await admin.post<{ error: { message: string; param: string | null } }>('/admin/keys', { name: 'x', budget: 5 });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error.message, /budget/);
    assert.equal(unknownField.body.error.param, 'budget', 'param names the unknown field, as the message does');
    const nestedUnknown = await admin.post<{ error: { param: string | null } }>('/admin/keys', { name: 'x', model_limits: { 'gpt-*': { rpd: 5 } } });
    assert.equal(nestedUnknown.body.error.param, 'model_limits.gpt-*.rpd');
    const badDate = await admin.post<{ error: { message: string; param: string | null } }>('/admin/keys', { name: 'x', expires_at: 'next week' });
    assert.equal(badDate.status, 400);
    assert.equal(badDate.body.error.param, 'expires_at');
    assert.match(badDate.body.error.message, /ISO-8601 date-time .* or date/, 'the message says what a date must look like');
    const badPeriod = await admin.post('/admin/keys', { name: 'x', budget_usd: 1, budget_period: 'week' });
    assert.equal(badPeriod.status, 400);
    const unknownGuardrail = await admin.post<{ error: { message: string } }>('/admin/keys', { name: 'x', guardrails: ['nope'] });
    assert.equal(unknownGuardrail.status, 400);
    assert.match(unknownGuardrail.body.error.message, /nope/);
    assert.equal((await admin.get('/admin/keys/key_missing')).status, 404);
  });

  it('audits every admin write without secrets', async () => {
    const created = await createKey({ name: 'audited' });
    await admin.post(`/admin/keys/${created.id}/rotate`).then((answer) => secrets.push((answer.body as { key: string }).key));
    await admin.delete(`/admin/keys/${created.id}`);
    const log = await admin.get<{ data: Array<{ action: string; actor: string; target_id: string; time: string }> }>(`/admin/audit?target_id=${created.id}`);
    assert.equal(log.status, 200);
    assert.deepEqual(log.body.data.map((entry) => entry.action), ['key.revoke', 'key.rotate', 'key.create']);
    assert.ok(log.body.data.every((entry) => entry.actor === 'master' && entry.target_id === created.id && !Number.isNaN(Date.parse(entry.time))));
    const everything = await admin.get('/admin/audit?limit=1000');
    for (const secret of secrets) assert.ok(!everything.text.includes(secret), 'a secret is in the audit log');
  });

  it('gives requests the key\'s metadata as defaults, which the request overrides', async () => {
    const created = await createKey({ name: 'tagged', metadata: { env: 'prod', tier: 'gold' } });
    const response = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }], metadata: { task: 'chat' } }, {
      key: created.key,
      headers: { 'x-switchboard-metadata': '{"tier":"silver"}' },
    });
    assert.equal(response.status, 200);
    const row = await gateway.ledgerRow(response);
    assert.deepEqual(row?.metadata, { env: 'prod', tier: 'silver', task: 'chat' });
  });

  it("puts the key's metadata on the rows of requests refused for their body, as on its other rows", async () => {
    const created = await createKey({ name: 'tagged-refused', team: 'ops', metadata: { owner: 'ana' } });
    const refusals = [
      await rawPost(gateway.origin, '/v1/chat/completions', '{"model": "fast", "messages": [', { key: created.key }),
      await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: 'hello' }, { key: created.key }),
      await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, {
        key: created.key,
        headers: { 'x-switchboard-metadata': 'not json' },
      }),
      await rawPost(gateway.origin, '/v1/messages', '{"model": ', { headers: { 'x-api-key': created.key, 'anthropic-version': '2023-06-01' } }),
    ];
    for (const refusal of refusals) {
      assert.equal(refusal.status, 400, refusal.text);
      const row = await gateway.ledgerRow(refusal);
      assert.equal(row?.keyId, created.id);
      assert.equal(row?.team, 'ops');
      assert.deepEqual(row?.metadata, { owner: 'ana' }, `metadata of the row of ${refusal.text.slice(0, 80)}`);
    }
  });

  it('finds a key by its secret as by its id (as LiteLLM takes it), and never echoes or logs the secret', async () => {
    const created = await createKey({ name: 'by-secret' });
    const read = await admin.get<KeyAnswer>(`/admin/keys/${created.key}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.id, created.id);
    const patched = await admin.patch<KeyAnswer & { rpm: number }>(`/admin/keys/${created.key}`, { rpm: 7 });
    assert.equal(patched.body.rpm, 7);
    const rotated = await admin.post<{ id: string; key: string }>(`/admin/keys/${created.key}/rotate`);
    assert.equal(rotated.body.id, created.id);
    secrets.push(rotated.body.key);
    // The old secret no longer finds the key: a 404 that does not quote it.
    const gone = await admin.get(`/admin/keys/${created.key}`);
    assert.equal(gone.status, 404);
    assert.ok(!gone.text.includes(created.key), gone.text);
    const revoked = await admin.delete<KeyAnswer>(`/admin/keys/${rotated.body.key}`);
    assert.equal(revoked.body.revoked, true);
    assert.equal((await hello(rotated.body.key)).status, 401);
    for (const answer of [read, patched, revoked]) assert.ok(!answer.text.includes(created.key) && !answer.text.includes(rotated.body.key));
    const logs = gateway.logs.join('\n');
    assert.ok(!logs.includes(created.key) && !logs.includes(rotated.body.key), 'a secret in an admin path is in the logs');
  });

  // An outside probe: a secret pasted with a stray character was quoted whole in the 404 and its log line.
  it('never echoes or logs a secret addressed with a stray character around it', async () => {
    const created = await createKey({ name: 'stray' });
    for (const id of [`${created.key}%0A`, `%20${created.key}`, `Bearer%20${created.key}`, `%22${created.key}%22`, `${created.key}x`, `${created.key}.`]) {
      for (const path of [`/admin/keys/${id}`, `/admin/teams/${id}`]) {
        const answer = await admin.get(path);
        assert.equal(answer.status, 404, answer.text);
        assert.ok(!answer.text.includes(created.key.slice(3, -4)), answer.text);
      }
    }
    const unrouted = await admin.get(`/admin/keys/${created.key}//`);
    assert.equal(unrouted.status, 404);
    assert.ok(!unrouted.text.includes(created.key.slice(3, -4)), unrouted.text);
    assert.ok(!gateway.logs.join('\n').includes(created.key.slice(3, -4)), 'a secret in an admin path is in the logs');
  });

  it('never writes a virtual key secret or the provider key to logs, metrics or ledger rows', async () => {
    const logs = gateway.logs.join('\n');
    assert.ok(secrets.length >= 8);
    for (const secret of secrets) assert.ok(!logs.includes(secret), 'a virtual key secret is in the logs');
    assert.ok(!logs.includes(simulator.apiKey), 'the provider key is in the logs');
    const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
    const rows = JSON.stringify(await gateway.ledger());
    for (const text of [metrics, rows]) {
      for (const secret of [...secrets, simulator.apiKey, masterKey]) assert.ok(!text.includes(secret), 'a secret is in the metrics or the ledger');
    }
  });
});

describe('the admin API without a master key', () => {
  it('is disabled with a 403 that says how to enable it, while /v1 stays open', async () => {
    const simulator = await new OpenAISimulator().start();
    const gateway = await startGateway({
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
    });
    try {
      const answer = await adminClient(gateway.origin, 'anything').get<{ error: { message: string; code: string } }>('/admin/keys');
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error.code, 'admin_disabled');
      assert.match(answer.body.error.message, /master key/);
      assert.equal((await chat(gateway.origin, undefined, { model: 'fast', messages: [{ role: 'user', content: 'hi' }] })).status, 200);
    } finally {
      await gateway.close();
      await simulator.close();
    }
  });
});
