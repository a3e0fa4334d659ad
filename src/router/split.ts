import { createHash } from 'node:crypto';

/** A weighted arm: a model id and its share. */
export interface WeightedArm {
  model: string;
  weight: number;
}

/**
 * A number in [0, 1) fixed for a (route, sticky key) pair, so a user (or key) stays on the same
 * A/B arm across requests and restarts as long as the weights do not change.
 */
export function stickyRoll(routeId: string, stickyKey: string): number {
  const digest = createHash('sha256').update(routeId).update('\u0000').update(stickyKey).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The arm a roll in [0, 1) lands on, in proportion to the weights; -1 when all weights are 0. */
export function pickWeighted(arms: readonly WeightedArm[], roll: number): number {
  const total = arms.reduce((sum, arm) => sum + Math.max(0, arm.weight), 0);
  if (total <= 0) return -1;
  let remaining = roll * total;
  for (let index = 0; index < arms.length; index += 1) {
    remaining -= Math.max(0, arms[index]!.weight);
    if (remaining < 0) return index;
  }
  return arms.length - 1;
}
