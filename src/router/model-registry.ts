import type { ModelInfo, ModelPricing } from '../core/model.ts';
import type { CachePriceMultipliers } from '../core/provider-adapter.ts';
import type { Catalog } from '../catalog/index.ts';
import type { ModelConfig } from '../config/schema.ts';

/** A configured provider as the registry needs it: its id and the catalog type of its models. */
export interface RegistryProvider {
  id: string;
  catalogType: string;
  /** Self-hosted (data_policy.on_prem): its models cost $0 unless a models entry prices them. */
  selfHosted?: boolean;
  /** The provider type's published cache prices relative to input (ProviderDefinition). */
  cachePriceMultipliers?: ((upstream: string) => CachePriceMultipliers | undefined) | undefined;
}

/**
 * Every model a client can name: `models:` entries with catalog facts filled in, and
 * `<provider id>/<upstream model>` addresses resolved on demand (cached, so the hot path does
 * one map lookup).
 */
export class ModelRegistry {
  readonly #models = new Map<string, ModelInfo>();
  readonly #addresses = new Map<string, ModelInfo>();
  readonly #providers: Map<string, RegistryProvider>;
  readonly #catalog: Catalog;
  readonly #configs: readonly ModelConfig[];
  /** Models each runtime provider (/admin/providers) added, so removing it removes them. */
  readonly #runtimeModels = new Map<string, string[]>();
  /**
   * The catalog models each runtime provider offered, in the order the providers were added (at
   * start, the order they were stored in): a name goes to the first of them that offers it.
   */
  readonly #runtimeOffers = new Map<string, { provider: RegistryProvider; catalogModels: readonly string[] }>();
  #addressList: Array<{ id: string; providerId: string }> | undefined;

  constructor(models: readonly ModelConfig[], providers: readonly RegistryProvider[], catalog: Catalog) {
    this.#configs = models;
    this.#providers = new Map(providers.map((provider) => [provider.id, provider]));
    this.#catalog = catalog;
    for (const model of models) {
      const provider = this.#providers.get(model.provider);
      if (!provider) continue;
      this.#models.set(model.id, this.#describe(model.id, provider, model.upstream ?? model.id, model));
    }
  }

  /** A `models:` entry by id. */
  get(id: string): ModelInfo | undefined {
    return this.#models.get(id);
  }

  /** A model id, or a `<provider id>/<upstream model>` address of a configured provider. */
  resolve(name: string): ModelInfo | undefined {
    const configured = this.#models.get(name);
    if (configured) return configured;
    const cached = this.#addresses.get(name);
    if (cached) return cached;
    const slash = name.indexOf('/');
    if (slash <= 0 || slash === name.length - 1) return undefined;
    const provider = this.#providers.get(name.slice(0, slash));
    if (!provider) return undefined;
    const upstream = name.slice(slash + 1);
    // The address of an upstream a models entry configures takes that entry's facts (pricing
    // above all): `oai/my-finetune` costs what the `models` entry for it says, not $0.
    const info = this.#describe(name, provider, upstream, this.#configuredFor(provider.id, upstream));
    if (this.#addresses.size < 10_000) this.#addresses.set(name, info);
    return info;
  }

  /** The configured models, in config order. */
  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  /**
   * The `<provider id>/<upstream model>` address of each catalog model of each provider, in
   * provider order (GET /v1/models); built on first use, again after a provider is added or removed.
   */
  addresses(): ReadonlyArray<{ id: string; providerId: string }> {
    this.#addressList ??= [...this.#providers.values()].flatMap((provider) =>
      this.#catalog.entriesFor(provider.catalogType).map((entry) => ({ id: `${provider.id}/${entry.model}`, providerId: provider.id })),
    );
    return this.#addressList;
  }

  /**
   * Adds a provider at runtime: its `<id>/<model>` addresses resolve at once, and each of the
   * given catalog models is added under its upstream name unless that name is already taken.
   * Returns the model ids added.
   */
  addProvider(provider: RegistryProvider, catalogModels: readonly string[]): string[] {
    // A replaced provider keeps its place among the runtime ones (Map.set on its key), as it
    // keeps its creation time in the store, which orders them at the next start.
    const freed = this.#drop(provider.id);
    this.#providers.set(provider.id, provider);
    this.#runtimeOffers.set(provider.id, { provider, catalogModels });
    this.#runtimeModels.set(provider.id, []);
    this.#assign([...freed, ...catalogModels]);
    return this.#runtimeModels.get(provider.id) ?? [];
  }

  /**
   * Removes a runtime provider, its models and its cached addresses. A catalog name it held
   * goes to the next runtime provider that offers it, as it would at the next start: without
   * that, removing one of two OpenAI providers left `gpt-4o-mini` a 404 until a restart.
   */
  removeProvider(id: string): void {
    const freed = this.#drop(id);
    this.#runtimeOffers.delete(id);
    this.#assign(freed);
  }

  /** Unregisters a provider and the models it held; returns their names. */
  #drop(id: string): string[] {
    const held = this.#runtimeModels.get(id) ?? [];
    for (const name of held) this.#models.delete(name);
    this.#runtimeModels.delete(id);
    this.#providers.delete(id);
    this.#addressList = undefined;
    for (const [name, model] of this.#addresses) if (model.providerId === id) this.#addresses.delete(name);
    return held;
  }

  /** Gives each name nothing holds to the first runtime provider that offers it. */
  #assign(names: readonly string[]): void {
    for (const name of names) {
      if (this.#models.has(name)) continue;
      for (const [id, offer] of this.#runtimeOffers) {
        if (!offer.catalogModels.includes(name)) continue;
        this.#models.set(name, this.#describe(name, offer.provider, name, undefined));
        this.#runtimeModels.get(id)?.push(name);
        break;
      }
    }
  }

  /** The `models` entry (first with pricing, else first) that maps to this provider's upstream. */
  #configuredFor(providerId: string, upstream: string): ModelConfig | undefined {
    let found: ModelConfig | undefined;
    for (const model of this.#configs) {
      if (model.provider !== providerId || (model.upstream ?? model.id) !== upstream) continue;
      if (model.pricing) return model;
      found ??= model;
    }
    return found;
  }

  #describe(id: string, provider: RegistryProvider, upstream: string, model: ModelConfig | undefined): ModelInfo {
    const known = this.#catalog.lookup(provider.catalogType, upstream);
    const configured = model?.pricing;
    const base = configured
      ? { inputPerMtok: configured.input_per_mtok, outputPerMtok: configured.output_per_mtok }
      : (known?.pricing ?? (provider.selfHosted ? { inputPerMtok: 0, outputPerMtok: 0 } : undefined));
    const pricing = base && cachePrices(base, provider.cachePriceMultipliers?.(upstream), configured, configured ? known?.pricing : undefined);
    return {
      id,
      providerId: provider.id,
      upstream,
      ...(pricing ? { pricing } : {}),
      ...defined('contextWindow', model?.context_window ?? known?.contextWindow),
      ...defined('maxOutputTokens', model?.max_output_tokens ?? known?.maxOutputTokens),
      ...defined('capabilities', model?.capabilities ?? known?.capabilities),
      ...defined('quality', model?.quality ?? known?.quality),
      tags: model?.tags ?? [],
    };
  }
}

/**
 * The cache prices of a model: those the config gives, else the catalog's (a config that prices
 * only input and output keeps the catalog's cache prices), else the provider's published
 * multipliers of the input price (Anthropic's for Claude: docs/catalog.md). Unknown otherwise:
 * costOf then uses the input price.
 */
function cachePrices(base: ModelPricing, multipliers: CachePriceMultipliers | undefined, configured: ModelConfig['pricing'], catalog: ModelPricing | undefined): ModelPricing {
  const input = base.inputPerMtok;
  const pick = (given: number | undefined, listed: number | undefined, multiplier: number | undefined) =>
    given ?? listed ?? (multiplier === undefined ? undefined : Math.round(input * multiplier * 1e6) / 1e6);
  const pricing: ModelPricing = { ...base };
  const cached = pick(configured?.cached_input_per_mtok, catalog?.cachedInputPerMtok ?? base.cachedInputPerMtok, multipliers?.read);
  const write = pick(configured?.cache_write_per_mtok, catalog?.cacheWritePerMtok ?? base.cacheWritePerMtok, multipliers?.write);
  const writeHour = pick(configured?.cache_write_1h_per_mtok, catalog?.cacheWrite1hPerMtok ?? base.cacheWrite1hPerMtok, multipliers?.writeForAnHour);
  if (cached !== undefined) pricing.cachedInputPerMtok = cached;
  if (write !== undefined) pricing.cacheWritePerMtok = write;
  if (writeHour !== undefined) pricing.cacheWrite1hPerMtok = writeHour;
  return pricing;
}

function defined<Key extends string, Value>(key: Key, value: Value | undefined): { [K in Key]?: Value } {
  return (value === undefined ? {} : { [key]: value }) as { [K in Key]?: Value };
}
