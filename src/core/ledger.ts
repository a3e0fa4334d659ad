import type { Warning } from './chat-result.ts';
import type { GuardrailOutcome } from './governance.ts';

/** The outcome of one call to one provider. */
export interface AttemptRecord {
  /** Model id (as configured) and provider id of the attempt. */
  model: string;
  provider: string;
  upstreamModel: string;
  outcome: 'ok' | 'error' | 'aborted';
  /** GatewayError code, for failed attempts. */
  errorCode?: string;
  /** The provider's HTTP status, when it answered. */
  upstreamStatus?: number;
  /** How long the provider said to wait (its `retry-after`), for a rate limit or an overload. */
  retryAfterSeconds?: number;
  /**
   * A failed attempt whose provider reported what it used (a generation that failed in its hands,
   * before any output reached the caller): tokens paid for, counted in the row's tokens and cost.
   */
  inputTokens?: number;
  outputTokens?: number;
  /** What those tokens cost at the attempt's model's prices (part of the row's cost). */
  costUsd?: number;
  message?: string;
  latencyMs: number;
  /**
   * This attempt continued a stream that broke after output (stream resume): the index, in the
   * row's attempts, of the attempt whose partial answer it continued.
   */
  resumedFrom?: number;
}

/** How a request ended. `client_aborted`: the caller went away before the answer was complete. */
export type RequestStatus = 'ok' | 'error' | 'client_aborted';

/**
 * One row per request, built whatever happened to it (../shared/SPEC.md "What is recorded").
 * Never holds a provider key or a virtual key secret.
 */
export interface LedgerRow {
  id: string;
  /** ISO-8601 time the request arrived. */
  time: string;
  endpoint: 'chat' | 'messages' | 'embeddings';
  keyId: string | null;
  team: string | null;
  modelRequested: string | null;
  route: string | null;
  /** Model id and provider that answered (null when none did). */
  model: string | null;
  provider: string | null;
  upstreamModel: string | null;
  attempts: AttemptRecord[];
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Prompt tokens written to the provider's cache (priced at its write price). */
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** True when token counts were counted by Switchboard, not reported by the provider. */
  tokensEstimated: boolean;
  costUsd: number;
  latencyMs: number;
  ttftMs: number | null;
  status: RequestStatus;
  httpStatus: number;
  errorCode: string | null;
  errorMessage: string | null;
  stream: boolean;
  /** Why the router chose what it chose. */
  reason: string | null;
  metadata: Record<string, string>;
  warnings: Warning[];
  /** What each guardrail that ran did (redacted, blocked, restricted), without the data found. */
  guardrails: GuardrailOutcome[];
}
