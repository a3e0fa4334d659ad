import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { cleanEnvironment, startCli } from '../helpers/cli.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { createTestSchema, postgresProxy, type TestSchema } from '../helpers/postgres.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-storage-postgres';
/** Expensive on purpose, so that a few requests spend a budget. */
const prices = { input_per_mtok: 100, output_per_mtok: 200 };

// `storage.url: postgres://…` (../shared/SPEC.md "Configuration"), against the machine's
// PostgreSQL, each test in a schema of its own (test/helpers/postgres.ts).
describe('PostgreSQL storage (real gateway, real server)', () => {
  let simulator: OpenAISimulator;
  let directory: string;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-postgres-'));
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  const config = (schema: TestSchema) => ({
    server: { master_key: masterKey },
    storage: { url: schema.url },
    providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
    models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: prices }],
  });
  const start = (schema: TestSchema) => startGateway(config(schema), { environment: { SWITCHBOARD_JOURNAL_DIR: directory } });

  it('keeps keys, teams, spend, runtime providers and every row in the database across a restart', async () => {
    const schema = await createTestSchema();
    let gateway: TestGateway | undefined;
    try {
      gateway = await start(schema);
      const admin = adminClient(gateway.origin, masterKey);
      assert.equal((await admin.post('/admin/teams', { name: 'research', budget_usd: 100 })).status, 201);
      const created = await admin.post<{ id: string; key: string }>('/admin/keys', { name: 'app', team: 'research', budget_usd: 0.004, budget_period: 'total', metadata: { app: 'web' } });
      assert.equal(created.status, 201, created.text);
      const { id, key } = created.body;
      const provider = await admin.post('/admin/providers', { id: 'extra', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey });
      assert.equal(provider.status, 201, provider.text);

      const client = openaiClient(gateway, key);
      const { data, response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hello from postgres' }] }).withResponse();
      const requestId = response.headers.get('x-request-id')!;
      const cost = Number(response.headers.get('x-switchboard-cost-usd'));
      assert.ok(cost > 0);
      await gateway.gateway.flushLedger();

      // The row is PostgreSQL's, with the key, team, tokens and cost the answer reported.
      const [stored] = await schema.query<Record<string, unknown>>('SELECT * FROM ledger WHERE id = $1', [requestId]);
      assert.ok(stored, 'the row is in the database');
      assert.equal(stored.key_id, id);
      assert.equal(stored.team, 'research');
      assert.equal(stored.model, 'fast');
      assert.equal(stored.provider, 'oai');
      assert.equal(Number(stored.input_tokens), data.usage!.prompt_tokens);
      assert.equal(Number(stored.output_tokens), data.usage!.completion_tokens);
      assert.ok(Math.abs(Number(stored.cost_usd) - cost) < 1e-9);
      assert.deepEqual(stored.metadata, { app: 'web' });
      assert.ok(stored.time instanceof Date);
      // Neither secret is kept anywhere in it: the key's hash and hint only, the provider's sealed.
      const everything = JSON.stringify(
        await Promise.all(['ledger', 'virtual_keys', 'teams', 'runtime_providers', 'audit_log'].map((table) => schema.query(`SELECT * FROM ${table}`))),
      );
      assert.ok(!everything.includes(key), 'the virtual key secret is not stored');
      assert.ok(!everything.includes(simulator.apiKey), 'the provider key is not stored in clear');

      // /admin reads it back from there.
      const usage = await admin.get<{ data: Array<{ id: string; cost_usd: number }> }>(`/admin/usage?request_id=${requestId}`);
      assert.equal(usage.body.data[0]?.id, requestId);
      const summary = await admin.get<{ data: Array<{ key: string; requests: number }> }>('/admin/usage/summary?group_by=key');
      assert.equal(summary.status, 200, summary.text);
      assert.ok(JSON.stringify(summary.body).includes(id));

      // Spend the key's budget, then start a new gateway on the same database.
      for (let index = 0; index < 20; index += 1) {
        const answer = await chat(gateway.origin, key, { model: 'fast', messages: [{ role: 'user', content: 'spend it' }] });
        if (answer.status === 429) break;
        assert.equal(answer.status, 200, answer.text);
      }
      const spent = (await admin.get<{ spent_usd: number }>(`/admin/keys/${id}`)).body.spent_usd;
      assert.ok(spent >= 0.004, `spent ${spent}`);
      await gateway.close();
      gateway = undefined;

      gateway = await start(schema);
      const again = adminClient(gateway.origin, masterKey);
      // The key still authenticates, its spend is what the database holds, and the budget binds.
      const refused = await chat(gateway.origin, key, { model: 'fast', messages: [{ role: 'user', content: 'after the restart' }] });
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.json?.error?.code, 'budget_exceeded');
      assert.ok(Math.abs((await again.get<{ spent_usd: number }>(`/admin/keys/${id}`)).body.spent_usd - spent) < 1e-9);
      const teams = await again.get<{ data: Array<{ name: string }> }>('/admin/teams');
      assert.deepEqual(teams.body.data.map((team) => team.name), ['research']);
      // The runtime provider came back, and its models answer.
      const viaRuntime = await chat(gateway.origin, masterKey, { model: 'extra/gpt-4o-mini', messages: [{ role: 'user', content: 'runtime' }] });
      assert.equal(viaRuntime.status, 200, viaRuntime.text);
      const refusedRow = await gateway.ledgerRow(refused);
      assert.equal(refusedRow?.httpStatus, 429, 'a refused request has its row too');
      assert.equal(refusedRow?.keyId, id);
    } finally {
      await gateway?.close();
      await schema.drop();
    }
  });

  it('records a request whose model name holds NUL, and every request after it', async () => {
    const schema = await createTestSchema();
    const gateway = await start(schema);
    try {
      const odd = await chat(gateway.origin, masterKey, { model: 'fa\u0000st', messages: [{ role: 'user', content: 'x\u0000' }] });
      // Refused (model names are printable ASCII), and recorded like every request.
      assert.equal(odd.status, 400, odd.text);
      const fine = await chat(gateway.origin, masterKey, { model: 'fast', messages: [{ role: 'user', content: 'next' }] });
      assert.equal(fine.status, 200, fine.text);
      const oddRow = await gateway.ledgerRow(odd);
      assert.equal(oddRow?.httpStatus, 400);
      assert.equal(oddRow?.modelRequested, 'fa\uFFFDst', 'the name as asked, its NUL as U+FFFD');
      assert.equal((await gateway.ledgerRow(fine))?.status, 'ok');
      // The writer is not failing (a poisoned batch would keep it failing, and readiness with it).
      assert.equal((await fetch(`${gateway.origin}/health/ready`)).status, 200);
    } finally {
      await gateway.close();
      await schema.drop();
    }
  });

  it('answers 503 with retry-after, not 500, while the database cannot be reached, and readiness says why', async () => {
    const schema = await createTestSchema();
    const proxy = await postgresProxy();
    const url = new URL(schema.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const gateway = await startGateway({ ...config(schema), storage: { url: url.href } }, { environment: { SWITCHBOARD_JOURNAL_DIR: directory } });
    try {
      const admin = adminClient(gateway.origin, masterKey);
      const { key } = (await admin.post<{ key: string }>('/admin/keys', { name: 'later' })).body;
      await proxy.close();
      const keys = await admin.get('/admin/keys');
      assert.equal(keys.status, 503, keys.text);
      assert.equal(keys.headers.get('retry-after'), '5');
      assert.match(keys.text, /cannot reach its database/);
      // A key this process has not resolved yet cannot be checked: 503, which the SDKs retry.
      const unresolved = await chat(gateway.origin, key, { model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(unresolved.status, 503, unresolved.text);
      const ready = await fetch(`${gateway.origin}/health/ready`);
      assert.equal(ready.status, 503);
    } finally {
      await gateway.close();
      await schema.drop();
    }
  });

  it('kill -9 right after the answers: every answered request is in the database after a restart (journals on local disk)', async () => {
    const schema = await createTestSchema();
    const journals = join(directory, 'kill');
    const environment = cleanEnvironment({ DATABASE_URL: schema.url, SWITCHBOARD_JOURNAL_DIR: journals });
    try {
      const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { env: environment });
      const answered: string[] = [];
      const client = openaiClient(server, 'unused');
      const ask = async () => {
        const { response } = await client.chat.completions.create({ model: 'demo-fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
        answered.push(response.headers.get('x-request-id')!);
      };
      for (let round = 0; round < 10; round += 1) await Promise.all(Array.from({ length: 8 }, ask));
      server.child.kill('SIGKILL');
      await once(server.child, 'exit');
      assert.ok((await readdir(journals)).some((name) => /^postgres-127\.0\.0\.1-5432-test-[0-9a-f]{8}-ledger-a\.jsonl$/.test(name)));

      const restarted = await startCli(['--port', '0', '--host', '127.0.0.1'], { env: environment });
      assert.equal(await restarted.stop(), 0);
      const ids = new Set((await schema.query<{ id: string }>('SELECT id FROM ledger')).map((row) => row.id));
      const missing = answered.filter((id) => !ids.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests lost`);
      // The banner names the database, never the URL's parameters.
      assert.match(restarted.stderr(), /storage: +postgres:\/\/postgres@127\.0\.0\.1:5432\/test\n/);
    } finally {
      await schema.drop();
    }
  });

  it('--workers 2 share the database; SIGTERM drains them with every row written', async () => {
    const schema = await createTestSchema();
    const environment = cleanEnvironment({ DATABASE_URL: schema.url, SWITCHBOARD_JOURNAL_DIR: join(directory, 'workers') });
    try {
      const server = await startCli(['--port', '0', '--host', '127.0.0.1', '--workers', '2'], { env: environment });
      const client = openaiClient(server, 'unused');
      const answered = await Promise.all(
        Array.from({ length: 24 }, async (_, index) => {
          if (index % 2 === 0) {
            const { response } = await client.chat.completions.create({ model: 'demo-fast', messages: [{ role: 'user', content: `n${index}` }] }).withResponse();
            return response.headers.get('x-request-id')!;
          }
          const stream = await client.chat.completions.create({ model: 'demo-smart', stream: true, messages: [{ role: 'user', content: `s${index}` }] });
          let id = '';
          for await (const chunk of stream) id ||= chunk.id;
          return id;
        }),
      );
      assert.equal(await server.stop(), 0);
      const rows = await schema.query<{ id: string; status: string }>('SELECT id, status FROM ledger');
      assert.equal(rows.length, answered.length, 'one row a request');
      assert.ok(rows.every((row) => row.status === 'ok'));
    } finally {
      await schema.drop();
    }
  });

  it('stops the start, saying why, when the database cannot be reached', async () => {
    const answer = await startCli(['--port', '0', '--host', '127.0.0.1'], {
      env: cleanEnvironment({ DATABASE_URL: 'postgres://switchboard:pg-start-secret@127.0.0.1:1/app', SWITCHBOARD_JOURNAL_DIR: join(directory, 'refused') }),
    }).then(
      () => assert.fail('it started'),
      (error: Error) => error.message,
    );
    assert.match(answer, /cannot open the PostgreSQL database postgres:\/\/switchboard:\*\*\*@127\.0\.0\.1:1\/app: .*ECONNREFUSED/);
    assert.ok(!answer.includes('pg-start-secret'));
  });
});
