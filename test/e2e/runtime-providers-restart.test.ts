import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { cleanEnvironment, startCli, type ServerProcess } from '../helpers/cli.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Stored runtime providers across restarts of the real CLI, with `--workers 2`: one that the
 * config file now shadows (same id) and one sealed with a previous encryption key. Neither is
 * loaded, the start says so once per provider, and DELETE removes both for good.
 */

const masterKey = 'sb-master-runtime-restart';

describe('stored runtime providers after a restart with --workers 2', () => {
  let configured: OpenAISimulator;
  let stored: OpenAISimulator;
  let directory: string;
  let server: ServerProcess | undefined;

  const writeConfig = async (withUi: boolean) => {
    const file = join(directory, 'switchboard.yaml');
    await writeFile(
      file,
      [
        `server: { master_key: "${masterKey}" }`,
        `storage: { url: "sqlite://${join(directory, 'switchboard.db')}" }`,
        ...(withUi ? ['providers:', `  - { id: ui, type: openai, base_url: "${configured.url}", api_key: "${configured.apiKey}" }`] : []),
      ].join('\n'),
    );
    return file;
  };
  const serve = async (file: string, encryptionKey: string, workers: string) =>
    startCli(['--config', file, '--port', '0', '--host', '127.0.0.1', '--workers', workers], { env: cleanEnvironment({ SWITCHBOARD_ENCRYPTION_KEY: encryptionKey }) });
  const logs = () => `${server!.stdout()}\n${server!.stderr()}`;
  /** The logs once they match: a worker's line may reach the pipe after the primary's banner. */
  const logsMatching = async (pattern: RegExp): Promise<string> => {
    for (let waited = 0; waited < 5_000 && !pattern.test(logs()); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    return logs();
  };

  before(async () => {
    configured = await new OpenAISimulator().start();
    stored = await new OpenAISimulator({ apiKey: 'sk-stored-runtime-0123456789abcdef' }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-runtime-restart-'));
  });

  after(async () => {
    await server?.stop();
    await configured.close();
    await stored.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('loads neither, routes the id to the config provider, and DELETE removes both stored rows', async () => {
    server = await serve(await writeConfig(false), 'the-first-encryption-key', '1');
    const admin = () => adminClient(server!.origin, masterKey);
    for (const id of ['ui', 'sealed']) {
      const created = await admin().post('/admin/providers', { id, type: 'openai', base_url: stored.url, api_key: stored.apiKey });
      assert.equal(created.status, 201, created.text);
    }
    assert.equal(await server.stop(), 0);

    // The config file now has "ui", and the encryption key changed.
    const file = await writeConfig(true);
    server = await serve(file, 'the-second-encryption-key', '2');
    assert.match(await logsMatching(/runtime provider \\?"ui\\?" is not loaded/), /runtime provider \\?"ui\\?" is not loaded: the config file has a provider/);
    assert.match(await logsMatching(/runtime provider \\?"sealed\\?" is not loaded/), /runtime provider \\?"sealed\\?" is not loaded/);
    const answers = await Promise.all(Array.from({ length: 6 }, () => chat(server!.origin, masterKey, { model: 'ui/gpt-4o', messages: [{ role: 'user', content: 'hi' }] })));
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200, 200, 200, 200]);
    assert.equal(stored.chatCalls().length, 0, 'a request went to the stored provider');

    const listed = await admin().get<{ data: Array<{ id: string; source: string }> }>('/admin/providers');
    assert.deepEqual(listed.body.data.map((provider) => [provider.id, provider.source]), [['ui', 'config']]);
    const shadowed = await admin().delete<{ config_provider_kept?: boolean }>('/admin/providers/ui');
    assert.equal(shadowed.status, 200, shadowed.text);
    assert.equal(shadowed.body.config_provider_kept, true);
    assert.equal((await admin().delete('/admin/providers/sealed')).status, 200);
    // Whichever worker answers, nothing is left to remove.
    for (let round = 0; round < 4; round += 1) {
      assert.equal((await admin().delete('/admin/providers/sealed')).status, 404);
      assert.equal((await admin().delete('/admin/providers/ui')).status, 409);
    }
    const audit = await admin().get('/admin/audit?action=provider.delete');
    assert.match(audit.text, /"target_id":"ui"/);
    assert.match(audit.text, /"target_id":"sealed"/);
    assert.equal(await server.stop(), 0);

    server = await serve(file, 'the-second-encryption-key', '2');
    assert.doesNotMatch(logs(), /is not loaded/);
    assert.equal((await chat(server.origin, masterKey, { model: 'ui/gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).status, 200);
  });
});
