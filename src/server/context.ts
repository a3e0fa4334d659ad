import type { Registry } from 'prom-client';
import type { Pipeline } from '../pipeline.ts';
import type { SharedSignal } from './shared-signal.ts';

/** What the endpoints use; built by app.ts. */
export interface GatewayContext {
  pipeline: Pipeline;
  /**
   * What a caller may name, with the provider that owns each: model ids, route ids, then the
   * `<provider id>/<upstream model>` addresses of each provider's catalog models. `unpriced`:
   * nothing it names has a known price, so a key or team with a budget may not use it
   * (src/router/filters/unknown-price.ts).
   */
  listModels(): Array<{ id: string; ownedBy: string; unpriced?: boolean }>;
  /** This process's registry, or (a cluster worker) one that asks the primary for every worker's. */
  metricsRegistry: Pick<Registry, 'metrics' | 'contentType'>;
  /** Resolves when storage answers; rejects otherwise (readiness). */
  pingStorage(): Promise<void>;
  isDraining(): boolean;
  /** Why the ledger cannot be written now (readiness), or undefined when it can. */
  ledgerProblem(): string | undefined;
  /** Aborted at the SIGTERM drain's deadline: requests and streams still open end with its reason. */
  shutdown: SharedSignal;
}
