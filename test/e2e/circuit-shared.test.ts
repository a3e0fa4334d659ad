import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { cleanEnvironment, startCli, type ServerProcess } from '../helpers/cli.ts';
import { createTestRedis, testRedisUrl, type TestRedis } from '../helpers/redis.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * A provider that fails is taken out by every process serving the port after `cooldown.failures`
 * failures in a row among them all: the workers of `--workers N` tell each other through their
 * primary, replicas through Redis. Before, each process counted its own, so with requests spread
 * over two workers a dead provider got twice the calls before all of them stopped calling it.
 */

/** One request on a connection of its own: the primary deals each new connection to a worker. */
function chatOnNewConnection(origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(`${origin}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    call.on('error', reject);
    call.end(JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }));
  });
}

describe('circuit breakers shared by workers and replicas', () => {
  let simulator: OpenAISimulator;
  let redis: TestRedis;
  let directory: string;
  let file: string;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    redis = await createTestRedis();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-circuit-'));
    file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `storage: { url: "sqlite://${join(directory, 'switchboard.db')}" }`,
        'providers:',
        `  - { id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}", cooldown: { failures: 4, seconds: 60 } }`,
        'models:',
        '  - { id: main, provider: oai, upstream: gpt-4o }',
      ].join('\n'),
    );
  });
  after(async () => {
    await simulator.close();
    await redis.drop();
    await rm(directory, { recursive: true, force: true });
  });

  const outage = async (origins: readonly string[]) => {
    simulator.down({ kind: 'status', status: 503 });
    const before = simulator.chatCalls().length;
    try {
      for (let index = 0; index < 16; index += 1) {
        await chatOnNewConnection(origins[index % origins.length]!);
        // The news travels between processes in well under this, even on a loaded machine.
        await sleep(100);
      }
      return simulator.chatCalls().length - before;
    } finally {
      simulator.up();
    }
  };

  it('two workers: four failures among them open the circuit in both', async () => {
    const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'], { env: cleanEnvironment() });
    try {
      const calls = await outage([server.origin]);
      assert.equal(calls, 4, `calls to the failing provider: ${calls}`);
    } finally {
      await server.stop();
    }
  });

  it('two replicas on one Redis: four failures among them open the circuit in both', async () => {
    const env = cleanEnvironment({ REDIS_URL: testRedisUrl, SWITCHBOARD_REDIS_PREFIX: redis.prefix });
    const replicas = [
      await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env }),
      await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env }),
    ];
    try {
      const calls = await outage(replicas.map((replica) => replica.origin));
      assert.equal(calls, 4, `calls to the failing provider: ${calls}`);
    } finally {
      await Promise.all(replicas.map((replica: ServerProcess) => replica.stop()));
    }
  });
});
