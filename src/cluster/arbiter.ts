import { GatewayError } from '../core/errors.ts';
import type { Admission, SpendStatus, SpendSubjectRef, Ticket, Usage } from '../keys/limits.ts';
import type { AdmitParams, PrimaryMethods } from './protocol.ts';

/**
 * The primary's side of admission: one engine (src/keys/limits.ts) for every worker, so rate
 * windows and budget reservations are checked and taken in one place, one message at a time.
 * Tickets are kept by the worker that holds them; when a worker dies, what its requests in
 * flight reserved is released (their rows, written by its replacement, cost $0:
 * src/ledger/recovery.ts).
 */
export class AdmissionArbiter {
  readonly #engine: Admission;
  readonly #tickets = new Map<number, { owner: number; ticket: Ticket; tokens: number }>();
  readonly #owned = new Map<number, Set<number>>();
  /** Workers released: an admission that was still loading spend for one of them is not kept. */
  readonly #gone = new Set<number>();
  #next = 1;

  constructor(engine: Admission) {
    this.#engine = engine;
  }

  /** Admits for a worker (`owner`); resolves with the ticket's number, or throws the engine's 429. */
  async admit(owner: number, params: AdmitParams): Promise<number> {
    const ticket = await this.#engine.admit(params.policies, {
      requested: params.requested,
      estimatedCostUsd: () => params.costUsd,
      estimatedTokens: () => params.tokens,
    });
    // The engine may have waited (spend loaded from the ledger, every worker flushed first), and
    // the worker died meanwhile: released already, so this ticket would hold its reservation forever.
    if (this.#gone.has(owner)) {
      ticket.settle(goneUsage(params.tokens));
      throw new GatewayError('SB_ERR_UNAVAILABLE', 'The worker that asked is gone.');
    }
    const id = this.#next++;
    this.#tickets.set(id, { owner, ticket, tokens: params.tokens });
    let owned = this.#owned.get(owner);
    if (!owned) {
      owned = new Set();
      this.#owned.set(owner, owned);
    }
    owned.add(id);
    return id;
  }

  settle(owner: number, id: number, usage: Usage): void {
    const held = this.#tickets.get(id);
    if (!held || held.owner !== owner) return;
    this.#tickets.delete(id);
    this.#owned.get(owner)?.delete(id);
    held.ticket.settle(usage);
  }

  spend(params: PrimaryMethods['spend'][0]): Promise<SpendStatus> {
    return this.#engine.spend(params.kind, params.subject, params.period);
  }

  recordSpend(subjects: readonly SpendSubjectRef[], usage: Usage): void {
    this.#engine.recordSpend(subjects, usage);
  }

  /**
   * A worker is gone (worker ids are never reused): its unsettled tickets are settled at no cost
   * (their requests' rows say $0 too), which frees their budget reservations; their requests
   * still count in the rate windows as they were sent, their prompts' estimated tokens in tpm.
   * Returns how many were released.
   */
  release(owner: number): number {
    this.#gone.add(owner);
    const owned = this.#owned.get(owner);
    this.#owned.delete(owner);
    if (!owned) return 0;
    for (const id of owned) {
      const held = this.#tickets.get(id);
      this.#tickets.delete(id);
      held?.ticket.settle(goneUsage(held.tokens));
    }
    return owned.size;
  }

  /** Tickets not settled yet. */
  get outstanding(): number {
    return this.#tickets.size;
  }
}

/** What a request of a dead worker settles at: no cost known, its prompt's estimate in tpm. */
function goneUsage(tokens: number): Usage {
  return { time: new Date().toISOString(), costUsd: 0, inputTokens: tokens, outputTokens: 0 };
}
