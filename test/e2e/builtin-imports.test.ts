import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { cleanEnvironment, startCli } from '../helpers/cli.ts';
import { openaiClient } from '../helpers/openai-client.ts';

/**
 * On Node 22+ node:http has lazy getters (WebSocket, CloseEvent, MessageEvent) that load Node's
 * bundled undici, and an ES `import` of node:http reads every export to build its namespace, so
 * it loads that bundle: 2.4 MB of heap, and 1-8 MB of the gateway's peak RSS on Node 24.21, for
 * classes the gateway never uses (src/server/client-error.ts; docs/performance.md, fourteenth session).
 * This runs the gateway as users do, serves a non-streamed and a streamed answer through an
 * upstream, and reads which of Node's own modules the process loaded. On Node 20, whose node:http
 * has no such getters, the bundle is never loaded whatever src/ imports; `.ci/run`'s Node 24 pass
 * is where this can fail.
 */
describe("Node's bundled undici is not loaded by the gateway", () => {
  let directory: string;
  let simulator: OpenAISimulator;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-builtins-'));
    simulator = await new OpenAISimulator().start();
  });
  after(async () => {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('serves answers and streams without loading internal/deps/undici', async () => {
    const file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        'server: { master_key: sb-builtins-master }',
        `storage: { url: "sqlite://${join(directory, 'ledger.db')}" }`,
        `providers: [{ id: oai, type: openai, base_url: "${simulator.url}", api_key: "${simulator.apiKey}" }]`,
        'models: [{ id: fast, provider: oai, upstream: gpt-4o-mini }]',
      ].join('\n'),
    );
    // A preload that writes the process's list of loaded builtins as it exits. `--require` keeps the
    // bin from replacing its process (bin/switchboard.js), so the list is the serving process's.
    const listFile = join(directory, 'modules.txt');
    const preload = join(directory, 'module-list.cjs');
    await writeFile(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join('\\n')));\n`);
    const server = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnvironment({ NODE_OPTIONS: `--require ${preload}` }) });
    try {
      const client = openaiClient(server, 'sb-builtins-master');
      const answer = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'one two' }] });
      assert.equal(answer.choices[0]?.message.content, 'Simulated reply from gpt-4o-mini: one two');
      const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'three four' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, 'Simulated reply from gpt-4o-mini: three four');
      // Headers over Node's limit are answered by src/server/client-error.ts, which reads node:http's values.
      const refused = await fetch(`${server.origin}/v1/chat/completions`, { method: 'POST', headers: { 'x-long': 'x'.repeat(20_000) } });
      assert.equal(refused.status, 431);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const modules = (await readFile(listFile, 'utf8')).split('\n');
    assert.ok(modules.includes('NativeModule http'), 'the list was taken after node:http was loaded');
    assert.deepEqual(
      modules.filter((name) => name.includes('deps/undici')),
      [],
    );
  });
});
