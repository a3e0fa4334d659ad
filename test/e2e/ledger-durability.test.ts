import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/store/sqlite/driver.ts';
import { assertWritable } from '../../src/store/sqlite/index.ts';
import { cleanEnvironment, startCli } from '../helpers/cli.ts';
import { startGateway } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/http.ts';
import { sendRaw } from '../helpers/raw-socket.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Issue 13, defects 4, 9 and 10: no request's row is lost when the process is killed, when the
 * ledger store fails, or when SIGTERM finds a stream still open at the drain deadline.
 */

const config = (simulator: OpenAISimulator, extra: Record<string, unknown> = {}) => ({
  providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
  models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
  ...extra,
});

function ledgerIds(databasePath: string): string[] {
  const database = new Database(databasePath, { readonly: true });
  try {
    return (database.prepare('SELECT id FROM ledger').all() as Array<{ id: string }>).map((row) => row.id);
  } finally {
    database.close();
  }
}

/** A config file in a new folder under `prefix`: a SQLite file there, model `fast` on `simulator`, and `extra` lines. */
async function configFile(prefix: string, simulator: OpenAISimulator, extra: string[] = []): Promise<{ file: string; database: string }> {
  const workdir = await mkdtemp(prefix);
  const file = join(workdir, 'switchboard.yaml');
  const database = join(workdir, 'switchboard.db');
  await writeFile(
    file,
    [
      ...extra,
      `storage: { url: "sqlite://${database}" }`,
      'providers:',
      `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
      'models:',
      '  - { id: fast, provider: oai, upstream: gpt-4o-mini }',
    ].join('\n'),
  );
  return { file, database };
}

/** Makes every insert into the ledger fail, as a full disk or a read-only file would. */
function breakLedger(databasePath: string): () => void {
  const database = new Database(databasePath);
  database.exec("CREATE TRIGGER refuse_ledger BEFORE INSERT ON ledger BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;");
  return () => {
    database.exec('DROP TRIGGER refuse_ledger');
    database.close();
  };
}

describe('ledger durability', () => {
  let simulator: OpenAISimulator;
  let directory: string;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-durability-'));
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('kill -9 right after the answers: every answered request is in the ledger after a restart', async () => {
    const { file, database } = await configFile(join(directory, 'kill-'), simulator);
    const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
    const client = openaiClient(server, 'unused');
    const answered: string[] = [];
    const ask = async () => {
      const { response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      answered.push(response.headers.get('x-request-id')!);
    };
    // 120 requests, 8 at a time; the process is killed the moment the last one is answered,
    // well inside the writer's 250 ms batch interval.
    for (let round = 0; round < 15; round += 1) await Promise.all(Array.from({ length: 8 }, ask));
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
    const beforeRestart = ledgerIds(database).length;

    const restarted = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
    assert.equal(await restarted.stop(), 0);
    const ids = new Set(ledgerIds(database));
    const missing = answered.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests lost (${beforeRestart} were in the database before the restart)`);
  });

  it('kill -9 while a request whose body came in a later turn is in flight: its row names the model it asked for', async () => {
    // A slow upstream keeps the request in flight; its body arrives 300 ms after its headers,
    // so the in-flight journal's line for it went out before the model was known.
    const slow = await new OpenAISimulator({ delays: { 'gpt-4o-mini': 10_000 } }).start();
    try {
      const { file, database } = await configFile(join(directory, 'late-body-'), slow);
      const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
      const body = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
      const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
      const answer = sendRaw(server.origin, { pieces: [head + body.slice(0, 10), body.slice(10)], pauseMs: 300 }, 10_000);
      // The body is read at about 600 ms; the upstream holds the call for 10 s.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      server.child.kill('SIGKILL');
      await once(server.child, 'exit');
      await answer;

      const restarted = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
      assert.equal(await restarted.stop(), 0);
      const reader = new Database(database, { readonly: true });
      const rows = reader.prepare('SELECT model_requested, status FROM ledger').all();
      reader.close();
      assert.deepEqual(rows, [{ model_requested: 'fast', status: 'error' }]);
    } finally {
      await slow.close();
    }
  });

  it('a failing store: readiness says so, rows stay queued, the log is not flooded, and nothing is lost', async () => {
    const gateway = await startGateway(config(simulator));
    const restore = breakLedger(gateway.databasePath);
    const client = openaiClient(gateway, 'unused');
    const ids: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const { response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      ids.push(response.headers.get('x-request-id')!);
      await gateway.gateway.flushLedger(); // a failed write per request: 30 failures
    }
    const ready = await rawRequest<{ status: string; reason: string }>('GET', gateway.origin, '/health/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /ledger: database or disk is full/);
    const metrics = await rawRequest<string>('GET', gateway.origin, '/metrics');
    assert.match(String(metrics.text), /switchboard_ledger_queued_rows 30/);
    assert.match(String(metrics.text), /switchboard_ledger_failing 1/);
    const failureLines = gateway.logs.filter((line) => line.includes('ledger write failed'));
    assert.equal(failureLines.length, 1, `${failureLines.length} failure lines for 30 failed writes`);

    restore();
    await gateway.gateway.flushLedger();
    assert.equal((await rawRequest('GET', gateway.origin, '/health/ready')).status, 200);
    const stored = new Set((await gateway.ledger()).map((row) => row.id));
    assert.deepEqual(ids.filter((id) => !stored.has(id)), []);
    await gateway.close();
  });

  it('is not ready once its database file is deleted under it (the open file answers, but rows go nowhere)', async () => {
    const workdir = await mkdtemp(join(directory, 'deleted-'));
    const gateway = await startGateway(config(simulator), { directory: workdir });
    assert.equal((await rawRequest('GET', gateway.origin, '/health/ready')).status, 200);
    await rm(workdir, { recursive: true, force: true });
    const ready = await rawRequest<{ status: string; reason: string }>('GET', gateway.origin, '/health/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /^storage: the database file no longer exists/);
    await gateway.close().catch(() => undefined);
  });

  it('refuses at start a database SQLite can only open for reading', async () => {
    const workdir = await mkdtemp(join(directory, 'read-only-'));
    const path = join(workdir, 'switchboard.db');
    new Database(path).close();
    // Root ignores file modes, so the read-only open is asked for: what SQLite falls back to for a file it cannot write.
    const database = new Database(path, { readonly: true });
    assert.throws(() => assertWritable(database, path), /storage\.url: the database file .* can only be read \(attempt to write a readonly database\)/);
  });

  it('SIGTERM while the store fails: the queued rows are kept and written at the next start', async () => {
    const workdir = await mkdtemp(join(directory, 'full-'));
    const first = await startGateway(config(simulator), { directory: workdir });
    const restore = breakLedger(first.databasePath);
    const client = openaiClient(first, 'unused');
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const { response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      ids.push(response.headers.get('x-request-id')!);
    }
    await first.gateway.close(100);
    assert.ok(first.logs.some((line) => line.includes('kept in the journal')), 'the shutdown says where the rows are');
    restore();
    const second = await startGateway(config(simulator), { directory: workdir });
    const stored = new Set((await second.ledger()).map((row) => row.id));
    assert.deepEqual(ids.filter((id) => !stored.has(id)), []);
    await second.close();
  });
});

describe('SIGTERM with a stream that outlives the drain', () => {
  let simulator: OpenAISimulator;
  let directory: string;

  before(async () => {
    simulator = await new OpenAISimulator({ chunkDelayMs: 300 }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-drain-'));
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('ends the stream with an error event at the deadline, records it, and exits 0', async () => {
    const { file, database } = await configFile(join(directory, 'drain-'), simulator, ['server: { drain_timeout_ms: 600 }']);
    const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
    const client = openaiClient(server, 'unused');
    // About 30 words at 300 ms each: the stream would take 9 s, the drain allows 0.6 s.
    const words = Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ');
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: words }] });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const started = performance.now();
    const exited = server.stop();
    let failure: unknown;
    try {
      for (;;) if ((await iterator.next()).done) break;
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof Error, 'the client sees an error, not a normal end');
    assert.match(failure.message, /shutting down/);
    assert.equal(await exited, 0);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5_000, `exited ${elapsed.toFixed(0)} ms after SIGTERM`);
    const rows = new Database(database, { readonly: true }).prepare('SELECT status, error_code FROM ledger').all();
    assert.deepEqual(rows, [{ status: 'error', error_code: 'SB_ERR_UNAVAILABLE' }]);
    assert.doesNotMatch(server.stdout(), /database connection is not open/);
  });

  // An outside probe: a stream waiting for a client that stopped reading could not take its error
  // event at the deadline; its row came after the ledger closed and was dropped (EBADF), then
  // written at the next start as a crash, at $0.
  it('records a stream whose client stopped reading, at the deadline, before the ledger closes', async () => {
    // An upstream that streams 16 MB at once, more than the sockets' buffers hold.
    const chunk = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'word '.repeat(13_000) }, finish_reason: null }] })}\n\n`;
    const upstream = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let index = 0; index < 250; index += 1) response.write(chunk);
      response.on('error', () => undefined);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    try {
      const fake = { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, apiKey: 'sk-paused' } as OpenAISimulator;
      const { file, database } = await configFile(join(directory, 'paused-'), fake, ['server: { drain_timeout_ms: 600 }']);
      const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
      const body = JSON.stringify({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      const url = new URL(server.origin);
      const outgoing = httpRequest({ host: url.hostname, port: url.port, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      outgoing.on('error', () => undefined);
      outgoing.end(body);
      const [answer] = (await once(outgoing, 'response')) as [IncomingMessage];
      answer.on('error', () => undefined);
      answer.pause();
      // Let the gateway fill the socket and wait for it to drain.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(await server.stop(), 0);
      answer.destroy();
      const rows = new Database(database, { readonly: true }).prepare('SELECT status, error_code, output_tokens FROM ledger').all() as Array<{ status: string; error_code: string; output_tokens: number }>;
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.error_code, 'SB_ERR_UNAVAILABLE', 'ended at the deadline, not recovered as a crash at the next start');
      assert.ok(rows[0]!.output_tokens > 0, 'what was streamed is counted');
      assert.doesNotMatch(server.stdout(), /EBADF|could not be kept/);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});
