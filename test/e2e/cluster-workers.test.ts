import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/store/sqlite/driver.ts';
import { adminClient } from '../helpers/admin.ts';
import { cleanEnvironment, processTunables, runCli, startCli, tunablesAsSeen, type ServerProcess } from '../helpers/cli.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * `switchboard serve --workers 2` (issue 15): one port, two worker processes, and what must
 * hold across them: one rpm window and one budget, /admin changes seen by every worker before
 * the change answers, a killed worker replaced with a row for every request it had, and SIGTERM
 * draining them all.
 */

const masterKey = 'sb-master-cluster-workers';
const prices = { input_per_mtok: 100, output_per_mtok: 200 };

interface Answer {
  status: number;
  requestId: string | undefined;
  text: string;
  json: { error?: { message: string; code: string | null } } | undefined;
}

/**
 * A request on a connection of its own (no keep-alive pool), so that the primary hands
 * consecutive requests to the workers in turn. Rejects when the connection dies without an answer.
 */
function fresh(origin: string, path: string, key: string, body: unknown, onFirstChunk?: () => void): Promise<Answer> {
  const url = new URL(path, origin);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text === '') onFirstChunk?.();
          text += chunk;
        });
        response.on('end', () => {
          let json: Answer['json'];
          try {
            json = JSON.parse(text) as Answer['json'];
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, requestId: response.headers['x-request-id'] as string | undefined, text, json });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** The JSON log lines the cluster wrote so far. */
function logLines(server: ServerProcess): Array<Record<string, unknown>> {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Which worker slot served each request, from the workers' "request finished" log lines. */
async function servedBy(server: ServerProcess, ids: readonly string[]): Promise<Set<number>> {
  const slots = await waitFor('the request log lines', () => {
    const found = new Map(logLines(server).filter((line) => line.msg === 'request finished').map((line) => [line.request_id, line.worker]));
    return ids.every((id) => found.has(id)) && ids.map((id) => found.get(id) as number);
  });
  return new Set(slots);
}

describe('switchboard serve --workers 2', () => {
  let simulator: OpenAISimulator;
  let directory: string;
  let database: string;
  let server: ServerProcess;
  let admin: ReturnType<typeof adminClient>;

  const createKey = async (body: Record<string, unknown>) => {
    const answer = await admin.post<{ id: string; key: string }>('/admin/keys', body);
    assert.equal(answer.status, 201, answer.text);
    return answer.body;
  };
  const chat = (key: string, model: string, extra: Record<string, unknown> = {}) => fresh(server.origin, '/v1/chat/completions', key, { model, messages: [{ role: 'user', content: 'count to three' }], ...extra });
  const many = (count: number, send: () => Promise<Answer>) => Promise.all(Array.from({ length: count }, send));
  const idsOf = (answers: readonly Answer[]) => answers.map((answer) => answer.requestId!);
  /**
   * Sends in rounds of four until both workers have answered (the primary hands connections
   * in turn, but other requests may come between), checking every answer's status.
   */
  const onBothWorkers = async (send: () => Promise<Answer>, statuses: readonly number[]): Promise<Answer[]> => {
    const answers: Answer[] = [];
    for (let round = 0; round < 10; round += 1) {
      const batch = await many(4, send);
      for (const answer of batch) assert.ok(statuses.includes(answer.status), `status ${answer.status}: ${answer.text}`);
      answers.push(...batch);
      if ((await servedBy(server, idsOf(answers))).size === 2) return answers;
    }
    throw new Error('the requests never reached both workers');
  };

  before(async () => {
    // gpt-4o-mini answers at once, gpt-4o after 80 ms (requests overlap), gpt-4.1-mini after 4 s (in flight when a worker is killed).
    simulator = await new OpenAISimulator({ delays: { 'gpt-4o': 80, 'gpt-4.1-mini': 4_000 }, chunkDelayMs: 150 }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-cluster-'));
    database = join(directory, 'switchboard.db');
    const file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `server: { master_key: "${masterKey}", drain_timeout_ms: 10000, log_requests: true }`,
        `storage: { url: "sqlite://${database}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
        'models:',
        `  - { id: fast, provider: oai, upstream: gpt-4o-mini, pricing: ${JSON.stringify(prices)} }`,
        `  - { id: paced, provider: oai, upstream: gpt-4o, pricing: ${JSON.stringify(prices)} }`,
        `  - { id: stuck, provider: oai, upstream: gpt-4.1-mini, pricing: ${JSON.stringify(prices)} }`,
      ].join('\n'),
    );
    server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'], { env: cleanEnvironment() });
    admin = adminClient(server.origin, masterKey);
  });

  after(async () => {
    await server?.stop();
    await simulator?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('prints one banner with the worker count', () => {
    assert.equal(server.stderr().match(/Switchboard listening on/g)?.length, 1);
    assert.match(server.stderr(), /workers: {3}2 processes on one port/);
  });

  it('starts every worker with glibc malloc thresholds and arenas fixed (GLIBC_TUNABLES), on every Node version', async () => {
    // bin/switchboard.js puts them in the environment the workers are forked with; glibc reads
    // them when a process starts, so the process's environment is where they must be.
    const workers = logLines(server).filter((line) => line.msg === 'worker started').map((line) => line.pid as number);
    assert.ok(workers.length >= 2, `worker pids in the log: ${workers.join(' ')}`);
    // Unless the machine running the tests set them itself: the operator's choice is kept.
    const given = process.env.GLIBC_TUNABLES;
    const thresholdsGiven = /glibc\.malloc\.(mmap|trim)_threshold=/.test(given ?? '') || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined || process.env.MALLOC_TRIM_THRESHOLD_ !== undefined;
    const arenasGiven = /glibc\.malloc\.arena_max=/.test(given ?? '') || process.env.MALLOC_ARENA_MAX !== undefined;
    const fixed = [
      ...(arenasGiven ? [] : ['glibc.malloc.arena_max=2']),
      ...(thresholdsGiven ? [] : ['glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=2097152']),
    ].join(':');
    const expected = fixed === '' ? given : given ? `${fixed}:${given}` : fixed;
    for (const pid of workers.slice(0, 2)) assert.equal(await processTunables(pid), tunablesAsSeen(expected), `worker ${pid}`);
  });

  it('holds one rpm limit across the workers: 60 requests at once, exactly 20 admitted', async () => {
    const key = await createKey({ name: 'rpm-across', rpm: 20 });
    const answers = await many(60, () => chat(key.key, 'fast'));
    assert.ok(answers.every((answer) => answer.status === 200 || answer.status === 429), answers.map((answer) => answer.status).join(' '));
    assert.equal(answers.filter((answer) => answer.status === 200).length, 20);
    assert.deepEqual([...(await servedBy(server, idsOf(answers)))].sort(), [1, 2], 'both workers took requests of the key');
  });

  it('holds one budget across the workers: overspend at most the requests in flight', async () => {
    const budget = 0.05;
    const key = await createKey({ name: 'budget-across', budget_usd: budget });
    let admitted = 0;
    let largestWave = 0;
    let maxCost = 0;
    const served: string[] = [];
    for (let wave = 0; wave < 20; wave += 1) {
      const answers = await many(50, () => chat(key.key, 'paced', { max_tokens: 20 }));
      assert.ok(answers.every((answer) => answer.status === 200 || answer.status === 429), 'only 200 and 429');
      const ok = answers.filter((answer) => answer.status === 200);
      served.push(...idsOf(answers));
      admitted += ok.length;
      largestWave = Math.max(largestWave, ok.length);
      if (ok.length === 0) break;
    }
    // Refused requests have rows too (429, $0): the answered ones are those with status ok.
    const rows = (await admin.get<{ data: Array<{ id: string; cost_usd: number; status: string }> }>(`/admin/usage?key_id=${key.id}&limit=10000`)).body.data.filter((row) => row.status === 'ok');
    for (const row of rows) maxCost = Math.max(maxCost, row.cost_usd);
    const spent = rows.reduce((sum, row) => sum + row.cost_usd, 0);
    const overspend = Math.max(0, spent - budget);
    const bound = largestWave * maxCost;
    process.stdout.write(`# 2 workers, budget ${budget}: ${admitted} admitted, largest wave ${largestWave}, spent ${spent.toFixed(6)}, overspend ${overspend.toFixed(6)} (bound ${bound.toFixed(6)})\n`);
    assert.equal(rows.length, admitted, 'every admitted request is in the ledger, read through any worker');
    assert.ok(spent >= budget, `stopped early: spent ${spent} of ${budget}`);
    assert.ok(overspend <= bound + 1e-9, `overspend ${overspend} > bound ${bound}`);
    // Each worker holding its own budget would let each spend it: twice the budget with two.
    assert.ok(spent < 1.5 * budget, `spent ${spent} of a ${budget} budget`);
    assert.ok(admitted > 1 && largestWave < 50, `admitted ${admitted}, largest wave ${largestWave}`);
    const view = await admin.get<{ spent_usd: number }>(`/admin/keys/${key.id}`);
    assert.ok(Math.abs(view.body.spent_usd - spent) < 1e-8, `spent_usd ${view.body.spent_usd} vs ledger ${spent}`);
    assert.deepEqual([...(await servedBy(server, served))].sort(), [1, 2]);
  });

  it('a key revoked through one worker stops working on every worker at once', async () => {
    const key = await createKey({ name: 'revoked-across' });
    // Both workers have the key cached (for 30 s, were it not for the change reaching them).
    await onBothWorkers(() => chat(key.key, 'fast'), [200]);
    assert.equal((await admin.delete(`/admin/keys/${key.id}`)).status, 200);
    await onBothWorkers(() => chat(key.key, 'fast'), [401]);
  });

  it('team limits and runtime providers changed through one worker apply on every worker', async () => {
    assert.equal((await admin.post('/admin/teams', { name: 'ops' })).status, 201);
    const member = await createKey({ name: 'ops-member', team: 'ops' });
    await onBothWorkers(() => chat(member.key, 'fast'), [200]);
    assert.equal((await admin.patch('/admin/teams/ops', { rpm: 1 })).status, 200);
    // One window for the team across the workers: one request passes, on whichever worker.
    const limited = await onBothWorkers(() => chat(member.key, 'fast'), [200, 429]);
    assert.equal(limited.filter((answer) => answer.status === 200).length, 1);

    const added = await admin.post('/admin/providers', { id: 'runtime', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey });
    assert.equal(added.status, 201, added.text);
    await onBothWorkers(() => chat(masterKey, 'runtime/gpt-4o-mini'), [200]);
    assert.equal((await admin.delete('/admin/providers/runtime')).status, 200);
    await onBothWorkers(() => chat(masterKey, 'runtime/gpt-4o-mini'), [404]);
  });

  /** The cluster's /metrics, and its count of requests. */
  const scrape = async () => {
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const requests = [...text.matchAll(/^switchboard_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    return { text, requests };
  };

  it('/metrics on any worker counts the requests of every worker, with each worker’s process metrics', async () => {
    const before = await scrape();
    const sent = await onBothWorkers(() => chat(masterKey, 'fast'), [200]);
    const after = await scrape();
    assert.equal(after.requests - before.requests, sent.length);
    assert.match(after.text, /switchboard_process_process_resident_memory_bytes\{worker="1"\} \d+/);
    assert.match(after.text, /switchboard_process_process_resident_memory_bytes\{worker="2"\} \d+/);
  });

  it('kill -9 of a worker: it is replaced, every request sent has a row, and its reservations are released', async () => {
    const key = await createKey({ name: 'crash', budget_usd: 100 });
    const pidOf = (slot: number) => logLines(server).filter((line) => line.msg === 'worker started' && line.slot === slot).map((line) => line.pid as number).at(-1)!;
    const victim = pidOf(1);
    const stuckBefore = simulator.chatCalls('gpt-4.1-mini').length;
    // Twelve requests still waiting for the provider on both workers when one is killed...
    const inFlight = Array.from({ length: 12 }, () => chat(key.key, 'stuck', { max_tokens: 50 }).catch((error: Error) => error));
    await waitFor('the provider to receive the 12 requests', () => simulator.chatCalls('gpt-4.1-mini').length - stuckBefore >= 12);
    // ...and ten answered just before the kill, their rows not yet written to the database.
    const answered = await many(10, () => chat(key.key, 'fast'));
    assert.deepEqual(answered.map((answer) => answer.status), Array(10).fill(200));
    const countedBefore = (await scrape()).requests;
    process.kill(victim, 'SIGKILL');
    const outcomes = await Promise.all(inFlight);
    const cut = outcomes.filter((outcome) => outcome instanceof Error);
    const finished = outcomes.filter((outcome): outcome is Answer => !(outcome instanceof Error));
    assert.ok(cut.length > 0 && finished.length > 0, `${cut.length} cut, ${finished.length} answered`);
    assert.ok(finished.every((answer) => answer.status === 200));

    await waitFor('a replacement in slot 1', () => pidOf(1) !== victim && logLines(server).some((line) => line.msg === 'worker listening' && line.pid === pidOf(1)));
    const died = logLines(server).find((line) => line.msg === 'worker died; starting a replacement, which writes the rows of its requests from its journal');
    assert.equal(died?.signal, 'SIGKILL');
    assert.ok((died?.released_reservations as number) >= cut.length, `released ${String(died?.released_reservations)} reservations for ${cut.length} cut requests`);

    const recovered = logLines(server).find((line) => line.worker === 1 && line.journal === 'ledger-w1' && typeof line.cut_off === 'number');
    assert.equal(recovered?.cut_off, cut.length, 'the replacement wrote the rows of the requests its predecessor had in flight');

    const rows = (await admin.get<{ data: Array<{ id: string; status: string; error_code: string | null; cost_usd: number }> }>(`/admin/usage?key_id=${key.id}&limit=1000`)).body.data;
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const answer of [...answered, ...finished]) assert.equal(byId.get(answer.requestId!)?.status, 'ok', `answered ${answer.requestId} has its row`);
    const cutRows = rows.filter((row) => row.error_code === 'SB_ERR_INTERNAL');
    assert.equal(cutRows.length, cut.length, 'one row per request cut off by the kill');
    assert.ok(cutRows.every((row) => row.status === 'error' && row.cost_usd === 0));
    assert.equal(rows.length, 22, 'every request sent has exactly one row');
    process.stdout.write(`# kill -9 of worker 1: ${finished.length} answered by worker 2, ${cut.length} cut off (rows written by the replacement), ${answered.length} answered just before the kill all recorded\n`);

    const spend = (await admin.get<{ data: Array<{ id: string; reserved_usd: number; in_flight: number; spent_usd: number }> }>('/admin/spend')).body.data.find((entry) => entry.id === key.id)!;
    assert.equal(spend.in_flight, 0);
    assert.equal(spend.reserved_usd, 0, 'the killed worker’s reservations are released');
    const ledgerSpend = rows.reduce((sum, row) => sum + row.cost_usd, 0);
    assert.ok(Math.abs(spend.spent_usd - ledgerSpend) < 1e-8, `spent_usd ${spend.spent_usd} vs ledger ${ledgerSpend}`);
    // The replacement serves.
    assert.deepEqual((await many(4, () => chat(key.key, 'fast'))).map((answer) => answer.status), Array(4).fill(200));
    // An outside probe: the cluster's counters went back when a worker was replaced.
    const countedAfter = (await scrape()).requests;
    assert.ok(countedAfter >= countedBefore + inFlight.length + 4, `requests_total ${countedBefore} before the kill, ${countedAfter} after (12 in flight, 4 since)`);
  });

  it('SIGTERM to one worker: it drains and is replaced while the other serves', async () => {
    const pid = logLines(server).filter((line) => line.msg === 'worker started' && line.slot === 2).at(-1)!.pid as number;
    await onBothWorkers(() => chat(masterKey, 'fast'), [200]);
    const before = (await scrape()).requests;
    await many(4, () => chat(masterKey, 'fast'));
    process.kill(pid, 'SIGTERM');
    const replaced = await waitFor('a replacement in slot 2', () => logLines(server).find((line) => line.msg === 'worker listening' && line.slot === 2 && line.pid !== pid));
    const exited = logLines(server).find((line) => line.msg === 'worker exited; starting a replacement' && line.pid === pid);
    assert.equal(exited?.code, 0);
    assert.ok(replaced);
    assert.deepEqual((await many(4, () => chat(masterKey, 'fast'))).map((answer) => answer.status), Array(4).fill(200));
    // What the drained worker counted, even after the last scrape, stays in the cluster's totals.
    assert.ok((await scrape()).requests >= before + 8, 'requests_total never goes back');
  });

  it('a worker that stalls holds one connection; when it dies before taking it, another worker serves it at once, none hangs (nodejs/node#21746)', { skip: process.platform === 'win32' }, async () => {
    const pidOf = (slot: number) => logLines(server).filter((line) => line.msg === 'worker started' && line.slot === slot).map((line) => line.pid as number).at(-1)!;
    const victim = pidOf(1);
    // Stopped, it cannot say it has the connections the primary hands it; then it dies.
    process.kill(victim, 'SIGSTOP');
    let killed = false;
    try {
      let settled = 0;
      const sent = Array.from({ length: 6 }, () => chat(masterKey, 'fast').finally(() => (settled += 1)));
      // The stopped worker holds the one connection it was handed, not its share: the other
      // worker, free again after each, serves the rest meanwhile.
      await waitFor('five answers while worker 1 is stopped', () => settled >= 5, 10_000);
      await sleep(100);
      assert.equal(settled, 5, 'one connection waits on the stopped worker');
      process.kill(victim, 'SIGKILL');
      const killedAt = performance.now();
      killed = true;
      const timeout = sleep(10_000).then(() => 'timed out' as const);
      const outcomes = await Promise.all(sent.map((answer) => Promise.race([answer.catch((error: Error) => error), timeout])));
      // At once, not after a fallback: the primary does not wait for a 'disconnect' node never
      // emits while a handle it sent awaits its receipt.
      const afterKillMs = performance.now() - killedAt;
      assert.ok(afterKillMs < 1_500, `the held connection was answered ${afterKillMs.toFixed(0)} ms after the kill`);
      const statuses = outcomes.map((outcome) => (outcome === 'timed out' ? outcome : outcome instanceof Error ? outcome.message : outcome.status));
      assert.deepEqual(statuses, Array(6).fill(200), 'every request answered, none left hanging in the primary');
      const answers = outcomes as Answer[];
      assert.deepEqual(await servedBy(server, idsOf(answers)), new Set([2]), 'served by the worker still alive');
      const rows = (await admin.get<{ data: Array<{ id: string; status: string }> }>('/admin/usage?limit=1000')).body.data;
      const byId = new Map(rows.map((row) => [row.id, row.status]));
      for (const answer of answers) assert.equal(byId.get(answer.requestId!), 'ok', `request ${answer.requestId} has its row`);
    } finally {
      if (!killed) process.kill(victim, 'SIGKILL');
    }
    await waitFor('a replacement in slot 1', () => pidOf(1) !== victim && logLines(server).some((line) => line.msg === 'worker listening' && line.pid === pidOf(1)));
  });

  it('SIGTERM to the primary drains every worker, also one signalled itself (as systemd signals them all): streams in flight finish, then it exits 0', async () => {
    let started = 0;
    const streams = Array.from({ length: 4 }, () =>
      fresh(server.origin, '/v1/chat/completions', masterKey, { model: 'fast', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] }, () => (started += 1)),
    );
    await waitFor('every stream to start', () => started === 4);
    // Worker 2 gets SIGTERM twice, from systemd (KillMode=control-group) and from the primary;
    // worker 1 only the primary's, so that passing it on is tested too.
    const second = logLines(server).filter((line) => line.msg === 'worker started' && line.slot === 2).at(-1)!.pid as number;
    process.kill(second, 'SIGTERM');
    const exited = server.stop();
    const answers = await Promise.all(streams);
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.match(answer.text, /data: \[DONE\]/, 'each stream finished normally');
      assert.doesNotMatch(answer.text, /shutting down/);
    }
    assert.deepEqual([...(await servedBy(server, idsOf(answers)))].sort(), [1, 2], 'streams were open on both workers');
    assert.equal(await exited, 0);
    const ledger = new Database(database, { readonly: true });
    try {
      const statuses = answers.map((answer) => (ledger.prepare('SELECT status FROM ledger WHERE id = ?').get(answer.requestId) as { status: string } | undefined)?.status);
      assert.deepEqual(statuses, Array(4).fill('ok'));
    } finally {
      ledger.close();
    }
    assert.equal(logLines(server).filter((line) => line.msg === 'worker stopped' && line.code === 0).length, 2);
  });
});

describe('kill -9 of the primary', () => {
  let simulator: OpenAISimulator;
  let directory: string;

  before(async () => {
    simulator = await new OpenAISimulator({ delays: { 'gpt-4.1-mini': 5_000 } }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-cluster-primary-'));
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('its workers stop with it, and the next start, a single process, writes a row for every request', async () => {
    const database = join(directory, 'switchboard.db');
    const file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `server: { master_key: "${masterKey}" }`,
        `storage: { url: "sqlite://${database}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
        'models:',
        `  - { id: fast, provider: oai, upstream: gpt-4o-mini, pricing: ${JSON.stringify(prices)} }`,
        `  - { id: stuck, provider: oai, upstream: gpt-4.1-mini, pricing: ${JSON.stringify(prices)} }`,
      ].join('\n'),
    );
    const cluster = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'], { env: cleanEnvironment() });
    const key = (await adminClient(cluster.origin, masterKey).post<{ id: string; key: string }>('/admin/keys', { name: 'orphaned', budget_usd: 100 })).body;
    const ask = (model: string) => fresh(cluster.origin, '/v1/chat/completions', key.key, { model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const stuck = Array.from({ length: 6 }, () => ask('stuck').catch((error: Error) => error));
    await waitFor('the provider to receive the 6 requests', () => simulator.chatCalls('gpt-4.1-mini').length >= 6);
    const answered = await Promise.all(Array.from({ length: 6 }, () => ask('fast')));
    assert.deepEqual(answered.map((answer) => answer.status), Array(6).fill(200));
    const workers = logLines(cluster).filter((line) => line.msg === 'worker started').map((line) => line.pid as number);
    cluster.child.kill('SIGKILL');
    assert.ok((await Promise.all(stuck)).every((outcome) => outcome instanceof Error), 'the requests in flight are cut off');
    await waitFor('the workers to exit', () =>
      workers.every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }),
    );

    const single = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { env: cleanEnvironment() });
    try {
      const admin = adminClient(single.origin, masterKey);
      const rows = (await admin.get<{ data: Array<{ id: string; status: string; error_code: string | null }> }>(`/admin/usage?key_id=${key.id}`)).body.data;
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const answer of answered) assert.equal(byId.get(answer.requestId!)?.status, 'ok');
      assert.equal(rows.filter((row) => row.error_code === 'SB_ERR_INTERNAL').length, 6, 'a row for each request cut off');
      assert.equal(rows.length, 12);
      const spend = (await admin.get<{ data: Array<{ id: string; reserved_usd: number; in_flight: number }> }>('/admin/spend')).body.data.find((entry) => entry.id === key.id);
      assert.deepEqual([spend?.reserved_usd, spend?.in_flight], [0, 0]);
    } finally {
      assert.equal(await single.stop(), 0);
    }
    const left = (await readdir(directory)).filter((name) => name.includes('-ledger-w'));
    assert.deepEqual(left, [], 'the workers’ journals were taken over and removed');
  });

  // An outside probe: the primary exited 0 though a worker was killed while it drained, and its
  // requests had no rows until some later start.
  it('a worker killed while the cluster drains: the primary writes its requests’ rows and exits 1', async () => {
    const sub = await mkdtemp(join(directory, 'drain-'));
    const database = join(sub, 'switchboard.db');
    const file = join(sub, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `server: { master_key: "${masterKey}", log_requests: true }`,
        `storage: { url: "sqlite://${database}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
        'models:',
        `  - { id: stuck, provider: oai, upstream: gpt-4.1-mini, pricing: ${JSON.stringify(prices)} }`,
      ].join('\n'),
    );
    const cluster = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'], { env: cleanEnvironment() });
    const before = simulator.chatCalls('gpt-4.1-mini').length;
    const sent = Array.from({ length: 6 }, () => fresh(cluster.origin, '/v1/chat/completions', masterKey, { model: 'stuck', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).catch((error: Error) => error));
    await waitFor('the provider to receive the 6 requests', () => simulator.chatCalls('gpt-4.1-mini').length - before >= 6);
    const exited = cluster.stop();
    await waitFor('the drain to start', () => logLines(cluster).some((line) => typeof line.msg === 'string' && line.msg.startsWith('stopping')));
    const victim = logLines(cluster).filter((line) => line.msg === 'worker started' && line.slot === 1).at(-1)!.pid as number;
    process.kill(victim, 'SIGKILL');
    const outcomes = await Promise.all(sent);
    assert.equal(await exited, 1, 'a worker did not drain');
    const cut = outcomes.filter((outcome) => outcome instanceof Error).length;
    assert.ok(cut > 0, 'the killed worker had requests');
    const ledger = new Database(database, { readonly: true });
    try {
      const rows = ledger.prepare('SELECT status, error_code FROM ledger').all() as Array<{ status: string; error_code: string | null }>;
      assert.equal(rows.length, 6, 'a row for every request, written before the primary exited');
      assert.equal(rows.filter((row) => row.error_code === 'SB_ERR_INTERNAL').length, cut);
    } finally {
      ledger.close();
    }
    assert.deepEqual((await readdir(sub)).filter((name) => name.includes('-ledger-w')), [], 'no journal left for a later start');
  });
});

describe('switchboard serve --workers: refusals', () => {
  it('refuses more than one worker over a database in memory (each process would have its own)', async () => {
    const shared = await runCli(['serve', '--workers', '2', '--port', '0'], { env: cleanEnvironment({ DATABASE_URL: 'sqlite://:memory:' }) });
    assert.equal(shared.code, 2);
    assert.match(shared.stderr, /cannot be shared by several processes/);
  });
});
