import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCatalog } from '../catalog/index.ts';
import { providerSchema, type ProviderConfig } from '../config/schema.ts';
import type { ProviderAdapter } from '../core/provider-adapter.ts';
import type { ProviderCredentialStore, StoredProvider } from '../core/stores.ts';
import type { ProviderProfile } from '../core/strategy.ts';
import { CredentialCipher } from '../keys/credential-cipher.ts';
import type { ProviderHandle } from './execute.ts';
import { ModelRegistry } from './model-registry.ts';
import { RuntimeProviders } from './runtime-providers.ts';

const providerTypes = new Map([['openai', { requiresApiKey: false, requiresBaseUrl: false }]]);

/** A store over a Map, counting the changes announced to other workers. */
function setup(options: { configured?: ProviderConfig[]; stored?: StoredProvider[]; secret?: string } = {}) {
  const rows = new Map((options.stored ?? []).map((row) => [row.id, row]));
  const store: ProviderCredentialStore = {
    save: async (record) => void rows.set(record.id, record),
    list: async () => [...rows.values()],
    delete: async (id) => rows.delete(id),
  };
  const configured = options.configured ?? [];
  const handles = new Map<string, ProviderHandle>();
  const profiles = new Map<string, ProviderProfile>();
  const build = (config: ProviderConfig) => ({
    // The base_url tells which entry a handle was built from.
    handle: { adapter: { type: config.base_url ?? '' } as unknown as ProviderAdapter, timeoutMs: config.timeout_ms },
    profile: { id: config.id, type: config.type, onPrem: false, retainsData: false, limits: {} },
    catalogType: config.type,
  });
  for (const config of configured) {
    handles.set(config.id, build(config).handle);
    profiles.set(config.id, build(config).profile);
  }
  const catalog = createCatalog('test', []);
  const registry = new ModelRegistry([], configured.map((config) => ({ id: config.id, catalogType: config.type })), catalog);
  const announced: string[] = [];
  const providers = new RuntimeProviders({
    store,
    cipher: new CredentialCipher(options.secret ?? 'the-test-secret'),
    providerTypes,
    configured,
    build,
    handles,
    profiles,
    registry,
    catalog,
    changed: async (id) => void announced.push(id),
  });
  return { providers, rows, handles, announced };
}

/** A row as POST /admin/providers would have stored it, sealed with `secret`. */
function sealedRow(raw: Record<string, unknown>, secret = 'the-test-secret'): StoredProvider {
  const id = String(raw.id);
  return { id, type: String(raw.type), sealedConfig: new CredentialCipher(secret).seal(JSON.stringify(raw), id), apiKeyHint: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
}

const configProvider = providerSchema.parse({ id: 'ui', type: 'openai', base_url: 'https://config.example/v1' });

describe('RuntimeProviders: a stored provider whose id the config file has', () => {
  it('is not loaded: the config provider keeps its handle, and a warning says how to remove the stored one', async () => {
    const { providers, handles } = setup({ configured: [configProvider], stored: [sealedRow({ id: 'ui', type: 'openai', base_url: 'http://127.0.0.1:5391/v1' })] });
    const warnings = await providers.load();
    assert.equal((handles.get('ui')!.adapter as unknown as { type: string }).type, 'https://config.example/v1');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /runtime provider "ui" is not loaded: the config file has a provider "ui"/);
    assert.match(warnings[0]!, /DELETE \/admin\/providers\/ui/);
    assert.deepEqual(providers.list().map((view) => [view.id, view.source]), [['ui', 'config']]);
  });

  it('is removed by DELETE, which keeps the config provider and says so', async () => {
    const { providers, rows, handles, announced } = setup({ configured: [configProvider], stored: [sealedRow({ id: 'ui', type: 'openai', base_url: 'http://127.0.0.1:5391/v1' })] });
    await providers.load();
    assert.deepEqual(await providers.remove('ui'), { loaded: false, configProviderKept: true });
    assert.equal(rows.size, 0);
    assert.ok(handles.has('ui'), 'the config provider is still routable');
    assert.deepEqual(announced, ['ui']);
    assert.deepEqual(await providers.load(), [], 'no warning at the next start');
    // Nothing stored any more: the config provider itself stays read-only.
    await assert.rejects(providers.remove('ui'), /comes from the config file/);
  });

  it('is not installed when another worker announces it', async () => {
    const { providers, handles } = setup({ configured: [configProvider], stored: [sealedRow({ id: 'ui', type: 'openai', base_url: 'http://127.0.0.1:5391/v1' })] });
    await providers.refresh('ui');
    assert.equal((handles.get('ui')!.adapter as unknown as { type: string }).type, 'https://config.example/v1');
  });
});

describe('RuntimeProviders: a stored provider that cannot be loaded', () => {
  it('is removed by DELETE when it was sealed with another key, and the change is announced', async () => {
    const { providers, rows, announced } = setup({ stored: [sealedRow({ id: 'old', type: 'openai' }, 'a-previous-secret')] });
    const warnings = await providers.load();
    assert.match(warnings[0] ?? '', /runtime provider "old" is not loaded/);
    assert.deepEqual(await providers.remove('old'), { loaded: false, configProviderKept: false });
    assert.equal(rows.size, 0);
    assert.deepEqual(announced, ['old']);
    assert.deepEqual(await providers.load(), []);
    assert.equal(await providers.remove('old'), undefined, 'a second DELETE finds nothing');
  });

  it('is removed by DELETE when its stored settings no longer validate', async () => {
    const { providers, rows } = setup({ stored: [sealedRow({ id: 'bad', type: 'openai', base_url: 'ftp://files.example/v1' })] });
    assert.match((await providers.load())[0] ?? '', /base_url/);
    assert.deepEqual(await providers.remove('bad'), { loaded: false, configProviderKept: false });
    assert.equal(rows.size, 0);
  });

  it('a loaded one is removed and uninstalled as before', async () => {
    const { providers, rows, handles } = setup({ stored: [sealedRow({ id: 'rt', type: 'openai' })] });
    assert.deepEqual(await providers.load(), []);
    assert.ok(handles.has('rt'));
    assert.deepEqual(await providers.remove('rt'), { loaded: true, configProviderKept: false });
    assert.equal(rows.size, 0);
    assert.ok(!handles.has('rt'));
    assert.equal(await providers.remove('nope'), undefined);
  });
});
