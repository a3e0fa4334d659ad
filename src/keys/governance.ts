import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { AdmissionRequest, GovernedRecord, RequestGovernance, Screened, SpendPolicy } from '../core/governance.ts';
import type { Guardrails } from '../guardrails/guardrails.ts';
import { estimateCostUsd } from './estimate-cost.ts';
import type { Admission, SpendSubjectRef, Ticket } from './limits.ts';

/**
 * The pipeline's governance hooks: guardrails before routing, limits and budgets after
 * planning. A caller without a virtual key (master key, open access) passes straight through
 * unless a route names guardrails.
 */
export class Governance implements RequestGovernance {
  readonly #guardrails: Guardrails;
  readonly #limits: Admission;

  constructor(guardrails: Guardrails, limits: Admission) {
    this.#guardrails = guardrails;
    this.#limits = limits;
  }

  screenChat(record: GovernedRecord, request: ChatRequest, requested: string, caller: Caller): Screened<ChatRequest> {
    return this.#guardrails.screenChat(record, request, requested, caller);
  }

  screenEmbedding(record: GovernedRecord, request: EmbeddingRequest, requested: string, caller: Caller): Screened<EmbeddingRequest> {
    return this.#guardrails.screenEmbedding(record, request, requested, caller);
  }

  admit(record: GovernedRecord, caller: Caller, request: AdmissionRequest): Promise<void> | undefined {
    const all = caller.governance?.policies;
    if (!all?.length) return undefined;
    const policies = all.filter(limitsSomething);
    // A key or team that limits nothing is not admitted, but spend of theirs already loaded (an
    // admin read, a budget since removed) must still grow, or a budget set later would start
    // from a stale total and let through what was spent meanwhile.
    const unlimited = all.filter((policy) => !limitsSomething(policy)).map((policy) => ({ kind: policy.kind, subject: policy.subject }));
    if (policies.length === 0) {
      this.#settleOnFinish(record, undefined, unlimited);
      return undefined;
    }
    return this.#limits
      .admit(policies, {
        requested: request.requested,
        // The most the request may cost: the prompt's bound, not its count (counting a
        // 4,000-character prompt takes 0.1-0.2 ms, as much as the rest of a request).
        estimatedCostUsd: () =>
          estimateCostUsd(request.candidates, request.promptTokensAtMost?.() ?? request.promptTokens(), request.maxOutputTokens, request.hasOutput, request.choices),
        // Held against `tpm` only until the real tokens replace it: an estimate, not the
        // count (330-860 µs for 32 KB of prompt; docs/performance.md).
        estimatedTokens: () => request.promptTokensEstimate?.() ?? request.promptTokens(),
      })
      .then((ticket) => this.#settleOnFinish(record, ticket, unlimited));
  }

  /** The record's finish is the one place every outcome passes (answer, error, client abort). */
  #settleOnFinish(record: GovernedRecord, ticket: Ticket | undefined, unlimited: readonly SpendSubjectRef[]): void {
    record.onFinish((row) => {
      ticket?.settle(row);
      if (unlimited.length > 0) this.#limits.recordSpend(unlimited, row);
    });
  }
}

function limitsSomething(policy: SpendPolicy): boolean {
  return policy.budgetUsd !== undefined || policy.rpm !== undefined || policy.tpm !== undefined || Object.keys(policy.modelLimits).length > 0;
}
