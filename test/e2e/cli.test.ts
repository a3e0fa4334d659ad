import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/store/sqlite/driver.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { helperNiceIncrement } from '../../scripts/helper-threads.js';
import { cleanEnvironment, glibcLinux, processTunables, runCli, startCli, tunablesAsSeen } from '../helpers/cli.ts';
import { openaiClient } from '../helpers/openai-client.ts';

describe('switchboard CLI', () => {
  let directory: string;
  let simulator: OpenAISimulator;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-cli-'));
    simulator = await new OpenAISimulator({ chunkDelayMs: 40 }).start();
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses an invalid config, listing every problem by path, without a stack trace', async () => {
    const file = join(directory, 'bad.yaml');
    await writeFile(
      file,
      [
        'server: { port: "not-a-port" }',
        'providers:',
        '  - { id: oai, type: openai, api_key: x }',
        '  - { id: weird, type: nonsense }',
        'models:',
        '  - { id: fast, provider: oai }',
        '  - { id: slow, provider: oai, colour: blue }',
        '  - { id: lost, provider: x }',
        'routes:',
        '  - { id: auto, strategy: magic, candidates: [fast, ghost] }',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['serve', '--config', file]);
    assert.equal(code, 1);
    assert.match(stderr, /server\.port: /);
    assert.match(stderr, /models\[1\]: Unrecognized key: "colour"/);
    const second = await runCli(['serve', '--config', file.replace('bad', 'bad2')]);
    assert.equal(second.code, 1);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('lists reference problems by path too', async () => {
    const file = join(directory, 'references.yaml');
    await writeFile(
      file,
      [
        'providers:',
        '  - { id: oai, type: openai, api_key: x }',
        '  - { id: weird, type: nonsense }',
        'models:',
        '  - { id: fast, provider: oai }',
        '  - { id: lost, provider: x }',
        'routes:',
        '  - { id: auto, strategy: magic, candidates: [fast, ghost] }',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['serve', '--config', file]);
    assert.equal(code, 1);
    assert.match(stderr, /providers\[1\]\.type: unknown provider type "nonsense"/);
    assert.match(stderr, /models\[1\]\.provider: unknown provider "x"/);
    assert.match(stderr, /routes\[0\]\.strategy: unknown strategy "magic"/);
    assert.match(stderr, /routes\[0\]\.candidates\[1\]: unknown model "ghost"/);
  });

  it('lists shape, reference and storage problems in one start, those of each entry together', async () => {
    const file = join(directory, 'everything.yaml');
    await writeFile(
      file,
      [
        'storage: { url: "mysql://root:db-secret@db/switchboard" }',
        'providers:',
        '  - { id: oai, type: openai, api_key: "x y" }',
        '  - { id: oai, type: openai, headers: { "bad header!": x } }',
        'models:',
        '  - { id: fast, provider: ghost, quality: 2 }',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['serve', '--config', file]);
    assert.equal(code, 1);
    const lines = stderr.split('\n').filter((line) => line.startsWith('  - '));
    assert.deepEqual(lines.map((line) => line.slice(4, line.indexOf(': '))), [
      'storage.url',
      'providers[0].api_key',
      'providers[1].headers',
      'providers[1].id',
      'models[0].quality',
      'models[0].provider',
    ], stderr);
    assert.doesNotMatch(stderr, /db-secret|\n\s+at /);
  });

  it('says in one line why it cannot listen (a port in use), without a stack trace, and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const empty = await mkdtemp(join(directory, 'port-'));
      const { code, stderr } = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--workers', '1'], { cwd: empty });
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`Switchboard could not start: port ${port} on 127\\.0\\.0\\.1 is in use`));
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    } finally {
      taken.close();
    }
  });

  it('stops on a postgres:// DATABASE_URL it cannot open, saying why in one line, also with --workers 2, never printing its password', async () => {
    const empty = await mkdtemp(join(directory, 'postgres-'));
    // The machine's PostgreSQL has no such role: the server's own refusal is the reason given.
    const env = { ...cleanEnvironment(), DATABASE_URL: 'postgres://switchboard:pg-secret-pass@127.0.0.1/db' };
    for (const workers of ['1', '2']) {
      const { code, stderr } = await runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--workers', workers], { cwd: empty, env });
      assert.equal(code, 1, stderr);
      assert.match(stderr, /Switchboard could not start: storage\.url: cannot open the PostgreSQL database postgres:\/\/switchboard:\*\*\*@127\.0\.0\.1\/db: role "switchboard" does not exist/);
      assert.doesNotMatch(stderr, /pg-secret-pass/);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('starts while REDIS_URL cannot be reached, answers, says so once in its log, and never shows the password', async () => {
    const empty = await mkdtemp(join(directory, 'redis-'));
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: { ...cleanEnvironment(), REDIS_URL: 'redis://:redis-secret-pass@127.0.0.1:6399/3' } });
    try {
      assert.match(server.stderr(), /redis: +redis:\/\/:\*\*\*@127\.0\.0\.1:6399\/3 \(rate limits, budgets and key changes shared by replicas\)/);
      const response = await fetch(`${server.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo-fast', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 200);
      const warnings = server.stdout().split('\n').filter((line) => line.includes('Redis cannot be reached'));
      assert.equal(warnings.length, 1, server.stdout());
      assert.match(await (await fetch(`${server.origin}/metrics`)).text(), /^switchboard_redis_connected 0$/m);
    } finally {
      await server.stop();
    }
    assert.doesNotMatch(server.stdout() + server.stderr(), /redis-secret-pass/);
  });

  it('refuses a REDIS_URL that is not a Redis URL, without quoting it', async () => {
    const empty = await mkdtemp(join(directory, 'redis-bad-'));
    const { code, stderr } = await runCli(['serve', '--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: { ...cleanEnvironment(), REDIS_URL: 'http://user:redis-secret@cache:6379' } });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /storage\.redis: not a Redis URL \(redis:\/\/host:6379, .*\) \(the URL comes from REDIS_URL\)/);
    assert.doesNotMatch(stderr, /redis-secret/);
  });

  it('serves a config file with ${VAR} interpolation and drains a stream in flight on SIGTERM, sent twice', async () => {
    const file = join(directory, 'switchboard.yaml');
    const database = join(directory, 'ledger.db');
    await writeFile(
      file,
      [
        'server:',
        '  master_key: ${TEST_MASTER_KEY}',
        'storage:',
        `  url: \${TEST_DB:-sqlite://${database}}`,
        'providers:',
        '  - id: oai',
        '    type: openai',
        `    base_url: ${simulator.url}`,
        '    api_key: ${TEST_UPSTREAM_KEY}',
        'models:',
        '  - { id: fast, provider: oai, upstream: gpt-4o-mini }',
      ].join('\n'),
    );
    const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], {
      env: cleanEnvironment({ TEST_MASTER_KEY: 'sb-cli-master', TEST_UPSTREAM_KEY: simulator.apiKey }),
    });
    assert.match(server.stderr(), /providers: oai \(openai\)/);
    assert.match(server.stderr(), /models:\s+fast/);
    const client = openaiClient(server, 'sb-cli-master');
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] });
    const iterator = stream[Symbol.asyncIterator]();
    let text = '';
    const first = await iterator.next();
    text += first.value?.choices[0]?.delta.content ?? '';
    const exited = server.stop();
    // `npm start` under a supervisor that signals the whole group (systemd's KillMode=control-group)
    // gets it twice: npm passes its own on. The second must not cut the drain short.
    server.child.kill('SIGTERM');
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      text += next.value.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, 'Simulated reply from gpt-4o-mini: one two three four five six seven eight');
    assert.equal(await exited, 0);
    const rows = new Database(database, { readonly: true }).prepare('SELECT status, model FROM ledger').all();
    assert.deepEqual(rows, [{ status: 'ok', model: 'fast' }]);
    assert.equal(server.stdout().includes(simulator.apiKey), false, 'the provider key is not in the logs');
    assert.equal(server.stderr().includes(simulator.apiKey), false);
  });

  it('starts in demo mode with no config and no keys, and warns loudly without a master key', async () => {
    const empty = await mkdtemp(join(directory, 'demo-'));
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: cleanEnvironment() });
    try {
      assert.match(server.stderr(), /demo mode/);
      assert.match(server.stderr(), /WARNING: no master key/);
      const client = openaiClient(server, 'anything');
      const answer = await client.chat.completions.create({ model: 'demo-fast', messages: [{ role: 'user', content: 'hello' }] });
      assert.match(answer.choices[0]?.message.content ?? '', /simulated/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.ok((await readFile(join(empty, 'switchboard.db'))).length > 0, 'the default SQLite file is created in the working directory');
  });

  it('exits on SIGTERM when whatever read its standard output has gone (a broken pipe)', async () => {
    const empty = await mkdtemp(join(directory, 'broken-pipe-'));
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: cleanEnvironment() });
    // The reader of the logs goes away (a `| head`, a log shipper that died): writes get EPIPE.
    server.child.stdout!.destroy();
    // With nothing in flight the drain ends at once, while its log lines are still being written:
    // sonic-boom 4's flushSync at exit then retried the write that failed with EPIPE for ever.
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const deadline = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
    const outcome = await Promise.race([exited.then(() => 'exited'), deadline.then(() => 'still running')]);
    if (outcome !== 'exited') server.child.kill('SIGKILL');
    assert.equal(outcome, 'exited');
  });

  it('gives the young generation 8 MB a semi-space on Node 22+, the same process with the flag, unless the operator chose a size', async () => {
    const empty = await mkdtemp(join(directory, 'young-'));
    // What the process runs with once it listens: its command line, read from Linux's /proc.
    const commandLine = async (environment: NodeJS.ProcessEnv) => {
      const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: environment });
      try {
        return (await readFile(`/proc/${server.child.pid}/cmdline`, 'utf8')).split('\0');
      } finally {
        assert.equal(await server.stop(), 0);
      }
    };
    const replaces = Number(process.versions.node.split('.')[0]) >= 22 && typeof (process as { execve?: unknown }).execve === 'function';
    const plain = await commandLine(cleanEnvironment());
    assert.equal(plain.includes('--max-semi-space-size=8'), replaces, `on Node ${process.versions.node}: ${plain.join(' ')}`);
    assert.ok(plain.some((part) => part.endsWith('switchboard.js')) && plain.includes('serve'), 'the rest of the command is kept');
    const chosen = await commandLine(cleanEnvironment({ NODE_OPTIONS: '--max-semi-space-size=16' }));
    assert.ok(!chosen.some((part) => part.startsWith('--max-semi-space-size')), `the operator's size is left alone: ${chosen.join(' ')}`);
    // Started with an IPC channel (fork(), a process manager): replacing the process would cut
    // it, so the process stays as it was and its parent can still talk to it.
    const bin = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { cwd: empty, env: cleanEnvironment(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    try {
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('Switchboard listening')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      const forked = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(!forked.includes('--max-semi-space-size=8'), `a process with an IPC channel is not replaced: ${forked.join(' ')}`);
      assert.equal(child.connected, true, 'the IPC channel is still open');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('runs each worker of --workers 2 with 8 MB a semi-space, on every Node version (Node 20 cannot give it to a single process)', { skip: process.platform !== 'linux' }, async () => {
    const empty = await mkdtemp(join(directory, 'young-workers-'));
    const server = await startCli(['--port', '0', '--host', '127.0.0.1', '--workers', '2'], { cwd: empty, env: cleanEnvironment() });
    try {
      const pid = server.child.pid!;
      const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(' ').filter(Boolean);
      assert.equal(children.length, 2, `the primary's children: ${children.join(' ')}`);
      for (const child of children) {
        const worker = (await readFile(`/proc/${child}/cmdline`, 'utf8')).split('\0');
        assert.equal(worker.filter((part) => part.startsWith('--max-semi-space-size')).join(' '), '--max-semi-space-size=8', `worker ${child}: ${worker.join(' ')}`);
      }
      assert.equal((await fetch(`${server.origin}/health/live`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it("runs V8's helper threads nicer than the thread that answers requests before Node 24", { skip: process.platform !== 'linux' }, async () => {
    const empty = await mkdtemp(join(directory, 'nice-'));
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty });
    try {
      const pid = server.child.pid!;
      // Each thread's name and nice value (field 19 of proc(5)'s stat, the 17th after the name).
      const threads = await Promise.all(
        (await readdir(`/proc/${pid}/task`)).map(async (id) => {
          const stat = await readFile(`/proc/${pid}/task/${id}/stat`, 'utf8');
          return { id: Number(id), name: (await readFile(`/proc/${pid}/task/${id}/comm`, 'utf8')).trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
        }),
      );
      const main = threads.find((thread) => thread.id === pid)!;
      const nicer = threads.filter((thread) => thread.nice === Math.min(19, main.nice + helperNiceIncrement));
      if (Number(process.versions.node.split('.')[0]) >= 24) {
        // Not from Node 24 on (it cost memory there): every thread keeps the main thread's priority.
        assert.deepEqual(nicer, [], JSON.stringify(threads));
      } else {
        // Node starts a delayed-task thread and four V8 workers before the bin runs (Node 22 names them).
        assert.ok(nicer.length >= 5, JSON.stringify(threads));
        for (const worker of threads.filter((thread) => thread.name === 'V8Worker')) assert.ok(nicer.includes(worker), JSON.stringify(threads));
        assert.ok(!nicer.includes(main));
      }
      // And it answers as before.
      assert.equal((await fetch(`${server.origin}/health/live`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('fixes glibc malloc thresholds and arenas (GLIBC_TUNABLES) in the process itself on Node 22+, unless the operator set them', async () => {
    const empty = await mkdtemp(join(directory, 'malloc-'));
    // What the process runs with once it listens: its environment, read from Linux's /proc.
    const tunables = async (environment: NodeJS.ProcessEnv) => {
      const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: environment });
      try {
        return await processTunables(server.child.pid!);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    };
    const replaces = Number(process.versions.node.split('.')[0]) >= 22 && typeof (process as { execve?: unknown }).execve === 'function';
    const thresholds = 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=2097152';
    // glibc 2.36 leaves only the first tunable in /proc/PID/environ (tunablesAsSeen), so the bin
    // puts the arenas first: each case below then shows whether the arenas were added.
    const fixed = `glibc.malloc.arena_max=2:${thresholds}`;
    // Whatever the machine running the tests sets is left out (undefined values are not passed on).
    const unset = { GLIBC_TUNABLES: undefined, MALLOC_MMAP_THRESHOLD_: undefined, MALLOC_TRIM_THRESHOLD_: undefined, MALLOC_ARENA_MAX: undefined };
    // Node 20 cannot replace the process: its own malloc keeps glibc's defaults (its workers do not).
    assert.equal(await tunables(cleanEnvironment(unset)), tunablesAsSeen(replaces ? fixed : undefined));
    // Another tunable of the operator's is kept, and ours put before it.
    const other = 'glibc.malloc.tcache_count=0';
    assert.equal(await tunables(cleanEnvironment({ ...unset, GLIBC_TUNABLES: other })), tunablesAsSeen(replaces ? `${fixed}:${other}` : other));
    // An arena count the operator chose is left as it is, in either spelling; the thresholds are still added.
    const arenas = 'glibc.malloc.arena_max=4';
    assert.equal(await tunables(cleanEnvironment({ ...unset, GLIBC_TUNABLES: arenas })), tunablesAsSeen(replaces ? `${thresholds}:${arenas}` : arenas));
    assert.equal(await tunables(cleanEnvironment({ ...unset, MALLOC_ARENA_MAX: '4' })), tunablesAsSeen(replaces ? thresholds : undefined));
    // A threshold the operator chose is left as it is; the arenas are still added.
    const threshold = 'glibc.malloc.mmap_threshold=65536';
    assert.equal(await tunables(cleanEnvironment({ ...unset, GLIBC_TUNABLES: threshold })), tunablesAsSeen(replaces ? `glibc.malloc.arena_max=2:${threshold}` : threshold));
    // Both chosen: nothing added.
    const chosen = 'glibc.malloc.mmap_threshold=65536:glibc.malloc.arena_max=4';
    assert.equal(await tunables(cleanEnvironment({ ...unset, GLIBC_TUNABLES: chosen })), tunablesAsSeen(chosen));
  });

  it("trims glibc's allocator in the serving process (the addon loaded), unless SWITCHBOARD_MALLOC_TRIM_MS=0", { skip: !glibcLinux }, async () => {
    const empty = await mkdtemp(join(directory, 'trim-'));
    // Whether the process that listens has native/malloc-trim's addon mapped, read from Linux's /proc.
    const loadsAddon = async (environment: NodeJS.ProcessEnv) => {
      const server = await startCli(['--port', '0', '--host', '127.0.0.1'], { cwd: empty, env: environment });
      try {
        return (await readFile(`/proc/${server.child.pid}/maps`, 'utf8')).includes('malloc_trim.node');
      } finally {
        assert.equal(await server.stop(), 0);
      }
    };
    assert.equal(await loadsAddon(cleanEnvironment()), true);
    assert.equal(await loadsAddon(cleanEnvironment({ SWITCHBOARD_MALLOC_TRIM_MS: '0' })), false);
  });

  it('builds providers from the environment keys with the catalog', async () => {
    const server = await startCli(['--port', '0', '--host', '127.0.0.1'], {
      cwd: await mkdtemp(join(directory, 'environment-')),
      env: cleanEnvironment({ OPENAI_API_KEY: 'sk-env-test-key', GROQ_API_KEY: 'gsk-env-test-key', SWITCHBOARD_MASTER_KEY: 'sb-env' }),
    });
    try {
      assert.match(server.stderr(), /OPENAI_API_KEY is set: provider "openai"/);
      assert.match(server.stderr(), /GROQ_API_KEY is set: provider "groq"/);
      const client = openaiClient(server, 'sb-env');
      const ids = (await client.models.list()).data.map((model) => model.id);
      assert.ok(ids.includes('gpt-4o-mini'));
      assert.ok(ids.length > 10);
      assert.equal(server.stderr().includes('sk-env-test-key'), false);
    } finally {
      await server.stop();
    }
  });
});
