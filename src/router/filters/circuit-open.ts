import type { CandidateFilter } from '../../core/strategy.ts';
import { deploymentKey } from '../deployment.ts';

/**
 * Removes deployments in cooldown (circuit open), so a route avoids a failing provider without
 * paying a timeout per request. Once the cooldown has passed one probe request goes through
 * (half-open); the executor claims it. A model named directly is never removed, and the planner
 * keeps cooled-down candidates when they are all that is left, so that the plan names them
 * (route explain) and the executor decides: it probes one whose cooldown has passed, and answers
 * 503 without a call, with a retry-after, while every one is still cooling down (issue 14: a
 * dead provider gets at most one probe per cooldown; docs/routing.md).
 */
export const circuitOpenFilter: CandidateFilter = {
  name: 'cooldown',
  appliesToDirectModel: false,
  reject(model, context) {
    const state = context.state.deployment(deploymentKey(model));
    if (state.openUntil === 0) return undefined;
    if (state.openUntil > context.state.now) {
      return `in cooldown for ${Math.ceil((state.openUntil - context.state.now) / 1000)} s after ${state.consecutiveFailures} failures`;
    }
    return state.probing ? 'in cooldown: a probe request is in flight' : undefined;
  },
};
