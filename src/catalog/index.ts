import { readFile } from 'node:fs/promises';
import type { Capability, CatalogEntry } from '../core/model.ts';

/** The built-in model catalog (src/catalog/models.json, documented in docs/catalog.md). */
export interface Catalog {
  /** The dated note of the data file. */
  readonly updated: string;
  lookup(providerType: string, model: string): CatalogEntry | undefined;
  entriesFor(providerType: string): readonly CatalogEntry[];
  readonly size: number;
}

interface CatalogFile {
  updated: string;
  models: Array<{
    provider: string;
    model: string;
    input_per_mtok: number;
    output_per_mtok: number;
    cached_input_per_mtok?: number;
    context_window?: number;
    max_output_tokens?: number;
    capabilities: Capability[];
    quality?: number;
    embedding_dimensions?: number;
    source: string;
  }>;
}

/** Reads the catalog file once at startup. */
export async function loadCatalog(file = new URL('./models.json', import.meta.url)): Promise<Catalog> {
  const data = JSON.parse(await readFile(file, 'utf8')) as CatalogFile;
  return createCatalog(data.updated, data.models.map(toEntry));
}

/** A catalog over given entries (also used by tests). */
export function createCatalog(updated: string, entries: readonly CatalogEntry[]): Catalog {
  const byKey = new Map<string, CatalogEntry>();
  const byProvider = new Map<string, CatalogEntry[]>();
  for (const entry of entries) {
    byKey.set(`${entry.provider}\u0000${entry.model}`, entry);
    const list = byProvider.get(entry.provider) ?? [];
    list.push(entry);
    byProvider.set(entry.provider, list);
  }
  // An alias the provider documents without a date (Anthropic's `claude-haiku-4-5`) names the
  // catalog's one dated snapshot of it (`claude-haiku-4-5-20251001`) when the catalog has no row
  // of its own for the alias and exactly one snapshot: the alias points at that snapshot. Never
  // the other way (a dated snapshot may be priced apart from its alias: gpt-4o-2024-05-13).
  const snapshots = new Map<string, CatalogEntry>();
  const ambiguous = new Set<string>();
  for (const entry of entries) {
    const alias = /^(.+)-(?:\d{8}|\d{4}-\d{2}-\d{2})$/.exec(entry.model)?.[1];
    if (!alias) continue;
    const key = `${entry.provider}\u0000${alias}`;
    if (byKey.has(key)) continue;
    if (snapshots.has(key)) ambiguous.add(key);
    snapshots.set(key, entry);
  }
  for (const key of ambiguous) snapshots.delete(key);
  return {
    updated,
    lookup: (providerType, model) => byKey.get(`${providerType}\u0000${model}`) ?? snapshots.get(`${providerType}\u0000${model}`),
    entriesFor: (providerType) => byProvider.get(providerType) ?? [],
    size: entries.length,
  };
}

function toEntry(row: CatalogFile['models'][number]): CatalogEntry {
  return {
    provider: row.provider,
    model: row.model,
    pricing: {
      inputPerMtok: row.input_per_mtok,
      outputPerMtok: row.output_per_mtok,
      ...(row.cached_input_per_mtok !== undefined ? { cachedInputPerMtok: row.cached_input_per_mtok } : {}),
    },
    contextWindow: row.context_window,
    maxOutputTokens: row.max_output_tokens,
    capabilities: row.capabilities,
    quality: row.quality,
    embeddingDimensions: row.embedding_dimensions,
    source: row.source,
  };
}
