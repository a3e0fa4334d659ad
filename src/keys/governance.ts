import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { AdmissionRequest, GovernedRecord, RequestGovernance, Screened, SpendPolicy } from '../core/governance.ts';
import type { Guardrails } from '../guardrails/guardrails.ts';
import { estimateCostUsd } from './estimate-cost.ts';
import type { Admission } from './limits.ts';

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

  screenEmbedding(record: GovernedRecord, request: EmbeddingRequest, caller: Caller): Screened<EmbeddingRequest> {
    return this.#guardrails.screenEmbedding(record, request, caller);
  }

  async admit(record: GovernedRecord, caller: Caller, request: AdmissionRequest): Promise<void> {
    const policies = caller.governance?.policies.filter(limitsSomething);
    if (!policies?.length) return;
    const ticket = await this.#limits.admit(policies, {
      requested: request.requested,
      estimatedCostUsd: () => estimateCostUsd(request.candidates, request.promptTokens(), request.maxOutputTokens, request.hasOutput),
      estimatedTokens: () => request.promptTokens(),
    });
    // The record's finish is the one place every outcome passes (answer, error, client abort).
    record.onFinish((row) => ticket.settle(row));
  }
}

function limitsSomething(policy: SpendPolicy): boolean {
  return policy.budgetUsd !== undefined || policy.rpm !== undefined || policy.tpm !== undefined || Object.keys(policy.modelLimits).length > 0;
}
