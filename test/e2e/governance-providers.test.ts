import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, databaseBytes, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-governance-providers';
const encryptionKey = 'a-separate-encryption-key-for-tests';

interface ProviderAnswer {
  id: string;
  type: string;
  source: string;
  api_key_hint: string | null;
  header_names: string[];
  models: string[];
}

describe('providers added at runtime through /admin/providers', () => {
  let configured: OpenAISimulator;
  let runtime: OpenAISimulator;
  let directory: string;
  let gateway: TestGateway;
  const runtimeKey = 'sk-runtime-provider-secret-0123456789abcdef';
  const headerSecret = 'org-header-secret-value-42';
  const config = () => ({
    server: { master_key: masterKey },
    providers: [{ id: 'oai', type: 'openai', base_url: configured.url, api_key: configured.apiKey }],
    models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
  });
  const ask = (model: string) => chat(gateway.origin, masterKey, { model, messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    configured = await new OpenAISimulator().start();
    runtime = await new OpenAISimulator({ apiKey: runtimeKey }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-providers-'));
    gateway = await startGateway(config(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
  });

  after(async () => {
    await closeAll(gateway, configured, runtime);
    await rm(directory, { recursive: true, force: true });
  });

  it('adds a provider that is usable at once, as <id>/<model> and through its catalog models', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    assert.equal((await ask('rt/gpt-4o')).status, 404);
    const created = await admin.post<ProviderAnswer>('/admin/providers', {
      id: 'rt',
      type: 'openai',
      base_url: runtime.url,
      api_key: runtimeKey,
      headers: { 'x-org': headerSecret },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.source, 'runtime');
    assert.equal(created.body.api_key_hint, `...${runtimeKey.slice(-4)}`);
    assert.deepEqual(created.body.header_names, ['x-org']);
    assert.ok(!created.text.includes(runtimeKey) && !created.text.includes(headerSecret), 'the answer holds a credential');

    const direct = await ask('rt/gpt-4o');
    assert.equal(direct.status, 200, direct.text);
    assert.equal(direct.headers.get('x-switchboard-provider'), 'rt');
    const upstream = runtime.chatCalls().at(-1)!;
    assert.equal(upstream.headers.authorization, `Bearer ${runtimeKey}`);
    assert.equal(upstream.headers['x-org'], headerSecret);

    assert.ok(created.body.models.includes('gpt-4.1-mini'), 'catalog models of its type are added');
    assert.ok(!created.body.models.includes('fast'));
    const catalog = await ask('gpt-4.1-mini');
    assert.equal(catalog.status, 200, catalog.text);
    assert.equal(catalog.headers.get('x-switchboard-provider'), 'rt');
    const models = (await (await fetch(`${gateway.baseURL}/models`, { headers: { authorization: `Bearer ${masterKey}` } })).json()) as { data: Array<{ id: string; owned_by: string }> };
    assert.ok(models.data.some((model) => model.id === 'gpt-4.1-mini' && model.owned_by === 'rt'));
  });

  it('never returns a credential: the listing shows hints, config providers read-only', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    const listed = await admin.get<{ data: ProviderAnswer[] }>('/admin/providers');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((provider) => [provider.id, provider.source]), [['oai', 'config'], ['rt', 'runtime']]);
    for (const secret of [runtimeKey, headerSecret, configured.apiKey]) assert.ok(!listed.text.includes(secret), 'the listing holds a credential');
    const removeConfigured = await admin.delete<{ error: { code: string } }>('/admin/providers/oai');
    assert.equal(removeConfigured.status, 409);
    const audit = await admin.get('/admin/audit?action=provider.create');
    assert.match(audit.text, /"target_id":"rt"/);
    assert.ok(!audit.text.includes(runtimeKey) && !audit.text.includes(headerSecret));
    assert.ok(!gateway.logs.join('\n').includes(runtimeKey), 'the provider key is in the logs');
  });

  it('stores credentials encrypted: the key is not in the database file bytes', async () => {
    await gateway.gateway.flushLedger();
    const bytes = await databaseBytes(gateway);
    assert.ok(bytes.length > 0);
    assert.ok(!bytes.includes(Buffer.from(runtimeKey)), 'the API key is in the database in clear');
    assert.ok(!bytes.includes(Buffer.from(headerSecret)), 'a header value is in the database in clear');
    assert.ok(bytes.includes(Buffer.from('runtime_providers')), 'the table exists (sanity check of the grep)');
  });

  it('rejects invalid providers with a 400 that does not echo the key', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    const unknownType = await admin.post<{ error: { message: string } }>('/admin/providers', { id: 'x', type: 'nope', api_key: runtimeKey });
    assert.equal(unknownType.status, 400);
    assert.match(unknownType.body.error.message, /unknown provider type "nope"/);
    const noBaseUrl = await admin.post('/admin/providers', { id: 'y', type: 'openai-compatible', api_key: runtimeKey });
    assert.equal(noBaseUrl.status, 400);
    const badField = await admin.post('/admin/providers', { id: 'z', type: 'openai', api_key: 42, extra: runtimeKey });
    assert.equal(badField.status, 400);
    // Only HTTP(S) upstreams: a file:, ftp: or javascript: URL is refused, not stored.
    const schemes = await Promise.all(
      ['file:///etc/passwd', 'ftp://files.example/v1', 'javascript:alert(1)'].map((base_url) =>
        admin.post<{ error: { message: string } }>('/admin/providers', { id: 'w', type: 'openai-compatible', base_url, api_key: runtimeKey }),
      ),
    );
    for (const answer of schemes) {
      assert.equal(answer.status, 400);
      assert.match(answer.body.error.message, /base_url.*http:\/\/ or https:\/\//);
    }
    // No credentials, query or fragment in base_url: they would be answered back and sent wrongly.
    const secretUrls = [
      `http://proxyuser:proxypass-secret@127.0.0.1:5391/v1`,
      `http://127.0.0.1:5391/v1?key=querysecret123`,
      `http://127.0.0.1:5391/v1#fragsecret`,
    ];
    const withSecrets = await Promise.all(
      secretUrls.map((base_url) => admin.post<{ error: { message: string; param: string } }>('/admin/providers', { id: 'ui', type: 'openai', base_url })),
    );
    for (const answer of withSecrets) {
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error.message, /base_url: must not (hold a user name or password|have a query string|have a fragment)/);
      for (const secret of ['proxypass-secret', 'querysecret123', 'fragsecret']) assert.ok(!answer.text.includes(secret), 'the answer echoes the URL');
    }
    assert.match(withSecrets[0]!.body.error.message, /api_key or headers/);
    // docs/admin.md: `param` names the offending field, as it does for keys and teams.
    for (const answer of withSecrets) assert.equal(answer.body.error.param, 'base_url');
    const unknownField = await admin.post<{ error: { param: string | null } }>('/admin/providers', { id: 'u', type: 'openai', api_key: runtimeKey, timeout: 5 });
    assert.equal(unknownField.body.error.param, 'timeout');
    // A long unknown field name may be a pasted secret: neither the message nor param quotes it.
    const pastedKey = await admin.post<{ error: { param: string | null } }>('/admin/providers', { id: 'u', type: 'openai', [runtimeKey]: true });
    assert.equal(pastedKey.status, 400);
    assert.equal(pastedKey.body.error.param, null);
    assert.ok(!pastedKey.text.includes(runtimeKey));
    const listedAfter = await admin.get('/admin/providers');
    const audited = await admin.get('/admin/audit');
    for (const text of [listedAfter.text, audited.text]) assert.ok(!/proxypass-secret|querysecret123|fragsecret/.test(text), 'a refused URL was kept');
    for (const answer of [unknownType, noBaseUrl, badField, ...schemes]) assert.ok(!answer.text.includes(runtimeKey));
    assert.equal((await admin.post('/admin/providers', { id: 'oai', type: 'openai', api_key: 'x' })).status, 409, 'a config provider id is taken');
  });

  it('refuses headers undici cannot send and an api_key with a line break: a 400 naming the field, never the key', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    const post = (body: Record<string, unknown>) => admin.post<{ error: { message: string } }>('/admin/providers', { id: 'bad', type: 'openai', base_url: runtime.url, ...body });
    const badName = await post({ api_key: runtimeKey, headers: { 'bad header!': 'x' } });
    const badValue = await post({ api_key: runtimeKey, headers: { 'X-Org': `org\r\nX-Injected: ${headerSecret}` } });
    const badKey = await post({ api_key: `${runtimeKey}\n` });
    const spacedKey = await post({ api_key: `Bearer ${runtimeKey}` });
    // A second probe: a key pasted as a field name was quoted back ("Unrecognized key: ...").
    const keyAsField = await post({ [`sk-proj-${runtimeKey}`]: 'x' });
    assert.equal(keyAsField.status, 400, keyAsField.text);
    assert.ok(!keyAsField.text.includes(runtimeKey), keyAsField.text);
    assert.equal(badName.status, 400, badName.text);
    assert.match(badName.body.error.message, /^Invalid provider: headers: "bad header!" is not a valid header name/);
    assert.equal(badValue.status, 400, badValue.text);
    assert.match(badValue.body.error.message, /^Invalid provider: headers\.X-Org: must not contain line breaks \(CR, LF\)/);
    for (const answer of [badKey, spacedKey]) {
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.body.error.message, /^Invalid provider: api_key: must hold visible ASCII characters only/);
    }
    for (const answer of [badName, badValue, badKey, spacedKey]) {
      assert.ok(!answer.text.includes(runtimeKey) && !answer.text.includes(headerSecret), 'the answer echoes a credential');
    }
    const listed = await admin.get<{ data: ProviderAnswer[] }>('/admin/providers');
    assert.ok(!listed.body.data.some((provider) => provider.id === 'bad'), 'a refused provider was stored');
  });

  it('survives a restart, and is not loaded with another encryption key', async () => {
    await gateway.close();
    gateway = await startGateway(config(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    const after = await ask('rt/gpt-4o');
    assert.equal(after.status, 200, after.text);
    assert.equal(runtime.chatCalls().at(-1)!.headers.authorization, `Bearer ${runtimeKey}`);

    await gateway.close();
    gateway = await startGateway(config(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: 'the-wrong-key' } });
    assert.equal((await ask('rt/gpt-4o')).status, 404);
    assert.ok(gateway.logs.some((line) => line.includes('runtime provider \\"rt\\" is not loaded')), 'a warning names the provider');

    await gateway.close();
    gateway = await startGateway(config(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    assert.equal((await ask('rt/gpt-4o')).status, 200);
  });

  it('deletes a runtime provider: its models go away now and after a restart', async () => {
    const admin = adminClient(gateway.origin, masterKey);
    const removed = await admin.delete('/admin/providers/rt');
    assert.equal(removed.status, 200);
    assert.equal((await ask('rt/gpt-4o')).status, 404);
    assert.equal((await ask('gpt-4.1-mini')).status, 404);
    assert.equal((await admin.delete('/admin/providers/rt')).status, 404);
    await gateway.close();
    gateway = await startGateway(config(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    assert.equal((await ask('rt/gpt-4o')).status, 404);
    assert.equal((await ask('fast')).status, 200);
  });
});

describe('runtime providers sealed with the master key', () => {
  it('derives the key from SWITCHBOARD_MASTER_KEY when no separate key is set', async () => {
    const simulator = await new OpenAISimulator({ apiKey: 'sk-master-derived-0123456789' }).start();
    const gateway = await startGateway({ server: { master_key: masterKey } });
    try {
      const admin = adminClient(gateway.origin, masterKey);
      const created = await admin.post('/admin/providers', { id: 'mk', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey });
      assert.equal(created.status, 201, created.text);
      assert.equal((await chat(gateway.origin, masterKey, { model: 'mk/gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).status, 200);
      const bytes = await databaseBytes(gateway);
      assert.ok(!bytes.includes(Buffer.from(simulator.apiKey)));
    } finally {
      await gateway.close();
      await simulator.close();
    }
  });
});

describe('stored runtime providers the gateway cannot or must not load', () => {
  let simulator: OpenAISimulator;
  let stored: OpenAISimulator;
  let directory: string;
  let gateway: TestGateway | undefined;
  const withUi = () => ({
    server: { master_key: masterKey },
    providers: [{ id: 'ui', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
  });
  const ask = (model: string) => chat(gateway!.origin, masterKey, { model, messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    simulator = await new OpenAISimulator().start();
    stored = await new OpenAISimulator({ apiKey: 'sk-stored-runtime-0123456789abcdef' }).start();
    directory = await mkdtemp(join(tmpdir(), 'switchboard-providers-shadow-'));
  });

  after(async () => {
    await gateway?.close();
    await closeAll(simulator, stored);
    await rm(directory, { recursive: true, force: true });
  });

  it('a config provider wins over a stored one of the same id, which DELETE then removes', async () => {
    gateway = await startGateway({ server: { master_key: masterKey } }, { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    const created = await adminClient(gateway.origin, masterKey).post('/admin/providers', { id: 'ui', type: 'openai', base_url: stored.url, api_key: stored.apiKey });
    assert.equal(created.status, 201, created.text);
    await gateway.close();

    // The config file now has a provider "ui" too.
    gateway = await startGateway(withUi(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    const warning = gateway.logs.find((line) => line.includes('runtime provider \\"ui\\" is not loaded'));
    assert.ok(warning, 'a warning names the stored provider');
    assert.match(warning, /config file has a provider \\"ui\\"/);
    assert.match(warning, /DELETE \/admin\/providers\/ui/);
    const storedCalls = stored.chatCalls().length;
    const answer = await ask('ui/gpt-4o');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(simulator.chatCalls().length, 1, 'the config provider answered');
    assert.equal(stored.chatCalls().length, storedCalls, 'the stored provider was called');

    const admin = adminClient(gateway.origin, masterKey);
    const listed = await admin.get<{ data: ProviderAnswer[] }>('/admin/providers');
    assert.deepEqual(listed.body.data.map((provider) => [provider.id, provider.source]), [['ui', 'config']]);

    const removed = await admin.delete<{ id: string; deleted: boolean; config_provider_kept: boolean; message: string }>('/admin/providers/ui');
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.config_provider_kept, true);
    assert.match(removed.body.message, /config file.*stays/);
    assert.equal((await ask('ui/gpt-4o')).status, 200, 'the config provider still answers');
    assert.equal((await admin.delete('/admin/providers/ui')).status, 409, 'the config provider itself is read-only');
    const audit = await admin.get('/admin/audit?action=provider.delete');
    assert.match(audit.text, /"target_id":"ui"/);

    await gateway.close();
    gateway = await startGateway(withUi(), { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    assert.ok(!gateway.logs.some((line) => line.includes('is not loaded')), 'the warning is gone');
  });

  it('a stored provider that cannot be decrypted is removed by DELETE, with an audit entry', async () => {
    await gateway?.close();
    gateway = await startGateway({ server: { master_key: masterKey } }, { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: encryptionKey } });
    const created = await adminClient(gateway.origin, masterKey).post('/admin/providers', { id: 'sealed', type: 'openai', base_url: stored.url, api_key: stored.apiKey });
    assert.equal(created.status, 201, created.text);
    await gateway.close();

    gateway = await startGateway({ server: { master_key: masterKey } }, { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: 'another-encryption-key' } });
    assert.ok(gateway.logs.some((line) => line.includes('runtime provider \\"sealed\\" is not loaded')));
    const admin = adminClient(gateway.origin, masterKey);
    const removed = await admin.delete('/admin/providers/sealed');
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await admin.delete('/admin/providers/sealed')).status, 404);
    const audit = await admin.get('/admin/audit?action=provider.delete');
    assert.match(audit.text, /"target_id":"sealed"/);

    await gateway.close();
    gateway = await startGateway({ server: { master_key: masterKey } }, { directory, environment: { SWITCHBOARD_ENCRYPTION_KEY: 'another-encryption-key' } });
    assert.ok(!gateway.logs.some((line) => line.includes('is not loaded')), 'the warning is gone');
  });
});
