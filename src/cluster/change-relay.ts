import type { SharedChange } from '../core/shared-change.ts';
import type { ClusterLink } from './worker-link.ts';

/**
 * How a change made in this process reaches the others: the sibling workers of `--workers N`
 * through the primary, the other replicas through Redis (`storage.redis`).
 */
export interface ChangeRelay {
  /**
   * A key, team or provider change: told both ways and awaited, so that an /admin call answers
   * once every worker and replica has dropped its copy (a revoked key is refused everywhere).
   * Applying one twice (a sibling hears it through both) does no harm.
   */
  announce(change: SharedChange): Promise<void>;
  /**
   * News that counts (a failure, a feedback score): told once, so that no process counts it
   * twice. Through Redis while it answers, which reaches the sibling workers too; through the
   * primary otherwise. Not awaited.
   */
  spread(change: SharedChange): void;
}

/** What the relay uses of the Redis side (src/store/redis/index.ts). */
export interface ReplicaChannel {
  connected(): boolean;
  publish(change: SharedChange, options?: { confirm?: boolean }): Promise<void>;
}

export interface RelayLogger {
  warn(details: object, message: string): void;
}

/** Undefined when this process is alone (no workers, no Redis): nothing to tell. */
export function createChangeRelay(link: ClusterLink | undefined, shared: ReplicaChannel | undefined, logger: RelayLogger): ChangeRelay | undefined {
  if (!link && !shared) return undefined;
  return {
    async announce(change) {
      await link?.announce(change);
      await shared?.publish(change);
    },
    spread(change) {
      if (shared?.connected()) {
        void shared.publish(change, { confirm: false });
        return;
      }
      link?.announce(change).catch((error: unknown) => logger.warn({ err: error, change: change.kind }, 'a change did not reach every worker'));
    },
  };
}
