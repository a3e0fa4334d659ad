import type { Catalog } from '../catalog/index.ts';
import type { KnownNames } from '../config/check-references.ts';
import { boundMessage, issueParam, quote, safeParseFirstIssue } from '../api/validation.ts';
import { formatIssue } from '../config/load.ts';
import { providerSchema, type ProviderConfig } from '../config/schema.ts';
import { GatewayError } from '../core/errors.ts';
import type { ProviderCredentialStore, StoredProvider } from '../core/stores.ts';
import type { ProviderProfile } from '../core/strategy.ts';
import type { CredentialCipher } from '../keys/credential-cipher.ts';
import type { ProviderDefinition } from '../core/provider-adapter.ts';
import type { ProviderHandle } from './execute.ts';
import type { ModelRegistry } from './model-registry.ts';

/** A provider ready to route to: its adapter handle, its routing profile and its catalog type. */
export interface BuiltProvider {
  handle: ProviderHandle;
  profile: ProviderProfile;
  catalogType: string;
  cachePriceMultipliers?: ProviderDefinition['cachePriceMultipliers'];
}

/** A provider as /admin/providers shows it: never a credential, only a hint of the API key. */
export interface ProviderView {
  id: string;
  type: string;
  source: 'config' | 'runtime';
  base_url: string | null;
  api_key_hint: string | null;
  /** Names only: header values may carry credentials. */
  header_names: string[];
  timeout_ms: number;
  limits: ProviderConfig['limits'] | null;
  data_policy: ProviderConfig['data_policy'] | null;
  models: string[];
  created_at: string | null;
  updated_at: string | null;
}

/** What DELETE /admin/providers/<id> removed. */
export interface RemovedProvider {
  /** It was routable; false for a stored entry that could not be loaded, or that a config provider shadows. */
  loaded: boolean;
  /** The config file has a provider of that id, which stays. */
  configProviderKept: boolean;
}

export interface RuntimeProvidersOptions {
  store: ProviderCredentialStore;
  /** Absent when neither SWITCHBOARD_ENCRYPTION_KEY nor a master key is set: no runtime providers. */
  cipher: CredentialCipher | undefined;
  providerTypes: KnownNames['providerTypes'];
  /** Providers from the config file: listed read-only, their ids cannot be taken. */
  configured: readonly ProviderConfig[];
  /** Builds adapter, handle and profile from a provider entry (app.ts, which knows the adapters). */
  build(config: ProviderConfig): BuiltProvider;
  handles: Map<string, ProviderHandle>;
  profiles: Map<string, ProviderProfile>;
  registry: ModelRegistry;
  catalog: Catalog;
  clock?: () => number;
  /**
   * Called once an add or a removal is stored, before the admin call answers: other workers
   * install or drop the provider too (`refresh`, src/cluster/).
   */
  changed?(id: string): Promise<void>;
}

/**
 * Providers added through /admin/providers: validated with the config's own schema, stored
 * sealed (AES-256-GCM, the whole entry, so headers and cloud credentials are covered too),
 * routable at once (as `<id>/<model>` and through the catalog models of their type) and loaded
 * again at startup.
 */
export class RuntimeProviders {
  readonly #options: RuntimeProvidersOptions;
  readonly #clock: () => number;
  readonly #runtime = new Map<string, { config: ProviderConfig; stored: StoredProvider }>();

  constructor(options: RuntimeProvidersOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Installs the stored providers; returns a warning per provider that could not be. */
  async load(): Promise<string[]> {
    const warnings: string[] = [];
    for (const stored of await this.#options.store.list()) {
      const warning = this.#load(stored);
      if (warning) warnings.push(warning);
    }
    return warnings;
  }

  /** Decrypts and installs a stored provider; a warning when it cannot be. */
  #load(stored: StoredProvider): string | undefined {
    // Stored before the config file took the id (POST answers 409 now): the config file wins.
    if (this.#isConfigured(stored.id)) {
      return `runtime provider "${stored.id}" is not loaded: the config file has a provider "${stored.id}", which wins; DELETE /admin/providers/${stored.id} removes the stored one (the config provider stays)`;
    }
    if (!this.#options.cipher) return `runtime provider "${stored.id}" is not loaded: set SWITCHBOARD_ENCRYPTION_KEY (or a master key) to decrypt it`;
    let opened: unknown;
    try {
      opened = JSON.parse(this.#options.cipher.open(stored.sealedConfig, stored.id));
    } catch (error) {
      // The message never holds the plaintext.
      return `runtime provider "${stored.id}" is not loaded: ${firstLine(error)} (was the encryption key changed?); DELETE /admin/providers/${stored.id} removes it, or add it again`;
    }
    const parsed = providerSchema.safeParse(opened);
    if (!parsed.success) {
      // Stored under older rules (e.g. a base_url scheme refused since): say which field, not its value.
      const issue = parsed.error.issues[0];
      return `runtime provider "${stored.id}" is not loaded: its stored configuration is no longer valid (${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}); DELETE /admin/providers/${stored.id} removes it, then add it again`;
    }
    try {
      this.#install(parsed.data, stored);
      return undefined;
    } catch (error) {
      return `runtime provider "${stored.id}" is not loaded: ${firstLine(error)}`;
    }
  }

  /** Validates, seals, stores and installs a provider; an existing runtime provider of that id is replaced. */
  async add(raw: unknown): Promise<ProviderView> {
    const cipher = this.#options.cipher;
    if (!cipher) {
      throw new GatewayError('SB_ERR_UNAVAILABLE', 'Runtime providers need an encryption key: set SWITCHBOARD_ENCRYPTION_KEY or a master key.');
    }
    const config = this.#validate(raw);
    const now = new Date(this.#clock()).toISOString();
    const stored: StoredProvider = {
      id: config.id,
      type: config.type,
      sealedConfig: cipher.seal(JSON.stringify(config), config.id),
      apiKeyHint: hintOf(config.api_key),
      createdAt: this.#runtime.get(config.id)?.stored.createdAt ?? now,
      updatedAt: now,
    };
    // Built before it is stored, so an entry the adapter rejects is never persisted.
    const built = this.#options.build(config);
    await this.#options.store.save(stored);
    this.#install(config, stored, built);
    await this.#options.changed?.(config.id);
    return this.#view(config, 'runtime', stored);
  }

  /**
   * Removes the stored runtime provider `id`, loaded or not: one that could not be decrypted or
   * no longer validates, or one a config provider of that id shadows, must still be removable
   * (the startup warning says to). Undefined when nothing of that id is stored; a config
   * provider with nothing stored under its id is read-only (409).
   */
  async remove(id: string): Promise<RemovedProvider | undefined> {
    const configProviderKept = this.#isConfigured(id);
    const deleted = await this.#options.store.delete(id);
    const loaded = this.#runtime.has(id);
    if (!deleted && !loaded) {
      if (configProviderKept) throw readOnly(id);
      return undefined;
    }
    if (loaded) this.#uninstall(id);
    await this.#options.changed?.(id);
    return { loaded, configProviderKept };
  }

  /**
   * Another process added, replaced or removed the runtime provider `id`: installs it as stored
   * now, or drops it. Returns a warning when the stored entry cannot be loaded.
   */
  async refresh(id: string): Promise<string | undefined> {
    const stored = (await this.#options.store.list()).find((entry) => entry.id === id);
    if (!stored) {
      if (this.#runtime.has(id)) this.#uninstall(id);
      return undefined;
    }
    return this.#load(stored);
  }

  /** Config providers first, then runtime ones. */
  list(): ProviderView[] {
    return [
      ...this.#options.configured.map((config) => this.#view(config, 'config', undefined)),
      ...[...this.#runtime.values()].map(({ config, stored }) => this.#view(config, 'runtime', stored)),
    ];
  }

  #install(config: ProviderConfig, stored: StoredProvider, built = this.#options.build(config)): void {
    this.#options.handles.set(config.id, built.handle);
    this.#options.profiles.set(config.id, built.profile);
    const catalogModels = this.#options.catalog.entriesFor(built.catalogType).map((entry) => entry.model);
    this.#options.registry.addProvider({ id: config.id, catalogType: built.catalogType, selfHosted: built.profile.onPrem, cachePriceMultipliers: built.cachePriceMultipliers }, catalogModels);
    this.#runtime.set(config.id, { config, stored });
  }

  #uninstall(id: string): void {
    this.#runtime.delete(id);
    this.#options.handles.delete(id);
    this.#options.profiles.delete(id);
    this.#options.registry.removeProvider(id);
  }

  #validate(raw: unknown): ProviderConfig {
    // The first problem only, found without reading the rest (src/api/validation.ts): a body of
    // 100,000 bad header values must not cost 100,000 issues and a megabytes-long answer.
    const parsed = safeParseFirstIssue(providerSchema, raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const problem = first?.code === 'unrecognized_keys' ? unknownFields(first.keys) : first ? formatIssue(first) : 'invalid value';
      // `param` names the field as the message does; an unknown field only when its name is short
      // (unknownFields: a long one may be a pasted secret).
      const param = first && !(first.code === 'unrecognized_keys' && first.keys.some((key) => key.length > 32)) ? issueParam(first) : undefined;
      throw new GatewayError('SB_ERR_INVALID_REQUEST', boundMessage(`Invalid provider: ${problem}`), param !== undefined ? { param } : {});
    }
    const config = parsed.data;
    const type = this.#options.providerTypes.get(config.type);
    if (!type) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `Invalid provider: type: unknown provider type ${quote(config.type)} (known: ${[...this.#options.providerTypes.keys()].join(', ')})`, { param: 'type' });
    }
    if (!config.base_url && type.requiresBaseUrl) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `Invalid provider: base_url: required for type "${config.type}"`, { param: 'base_url' });
    }
    if (this.#isConfigured(config.id)) throw readOnly(config.id);
    return config;
  }

  #isConfigured(id: string): boolean {
    return this.#options.configured.some((provider) => provider.id === id);
  }

  #view(config: ProviderConfig, source: ProviderView['source'], stored: StoredProvider | undefined): ProviderView {
    return {
      id: config.id,
      type: config.type,
      source,
      base_url: config.base_url ?? null,
      api_key_hint: hintOf(config.api_key),
      header_names: Object.keys(config.headers),
      timeout_ms: config.timeout_ms,
      limits: config.limits ?? null,
      data_policy: config.data_policy ?? null,
      models: this.#options.registry.list().filter((model) => model.providerId === config.id).map((model) => model.id),
      created_at: stored?.createdAt ?? null,
      updated_at: stored?.updatedAt ?? null,
    };
  }
}

function readOnly(id: string): GatewayError {
  return new GatewayError('SB_ERR_INVALID_REQUEST', `Provider "${id}" comes from the config file and is read-only here.`, { status: 409, publicCode: 'read_only' });
}

/** The last four characters of a key, enough to tell keys apart; short keys show nothing. */
function hintOf(apiKey: string | undefined): string | null {
  if (!apiKey) return null;
  return apiKey.length >= 12 ? `...${apiKey.slice(-4)}` : '...';
}

/** The first line of an error's message (a ZodError's runs on with every issue). */
function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'unreadable';
}

/**
 * Fields a provider entry does not have, named, but a long name only by its start: a secret
 * pasted as a field name (`{"sk-proj-…": …}`) would be quoted back otherwise, and every field a
 * provider entry has is short.
 */
function unknownFields(keys: readonly string[]): string {
  const names = keys.slice(0, 5).map((key) => (key.length > 32 ? `${quote(key.slice(0, 8))}… (${key.length} characters)` : quote(key)));
  return `(root): unknown field${keys.length > 1 ? 's' : ''} ${names.join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}
