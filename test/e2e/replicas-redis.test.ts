import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { cleanEnvironment, startCli, type ServerProcess } from '../helpers/cli.ts';
import { createTestRedis, testRedisUrl, type TestRedis } from '../helpers/redis.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Three `switchboard serve` processes on one database and one Redis (`REDIS_URL`), one of them
 * with two workers: a key's rpm and budget hold across them, and a change made through one is
 * applied by the others at once. Without Redis each replica admitted the whole limit (30 of 30
 * requests for rpm 10 over 3 replicas) and trusted a revoked key for up to 30 s
 * (docs/operations.md "Several replicas").
 */

const master = 'sk-master-replicas';

describe('replicas sharing limits, budgets and key changes through Redis', () => {
  let simulator: OpenAISimulator;
  let redis: TestRedis;
  let directory: string;
  let replicas: ServerProcess[] = [];

  const admin = async (server: ServerProcess, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.origin}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${master}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const chat = async (server: ServerProcess, key: string): Promise<number> => {
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await response.arrayBuffer();
    return response.status;
  };

  before(async () => {
    simulator = await new OpenAISimulator().start();
    redis = await createTestRedis();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
    const file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `server: { master_key: "${master}" }`,
        `storage: { url: "sqlite://${join(directory, 'switchboard.db')}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
        'models:',
        '  - { id: quick, provider: oai, upstream: gpt-4o }',
        'routes:',
        '  - { id: remembered, strategy: ordered, candidates: [quick], cache: { ttl_s: 60 } }',
      ].join('\n'),
    );
    const env = cleanEnvironment({ REDIS_URL: testRedisUrl, SWITCHBOARD_REDIS_PREFIX: redis.prefix });
    const serve = (extra: string[] = []) => startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', ...extra], { env });
    replicas = [await serve(), await serve(), await serve(['--workers', '2'])];
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await simulator.close();
    await redis.drop();
    await rm(directory, { recursive: true, force: true });
  });

  it('names Redis in the banner, and says in /metrics that every worker reaches it', async () => {
    assert.match(replicas[0]!.stderr(), /redis: +redis:\/\/127\.0\.0\.1:6379 \(rate limits, budgets and key changes shared by replicas\)/);
    const metrics = await (await fetch(`${replicas[2]!.origin}/metrics`, { headers: { authorization: `Bearer ${master}` } })).text();
    assert.match(metrics, /^switchboard_redis_connected 1$/m);
  });

  it("holds a key's rpm across the replicas: 10 of 30 simultaneous requests", async () => {
    const { key } = (await admin(replicas[0]!, 'POST', '/keys', { name: 'rpm-ten', rpm: 10 })) as { key: string };
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, index) => chat(replicas[index % 3]!, key)));
    assert.equal(statuses.filter((status) => status === 200).length, 10, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 429).length, 20, statuses.join(','));
  });

  it("shares a budget's spend, and applies a budget set or a revocation on one replica at once on the others", async () => {
    const { key, id } = (await admin(replicas[0]!, 'POST', '/keys', { name: 'budgeted' })) as { key: string; id: string };
    // One request through each replica: each resolves (and caches) the key.
    for (const replica of replicas) assert.equal(await chat(replica, key), 200);
    // The other replicas write their rows before the spend is read from the ledger (a flush through Redis).
    const usage = (await admin(replicas[0]!, 'GET', `/usage?key_id=${id}`)) as { data: unknown[] };
    assert.equal(usage.data.length, 3, "every replica's row is listed at once");
    const cost = Number((await admin(replicas[0]!, 'GET', `/keys/${id}`)).spent_usd) / 3;
    assert.ok(cost > 0, 'the simulator answers with usage, priced from the catalog');
    // Room for one more request and a half: the 5th request is admitted (4c spent < 4.5c), the 6th is not.
    await admin(replicas[0]!, 'PATCH', `/keys/${id}`, { budget_usd: cost * 4.5 });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index += 1) {
      statuses.push(await chat(replicas[(index + 1) % 3]!, key));
      // A request's settle reaches Redis just after its answer: until then its hold counts (429 budget_reserved).
      await sleep(50);
    }
    assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429]);
    for (const replica of replicas) {
      const spent = Number((await admin(replica, 'GET', `/keys/${id}`)).spent_usd);
      assert.ok(Math.abs(spent - cost * 5) < 1e-9, `every replica reports the shared spend: ${spent} against ${cost * 5}`);
    }
    await admin(replicas[1]!, 'DELETE', `/keys/${id}`);
    for (const replica of replicas) assert.equal(await chat(replica, key), 401);
  });

  it("answers from the response cache a request another replica answered, streamed or not", async () => {
    const ask = async (server: ServerProcess, stream: boolean) => {
      const response = await fetch(`${server.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${master}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'remembered', stream, messages: [{ role: 'user', content: 'a question asked twice' }] }),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      return { cache: response.headers.get('x-switchboard-cache'), text };
    };
    const calls = simulator.chatCalls().length;
    const first = await ask(replicas[0]!, false);
    assert.equal(first.cache, 'miss');
    const second = await ask(replicas[1]!, false);
    assert.equal(second.cache, 'hit');
    const content = (text: string) => (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
    assert.equal(content(second.text), content(first.text));
    const streamed = await ask(replicas[2]!, true);
    assert.equal(streamed.cache, 'hit');
    assert.match(streamed.text, /data: \[DONE\]/);
    assert.equal(simulator.chatCalls().length - calls, 1, 'one call to the provider for the three answers');
    assert.equal((await redis.keys()).filter((key) => key.includes(':cache:')).length, 1);
  });
});
