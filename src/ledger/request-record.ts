import type { Warning } from '../core/chat-result.ts';
import type { GatewayError } from '../core/errors.ts';
import type { GovernedRecord, GuardrailOutcome } from '../core/governance.ts';
import type { AttemptRecord, LedgerRow, RequestStatus } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import { addUsage, type Usage } from '../core/usage.ts';
import { costOf, roundUsd } from './cost.ts';

/** The token counts of a Usage. */
const usageCounts = ['inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'reasoningTokens'] as const;

/** What a finished request's row is handed to: the row, `journaled` (see the constructor), the record. */
export type FinishedRequest = (row: LedgerRow, journaled: (() => void) | undefined, record: RequestRecord) => void;

/**
 * What is known about one request as it goes: filled in by each stage, turned into exactly one
 * ledger row by `finish`, whatever path the request took (rejected at auth, failed upstream,
 * completed, or abandoned by the caller mid-stream).
 */
export class RequestRecord implements GovernedRecord {
  readonly id: string;
  readonly time: string;
  readonly endpoint: LedgerRow['endpoint'];
  readonly #started = performance.now();
  keyId: string | null = null;
  team: string | null = null;
  #modelRequested: string | null = null;
  /**
   * Called when the requested model becomes known: the in-flight journal (src/app.ts) then
   * names it in the request's line if that line went out before the body was read.
   */
  onModelNamed: (() => void) | undefined;
  /**
   * Called by whoever writes the request's row (`onFinish`'s owner, src/app.ts) once the row is in
   * the ledger's journal: the in-flight journal then lets the request go.
   */
  onRowJournaled: (() => void) | undefined;
  route: string | null = null;
  answered: ModelInfo | null = null;
  readonly attempts: AttemptRecord[] = [];
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };
  #usageByAttempt: Array<{ model: ModelInfo; usage: Usage }> | undefined;
  /** Failed attempts whose providers reported what they used (`spend`); their tokens are paid for. */
  #spent: Array<{ model: ModelInfo; usage: Usage }> | undefined;
  ttftMs: number | null = null;
  stream = false;
  /** Whether the route's response cache answered (`hit`) or was consulted and missed; null: no cache. */
  cache: 'hit' | 'miss' | null = null;
  reason: string | null = null;
  metadata: Record<string, string> = {};
  readonly warnings: Warning[] = [];
  readonly guardrails: GuardrailOutcome[] = [];
  #row: LedgerRow | undefined;
  readonly #onFinish: FinishedRequest;
  /** Settlement of reserved budget and rate-limit tokens (src/keys/limits.ts), run before the row is written. */
  readonly #finishListeners: Array<(row: LedgerRow) => void> = [];

  /**
   * `onFinish` is given each row once, with this record; with `journaled` (`finishThen`), it calls
   * it once the row is in the ledger's journal (src/ledger/writer.ts), which may be at the end of
   * this turn.
   */
  constructor(id: string, endpoint: LedgerRow['endpoint'], onFinish: FinishedRequest) {
    this.id = id;
    this.time = new Date().toISOString();
    this.endpoint = endpoint;
    this.#onFinish = onFinish;
  }

  /** The model (or route) the request asked for; null until its body is read. */
  get modelRequested(): string | null {
    return this.#modelRequested;
  }

  set modelRequested(model: string | null) {
    this.#modelRequested = model;
    if (model !== null) this.onModelNamed?.();
  }

  get usage(): Usage {
    return this.#usage;
  }

  /**
   * The answer's usage, as the provider reported it, save counts that are not a number of 0 or
   * more (a provider's `prompt_tokens: -5`): those are recorded as 0 with a warning, since they
   * would be priced as negative spend, credit budgets, and fail the metrics' counters.
   */
  set usage(value: Usage) {
    this.#usage = this.#checked(value);
  }

  /** Set when several calls made the answer (a resumed stream): each one's model and usage, priced at its own rates. */
  get usageByAttempt(): Array<{ model: ModelInfo; usage: Usage }> | undefined {
    return this.#usageByAttempt;
  }

  set usageByAttempt(parts: Array<{ model: ModelInfo; usage: Usage }> | undefined) {
    this.#usageByAttempt = parts?.map((part) => ({ model: part.model, usage: this.#checked(part.usage) }));
  }

  /**
   * A provider's counts as the ledger can keep and price them: whole numbers from 0 to 2^53. A
   * fraction (an OpenAI-compatible server's `10.5`) is rounded; a count that is not a number, is
   * negative or past 2^53 (whose cost would overflow to Infinity, which PostgreSQL's ledger cannot
   * store) is recorded as 0. Either is said in a warning.
   */
  #checked(usage: Usage): Usage {
    let invalid: Array<(typeof usageCounts)[number]> | undefined;
    let fractional: Array<(typeof usageCounts)[number]> | undefined;
    for (const name of usageCounts) {
      const count = usage[name];
      if (count === undefined || (Number.isSafeInteger(count) && count >= 0)) continue;
      if (Number.isFinite(count) && count >= 0 && count <= Number.MAX_SAFE_INTEGER) (fractional ??= []).push(name);
      else (invalid ??= []).push(name);
    }
    if (invalid === undefined && fractional === undefined) return usage;
    const checked: Usage = { ...usage };
    if (invalid) {
      this.warnings.push({ type: 'other', setting: 'usage', message: `the provider reported token counts that are not whole numbers from 0 to 2^53 (${invalid.join(', ')}); recorded as 0` });
      for (const name of invalid) checked[name] = 0;
    }
    if (fractional) {
      this.warnings.push({ type: 'other', setting: 'usage', message: `the provider reported fractional token counts (${fractional.join(', ')}); rounded to whole tokens` });
      for (const name of fractional) checked[name] = Math.round(checked[name]!);
    }
    return checked;
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /** Marks the first output token as sent now. */
  markFirstToken(): void {
    if (this.ttftMs === null) this.ttftMs = Math.round(this.elapsedMs());
  }

  /**
   * A failed attempt whose provider reported what it used (a generation that failed in its hands,
   * src/router/execute.ts): its tokens are in the row's, and its cost in the row's, at its own
   * model's prices, whatever answered after it.
   */
  spend(model: ModelInfo, usage: Usage, attempt?: AttemptRecord): void {
    const checked = this.#checked(usage);
    (this.#spent ??= []).push({ model, usage: checked });
    // Its share of the row's tokens and cost on its entry, checked as the row's are, so that the
    // metrics (src/telemetry/metrics.ts) count it on its own model.
    if (attempt) Object.assign(attempt, { inputTokens: checked.inputTokens, outputTokens: checked.outputTokens, costUsd: costOf(checked, model.pricing) });
  }

  /** USD cost so far: the answer at the answering model's prices (each call's own, when several answered), and what failed attempts reported. */
  cost(): number {
    const answer = this.usageByAttempt ? this.usageByAttempt.reduce((sum, part) => sum + costOf(part.usage, part.model.pricing), 0) : costOf(this.usage, this.answered?.pricing);
    // Rounded as each part is: a sum of parts (0.1 + 0.2) carries floating-point noise.
    return this.#spent ? roundUsd(this.#spent.reduce((sum, part) => sum + costOf(part.usage, part.model.pricing), answer)) : answer;
  }

  /** Runs `listener` once with the finished row, whatever way the request ends. */
  onFinish(listener: (row: LedgerRow) => void): void {
    if (this.#row) listener(this.#row);
    else this.#finishListeners.push(listener);
  }

  get finished(): boolean {
    return this.#row !== undefined;
  }

  /** Records the request's end once; later calls are ignored and return the first row. */
  finish(status: RequestStatus, httpStatus: number, error?: GatewayError): LedgerRow {
    return this.#finish(status, httpStatus, error, undefined);
  }

  /**
   * Finishes as `finish` does, and calls `send` once the row is in the ledger's journal: at the
   * end of this event-loop turn, where the rows of every answer finished in it are written at
   * once (src/ledger/journal.ts). An answer sent from `send` is never received before its row
   * would outlive a kill. On a record finished already, `send` runs at once.
   */
  finishThen(status: RequestStatus, httpStatus: number, send: () => void): void {
    if (this.#row) send();
    else this.#finish(status, httpStatus, undefined, send);
  }

  #finish(status: RequestStatus, httpStatus: number, error: GatewayError | undefined, journaled: (() => void) | undefined): LedgerRow {
    if (this.#row) return this.#row;
    // Never let an unknown price pass for free without a trace (issue 13, defect 5): each model
    // whose tokens are in the row, which for a resumed stream is every call that made the answer.
    const answerParts = this.usageByAttempt ?? (this.answered ? [{ model: this.answered, usage: this.usage }] : []);
    const parts = this.#spent ? [...this.#spent, ...answerParts] : answerParts;
    // The row's tokens: the answer's, and those of failed attempts that reported theirs.
    const tokens = this.#spent ? this.#spent.reduce((sum, part) => addUsage(sum, part.usage), this.usage) : this.usage;
    const unpriced = new Set<string>();
    for (const { model, usage } of parts) {
      const name = `${model.providerId}/${model.upstream}`;
      if (model.pricing || usage.costUsd !== undefined || usage.inputTokens + usage.outputTokens === 0 || unpriced.has(name)) continue;
      unpriced.add(name);
      this.warnings.push({ type: 'other', setting: 'pricing', message: `price unknown for ${name}: its tokens are recorded at $0` });
    }
    this.#row = {
      id: this.id,
      time: this.time,
      endpoint: this.endpoint,
      keyId: this.keyId,
      team: this.team,
      modelRequested: this.modelRequested,
      route: this.route,
      model: this.answered?.id ?? null,
      provider: this.answered?.providerId ?? null,
      upstreamModel: this.answered?.upstream ?? null,
      attempts: this.attempts,
      inputTokens: tokens.inputTokens,
      outputTokens: tokens.outputTokens,
      cachedInputTokens: tokens.cachedInputTokens ?? 0,
      cacheWriteTokens: tokens.cacheWriteTokens ?? 0,
      reasoningTokens: tokens.reasoningTokens ?? 0,
      tokensEstimated: Boolean(tokens.estimated),
      costUsd: this.cost(),
      latencyMs: Math.round(this.elapsedMs()),
      ttftMs: this.ttftMs,
      status,
      httpStatus,
      errorCode: error?.code ?? null,
      errorMessage: error?.message ?? null,
      stream: this.stream,
      reason: this.reason,
      metadata: this.metadata,
      warnings: this.warnings,
      guardrails: this.guardrails,
    };
    try {
      for (const listener of this.#finishListeners) listener(this.#row);
    } finally {
      // The row is written even if a listener fails: no request goes unaccounted.
      this.#onFinish(this.#row, journaled, this);
    }
    return this.#row;
  }
}
