import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { knownNames } from '../app.ts';
import { openStorage } from '../store/open.ts';
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

  it('names text that is not a number as text, not as NaN (a typo, or a variable holding a word)', () => {
    assert.throws(
      () => validateConfig({ server: { port: 'eighty', max_body_mb: 'lots' }, routes: [{ id: 'r', strategy: 'ordered', candidates: [], retry: { attempts: 'two' } }] }, 'test', {}, knownNames()),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = String(error.message);
        assert.doesNotMatch(text, /NaN/);
        assert.match(text, /server\.max_body_mb: Invalid input: expected number, received string/);
        assert.match(text, /server\.port: Invalid input: expected number, received string/);
        assert.match(text, /routes\[0\]\.retry\.attempts: Invalid input: expected number, received string/);
        return true;
      },
    );
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
          'rules[1].when.time: must look like "09:00-17:00" (UTC, hours 00-23)',
          'rules[1].set.model: cannot be overridden (use temperature, top_p, top_k, max_tokens, seed, stop, presence_penalty, frequency_penalty, reasoning_effort)',
        ]);
        return true;
      },
    );
  });

  // An outside probe: `temperature: "0.5"` (text, as `${VAR}` gives it) reached providers as a
  // string and `time: "20:00-25:00"` compiled to a window that never closed.
  it('checks the values of a rule\'s set and the hours of its time window', () => {
    const rules = (rule: Record<string, unknown>) => () => validateConfig({ rules: [rule] }, 'test', {}, knownNames());
    assert.doesNotThrow(rules({ set: { temperature: '0.5', max_tokens: 100, stop: ['END'], reasoning_effort: 'low', seed: '7' } }));
    assert.doesNotThrow(rules({ when: { time: '22:00-06:30' }, deny: true }));
    const problems = (rule: Record<string, unknown>) => {
      try {
        rules(rule)();
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
    };
    assert.deepEqual(problems({ set: { temperature: 'hot', max_tokens: 0.5, stop: [1], reasoning_effort: 2 } }), [
      'rules[0].set.temperature: must be a number',
      'rules[0].set.max_tokens: must be a whole number',
      'rules[0].set.stop: must be a text or a list of texts',
      'rules[0].set.reasoning_effort: must be a text (e.g. low, medium, high)',
    ]);
    assert.deepEqual(problems({ when: { time: '20:00-25:00' }, deny: true }), ['rules[0].when.time: must look like "09:00-17:00" (UTC, hours 00-23)']);
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
        assert.match(error.problems[0]!, /^providers\[0\]\.type: unknown provider type "nope" \(known: .*openai/);
        assert.match(error.problems[1]!, /^providers\[1\]: .*colour/);
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
        assert.equal(error.problems.length, 5, error.problems.join('\n'));
        assert.match(error.problems[0]!, /^server\.port: /);
        // The schema faulted models[1].provider: it is not also an unknown provider.
        assert.match(error.problems[1]!, /^models\[1\]\.provider: Invalid input/);
        assert.equal(error.problems[2], 'models[2].provider: unknown provider "x"');
        assert.match(error.problems[3]!, /^routes\[0\]: /);
        assert.equal(error.problems[4], 'routes[1].candidates[0]: unknown model "ghost"');
        return true;
      },
    );
  });

  it('checks the references of an entry that has shape problems too, the problems of each entry together', () => {
    assert.throws(
      () =>
        validateConfig(
          {
            providers: [
              { id: 'a', type: 'openai' },
              { id: 'a', type: 'openai', timeout_ms: -1 },
              // Breaks the naming rule, but still names the provider for the models.
              { id: 'b c', type: 'openai' },
            ],
            models: [
              { id: 'm', provider: 'x', quality: 2 },
              { id: 'n', provider: 'b c', colour: 'red' },
              { id: 'm', provider: 'a', context_window: 'big' },
            ],
            routes: [
              { id: 'r', candidates: ['m', 5, 'ghost'], retry: { attempts: -1 } },
              // Faulted lists are the schema's to report: no "needs at least one candidate" beside them.
              { id: 's', candidates: 'm' },
              { id: 't', split: 'm' },
              { id: 'u', candidates: ['m'], split: [{ model: 'ghost', weight: 'heavy' }], guardrails: ['nope'] },
            ],
            rules: [{ route: 5 }, { route: 'nowhere', when: { colour: 'red' }, deny: 'x', extra: 1 }],
            guardrails: [{ name: 'g', type: 'deny', patterns: [] }, { name: 'g', type: 'pii' }],
          },
          'test',
          {},
          knownNames(),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const pathOf = (problem: string) => problem.slice(0, problem.indexOf(': '));
        assert.deepEqual(error.problems.map(pathOf), [
          'providers[1].timeout_ms',
          'providers[1].id',
          'providers[2].id',
          'models[0].quality',
          'models[0].provider',
          'models[1]',
          'models[2].context_window',
          'models[2].id',
          'routes[0].candidates[1]',
          'routes[0].retry.attempts',
          'routes[0].candidates[2]',
          'routes[1].candidates',
          'routes[2].split',
          'routes[3].split[0].weight',
          'routes[3].split[0].model',
          'routes[3].guardrails[0]',
          'rules[0].route',
          'rules[1]',
          'rules[1].route',
          'rules[1].when.colour',
          'guardrails[0].patterns',
          'guardrails[1].name',
        ], error.problems.join('\n'));
        for (const problem of [
          'providers[1].id: duplicate provider id "a"',
          'models[0].provider: unknown provider "x"',
          'models[2].id: duplicate model id "m"',
          'routes[0].candidates[2]: unknown model "ghost"',
          'routes[3].split[0].model: unknown model "ghost"',
          'routes[3].guardrails[0]: unknown guardrail "nope"',
          'rules[1].route: unknown route "nowhere"',
          'guardrails[1].name: duplicate guardrail name "g"',
        ]) {
          assert.ok(error.problems.includes(problem), problem);
        }
        return true;
      },
    );
  });

  it('lists a storage URL this build cannot open with the other problems, without its password', () => {
    const refused = (raw: Record<string, unknown>, environment: NodeJS.ProcessEnv = {}) => {
      try {
        validateConfig(raw, 'test', environment, knownNames());
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
      assert.fail('the config was accepted');
    };
    const problems = refused({ server: { port: 'abc' }, storage: { url: 'mysql://root:db-secret@db/switchboard' }, models: [{ id: 'm', provider: 'x' }] });
    assert.match(problems[0]!, /^server\.port: /);
    assert.deepEqual(problems.slice(1), ['storage.url: unsupported URL scheme "mysql:" (use sqlite://path or postgres://user@host/database)', 'models[0].provider: unknown provider "x"']);
    assert.ok(!problems.join('\n').includes('db-secret'));
    // Valid otherwise: still refused at validation, not when the store opens.
    assert.deepEqual(refused({ storage: { url: 'switchboard.db' } }), [
      'storage.url: not a storage URL (use sqlite://path, e.g. sqlite://./switchboard.db, or postgres://user@host/database)',
    ]);
    // A postgres:// URL that does not parse, or names no host, is said at once, also from DATABASE_URL, never quoted.
    assert.deepEqual(refused({ models: [{ id: 'm', provider: 'x' }] }, { DATABASE_URL: 'postgresql://u:pg secret@/x' }), [
      'storage.url: not a PostgreSQL URL (postgres://user:password@host:5432/database) (the URL comes from DATABASE_URL)',
      'models[0].provider: unknown provider "x"',
    ]);
    const accepted = ['sqlite://./x.db', 'sqlite://:memory:', ':memory:', 'postgres://switchboard@db/switchboard', 'postgresql://u:pw@db:6432/x?sslmode=require'];
    for (const url of accepted) validateConfig({ storage: { url } }, 'test', {}, knownNames());
    // DATABASE_URL wins over the file's storage.url (../shared/SPEC.md "Running it").
    const { config } = validateConfig({ storage: { url: 'sqlite://./x.db' } }, 'test', { DATABASE_URL: 'postgres://db/app' }, knownNames());
    assert.equal(config.storage.url, 'postgres://db/app');
  });

  it('keeps the store refusing a URL it cannot open (a caller that did not validate it)', async () => {
    await assert.rejects(
      openStorage('mysql://root:db-secret@db/x'),
      (error: Error) => error.message === 'storage.url: unsupported URL scheme "mysql:" (use sqlite://path or postgres://user@host/database)',
    );
  });

  it('refuses header names and values undici cannot send, and credentials with spaces or control characters, never quoting a value', () => {
    const secret = 'sk-config-secret-0123456789';
    assert.throws(
      () =>
        validateConfig(
          {
            providers: [
              {
                id: 'a',
                type: 'openai',
                api_key: `${secret}\n`,
                headers: {
                  'bad header!': 'x',
                  'X-Injected': `v\r\nX-Other: ${secret}`,
                  'X-Nul': `${secret}\u0000`,
                  'X-Unicode': '\u20ac',
                  'X-Tab-And-Latin1': 'a\tb \u00e9',
                  'X-Empty': '',
                },
              },
              { id: 'b', type: 'openai', api_key: `${secret} ${secret}` },
              { id: 'c', type: 'openai', api_key: `${secret}\u007f` },
              { id: 'd', type: 'bedrock', region: 'us-east-1', aws_access_key_id: ' AKIA', aws_secret_access_key: `${secret}\r`, aws_session_token: `\t${secret}` },
              { id: 'e', type: 'openai', headers: { '': 'x', 'x\ny': 'z' } },
            ],
          },
          'test',
          {},
          knownNames(),
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const credential = 'must hold visible ASCII characters only: no spaces, tabs, line breaks or other control characters (a newline left from a key file or variable?)';
        const value = 'must not contain line breaks (CR, LF), NUL or other control characters (a tab is fine), nor characters beyond U+00FF';
        const name = `is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
        assert.deepEqual(error.problems, [
          `providers[0].api_key: ${credential}`,
          `providers[0].headers: "bad header!" ${name}`,
          `providers[0].headers.X-Injected: ${value}`,
          `providers[0].headers.X-Nul: ${value}`,
          `providers[0].headers.X-Unicode: ${value}`,
          `providers[1].api_key: ${credential}`,
          `providers[2].api_key: ${credential}`,
          `providers[3].aws_access_key_id: ${credential}`,
          `providers[3].aws_secret_access_key: ${credential}`,
          `providers[3].aws_session_token: ${credential}`,
          `providers[4].headers: "" ${name}`,
          `providers[4].headers: "x\\ny" ${name}`,
        ]);
        assert.ok(!error.message.includes(secret));
        return true;
      },
    );
    const { config } = validateConfig(
      { providers: [{ id: 'a', type: 'openai', api_key: 'sk-abc_DEF.123+/=', headers: { 'OpenAI-Organization': 'org-1', 'x-note': 'a\tb é', "!#$%&'*+-.^_`|~": '' } }] },
      'test',
      {},
      knownNames(),
    );
    assert.equal(config.providers[0]?.headers['x-note'], 'a\tb é');
    // Many bad headers (a POST /admin/providers body) cost ten issues, not one each.
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`x-${index}`, 'a\nb']));
    assert.throws(
      () => validateConfig({ providers: [{ id: 'a', type: 'openai', headers: many }] }, 'test', {}, knownNames()),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 10,
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
