import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openSqliteStorage } from '../../src/store/sqlite/index.ts';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-governance-ledger';

interface UsageRow {
  id: string;
  key_id: string | null;
  team: string | null;
  model: string | null;
  status: string;
  output_tokens: number;
  cost_usd: number;
  time: string;
}
interface SummaryAnswer {
  group_by: string;
  data: Array<{ group: string | null; requests: number; input_tokens: number; output_tokens: number; cost_usd: number }>;
  total: { requests: number; cost_usd: number };
}

describe('the ledger and /admin/usage (real gateway, SQLite file)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;
  const keys: Record<string, { id: string; key: string }> = {};

  before(async () => {
    simulator = await new OpenAISimulator({ chunkDelayMs: 15 }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'smart', provider: 'oai', upstream: 'gpt-4o', pricing: { input_per_mtok: 5, output_per_mtok: 10 } },
      ],
    });
    admin = adminClient(gateway.origin, masterKey);
    for (const [name, team] of [['alpha', 'red'], ['beta', 'red'], ['gamma', 'blue']] as const) {
      keys[name] = (await admin.post<{ id: string; key: string }>('/admin/keys', { name, team })).body;
    }
    const plan: Array<[string, string, number]> = [['alpha', 'fast', 3], ['beta', 'smart', 2], ['gamma', 'fast', 1], ['gamma', 'smart', 4]];
    for (const [name, model, count] of plan) {
      for (let index = 0; index < count; index += 1) {
        const answer = await chat(gateway.origin, keys[name]!.key, { model, messages: [{ role: 'user', content: `request ${index} from ${name}` }] });
        assert.equal(answer.status, 200);
      }
    }
  });

  after(() => closeAll(gateway, simulator));

  it('filters rows by key, team, model, time range and limit', async () => {
    const byKey = await admin.get<{ data: UsageRow[] }>(`/admin/usage?key_id=${keys.gamma!.id}`);
    assert.equal(byKey.body.data.length, 5);
    assert.ok(byKey.body.data.every((row) => row.key_id === keys.gamma!.id));
    assert.equal((await admin.get<{ data: UsageRow[] }>('/admin/usage?team=red')).body.data.length, 5);
    assert.equal((await admin.get<{ data: UsageRow[] }>(`/admin/usage?team=blue&model=smart`)).body.data.length, 4);
    assert.equal((await admin.get<{ data: UsageRow[] }>('/admin/usage?limit=2')).body.data.length, 2);
    const all = (await admin.get<{ data: UsageRow[] }>('/admin/usage?limit=1000')).body.data;
    const times = all.map((row) => row.time).sort();
    const middle = times[Math.floor(times.length / 2)]!;
    const early = (await admin.get<{ data: UsageRow[] }>(`/admin/usage?to=${encodeURIComponent(middle)}&limit=1000`)).body.data;
    const late = (await admin.get<{ data: UsageRow[] }>(`/admin/usage?from=${encodeURIComponent(middle)}&limit=1000`)).body.data;
    assert.equal(early.length + late.length, all.length, 'from is inclusive, to exclusive');
    assert.ok(early.every((row) => row.time < middle) && late.every((row) => row.time >= middle));
    assert.equal((await admin.get('/admin/usage?from=yesterday')).status, 400);
  });

  it('reads the ledger page by page with offset: every row once, has_more until the last page', async () => {
    const all = (await admin.get<{ data: UsageRow[]; has_more: boolean }>('/admin/usage?limit=10000')).body;
    assert.equal(all.has_more, false);
    assert.ok(all.data.length >= 7, `${all.data.length} rows`);
    const paged: string[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = (await admin.get<{ data: UsageRow[]; has_more: boolean }>(`/admin/usage?limit=3&offset=${offset}`)).body;
      paged.push(...page.data.map((row) => row.id));
      assert.equal(page.has_more, offset + 3 < all.data.length, `has_more at offset ${offset}`);
      if (!page.has_more) break;
    }
    assert.deepEqual(paged, all.data.map((row) => row.id), 'the pages are the whole list, in its order');
    const csv = await admin.get('/admin/usage?limit=2&format=csv');
    assert.equal(csv.headers.get('x-has-more'), 'true');
    assert.equal((await admin.get('/admin/usage?offset=-1')).status, 400);
  });

  it('sums tokens and cost grouped by key, team, model, provider and day', async () => {
    const rows = (await admin.get<{ data: UsageRow[] }>('/admin/usage?limit=1000')).body.data;
    const totalCost = rows.reduce((sum, row) => sum + row.cost_usd, 0);
    const expectations: Record<string, Record<string, number>> = {
      key: { [keys.alpha!.id]: 3, [keys.beta!.id]: 2, [keys.gamma!.id]: 5 },
      team: { red: 5, blue: 5 },
      model: { fast: 4, smart: 6 },
      provider: { oai: 10 },
      day: { [new Date().toISOString().slice(0, 10)]: 10 },
    };
    for (const [groupBy, counts] of Object.entries(expectations)) {
      const summary = await admin.get<SummaryAnswer>(`/admin/usage/summary?group_by=${groupBy}`);
      assert.equal(summary.status, 200, summary.text);
      assert.equal(summary.body.group_by, groupBy);
      const requests = Object.fromEntries(summary.body.data.map((group) => [group.group, group.requests]));
      assert.deepEqual(requests, counts, `group_by=${groupBy}`);
      assert.ok(Math.abs(summary.body.total.cost_usd - totalCost) < 1e-8, `group_by=${groupBy} total cost`);
      assert.ok(summary.body.data.every((group) => group.input_tokens > 0 && group.output_tokens > 0 && group.cost_usd > 0));
    }
    const smart = (await admin.get<SummaryAnswer>('/admin/usage/summary?group_by=model')).body.data.find((group) => group.group === 'smart')!;
    const smartRows = rows.filter((row) => row.model === 'smart');
    assert.ok(Math.abs(smart.cost_usd - smartRows.reduce((sum, row) => sum + row.cost_usd, 0)) < 1e-8);
    assert.equal((await admin.get('/admin/usage/summary?group_by=colour')).status, 400);
  });

  it('exports CSV with a header line and one line per row', async () => {
    const answer = await admin.get(`/admin/usage?format=csv&key_id=${keys.beta!.id}`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = answer.text.trimEnd().split('\r\n');
    assert.equal(lines.length, 3);
    const header = lines[0]!.split(',');
    for (const column of ['id', 'time', 'key_id', 'team', 'model', 'provider', 'input_tokens', 'output_tokens', 'cost_usd', 'status', 'error_code', 'error_message', 'warnings']) assert.ok(header.includes(column), column);
    const keyColumn = header.indexOf('key_id');
    assert.ok(lines.slice(1).every((line) => line.split(',')[keyColumn] === keys.beta!.id));
  });

  it('finds a team by id or name in /admin/usage and its summary (rows carry the name)', async () => {
    assert.equal((await admin.post('/admin/teams', { id: 'team-green-id', name: 'green' })).status, 201);
    const key = (await admin.post<{ key: string }>('/admin/keys', { name: 'delta', team: 'team-green-id' })).body;
    assert.equal((await chat(gateway.origin, key.key, { model: 'fast', messages: [{ role: 'user', content: 'green' }] })).status, 200);
    for (const team of ['green', 'team-green-id']) {
      const rows = (await admin.get<{ data: UsageRow[] }>(`/admin/usage?team=${team}`)).body.data;
      assert.deepStrictEqual(
        rows.map((row) => row.team),
        ['green'],
        team,
      );
      const summary = (await admin.get<{ total: { requests: number } }>(`/admin/usage/summary?group_by=model&team=${team}`)).body;
      assert.equal(summary.total.requests, 1, team);
    }
  });

  it('has one row per request after a burst where some clients abort mid-stream', async () => {
    const key = (await admin.post<{ id: string; key: string }>('/admin/keys', { name: 'burst', budget_usd: 100 })).body;
    const client = openaiClient(gateway, key.key);
    const total = 30;
    const aborting = new Set([0, 3, 7, 11, 15, 19, 23, 27]);
    const prompt = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    await Promise.all(
      Array.from({ length: total }, async (_, index) => {
        const controller = new AbortController();
        const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: prompt }] }, { signal: controller.signal });
        let chunks = 0;
        try {
          for await (const chunk of stream) {
            if (chunk.choices[0]?.delta.content) chunks += 1;
            if (aborting.has(index) && chunks === 3) {
              controller.abort();
              break;
            }
          }
        } catch (error) {
          if (!aborting.has(index)) throw error;
        }
      }),
    );
    await sleep(300);
    const rows = (await admin.get<{ data: UsageRow[] }>(`/admin/usage?key_id=${key.id}&limit=1000`)).body.data;
    assert.equal(rows.length, total, 'one ledger row per request sent');
    const aborted = rows.filter((row) => row.status === 'client_aborted');
    assert.equal(aborted.length, aborting.size);
    assert.ok(aborted.every((row) => row.output_tokens >= 3 && row.cost_usd > 0), 'aborted rows carry the tokens actually streamed');
    assert.equal(rows.filter((row) => row.status === 'ok').length, total - aborting.size);
    const spend = await admin.get<{ spent_usd: number }>(`/admin/keys/${key.id}`);
    assert.ok(Math.abs(spend.body.spent_usd - rows.reduce((sum, row) => sum + row.cost_usd, 0)) < 1e-8, 'settled spend equals the ledger');
  });
});

describe('the ledger on shutdown', () => {
  it('writes every queued row when the gateway closes', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-ledger-'));
    const simulator = await new OpenAISimulator().start();
    try {
      const gateway = await startGateway(
        {
          providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
          models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
        },
        { directory },
      );
      const answers = await Promise.all(Array.from({ length: 25 }, () => chat(gateway.origin, undefined, { model: 'fast', messages: [{ role: 'user', content: 'hi' }] })));
      assert.ok(answers.every((answer) => answer.status === 200));
      await gateway.close();
      const storage = await openSqliteStorage(join(directory, 'switchboard.db'));
      try {
        assert.equal((await storage.ledger.query({ limit: 1000 })).length, 25);
      } finally {
        await storage.close();
      }
    } finally {
      await simulator.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('a team created after its keys, under the id they named it by', () => {
  it('keeps its spend across a restart and finds its rows by id: the rows carry the team name', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-team-label-'));
    const simulator = await new OpenAISimulator().start();
    const config = {
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
    };
    const gateways: TestGateway[] = [];
    try {
      const first = await startGateway(config, { directory });
      gateways.push(first);
      const admin = adminClient(first.origin, masterKey);
      // The key names a team that does not exist yet (as a script that makes keys first does)...
      const key = (await admin.post<{ key: string }>('/admin/keys', { name: 'early', team: 'payments-eu' })).body;
      // ...which is then created with that id and a display name.
      assert.equal((await admin.post('/admin/teams', { id: 'payments-eu', name: 'Payments EU', budget_usd: 5 })).status, 201);
      assert.equal((await chat(first.origin, key.key, { model: 'fast', messages: [{ role: 'user', content: 'hello' }] })).status, 200);
      const rows = (await admin.get<{ data: UsageRow[] }>('/admin/usage?team=payments-eu')).body.data;
      assert.deepEqual(rows.map((row) => row.team), ['Payments EU'], 'the row is found by the team id and carries its name');
      const spent = (await admin.get<{ spent_usd: number }>('/admin/teams/payments-eu')).body.spent_usd;
      assert.ok(spent > 0);
      await gateways.pop()!.close();
      // Spend is read back from the ledger at start, by the team's name.
      const second = await startGateway(config, { directory });
      gateways.push(second);
      const again = await adminClient(second.origin, masterKey).get<{ spent_usd: number }>('/admin/teams/payments-eu');
      assert.equal(again.body.spent_usd, spent, 'the team spend survives a restart');
    } finally {
      await closeAll(...gateways, simulator);
      await rm(directory, { recursive: true, force: true });
    }
  });
});
