import type { GatewayError } from '../core/errors.ts';
import type { BudgetPeriod, SpendPolicy } from '../core/governance.ts';
import type { SpendSubject } from '../core/stores.ts';
import { roundUsd } from '../ledger/cost.ts';
import { periodEnd, periodKey, periodStart } from './budget-period.ts';
import { budgetReservedRefusal, budgetSpentRefusal, windowRefusal } from './refusals.ts';
import { globMatchers } from './model-access.ts';
import { SlidingWindow, type WindowEntry } from './sliding-window.ts';

/**
 * Rate limits (rpm, tpm per key, team and model glob) and budgets, checked and reserved in one
 * synchronous step so that concurrent requests in this process cannot all pass the same check:
 *
 * - admit: a request passes when every window is under its limit and every budget's spend plus
 *   the estimates reserved by requests in flight is under the budget; it then counts itself in
 *   the windows and reserves its own estimate. The last request admitted can take spend over the
 *   budget by at most its own cost, and requests in flight by what their estimates missed, so the
 *   overspend is bounded by the requests in flight (docs/decisions/0004-virtual-keys-and-budgets.md).
 * - settle (when the request's record finishes, whatever the outcome): the reservation is
 *   replaced with the real cost and tokens.
 *
 * Spend per period starts from the ledger (rows are the single source of truth) the first time
 * a subject is seen, and is kept in memory afterwards. Windows live in memory only.
 */

/** What admission knows about a request's size, computed only when a limit needs it. */
export interface Demand {
  requested: string;
  /** USD the request may cost (most expensive candidate, full output). */
  estimatedCostUsd(): number;
  /** Tokens to count against tpm until the real ones are known (the prompt's). */
  estimatedTokens(): number;
}

/** What a request used, from its ledger row. */
export interface Usage {
  /** ISO-8601 arrival time: budgets count a row in the period it arrived in, as the ledger does. */
  time: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

/** An admitted request's hold on windows and budgets; settled exactly once. */
export interface Ticket {
  settle(usage: Usage): void;
}

/** A key's or team's spend in its current budget period. */
export interface SpendStatus {
  spentUsd: number;
  reservedUsd: number;
  inFlight: number;
  periodStart: string | null;
  resetsAt: string | null;
}

/**
 * Admission control as the pipeline and the admin API use it: the in-process engine below, or,
 * with `--workers N`, a client of the one engine the cluster primary holds (src/cluster/), so
 * that every worker draws on the same windows and budgets.
 */
export interface Admission {
  /** Admits the request against every policy or throws a 429; the ticket must be settled. */
  admit(policies: readonly SpendPolicy[], demand: Demand): Promise<Ticket>;
  /** Spend of a key or team in its current period (for /admin/keys and /admin/spend). */
  spend(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod): Promise<SpendStatus>;
  /**
   * The cost of a request admitted without a ticket (its key and team limit nothing), added to
   * whatever spend of theirs is loaded: a budget set on them later, and /admin/keys, count it.
   */
  recordSpend(subjects: readonly SpendSubjectRef[], usage: Usage): void;
}

/** A key or a team, as spend is kept for it. */
export interface SpendSubjectRef {
  kind: SpendPolicy['kind'];
  subject: string;
}

export interface LimitsOptions {
  /** Spend already in the ledger. */
  costSince(subject: SpendSubject, from: string | undefined): Promise<number>;
  /** Writes queued ledger rows, so a total loaded from the ledger includes them. */
  flushLedger(): Promise<void>;
  clock?: () => number;
}

interface BudgetState {
  periodKey: string;
  spentUsd: number;
}

interface Windows {
  requests: SlidingWindow;
  tokens: SlidingWindow;
}

interface SubjectState extends Windows {
  reservedUsd: number;
  inFlight: number;
  budgets: Map<BudgetPeriod, BudgetState>;
  loading: Map<BudgetPeriod, Promise<void>>;
  models: Map<string, Windows>;
}

export class LimitsEngine implements Admission {
  readonly #options: LimitsOptions;
  readonly #clock: () => number;
  readonly #subjects = new Map<string, SubjectState>();
  readonly #glob = globMatchers();

  constructor(options: LimitsOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Admits the request against every policy or throws a 429; the ticket must be settled. */
  async admit(policies: readonly SpendPolicy[], demand: Demand): Promise<Ticket> {
    for (const policy of policies) {
      if (policy.budgetUsd !== undefined) await this.#loadBudget(policy.kind, policy.subject, policy.budgetPeriod);
    }
    // From here to the end nothing awaits: check-and-reserve is atomic within this process.
    const now = this.#clock();
    const states = policies.map((policy) => this.#state(policy.kind, policy.subject));
    policies.forEach((policy, index) => {
      const refusal = this.#check(policy, states[index]!, demand, now);
      if (refusal) throw refusal;
    });
    let cost: number | undefined;
    let tokens: number | undefined;
    const holds = policies.map((policy, index) => {
      const state = states[index]!;
      const reservedUsd = policy.budgetUsd !== undefined ? (cost ??= demand.estimatedCostUsd()) : 0;
      const windows = [state, ...this.#modelWindows(policy, state, demand.requested)];
      const counted = windows.map((window) => {
        window.requests.add(now, 1);
        const limited = window === state ? policy.tpm !== undefined : true;
        return limited ? { window, entry: window.tokens.add(now, (tokens ??= demand.estimatedTokens())) } : undefined;
      });
      state.reservedUsd += reservedUsd;
      state.inFlight += 1;
      return { state, reservedUsd, counted: counted.filter((item): item is { window: Windows; entry: WindowEntry } => item !== undefined) };
    });
    let settled = false;
    return {
      settle: (usage) => {
        if (settled) return;
        settled = true;
        const time = Date.parse(usage.time);
        for (const hold of holds) {
          hold.state.reservedUsd = Math.max(0, hold.state.reservedUsd - hold.reservedUsd);
          hold.state.inFlight -= 1;
          for (const { window, entry } of hold.counted) window.tokens.adjust(entry, usage.inputTokens + usage.outputTokens);
          addSpend(hold.state, time, usage.costUsd);
        }
      },
    };
  }

  recordSpend(subjects: readonly SpendSubjectRef[], usage: Usage): void {
    if (usage.costUsd === 0) return;
    const time = Date.parse(usage.time);
    for (const { kind, subject } of subjects) {
      // Spend not loaded yet is read from the ledger when it is, and the ledger has this row.
      const state = this.#subjects.get(`${kind}:${subject}`);
      if (state) addSpend(state, time, usage.costUsd);
    }
  }

  /** Spend of a key or team in its current period (for /admin/keys and /admin/spend). */
  async spend(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod): Promise<SpendStatus> {
    await this.#loadBudget(kind, subject, period);
    const now = this.#clock();
    const state = this.#state(kind, subject);
    const budget = this.#rollOver(state, period, now);
    const start = periodStart(period, now);
    const end = periodEnd(period, now);
    return {
      // Rounded as each row's cost is (src/ledger/cost.ts): the spend is the sum of the rows'.
      spentUsd: roundUsd(budget.spentUsd),
      reservedUsd: roundUsd(state.reservedUsd),
      inFlight: state.inFlight,
      periodStart: start?.toISOString() ?? null,
      resetsAt: end?.toISOString() ?? null,
    };
  }

  #check(policy: SpendPolicy, state: SubjectState, demand: Demand, now: number): GatewayError | undefined {
    const windowCheck = (windows: Windows, rpm: number | undefined, tpm: number | undefined, scope: string | undefined) => {
      if (rpm !== undefined && windows.requests.total(now) >= rpm) return windowRefusal(policy, 'requests', rpm, scope, windows.requests.waitBelow(now, rpm));
      if (tpm !== undefined && windows.tokens.total(now) >= tpm) return windowRefusal(policy, 'tokens', tpm, scope, windows.tokens.waitBelow(now, tpm));
      return undefined;
    };
    const own = windowCheck(state, policy.rpm, policy.tpm, undefined);
    if (own) return own;
    for (const [glob, limits] of Object.entries(policy.modelLimits)) {
      if (!this.#glob(glob)(demand.requested)) continue;
      const refusal = windowCheck(this.#windows(state, glob), limits.rpm, limits.tpm, glob);
      if (refusal) return refusal;
    }
    if (!hasBudgetLimit(policy)) return undefined;
    const budget = this.#rollOver(state, policy.budgetPeriod, now);
    if (budget.spentUsd >= policy.budgetUsd) return budgetSpentRefusal(policy, budget.spentUsd, now);
    if (budget.spentUsd + state.reservedUsd >= policy.budgetUsd) return budgetReservedRefusal(policy, budget.spentUsd, state.reservedUsd, state.inFlight);
    return undefined;
  }

  /** The subject's budget state for a period, rolled over to the period `now` is in. */
  #rollOver(state: SubjectState, period: BudgetPeriod, now: number): BudgetState {
    const key = periodKey(period, now);
    let budget = state.budgets.get(period);
    if (!budget) {
      // Not loaded (spend() and admit() load first); treat as a fresh period rather than fail.
      budget = { periodKey: key, spentUsd: 0 };
      state.budgets.set(period, budget);
    } else if (budget.periodKey !== key) {
      budget.periodKey = key;
      budget.spentUsd = 0;
    }
    return budget;
  }

  async #loadBudget(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod): Promise<void> {
    const state = this.#state(kind, subject);
    if (state.budgets.has(period)) return;
    let loading = state.loading.get(period);
    if (!loading) {
      loading = (async () => {
        const now = this.#clock();
        await this.#options.flushLedger();
        const spent = await this.#options.costSince(kind === 'key' ? { keyId: subject } : { team: subject }, periodStart(period, now)?.toISOString());
        state.budgets.set(period, { periodKey: periodKey(period, now), spentUsd: spent });
      })().finally(() => state.loading.delete(period));
      state.loading.set(period, loading);
    }
    await loading;
  }

  #state(kind: SpendPolicy['kind'], subject: string): SubjectState {
    const id = `${kind}:${subject}`;
    let state = this.#subjects.get(id);
    if (!state) {
      state = { requests: new SlidingWindow(), tokens: new SlidingWindow(), reservedUsd: 0, inFlight: 0, budgets: new Map(), loading: new Map(), models: new Map() };
      this.#subjects.set(id, state);
    }
    return state;
  }

  #modelWindows(policy: SpendPolicy, state: SubjectState, requested: string): Windows[] {
    return Object.keys(policy.modelLimits)
      .filter((glob) => this.#glob(glob)(requested))
      .map((glob) => this.#windows(state, glob));
  }

  #windows(state: SubjectState, glob: string): Windows {
    let windows = state.models.get(glob);
    if (!windows) {
      windows = { requests: new SlidingWindow(), tokens: new SlidingWindow() };
      state.models.set(glob, windows);
    }
    return windows;
  }
}

/** A policy with a budget to check. */
export function hasBudgetLimit(policy: SpendPolicy): policy is SpendPolicy & { budgetUsd: number } {
  return policy.budgetUsd !== undefined;
}

/** Adds a request's cost to each loaded budget period of a subject it counts in. */
function addSpend(state: SubjectState, time: number, costUsd: number): void {
  for (const [period, budget] of state.budgets) {
    const key = periodKey(period, time);
    // A row counts in the period it arrived in; a newer period starts from zero.
    if (key > budget.periodKey) Object.assign(budget, { periodKey: key, spentUsd: 0 });
    if (key === budget.periodKey) budget.spentUsd += costUsd;
  }
}
