import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storeRow as row } from '../../../test/helpers/ledger-row.ts';
import { Database } from './driver.ts';
import type { VirtualKeyRecord } from '../../core/stores.ts';
import { applyMigrations, openSqliteStorage, type MigrationStep } from './index.ts';
import { prepareLedgerInsert } from './ledger-rows.ts';
import { migrations } from './migrations.ts';

describe('SQLite governance stores (real files)', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-store-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('adds the cache write tokens column to an existing ledger: its rows read 0, new rows keep their count', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-cache-write-'));
    const database = new Database(join(directory, 'ledger.db'));
    try {
      applyMigrations(database, migrations.filter((migration) => migration.version <= 9));
      database.prepare(`INSERT INTO ledger (id, time, endpoint, attempts, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
        tokens_estimated, cost_usd, latency_ms, status, http_status, stream, metadata, warnings) VALUES ('old', '2025-06-01T10:00:00.000Z', 'chat', '[]', 10, 1, 0, 0, 0, 0, 1, 'ok', 200, 0, '{}', '[]')`).run();
      applyMigrations(database, migrations);
      const insert = prepareLedgerInsert(database);
      insert.rows([row({ id: 'new', inputTokens: 1_000, cacheWriteTokens: 600 })]);
      // A journal line written by a version before the column has no count: 0.
      const { cacheWriteTokens: _dropped, ...older } = row({ id: 'from-old-journal' });
      insert.lines([JSON.stringify(older)]);
      const counts = database.prepare('SELECT id, cache_write_tokens FROM ledger ORDER BY id').all();
      assert.deepEqual(counts, [
        { id: 'from-old-journal', cache_write_tokens: 0 },
        { id: 'new', cache_write_tokens: 600 },
        { id: 'old', cache_write_tokens: 0 },
      ]);
    } finally {
      database.close();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('applies migrations once, in order, and upgrades a database made by the first one', async () => {
    const path = join(directory, 'upgrade.db');
    const database = new Database(path);
    const fresh: MigrationStep[] = [];
    assert.equal(applyMigrations(database, migrations.slice(0, 1), (step) => fresh.push(step)), 1);
    assert.deepEqual(fresh, [], 'a new database is not reported: its migrations are instant');
    database.prepare(`INSERT INTO ledger (id, time, endpoint, attempts, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
      tokens_estimated, cost_usd, latency_ms, status, http_status, stream, metadata, warnings)
      VALUES ('old', '2025-01-01T00:00:00.000Z', 'chat', '[]', 1, 1, 0, 0, 0, 0.5, 1, 'ok', 200, 0, '{}', '[]')`).run();
    assert.equal(applyMigrations(database, migrations), migrations.length - 1);
    assert.equal(applyMigrations(database, migrations), 0, 're-running is a no-op');
    const versions = (database.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((entry) => entry.version);
    assert.deepEqual(versions, migrations.map((migration) => migration.version));
    database.close();
    const storage = await openSqliteStorage(path);
    const [old] = await storage.ledger.query({ requestId: 'old' });
    assert.deepEqual(old?.guardrails, [], 'old rows read back with an empty guardrails list');
    await storage.close();
    const again = await openSqliteStorage(path);
    await again.close();
  });

  it('leaves alone a migration another process applied after this one found it pending (replicas started together)', () => {
    const path = join(directory, 'two-processes.db');
    const first = new Database(path);
    const second = new Database(path);
    second.pragma('busy_timeout = 5000');
    applyMigrations(first, migrations.slice(0, 1));
    let raced = false;
    const ends: Array<boolean | undefined> = [];
    // Between the second connection's reading of what is pending and its applying it, the
    // first applies everything: what another replica starting at the same time does.
    const applied = applyMigrations(second, migrations, (step) => {
      if (step.ms !== undefined) ends.push(step.byAnother);
      if (raced) return;
      raced = true;
      applyMigrations(first, migrations);
    });
    assert.ok(raced);
    assert.equal(applied, 0, 'nothing left for the second');
    assert.ok(ends.length > 0 && ends.every((byAnother) => byAnother === true), 'each announced migration ends, said to be done by another');
    const versions = (second.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((entry) => entry.version);
    assert.deepEqual(versions, migrations.map((migration) => migration.version));
    first.close();
    second.close();
  });

  it('removes credentials from base_url values that audit rows kept from before they were refused, and nothing else', async () => {
    const path = join(directory, 'audit-upgrade.db');
    const database = new Database(path);
    applyMigrations(database, migrations.filter((migration) => migration.version <= 7));
    const insert = database.prepare(`INSERT INTO audit_log (time, actor, action, target_type, target_id, details) VALUES ('2025-01-01T00:00:00.000Z', 'master', ?, 'provider', ?, ?)`);
    const before = {
      userinfo: { type: 'openai', base_url: 'https://alice:s3cret@llm.example.com:8443/v1', api_key_hint: 'sk-...abcd' },
      query: { type: 'openai', base_url: 'https://llm.example.com/v1?api_key=sk-live-123#frag' },
      clean: { type: 'openai', base_url: 'https://llm.example.com/v1' },
      unparsable: { type: 'openai', base_url: 'not a url?key=sk-live-456' },
    };
    for (const [target, details] of Object.entries(before)) insert.run('provider.create', target, JSON.stringify(details));
    insert.run('key.create', 'key_1', JSON.stringify({ name: 'app' }));
    assert.equal(applyMigrations(database, migrations), migrations.filter((migration) => migration.version > 7).length);
    database.close();
    const storage = await openSqliteStorage(path);
    const details = new Map((await storage.audit.list({ limit: 10 })).map((entry) => [entry.targetId, entry.details]));
    assert.deepEqual(details.get('userinfo'), { type: 'openai', base_url: 'https://llm.example.com:8443/v1', api_key_hint: 'sk-...abcd' });
    assert.deepEqual(details.get('query'), { type: 'openai', base_url: 'https://llm.example.com/v1' });
    assert.deepEqual(details.get('clean'), before.clean);
    assert.deepEqual(details.get('unparsable'), { type: 'openai', base_url: '[redacted]' });
    assert.deepEqual(details.get('key_1'), { name: 'app' });
    await storage.close();
  });

  it('keeps only rows with a key or a team in their indexes, which spend and usage queries still use', async () => {
    const path = join(directory, 'partial-indexes.db');
    const database = new Database(path);
    applyMigrations(database, migrations.filter((migration) => migration.version <= 8));
    const insert = database.prepare(`INSERT INTO ledger (id, time, endpoint, key_id, team, attempts, input_tokens, output_tokens, cached_input_tokens,
      reasoning_tokens, tokens_estimated, cost_usd, latency_ms, status, http_status, stream, metadata, warnings)
      VALUES (?, ?, 'chat', ?, ?, '[]', 1, 1, 0, 0, 0, ?, 1, 'ok', 200, 0, '{}', '[]')`);
    insert.run('keyed', '2025-06-01T10:00:00.000Z', 'key_a', 'red', 0.25);
    insert.run('master', '2025-06-01T10:00:01.000Z', null, null, 0.5);
    insert.run('no-team', '2025-06-01T10:00:02.000Z', 'key_a', null, 1);
    const steps: MigrationStep[] = [];
    applyMigrations(database, migrations.filter((migration) => migration.version <= 9), (step) => steps.push(step));
    // An upgrade says what it is doing and how long it took, with the ledger's size (what the time grows with).
    assert.deepEqual(
      steps.map(({ ms, ...step }) => ({ ...step, done: ms !== undefined && ms >= 0 })),
      [
        { version: 9, name: 'ledger: key and team indexes hold only rows that have one', ledgerRows: 3, done: false },
        { version: 9, name: 'ledger: key and team indexes hold only rows that have one', ledgerRows: 3, done: true },
      ],
    );
    const definitions = new Map(
      (database.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger' AND sql IS NOT NULL`).all() as Array<{ name: string; sql: string }>).map(
        (index) => [index.name, index.sql],
      ),
    );
    assert.match(definitions.get('ledger_key_time') ?? '', /WHERE key_id IS NOT NULL$/);
    assert.match(definitions.get('ledger_team_time') ?? '', /WHERE team IS NOT NULL$/);
    const plan = (sql: string) => (database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x', '') as Array<{ detail: string }>).map((step) => step.detail).join('; ');
    assert.match(plan('SELECT SUM(cost_usd) FROM ledger WHERE key_id = ? AND time >= ?'), /USING INDEX ledger_key_time/);
    assert.match(plan('SELECT SUM(cost_usd) FROM ledger WHERE team = ? AND time >= ?'), /USING INDEX ledger_team_time/);
    database.close();
    const storage = await openSqliteStorage(path);
    await storage.ledger.append([row({ id: 'new-master', keyId: null, team: null, costUsd: 2 }), row({ id: 'new-keyed', keyId: 'key_a', team: 'red', costUsd: 4 })]);
    assert.equal(await storage.ledger.costSince({ keyId: 'key_a' }, '2025-01-01'), 5.25);
    assert.equal(await storage.ledger.costSince({ team: 'red' }, '2025-01-01'), 4.25);
    const byKey = await storage.ledger.summary({ groupBy: 'key' });
    assert.deepEqual(byKey.map((group) => [group.group, group.requests, group.costUsd]), [['key_a', 3, 5.25], [null, 2, 2.5]]);
    assert.deepEqual((await storage.ledger.query({ keyId: 'key_a' })).map((entry) => entry.id).sort(), ['keyed', 'new-keyed', 'no-team']);
    await storage.close();
  });

  it('keeps keys by id and hash, and teams by id or name', async () => {
    const storage = await openSqliteStorage(join(directory, 'keys.db'));
    const key: VirtualKeyRecord = {
      id: 'key_1', name: 'app', team: 'red', models: ['fast'], budgetUsd: 2, budgetPeriod: 'month', rpm: 5, tpm: null,
      modelLimits: { 'gpt-*': { rpm: 1 } }, expiresAt: null, metadata: { env: 'prod' }, guardrails: ['pii'], revoked: false,
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z', keyHash: 'ab'.repeat(32), keyHint: 'sb-...abcd',
    };
    await storage.keys.save(key);
    assert.deepEqual(await storage.keys.get('key_1'), key);
    assert.deepEqual(await storage.keys.findByHash('ab'.repeat(32)), key);
    await storage.keys.save({ ...key, revoked: true, keyHash: 'cd'.repeat(32) });
    assert.equal(await storage.keys.findByHash('ab'.repeat(32)), undefined);
    assert.equal((await storage.keys.list()).length, 1);

    const team = { id: 'team_1', name: 'red', models: null, budgetUsd: null, budgetPeriod: 'total' as const, rpm: 3, tpm: null, modelLimits: {}, metadata: {}, guardrails: [], createdAt: 'x', updatedAt: 'x' };
    await storage.teams.save(team);
    assert.deepEqual(await storage.teams.findByLabel('red'), team);
    assert.deepEqual(await storage.teams.findByLabel('team_1'), team);
    assert.equal(await storage.teams.delete('team_1'), true);
    assert.equal(await storage.teams.delete('team_1'), false);
    await storage.close();
  });

  it('sums the ledger by key, team, model, provider and day, and spend since a time', async () => {
    const storage = await openSqliteStorage(join(directory, 'ledger.db'));
    await storage.ledger.append([
      row({ costUsd: 0.1 }),
      row({ costUsd: 0.2, time: '2025-06-02T10:00:00.000Z', model: 'smart' }),
      row({ costUsd: 0.4, keyId: 'key_b', team: 'blue', provider: 'anthropic', status: 'error' }),
      row({ costUsd: 0.8, keyId: null, team: null }),
    ]);
    const byKey = await storage.ledger.summary({ groupBy: 'key' });
    assert.deepEqual(byKey.map((group) => [group.group, group.requests, group.costUsd]), [[null, 1, 0.8], ['key_b', 1, 0.4], ['key_a', 2, 0.3]]);
    const byDay = await storage.ledger.summary({ groupBy: 'day' });
    assert.deepEqual(byDay.map((group) => [group.group, group.requests]), [['2025-06-01', 3], ['2025-06-02', 1]]);
    const byProvider = await storage.ledger.summary({ groupBy: 'provider', from: '2025-06-01T00:00:00.000Z', to: '2025-06-02T00:00:00.000Z' });
    assert.deepEqual(byProvider.map((group) => [group.group, group.requests, group.errors]), [['oai', 2, 0], ['anthropic', 1, 1]]);
    assert.equal((await storage.ledger.summary({ groupBy: 'model', team: 'red' })).length, 2);
    assert.ok(Math.abs((await storage.ledger.costSince({ keyId: 'key_a' }, undefined)) - 0.3) < 1e-9);
    assert.ok(Math.abs((await storage.ledger.costSince({ keyId: 'key_a' }, '2025-06-02T00:00:00.000Z')) - 0.2) < 1e-9);
    assert.ok(Math.abs((await storage.ledger.costSince({ team: 'blue' }, undefined)) - 0.4) < 1e-9);
    await storage.close();
  });

  it('keeps runtime providers sealed and an append-only audit log', async () => {
    const storage = await openSqliteStorage(join(directory, 'admin.db'));
    await storage.providers.save({ id: 'rt', type: 'openai', sealedConfig: 'v1:abc', apiKeyHint: '...1234', createdAt: 'a', updatedAt: 'b' });
    assert.deepEqual((await storage.providers.list()).map((provider) => provider.id), ['rt']);
    assert.equal(await storage.providers.delete('rt'), true);
    for (const action of ['key.create', 'key.rotate', 'team.create']) {
      await storage.audit.append({ time: new Date().toISOString(), actor: 'master', action, targetType: action.split('.')[0]!, targetId: 'x', details: { n: 1 } });
    }
    assert.deepEqual((await storage.audit.list({})).map((entry) => entry.action), ['team.create', 'key.rotate', 'key.create']);
    assert.equal((await storage.audit.list({ action: 'key.rotate' })).length, 1);
    assert.equal((await storage.audit.list({ limit: 2 })).length, 2);
    await storage.close();
  });
});
