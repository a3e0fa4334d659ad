import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { storeRow as row } from '../../../test/helpers/ledger-row.ts';
import { createTestSchema, type TestSchema } from '../../../test/helpers/postgres.ts';
import type { Storage, TeamRecord, VirtualKeyRecord } from '../../core/stores.ts';
import { openStorage } from '../open.ts';
import { applyPostgresMigrations, postgresMigrations } from './migrations.ts';

// The machine's PostgreSQL, each test file in a schema of its own (test/helpers/postgres.ts).
describe('PostgreSQL storage (a real server)', () => {
  let schema: TestSchema;
  let storage: Storage;
  before(async () => {
    schema = await createTestSchema();
    storage = await openStorage(schema.url);
  });
  after(async () => {
    await storage?.close();
    await schema?.drop();
  });

  it('writes ledger rows given as objects or as journal lines, and reads every field back as it was', async () => {
    const full = row({
      id: 'full', time: '2025-06-01T10:00:00.123Z', keyId: 'key_full', team: null, route: 'auto', tokensEstimated: true, stream: true,
      attempts: [{ model: 'fast', provider: 'oai', upstreamModel: 'gpt', outcome: 'error', errorCode: 'SB_ERR_UPSTREAM_5XX', upstreamStatus: 502, latencyMs: 3 },
        { model: 'fast', provider: 'oai', upstreamModel: 'gpt', outcome: 'ok', latencyMs: 9 }],
      inputTokens: 3_000_000_000, cachedInputTokens: 7, cacheWriteTokens: 11, reasoningTokens: 13, costUsd: 0.000123, ttftMs: 42,
      status: 'error', httpStatus: 502, errorCode: 'SB_ERR_ALL_FAILED', errorMessage: 'every candidate failed', reason: 'cheapest',
      metadata: { zeta: '1', alpha: 'a "quoted" value' }, warnings: [{ type: 'dropped-setting', setting: 'seed', message: 'seed is not supported' }],
      guardrails: [{ name: 'pii', type: 'pii', result: 'redacted', findings: { email: 2 } }],
    });
    await storage.ledger.append([full]);
    assert.deepEqual(await storage.ledger.query({ requestId: 'full' }), [full]);
    const line = row({ id: 'from-line', time: '2025-06-01T10:00:01.000Z', keyId: 'key_line' });
    await storage.ledger.appendSerialized!([JSON.stringify(line)]);
    assert.deepEqual(await storage.ledger.query({ keyId: 'key_line' }), [line]);
    // A journal line of a version before the cache write count: 0.
    const { cacheWriteTokens: _dropped, ...older } = row({ id: 'older-line', keyId: 'key_line' });
    await storage.ledger.appendSerialized!([JSON.stringify(older)]);
    assert.equal((await storage.ledger.query({ requestId: 'older-line' }))[0]?.cacheWriteTokens, 0);
    // The metadata's own key order is kept (json, not jsonb).
    const [stored] = await schema.query<{ metadata: string }>(`SELECT metadata::text AS metadata FROM ledger WHERE id = 'full'`);
    assert.equal(stored?.metadata, JSON.stringify(full.metadata));
  });

  it('writes a row again by its id, the later one kept, also twice in one batch (a cut-off row, then its replay)', async () => {
    await storage.ledger.appendSerialized!([JSON.stringify(row({ id: 'twice', status: 'client_aborted', httpStatus: 499 })), JSON.stringify(row({ id: 'twice', outputTokens: 77 }))]);
    await storage.ledger.append([row({ id: 'twice', outputTokens: 88 })]);
    const rows = await storage.ledger.query({ requestId: 'twice' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.outputTokens, 88);
    assert.equal(rows[0]!.status, 'ok');
  });

  it('writes rows whose text holds NUL or a lone surrogate half (a caller\'s model name, metadata), as U+FFFD, without failing their batch', async () => {
    const odd = row({ id: 'odd', modelRequested: 'fa\u0000st', metadata: { note: 'a\ud800b', 'k\u0000': 'v' }, errorMessage: 'bad \\u0000 escape kept' });
    const next = row({ id: 'after-odd' });
    await storage.ledger.appendSerialized!([JSON.stringify(odd), JSON.stringify(next)]);
    const [stored] = await storage.ledger.query({ requestId: 'odd' });
    assert.equal(stored?.modelRequested, 'fa\uFFFDst');
    assert.deepEqual(stored?.metadata, { note: 'a\uFFFDb', 'k\uFFFD': 'v' });
    assert.equal(stored?.errorMessage, 'bad \\u0000 escape kept', 'an escaped backslash before u0000 is text, kept');
    assert.equal((await storage.ledger.query({ requestId: 'after-odd' })).length, 1);
    await storage.ledger.append([row({ id: 'odd-object', reason: 'x\u0000\udc00' })]);
    assert.equal((await storage.ledger.query({ requestId: 'odd-object' }))[0]?.reason, 'x\uFFFD\uFFFD');
    // Lookups by such a value find nothing rather than fail.
    assert.deepEqual(await storage.ledger.query({ keyId: 'k\u0000' }), []);
    assert.equal(await storage.keys.get('key\u0000'), undefined);
    assert.equal(await storage.teams.findByLabel('\ud800'), undefined);
    assert.equal(await storage.teams.delete('x\u0000'), false);
  });

  it('filters, orders and limits rows, with times with or without a zone read as UTC', async () => {
    await storage.ledger.append([
      row({ id: 'q1', time: '2025-07-01T00:00:00.000Z', keyId: 'key_q', model: 'fast', modelRequested: 'auto' }),
      row({ id: 'q2', time: '2025-07-02T18:00:00.000Z', keyId: 'key_q', model: 'smart', modelRequested: 'smart' }),
      row({ id: 'q3', time: '2025-07-03T23:59:59.999Z', keyId: 'key_q', model: 'fast', modelRequested: 'fast', team: 'blue' }),
    ]);
    const ids = async (query: Parameters<Storage['ledger']['query']>[0]) => (await storage.ledger.query(query)).map((entry) => entry.id);
    assert.deepEqual(await ids({ keyId: 'key_q' }), ['q3', 'q2', 'q1'], 'newest first');
    assert.deepEqual(await ids({ keyId: 'key_q', limit: 2 }), ['q3', 'q2']);
    assert.deepEqual(await ids({ keyId: 'key_q', limit: 2, offset: 2 }), ['q1'], 'the next page');
    await storage.ledger.append(['t2', 't1', 't3'].map((id) => row({ id, time: '2025-07-05T00:00:00.000Z', keyId: 'key_tie' })));
    assert.deepEqual(await ids({ keyId: 'key_tie' }), ['t3', 't2', 't1'], 'one time: by id, so pages are stable');
    assert.deepEqual(await ids({ keyId: 'key_q', model: 'auto' }), ['q1'], 'the model requested counts');
    assert.deepEqual(await ids({ keyId: 'key_q', model: 'fast' }), ['q3', 'q1']);
    assert.deepEqual(await ids({ keyId: 'key_q', from: '2025-07-02', to: '2025-07-03' }), ['q2'], 'a bare date is midnight UTC');
    // Also where the server's (or the URL's) own time zone is another.
    const elsewhere = new URL(schema.url);
    elsewhere.searchParams.set('options', `${elsewhere.searchParams.get('options')} -c TimeZone=Pacific/Auckland`);
    const auckland = await openStorage(elsewhere.href);
    try {
      assert.deepEqual((await auckland.ledger.query({ keyId: 'key_q', from: '2025-07-02', to: '2025-07-03' })).map((entry) => entry.id), ['q2']);
      assert.deepEqual((await auckland.ledger.summary({ groupBy: 'day', keyId: 'key_q' })).map((group) => group.group).sort(), ['2025-07-01', '2025-07-02', '2025-07-03']);
    } finally {
      await auckland.close();
    }
    assert.deepEqual(await ids({ keyId: 'key_q', from: '2025-07-03T23:59:59.999Z' }), ['q3'], 'from is inclusive, to the millisecond');
    assert.deepEqual(await ids({ team: 'blue', keyId: 'key_q' }), ['q3']);
    assert.deepEqual(await ids({ keyId: "key_q' OR '1'='1" }), [], 'values are parameters, never SQL');
  });

  it('sums the ledger by key, team, model, provider and day, and spend since a time', async () => {
    const rows = [
      row({ keyId: 'key_s', team: 'sum', costUsd: 0.1, time: '2025-08-01T23:30:00.000Z' }),
      row({ keyId: 'key_s', team: 'sum', costUsd: 0.2, time: '2025-08-02T00:30:00.000Z', model: 'smart' }),
      row({ keyId: 'key_t', team: 'sum', costUsd: 0.4, provider: 'anthropic', status: 'error', time: '2025-08-01T12:00:00.000Z' }),
      row({ keyId: null, team: 'sum', costUsd: 0.8, time: '2025-08-01T12:00:00.000Z' }),
    ];
    await storage.ledger.append(rows);
    const byKey = await storage.ledger.summary({ groupBy: 'key', team: 'sum' });
    assert.deepEqual(byKey.map((group) => [group.group, group.requests, group.costUsd]), [[null, 1, 0.8], ['key_t', 1, 0.4], ['key_s', 2, 0.3]]);
    const byDay = await storage.ledger.summary({ groupBy: 'day', team: 'sum' });
    assert.deepEqual(byDay.map((group) => [group.group, group.requests]), [['2025-08-01', 3], ['2025-08-02', 1]], 'days are UTC days');
    const byProvider = await storage.ledger.summary({ groupBy: 'provider', team: 'sum', from: '2025-08-01T00:00:00.000Z', to: '2025-08-02T00:00:00.000Z' });
    assert.deepEqual(byProvider.map((group) => [group.group, group.requests, group.errors, group.inputTokens, group.outputTokens]), [['oai', 2, 0, 20, 10], ['anthropic', 1, 1, 10, 5]]);
    assert.ok(Math.abs((await storage.ledger.costSince({ keyId: 'key_s' }, undefined)) - 0.3) < 1e-9);
    assert.ok(Math.abs((await storage.ledger.costSince({ keyId: 'key_s' }, '2025-08-02T00:00:00.000Z')) - 0.2) < 1e-9);
    assert.ok(Math.abs((await storage.ledger.costSince({ team: 'sum' }, undefined)) - 1.5) < 1e-9);
    assert.equal(await storage.ledger.costSince({ team: 'nobody' }, undefined), 0);
  });

  it('keeps keys by id and hash, and teams by id or name', async () => {
    const key: VirtualKeyRecord = {
      id: 'key_1', name: 'app', team: 'red', models: ['fast', 'gpt-*'], budgetUsd: 2.5, budgetPeriod: 'month', rpm: 5, tpm: null,
      modelLimits: { 'gpt-*': { rpm: 1 } }, expiresAt: '2030-01-01T00:00:00.000Z', metadata: { env: 'prod' }, guardrails: ['pii'], revoked: false,
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z', keyHash: 'ab'.repeat(32), keyHint: 'sb-...abcd',
    };
    await storage.keys.save(key);
    assert.deepEqual(await storage.keys.get('key_1'), key);
    assert.deepEqual(await storage.keys.findByHash('ab'.repeat(32)), key);
    const rotated = { ...key, revoked: true, models: null, expiresAt: null, keyHash: 'cd'.repeat(32), updatedAt: '2025-06-02T00:00:00.000Z' };
    await storage.keys.save(rotated);
    assert.equal(await storage.keys.findByHash('ab'.repeat(32)), undefined);
    assert.deepEqual(await storage.keys.list(), [rotated]);
    assert.equal(await storage.keys.get('nope'), undefined);
    await assert.rejects(storage.keys.save({ ...key, id: 'key_2', keyHash: 'cd'.repeat(32) }), /duplicate key/, 'a hash is unique');

    const team: TeamRecord = {
      id: 'team_1', name: 'red', models: null, budgetUsd: null, budgetPeriod: 'total', rpm: 3, tpm: null, modelLimits: {}, metadata: {}, guardrails: [],
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z',
    };
    await storage.teams.save(team);
    // A team whose id is another's name: the id wins.
    const other: TeamRecord = { ...team, id: 'red', name: 'crimson', createdAt: '2025-06-03T00:00:00.000Z' };
    await storage.teams.save(other);
    assert.deepEqual(await storage.teams.findByLabel('team_1'), team);
    assert.deepEqual(await storage.teams.findByLabel('red'), other);
    assert.deepEqual(await storage.teams.findByLabel('crimson'), other);
    assert.deepEqual((await storage.teams.list()).map((entry) => entry.id), ['team_1', 'red']);
    assert.equal(await storage.teams.delete('team_1'), true);
    assert.equal(await storage.teams.delete('team_1'), false);
  });

  it('keeps runtime providers sealed, an append-only audit log, and one feedback score a request', async () => {
    await storage.providers.save({ id: 'rt', type: 'openai', sealedConfig: 'v1:abc', apiKeyHint: '1234', createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z' });
    await storage.providers.save({ id: 'rt', type: 'openai', sealedConfig: 'v1:def', apiKeyHint: null, createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-02T00:00:00.000Z' });
    assert.deepEqual(await storage.providers.list(), [{ id: 'rt', type: 'openai', sealedConfig: 'v1:def', apiKeyHint: null, createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-02T00:00:00.000Z' }]);
    assert.equal(await storage.providers.delete('rt'), true);
    assert.equal(await storage.providers.delete('rt'), false);

    for (const action of ['key.create', 'key.rotate', 'team.create']) {
      await storage.audit.append({ time: '2025-06-01T00:00:00.000Z', actor: 'master', action, targetType: action.split('.')[0]!, targetId: 'x', details: { n: 1 } });
    }
    const entries = await storage.audit.list({});
    assert.deepEqual(entries.map((entry) => entry.action), ['team.create', 'key.rotate', 'key.create']);
    assert.deepEqual(entries[0]!.details, { n: 1 });
    assert.equal(entries[0]!.time, '2025-06-01T00:00:00.000Z');
    assert.equal((await storage.audit.list({ action: 'key.rotate', targetId: 'x' })).length, 1);
    assert.equal((await storage.audit.list({ limit: 2 })).length, 2);

    const feedback = { requestId: 'req_f', time: '2025-06-01T00:00:00.000Z', model: 'fast', provider: 'oai', keyId: null, score: 0.25 };
    assert.deepEqual(await storage.feedback.save(feedback), {});
    assert.deepEqual(await storage.feedback.save({ ...feedback, score: 1 }), { replacedScore: 0.25 });
    await storage.feedback.save({ ...feedback, requestId: 'req_g', score: 0.5 });
    assert.deepEqual(await storage.feedback.totals(), [{ model: 'fast', count: 2, sum: 1.5 }]);
  });

  // Token counts are a provider's numbers (src/ledger/request-record.ts rounds fractions and
  // zeroes counts past 2^53, but a journal line of an older version may hold either): a batch
  // PostgreSQL refuses is retried with every later row forever (src/ledger/writer.ts).
  it('writes a row whose counts are fractional or beyond bigint, and the rows after it, as lines or as objects', async () => {
    const fractional = row({ team: null, id: 'fractional', inputTokens: 10.5, outputTokens: 2.4, cachedInputTokens: 1.5, cacheWriteTokens: 0.5, reasoningTokens: 3.7 });
    const huge = row({ team: null, id: 'huge', inputTokens: 1e21, outputTokens: 1.7976931348623157e308 });
    const after = row({ team: null, id: 'after-counts' });
    await storage.ledger.appendSerialized!([JSON.stringify(fractional), JSON.stringify(huge), JSON.stringify(after)]);
    await storage.ledger.append([row({ team: null, id: 'object-fractional', inputTokens: 7.5 })]);
    const [stored] = await storage.ledger.query({ requestId: 'fractional' });
    assert.deepEqual([stored?.inputTokens, stored?.outputTokens, stored?.cachedInputTokens, stored?.cacheWriteTokens, stored?.reasoningTokens], [11, 2, 2, 1, 4], 'rounded to whole tokens');
    const [big] = await storage.ledger.query({ requestId: 'huge' });
    assert.equal(big?.inputTokens, Number(9223372036854775807n), 'held at the largest bigint');
    assert.equal(big?.outputTokens, Number(9223372036854775807n));
    assert.equal((await storage.ledger.query({ requestId: 'after-counts' })).length, 1);
    assert.equal((await storage.ledger.query({ requestId: 'object-fractional' }))[0]?.inputTokens, 8);
    // The summary's sums of such rows are numbers too.
    const [total] = await storage.ledger.summary({ groupBy: 'key', keyId: 'key_a', to: '2025-06-01T10:00:00.001Z' });
    assert.equal(typeof total?.inputTokens, 'number');
  });

  // The admin API takes rpm and tpm as any positive safe integer (src/server/admin/contract.ts),
  // and SQLite keeps them; a tpm of ten billion must not be a 500 here.
  it('keeps rpm and tpm of any safe integer on keys and teams', async () => {
    const key: VirtualKeyRecord = {
      id: 'key_big', name: 'big', team: null, models: null, budgetUsd: null, budgetPeriod: 'total', rpm: 3_000_000_000, tpm: Number.MAX_SAFE_INTEGER,
      modelLimits: {}, expiresAt: null, metadata: {}, guardrails: [], revoked: false,
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z', keyHash: 'ef'.repeat(32), keyHint: 'sb-...efef',
    };
    await storage.keys.save(key);
    assert.deepEqual(await storage.keys.get('key_big'), key);
    const team: TeamRecord = {
      id: 'team_big', name: 'big', models: null, budgetUsd: null, budgetPeriod: 'total', rpm: 2_147_483_648, tpm: 10_000_000_000, modelLimits: {}, metadata: {}, guardrails: [],
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z',
    };
    await storage.teams.save(team);
    assert.deepEqual(await storage.teams.get('team_big'), team);
  });

  it('answers readiness again once the server ended its connections (the pool opens new ones)', async () => {
    await storage.ping();
    // Its connections alone are ended, found by a name of their own (the URL's application_name
    // wins over the pool's): other test files use the same server at the same time.
    const name = `${schema.name}_ended`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', name);
    const own = await openStorage(url.href);
    try {
      await own.ping();
      const admin = new pg.Client({ connectionString: schema.url });
      await admin.connect();
      const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      await admin.end();
      assert.ok(ended.rowCount! >= 1, 'no connection of its pool was found');
      // A terminated connection fails once, then the pool opens another: readiness comes back.
      let answered = false;
      for (let attempt = 0; attempt < 3 && !answered; attempt += 1) answered = await own.ping().then(() => true, () => false);
      assert.ok(answered);
    } finally {
      await own.close();
    }
  });
});

describe('PostgreSQL migrations', () => {
  it('are applied once by replicas that start together, and re-running them is a no-op', async () => {
    const schema = await createTestSchema();
    try {
      const pools = [1, 2, 3].map(() => new pg.Pool({ connectionString: schema.url, max: 1 }));
      const clients = await Promise.all(pools.map((pool) => pool.connect()));
      const applied = await Promise.all(clients.map((client) => applyPostgresMigrations(client)));
      assert.deepEqual(applied.sort(), [0, 0, postgresMigrations.length]);
      assert.equal(await applyPostgresMigrations(clients[0]!), 0);
      for (const client of clients) client.release();
      await Promise.all(pools.map((pool) => pool.end()));
      const versions = await schema.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((entry) => entry.version), postgresMigrations.map((migration) => migration.version));
      // A store opened on the migrated schema finds its tables.
      const storage = await openStorage(schema.url);
      await storage.ledger.append([row({ id: 'after' })]);
      assert.equal((await storage.ledger.query({ requestId: 'after' })).length, 1);
      await storage.close();
    } finally {
      await schema.drop();
    }
  });

  it('fail the start with the database named and its password left out when the server refuses', async () => {
    await assert.rejects(openStorage('postgres://switchboard:pg-secret-123@127.0.0.1:5432/no_such_database_here'), (error: Error) => {
      assert.match(error.message, /^storage\.url: cannot open the PostgreSQL database postgres:\/\/switchboard:\*\*\*@127\.0\.0\.1:5432\/no_such_database_here: /);
      assert.ok(!error.message.includes('pg-secret-123'));
      return true;
    });
  });
});
