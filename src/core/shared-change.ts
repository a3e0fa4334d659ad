import type { HealthNews } from './routing-state.ts';

/**
 * What one process tells the others, the workers of `--workers N` through their primary
 * (src/cluster/) and the other replicas through Redis (src/store/redis/): a key, team or runtime
 * provider changed (drop the cached copy, or load it as stored now), a feedback score was
 * recorded (learned quality), a deployment failed or recovered (circuit breakers), or the ledger
 * is about to be read.
 */
export type SharedChange =
  | { kind: 'key'; keyHash: string }
  | { kind: 'teams' }
  | { kind: 'provider'; id: string }
  | { kind: 'feedback'; model: string; score: number; replaced?: number }
  | ({ kind: 'health' } & HealthNews)
  /** Write the rows queued (Redis only: a replica about to read the ledger, to see every finished request). */
  | { kind: 'ledger-flush' };
