import type { Registry } from 'prom-client';
import type { Pipeline } from '../pipeline.ts';

/** What the endpoints use; built by app.ts. */
export interface GatewayContext {
  pipeline: Pipeline;
  /** Model and route ids a caller may use, with the provider that owns each. */
  listModels(): Array<{ id: string; ownedBy: string }>;
  metricsRegistry: Registry;
  /** Resolves when storage answers; rejects otherwise (readiness). */
  pingStorage(): Promise<void>;
  isDraining(): boolean;
}
