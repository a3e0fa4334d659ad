import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/store/sqlite/driver.ts';
import { cleanEnvironment, startCli, type ServerProcess } from '../helpers/cli.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Several `switchboard serve` processes on one SQLite file (replicas sharing a volume, or a new
 * process started while the old one drains): each keeps its own ledger journals
 * (src/store/journal-lock.ts). Before, they shared one set of files: a replica starting
 * wrote "ended before answering" rows for another's requests still in flight, and one replica's
 * in-flight journal wiped the other's, so the requests of a replica killed with -9 got no row.
 */

function rows(databasePath: string, model: string): Array<{ status: string; error_code: string | null }> {
  const database = new Database(databasePath, { readonly: true });
  try {
    return database.prepare('SELECT status, error_code FROM ledger WHERE model_requested = ?').all(model) as Array<{ status: string; error_code: string | null }>;
  } finally {
    database.close();
  }
}

async function chat(server: ServerProcess, model: string): Promise<number> {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('replicas on one SQLite file', () => {
  let simulator: OpenAISimulator;
  let directory: string;
  let file: string;
  let database: string;

  before(async () => {
    // `slow` is held for 20 s: requests to it stay in flight for the whole test.
    simulator = await new OpenAISimulator({ delays: { 'gpt-4o-mini': 20_000 } }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-replicas-'));
    file = join(directory, 'switchboard.yaml');
    database = join(directory, 'switchboard.db');
    await writeFile(
      file,
      [
        `storage: { url: "sqlite://${database}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }`,
        'models:',
        '  - { id: slow, provider: oai, upstream: gpt-4o-mini }',
        '  - { id: quick, provider: oai, upstream: gpt-4o }',
      ].join('\n'),
    );
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("leaves a live replica's requests in flight alone, and gives them rows once it is killed with -9", async () => {
    const serve = () => startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment() });
    const first = await serve();
    const second = await serve();
    try {
      const held = Array.from({ length: 3 }, () => chat(second, 'slow').catch(() => 0));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The other replica serves requests (its in-flight journal opens, fills and empties)...
      assert.equal(await chat(first, 'quick'), 200);
      assert.equal(await chat(first, 'quick'), 200);
      // ...and a third one starts, replays what it finds of processes that are gone, and stops.
      const third = await serve();
      assert.equal(await third.stop(), 0);
      assert.deepEqual(rows(database, 'slow'), [], 'no row yet for requests still being answered');

      second.child.kill('SIGKILL');
      await once(second.child, 'exit');
      await Promise.all(held);
      // Whichever process starts next writes the killed one's rows.
      const restarted = await serve();
      assert.equal(await restarted.stop(), 0);
      assert.deepEqual(
        rows(database, 'slow'),
        Array.from({ length: 3 }, () => ({ status: 'error', error_code: 'SB_ERR_INTERNAL' })),
        'each request the killed replica had in flight has its row',
      );
      assert.equal(rows(database, 'quick').length, 2);
    } finally {
      if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
      await first.stop();
    }
  });
});
