import type { Caller } from './caller.ts';
import type { ChatRequest } from './chat-request.ts';
import type { Warning } from './chat-result.ts';
import type { EmbeddingRequest } from './embedding.ts';
import type { LedgerRow } from './ledger.ts';
import type { ModelInfo } from './model.ts';

/**
 * Governance seams: what virtual keys and teams may spend and how fast, what guardrails do to a
 * request, and the hooks the pipeline calls before routing (screen) and before execution
 * (admit). Implemented in src/keys/ and src/guardrails/; wired by app.ts.
 */

/** When a budget starts over: each UTC calendar day or month, or never (`total`). */
export type BudgetPeriod = 'day' | 'month' | 'total';

/** Requests and tokens per minute. */
export interface RateLimits {
  rpm?: number;
  tpm?: number;
}

/** The budget and limits of one key or one team, as limits are checked against them. */
export interface SpendPolicy {
  kind: 'key' | 'team';
  /** Key id, or the team label keys carry (ledger rows record the same label). */
  subject: string;
  /** For messages: the key's or team's name. */
  label: string;
  budgetUsd?: number;
  budgetPeriod: BudgetPeriod;
  rpm?: number;
  tpm?: number;
  /** Limits per requested model, by glob over the model or route id. */
  modelLimits: Readonly<Record<string, RateLimits>>;
}

/** What a virtual key (and its team) brings to a request beyond the allow-list. */
export interface CallerGovernance {
  /** The key's policy first, then its team's when the team exists. */
  policies: readonly SpendPolicy[];
  /** Guardrail names from the key and its team, applied with the route's. */
  guardrails: readonly string[];
  /** Default request metadata: the team's, overridden by the key's; the request's own wins. */
  metadata: Readonly<Record<string, string>>;
}

/** A key or its team has a budget: such a caller may not use a model without a known price (its cost would read $0). */
export function hasBudget(governance: CallerGovernance | undefined): boolean {
  return governance?.policies.some((policy) => policy.budgetUsd !== undefined) ?? false;
}

/** What one guardrail did to one request (kept in the ledger row's `guardrails`). */
export interface GuardrailOutcome {
  name: string;
  type: 'pii' | 'deny' | 'max_prompt_tokens';
  /** `passed`: nothing found; the others: what was done about it. */
  result: 'passed' | 'redacted' | 'blocked' | 'restricted_on_prem';
  /** Kinds of data found and how often (never the data itself). */
  findings?: Record<string, number>;
  /** Human-readable detail without the matched text (e.g. "1520 tokens > 1000"). */
  detail?: string;
}

/** A request record as governance sees it: where outcomes go and how settlement is arranged. */
export interface GovernedRecord {
  readonly id: string;
  readonly guardrails: GuardrailOutcome[];
  readonly warnings: Warning[];
  /** Runs once with the finished ledger row (finish, error or client abort alike). */
  onFinish(listener: (row: LedgerRow) => void): void;
}

/** A screened request and what routing must now respect. */
export interface Screened<T> {
  request: T;
  /** Only on-prem providers may serve it (a guardrail's `on_prem` action). */
  onPrem: boolean;
}

/** What admission needs to estimate a request's cost before it runs. */
export interface AdmissionRequest {
  /** The model or route id requested (per-model limits match it). */
  requested: string;
  /** The plan's candidates: the estimate uses the most expensive. */
  candidates: readonly ModelInfo[];
  /** Prompt tokens, counted on first use. */
  promptTokens(): number;
  /**
   * A bound no lower than the prompt's tokens, without a tokenizer (its UTF-8 bytes): a budget
   * reserves what a request may cost at most, so it takes this instead of the count.
   */
  promptTokensAtMost?(): number;
  /**
   * About as many tokens as the prompt holds, without a tokenizer unless the count was made: a
   * token rate limit holds this until the request's real tokens replace it.
   */
  promptTokensEstimate?(): number;
  /** The request's max output tokens, when it sets one. */
  maxOutputTokens?: number;
  /** False for embeddings: no output tokens to reserve. */
  hasOutput: boolean;
  /** How many answers the request asks for (`n`), each of which may write the max output tokens. */
  choices?: number;
}

/** The hooks the pipeline calls; absent when governance is off. */
export interface RequestGovernance {
  /** Guardrails on a chat request, after rules and before routing: may rewrite it or throw 400. */
  screenChat(record: GovernedRecord, request: ChatRequest, requested: string, caller: Caller): Screened<ChatRequest>;
  /** `requested`: the model or route id after rules, whose route's guardrails apply (as for chats). */
  screenEmbedding(record: GovernedRecord, request: EmbeddingRequest, requested: string, caller: Caller): Screened<EmbeddingRequest>;
  /**
   * Limits and budgets after planning, before any provider call: throws 429 when over, else
   * reserves the estimate and settles it with the real cost when the record finishes.
   * `undefined`: admitted at once, nothing to wait for (a caller whose key and team limit
   * nothing), so the request goes on in the same turn without a promise of its own.
   */
  admit(record: GovernedRecord, caller: Caller, request: AdmissionRequest): Promise<void> | undefined;
}

/** A virtual key as authentication resolves it. */
export type KeyResolution =
  | {
      status: 'valid';
      keyId: string;
      keyName: string;
      team: string | null;
      allowsModel(name: string): boolean;
      governance: CallerGovernance;
    }
  /** A key that exists but may not be used: named, so that the refusal's ledger row says whose it was. */
  | { status: 'revoked' | 'expired'; keyId: string; team: string | null }
  | { status: 'unknown' };

/** Resolves a presented secret to a virtual key (hash lookup, cached). */
export interface KeyResolver {
  resolve(secret: string): Promise<KeyResolution>;
}
