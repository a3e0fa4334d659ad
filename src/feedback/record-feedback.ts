import type { Caller } from '../core/caller.ts';
import { GatewayError } from '../core/errors.ts';
import type { RoutingStateStore } from '../core/routing-state.ts';
import type { FeedbackStore, LedgerStore } from '../core/stores.ts';

/** What recording feedback needs. */
export interface FeedbackDependencies {
  ledger: LedgerStore;
  feedback: FeedbackStore;
  /** Where learned quality lives (with `--workers N`, a wrapper that tells the other workers too). */
  state: Pick<RoutingStateStore, 'recordFeedback'>;
  /** Writes queued ledger rows, so feedback on a request that just finished finds its row. */
  flushLedger(): Promise<void>;
}

/** What POST /v1/feedback answers. */
export interface RecordedFeedback {
  requestId: string;
  model: string;
  provider: string;
  score: number;
}

/**
 * Records a quality score in [0, 1] for an answered request (../shared/SPEC.md POST
 * /v1/feedback): stored with the model that answered, and added to that model's learned quality
 * for the adaptive strategy. A virtual key may only rate its own requests; other requests are
 * "not found" to it, so ids cannot be probed.
 */
export function createFeedbackRecorder(dependencies: FeedbackDependencies) {
  return async (requestId: string, score: number, caller: Caller): Promise<RecordedFeedback> => {
    await dependencies.flushLedger();
    const [row] = await dependencies.ledger.query({ requestId, limit: 1 });
    if (!row || (caller.keyId !== null && row.keyId !== caller.keyId)) {
      throw new GatewayError('SB_ERR_NOT_FOUND', `No request with id "${requestId}" was found.`, { param: 'request_id' });
    }
    if (!row.model || !row.provider || row.status !== 'ok') {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `Request "${requestId}" has no complete answer to rate (status ${row.status}).`, { param: 'request_id' });
    }
    const { replacedScore } = await dependencies.feedback.save({
      requestId,
      time: new Date().toISOString(),
      model: row.model,
      provider: row.provider,
      keyId: caller.keyId,
      score,
    });
    dependencies.state.recordFeedback(row.model, score, replacedScore);
    return { requestId, model: row.model, provider: row.provider, score };
  };
}
