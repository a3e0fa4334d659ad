import type { Logger } from 'pino';
import type { Catalog } from './catalog/index.ts';
import type { PrimaryParts } from './cluster/primary.ts';
import type { KnownNames } from './config/check-references.ts';
import type { EnvironmentProvider } from './config/from-env.ts';
import type { Config } from './config/schema.ts';
import { LimitsEngine } from './keys/limits.ts';
import { isStoredIn } from './ledger/open-ledger.ts';
import { forEachReplayable, recoverJournal, removeJournalFiles, slotOf } from './ledger/recovery.ts';
import { providerDefinitions } from './providers/index.ts';
import { strategies } from './router/index.ts';
import { journalLocation } from './store/journal-location.ts';
import { openStorage, storageLimits, storageLogging } from './store/open.ts';
import { claimJournalLocks } from './store/journal-lock.ts';

/**
 * The composition root of what serves no request: the registries' names the config is checked
 * against, and the parts the primary of `--workers N` holds. Kept apart from src/app.ts (the
 * gateway's composition root) so that the primary, which only forks, supervises and arbitrates,
 * loads neither the HTTP server nor the pipeline, the ingress formats or the upstream client:
 * about 40 MB less memory and 0.3 s less start (docs/decisions/0010-compiled-build-and-benchmark.md).
 */

/** Names the config validator checks against. */
export function knownNames(): KnownNames {
  return {
    providerTypes: new Map([...providerDefinitions].map(([type, definition]) => [type, { requiresApiKey: definition.requiresApiKey, requiresBaseUrl: !definition.defaultBaseUrl && definition.requiresBaseUrl !== false }])),
    strategies: [...strategies.keys()],
  };
}

/** Provider types no-config mode turns on from *_API_KEY (or base URL) variables, with their catalog models. */
export function environmentProviders(catalog: Catalog): EnvironmentProvider[] {
  return [...providerDefinitions].flatMap(([type, definition]): EnvironmentProvider[] => {
    const catalogModels = catalog.entriesFor(definition.catalogType ?? type).map((entry) => entry.model);
    if (definition.environmentKey) return [{ type, variable: definition.environmentKey, carries: 'api_key' as const, catalogModels }];
    if (definition.environmentBaseUrl) return [{ type, variable: definition.environmentBaseUrl, carries: 'base_url' as const, catalogModels }];
    return [];
  });
}

/**
 * What the primary of `--workers N` holds (src/cluster/primary.ts): the storage, opened (and
 * migrated) once before any worker starts, the one limits engine all workers are admitted by,
 * and the journals of slots no worker will take over (the workers were fewer, or a single
 * process ran last) written to the store, with those of other instances on the database whose
 * process is gone (src/store/journal-lock.ts).
 */
export async function openPrimary(config: Config, logger: Logger, options: { workers: number; flushWorkers(): Promise<void> }): Promise<PrimaryParts> {
  const storage = await openStorage(config.storage.url, { ...storageLogging(logger), ...storageLimits(config) });
  const database = await journalLocation(config.storage.url);
  const locks = database ? claimJournalLocks(database) : undefined;
  const owned = (name: string) => (slotOf(name) ?? 0) >= 1 && (slotOf(name) ?? 0) <= options.workers;
  const replay = async (name: string) => {
    const { rows, cutOff } = await recoverJournal(database!, name, isStoredIn(storage));
    try {
      if (rows.length > 0) await storage.ledger.append(rows);
      removeJournalFiles(database!, name);
      if (rows.length > 0) logger.warn({ journal: name, rows: rows.length, cut_off: cutOff }, 'wrote ledger rows journaled by a process that did not finish them');
    } catch (error) {
      logger.error({ err: error, journal: name }, 'could not write the ledger rows of a journal; they stay in it for the next start');
    }
  };
  const recover = async (mine: (name: string) => boolean) => {
    if (locks) await forEachReplayable(database!, locks, mine, replay);
  };
  await recover((name) => !owned(name)).catch((error: unknown) => {
    locks?.release();
    throw error;
  });
  const limits = new LimitsEngine({ costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger: options.flushWorkers });
  return {
    admission: limits,
    instance: locks?.instance ?? 1,
    recoverJournals: () => recover(() => true),
    async close() {
      try {
        await storage.close();
      } finally {
        locks?.release();
      }
    },
  };
}
