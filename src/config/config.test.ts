import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { knownNames } from '../app.ts';
import { configFromEnvironment } from './from-env.ts';
import { interpolate } from './interpolate.ts';
import { ConfigError, loadConfigFile, validateConfig } from './load.ts';

describe('config', () => {
  it('accepts the example config shipped in the repository', async () => {
    const loaded = await loadConfigFile('switchboard.example.yaml', { OPENAI_API_KEY: 'x', ANTHROPIC_API_KEY: 'y', GEMINI_API_KEY: 'z' }, knownNames());
    assert.ok(loaded.config.providers.length >= 4);
    assert.equal(loaded.config.routes[0]?.strategy, 'cost');
  });

  it('interpolates ${VAR} and ${VAR:-default} in values, never in structure', () => {
    const environment = { HOST: 'example.com', EMPTY: '', EVIL: 'x\nproviders: []' };
    assert.deepEqual(
      interpolate({ url: 'https://${HOST}/v1', port: '${PORT:-4000}', key: '${MISSING}', empty: '${EMPTY}', list: ['${MISSING}', 'a'], evil: '${EVIL}' }, environment),
      { url: 'https://example.com/v1', port: '4000', list: ['a'], evil: 'x\nproviders: []' },
    );
  });

  it('coerces numbers that came from the environment and applies DATABASE_URL', () => {
    const { config } = validateConfig({ server: { port: '8080', max_body_mb: '2' } }, 'test', { DATABASE_URL: 'sqlite:///tmp/x.db' }, knownNames());
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.max_body_mb, 2);
    assert.equal(config.storage.url, 'sqlite:///tmp/x.db');
  });

  it('takes server.workers as a number (also as text from a variable), and refuses a count below one', () => {
    assert.equal(validateConfig({ server: { workers: '3' } }, 'test', {}, knownNames()).config.server.workers, 3);
    assert.equal(validateConfig({}, 'test', {}, knownNames()).config.server.workers, undefined, 'unset: one per core, decided at start');
    assert.throws(() => validateConfig({ server: { workers: 0 } }, 'test', {}, knownNames()), /server\.workers/);
  });

  it('lists every problem by path', () => {
    assert.throws(
      () =>
        validateConfig(
          {
            providers: [{ id: 'a', type: 'openai', api_key: 'k' }, { id: 'a', type: 'openai' }],
            models: [{ id: 'm', provider: 'a' }, { id: 'n', provider: 'ghost' }],
            routes: [{ id: 'm', candidates: ['m'] }, { id: 'r', strategy: 'cost', candidates: ['nope'], split: [{ model: 'm', weight: 0 }] }],
            rules: [{ when: { colour: 'red' }, route: 'r' }, { when: { time: 'noon' }, set: { model: 'x' } }],
          },
          'test',
          {},
          knownNames(),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'providers[1].id: duplicate provider id "a"',
          'models[1].provider: unknown provider "ghost"',
          'routes[0].id: "m" is already a model id',
          'routes[1].candidates[0]: unknown model "nope"',
          'routes[1].split: weights must add up to more than 0',
          'rules[0].when.colour: unknown condition (use metadata.<name>, header.<name>, key, team, model, user or time)',
          'rules[1].when.time: must look like "09:00-17:00" (UTC)',
          'rules[1].set.model: cannot be overridden (use temperature, top_p, top_k, max_tokens, seed, stop, presence_penalty, frequency_penalty, reasoning_effort)',
        ]);
        return true;
      },
    );
  });

  it('refuses a base_url with credentials (user:password@), a query string or a fragment, without echoing it', () => {
    const urls = [
      'http://proxyuser:proxypass-secret@127.0.0.1:5391/v1',
      'http://proxyuser@127.0.0.1:5391/v1',
      'http://127.0.0.1:5391/v1?key=querysecret123',
      'http://127.0.0.1:5391/v1?',
      'http://127.0.0.1:5391/v1#frag-secret',
    ];
    assert.throws(
      () => validateConfig({ providers: urls.map((base_url, index) => ({ id: `p${index}`, type: 'openai-compatible', base_url })) }, 'test', {}, knownNames()),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, urls.length, error.problems.join('\n'));
        assert.match(error.problems[0]!, /^providers\[0\]\.base_url: must not hold a user name or password .*api_key or headers/);
        assert.match(error.problems[1]!, /^providers\[1\]\.base_url: must not hold a user name or password/);
        assert.match(error.problems[2]!, /^providers\[2\]\.base_url: must not have a query string .*api_key or headers/);
        assert.match(error.problems[3]!, /^providers\[3\]\.base_url: must not have a query string/);
        assert.match(error.problems[4]!, /^providers\[4\]\.base_url: must not have a fragment/);
        for (const secret of ['proxypass-secret', 'querysecret123', 'frag-secret']) assert.ok(!error.problems.join('\n').includes(secret));
        return true;
      },
    );
    // A plain URL with a path and a port is fine.
    validateConfig({ providers: [{ id: 'ok', type: 'openai-compatible', base_url: 'https://gpu-box:8000/v1/' }] }, 'test', {}, knownNames());
  });

  it('names unknown provider types and strategies beside the schema problems, in the same start', () => {
    assert.throws(
      () =>
        validateConfig(
          {
            providers: [{ id: 'a', type: 'nope' }, { id: 'b', type: 'openai', colour: 'red' }],
            routes: [{ id: 'r', strategy: 'cheapest', candidates: ['x'] }],
          },
          'test',
          {},
          knownNames(),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 4, error.problems.join('\n'));
        assert.match(error.problems[0]!, /^providers\[1\]: .*colour/);
        assert.match(error.problems[1]!, /^providers\[0\]\.type: unknown provider type "nope" \(known: .*openai/);
        assert.match(error.problems[2]!, /^routes\[0\]\.strategy: unknown strategy "cheapest"/);
        assert.equal(error.problems[3], 'routes[0].candidates[0]: unknown model "x"');
        return true;
      },
    );
  });

  it('lists reference problems beside a schema problem elsewhere, not after it is fixed (../shared/SPEC.md)', () => {
    assert.throws(
      () =>
        validateConfig(
          {
            server: { port: 'abc' },
            providers: [{ id: 'a', type: 'openai' }],
            models: [{ id: 'm1', provider: 'a' }, { id: 'm2', provider: 5 }, { id: 'm3', provider: 'x' }],
            // Not an object: the entries after it keep their positions in the paths.
            routes: ['auto', { id: 'r', candidates: ['ghost'] }],
          },
          'test',
          {},
          knownNames(),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.problems[0]!, /^server\.port: /);
        assert.match(error.problems[1]!, /^models\[1\]\.provider: /);
        // The schema faulted models[1]: its reference problem would repeat it.
        assert.match(error.problems[2]!, /^routes\[0\]: /);
        assert.deepEqual(error.problems.slice(3), ['models[2].provider: unknown provider "x"', 'routes[1].candidates[0]: unknown model "ghost"']);
        return true;
      },
    );
  });

  it('reports a YAML syntax error with its line, and an unreadable file, as config errors', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-config-'));
    const file = join(directory, 'bad.yaml');
    await writeFile(file, 'server:\n  port: [4000\n');
    await assert.rejects(loadConfigFile(file, {}, knownNames()), (error: unknown) => error instanceof ConfigError && /YAML/.test(error.message));
    await assert.rejects(loadConfigFile(join(directory, 'missing.yaml'), {}, knownNames()), (error: unknown) => error instanceof ConfigError && /ENOENT/.test(error.message));
  });

  it('builds providers from environment keys, and the demo provider without any', () => {
    const providers = [
      { type: 'openai', variable: 'OPENAI_API_KEY', carries: 'api_key' as const, catalogModels: ['gpt-4o-mini', 'gpt-4o'] },
      { type: 'openrouter', variable: 'OPENROUTER_API_KEY', carries: 'api_key' as const, catalogModels: ['openai/gpt-4o-mini', 'gpt-4o'] },
      { type: 'ollama', variable: 'OLLAMA_BASE_URL', carries: 'base_url' as const, catalogModels: ['llama3.1:8b'] },
    ];
    const both = configFromEnvironment({ OPENAI_API_KEY: 'a', OPENROUTER_API_KEY: 'b' }, providers);
    assert.deepEqual(both.raw.models, [
      { id: 'gpt-4o-mini', provider: 'openai', upstream: 'gpt-4o-mini' },
      { id: 'gpt-4o', provider: 'openai', upstream: 'gpt-4o' },
    ], 'the first provider keeps a shared name; names shadowing a provider address are left to <provider>/<model>');
    const local = configFromEnvironment({ OLLAMA_BASE_URL: 'http://gpu-box:11434' }, providers);
    assert.deepEqual(local.raw.providers, [{ id: 'ollama', type: 'ollama', base_url: 'http://gpu-box:11434' }]);
    const demo = configFromEnvironment({}, providers);
    assert.deepEqual((demo.raw.providers as Array<{ type: string }>).map((provider) => provider.type), ['demo']);
    assert.match(demo.notes.join(' '), /demo mode/);
  });
});
