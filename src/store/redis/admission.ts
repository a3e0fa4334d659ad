import type { Redis } from 'ioredis';
import { GatewayError } from '../../core/errors.ts';
import type { BudgetPeriod, SpendPolicy } from '../../core/governance.ts';
import type { SpendSubject } from '../../core/stores.ts';
import { periodEnd, periodKey, periodStart } from '../../keys/budget-period.ts';
import { hasBudgetLimit, type Admission, type Demand, type SpendStatus, type SpendSubjectRef, type Ticket, type Usage } from '../../keys/limits.ts';
import { globMatchers } from '../../keys/model-access.ts';
import { budgetReservedRefusal, budgetSpentRefusal, windowRefusal } from '../../keys/refusals.ts';
import { roundUsd } from '../../ledger/cost.ts';
import { admitScript, settleScript, statusScript } from './admission-scripts.ts';

/**
 * Rate limits and budgets shared by every replica through Redis (`storage.redis`): the same
 * checks, refusals and bounds as the engine of one process (src/keys/limits.ts), with the
 * windows, the reservations of requests in flight and each period's spend kept in Redis and
 * checked-and-reserved by one script (src/store/redis/admission-scripts.ts).
 *
 * - A reservation is a lease this process renews while its request runs: the holds of a replica
 *   that died go when their lease ends (45 s), instead of holding the budget for good.
 * - Spend per period is loaded from the ledger (the source of truth) by whichever replica needs
 *   it first, and re-read every 10 minutes, which also counts the rows that journal recovery
 *   wrote for requests a dead replica never settled.
 * - While Redis cannot be reached the fallback admits (this process's engine, or with
 *   `--workers N` the primary's): limits are then per replica, as without Redis, rather than
 *   refusing traffic (docs/operations.md "Redis").
 */

export interface RedisAdmissionOptions {
  client: Redis;
  /** Prefix of every key (`switchboard:`). */
  prefix: string;
  /** What admits while Redis is unreachable. */
  fallback: Admission;
  costSince(subject: SpendSubject, from: string | undefined): Promise<number>;
  flushLedger(): Promise<void>;
  /** Told once when Redis stops answering and once when it answers again. */
  reachability(reachable: boolean, error?: unknown): void;
  clock?: () => number;
  leaseMs?: number;
  windowMs?: number;
}

/** How long loaded spend is trusted before it is read from the ledger again. */
const reconcileMs = 10 * 60_000;
const periods: readonly BudgetPeriod[] = ['day', 'month', 'total'];

type ScriptReply = Array<string | number | null>;

interface WindowRef {
  policy: SpendPolicy;
  scope: string | undefined;
  rpm: number | undefined;
  tpm: number | undefined;
}

export class RedisAdmission implements Admission {
  readonly #options: RedisAdmissionOptions;
  readonly #client: Redis;
  readonly #clock: () => number;
  readonly #leaseMs: number;
  readonly #windowMs: number;
  readonly #scripts: { admit: string; settle: string; status: string };
  readonly #glob = globMatchers();
  readonly #loading = new Map<string, Promise<void>>();
  /** Tickets in flight here, by ticket: the subjects (key prefixes) their lease is renewed in. */
  readonly #live = new Map<string, readonly string[]>();
  readonly #renewal: NodeJS.Timeout;
  readonly #process = Math.random().toString(36).slice(2, 10);
  #sequence = 0;
  #reachable = true;

  constructor(options: RedisAdmissionOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#clock = options.clock ?? Date.now;
    this.#leaseMs = options.leaseMs ?? 45_000;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#scripts = { admit: admitScript, settle: settleScript, status: statusScript };
    this.#renewal = setInterval(() => this.#renewLeases(), Math.max(50, Math.floor(this.#leaseMs / 3)));
    this.#renewal.unref();
  }

  async admit(policies: readonly SpendPolicy[], demand: Demand): Promise<Ticket> {
    if (this.#client.status !== 'ready') return this.#fallback(undefined).admit(policies, demand);
    try {
      return await this.#admitShared(policies, demand);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return this.#fallback(error).admit(policies, demand);
    }
  }

  recordSpend(subjects: readonly SpendSubjectRef[], usage: Usage): void {
    this.#options.fallback.recordSpend(subjects, usage);
    if (usage.costUsd === 0 || this.#client.status !== 'ready') return;
    const keys = subjects.flatMap((subject) => this.#spentKeys(this.#subjectKey(subject.kind, subject.subject), Date.parse(usage.time)));
    this.#run('settle', keys, ['', 0, usage.costUsd, 0, 0]).catch((error: unknown) => this.#fallback(error));
  }

  async spend(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod): Promise<SpendStatus> {
    if (this.#client.status !== 'ready') return this.#fallback(undefined).spend(kind, subject, period);
    try {
      const base = this.#subjectKey(kind, subject);
      for (let attempt = 0; ; attempt += 1) {
        const now = this.#clock();
        const spentKey = `${base}:spent:${periodKey(period, now)}`;
        const [spent, reserved, inFlight] = (await this.#run('status', [`${base}:holds`, `${base}:held`, spentKey], [now])) as ScriptReply;
        if (spent === null && attempt < 2) {
          await this.#loadSpent(kind, subject, period, spentKey, now);
          continue;
        }
        return {
          spentUsd: roundUsd(Number(spent ?? 0)),
          reservedUsd: roundUsd(Number(reserved)),
          inFlight: Number(inFlight),
          periodStart: periodStart(period, now)?.toISOString() ?? null,
          resetsAt: periodEnd(period, now)?.toISOString() ?? null,
        };
      }
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return this.#fallback(error).spend(kind, subject, period);
    }
  }

  /** Stops renewing leases (the requests still in flight here keep theirs until they end). */
  close(): void {
    clearInterval(this.#renewal);
  }

  async #admitShared(policies: readonly SpendPolicy[], demand: Demand): Promise<Ticket> {
    const ticket = `${this.#process}:${(this.#sequence += 1).toString(36)}`;
    for (let attempt = 0; ; attempt += 1) {
      const now = this.#clock();
      const keys: string[] = [];
      const windows: Array<[number, number, number, number]> = [];
      const windowRefs: WindowRef[] = [];
      const tokenWindows: string[] = [];
      const subjects: Array<[number, number, number]> = [];
      const bases: string[] = [];
      let tokens: number | undefined;
      let cost: number | undefined;
      // The script finds each window's and subject's keys by their place in KEYS, so they may interleave.
      policies.forEach((policy, index) => {
        const base = this.#subjectKey(policy.kind, policy.subject);
        bases.push(base);
        const addWindow = (name: string, rpm: number | undefined, tpm: number | undefined, scope: string | undefined) => {
          if (rpm === undefined && tpm === undefined) return;
          windows.push([keys.length + 1, rpm ?? -1, tpm ?? -1, index + 1]);
          windowRefs.push({ policy, scope, rpm, tpm });
          keys.push(`${name}:r`, `${name}:t`, `${name}:ta`, `${name}:ts`);
          if (tpm !== undefined) {
            tokens ??= Math.max(0, Math.round(demand.estimatedTokens()));
            tokenWindows.push(name);
          }
        };
        addWindow(`${base}:w`, policy.rpm, policy.tpm, undefined);
        for (const [glob, limits] of Object.entries(policy.modelLimits)) {
          if (this.#glob(glob)(demand.requested)) addWindow(`${base}:m:${encodeURIComponent(glob)}`, limits.rpm, limits.tpm, glob);
        }
        const budgeted = hasBudgetLimit(policy);
        subjects.push([keys.length + 1, budgeted ? policy.budgetUsd : -1, budgeted ? (cost ??= demand.estimatedCostUsd()) : 0]);
        // A subject without a budget never reads its :spent key: the holds key stands in.
        keys.push(`${base}:holds`, `${base}:held`, budgeted ? `${base}:spent:${periodKey(policy.budgetPeriod, now)}` : `${base}:holds`);
      });
      const reply = (await this.#run('admit', keys, [now, this.#windowMs, ticket, this.#leaseMs, tokens ?? 0, JSON.stringify({ w: windows, s: subjects })]).catch((error: unknown) => {
        // No answer in time (a slow Redis): the script may still have run and reserved. The fallback
        // admits this request, so its reservations go now rather than hold the budget for a lease.
        this.#run('settle', holdKeys(tokenWindows, bases), [ticket, 0, 0, tokenWindows.length, bases.length]).catch(() => undefined);
        throw error;
      })) as ScriptReply;
      this.#reached();
      if (reply[0] === 1) return this.#ticket(ticket, tokenWindows, bases, policies);
      if (reply[0] === 2 && attempt < 2) {
        const policy = policies[Number(reply[1]) - 1]!;
        await this.#loadSpent(policy.kind, policy.subject, policy.budgetPeriod, keys[subjects[Number(reply[1]) - 1]![0] + 1]!, now);
        continue;
      }
      throw this.#refusal(reply, windowRefs, policies, now);
    }
  }

  #ticket(ticket: string, tokenWindows: readonly string[], bases: readonly string[], policies: readonly SpendPolicy[]): Ticket {
    this.#live.set(ticket, bases);
    let settled = false;
    return {
      settle: (usage) => {
        if (settled) return;
        settled = true;
        this.#live.delete(ticket);
        // The fallback counts this spend too: when Redis stops answering, the budgets it loaded
        // before (an earlier outage, an admin read) must not have missed what was spent through Redis.
        if (usage.costUsd > 0) this.#options.fallback.recordSpend(policies.map((policy) => ({ kind: policy.kind, subject: policy.subject })), usage);
        const time = Date.parse(usage.time);
        const keys = [...holdKeys(tokenWindows, bases), ...bases.flatMap((base) => this.#spentKeys(base, time))];
        const tokens = Math.max(0, Math.round(usage.inputTokens + usage.outputTokens));
        // The lease ends the hold if this fails; the ledger still has the cost for the next reconcile.
        this.#run('settle', keys, [ticket, tokens, usage.costUsd, tokenWindows.length, bases.length]).catch((error: unknown) => this.#fallback(error));
      },
    };
  }

  #refusal(reply: ScriptReply, windowRefs: readonly WindowRef[], policies: readonly SpendPolicy[], now: number): GatewayError {
    const [, kind, index] = reply;
    if (kind === 'rpm' || kind === 'tpm') {
      const window = windowRefs[Number(index) - 1]!;
      const limit = kind === 'rpm' ? window.rpm! : window.tpm!;
      return windowRefusal(window.policy, kind === 'rpm' ? 'requests' : 'tokens', limit, window.scope, Number(reply[3]));
    }
    const policy = policies[Number(index) - 1]!;
    if (!hasBudgetLimit(policy) || (kind !== 'spent' && kind !== 'reserved')) throw new Error(`unexpected reply from the admission script: ${JSON.stringify(reply)}`);
    if (kind === 'spent') return budgetSpentRefusal(policy, Number(reply[3]), now);
    return budgetReservedRefusal(policy, Number(reply[3]), Number(reply[4]), Number(reply[5]));
  }

  /** Loads a period's spend from the ledger unless another replica did meanwhile (NX). */
  async #loadSpent(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod, spentKey: string, now: number): Promise<void> {
    let loading = this.#loading.get(spentKey);
    if (!loading) {
      loading = (async () => {
        await this.#options.flushLedger();
        const spent = await this.#options.costSince(kind === 'key' ? { keyId: subject } : { team: subject }, periodStart(period, now)?.toISOString());
        await this.#client.set(spentKey, String(spent), 'PX', reconcileMs, 'NX');
      })().finally(() => this.#loading.delete(spentKey));
      this.#loading.set(spentKey, loading);
    }
    await loading;
  }

  #renewLeases(): void {
    if (this.#live.size === 0 || this.#client.status !== 'ready') return;
    // Leases end by the server's clock, as the scripts read it, not by this replica's.
    this.#client
      .time()
      .then(([seconds, micros]) => {
        const leaseUntil = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + this.#leaseMs;
        const pipeline = this.#client.pipeline();
        for (const [ticket, bases] of this.#live) {
          for (const base of bases) {
            pipeline.zadd(`${base}:holds`, 'XX', leaseUntil, ticket);
            // The keys last two leases past the last renewal, as the admission script sets them.
            pipeline.pexpire(`${base}:holds`, this.#leaseMs * 2).pexpire(`${base}:held`, this.#leaseMs * 2);
          }
        }
        return pipeline.exec();
      })
      .catch((error: unknown) => this.#fallback(error));
  }

  #run(script: 'admit' | 'settle' | 'status', keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return evalCached(this.#client, this.#scripts[script], keys, args);
  }

  /** The fallback, noting once that Redis stopped answering when `error` says why. */
  #fallback(error: unknown): Admission {
    if (this.#reachable) {
      this.#reachable = false;
      this.#options.reachability(false, error);
    }
    return this.#options.fallback;
  }

  #reached(): void {
    if (this.#reachable) return;
    this.#reachable = true;
    this.#options.reachability(true);
  }

  #subjectKey(kind: SpendPolicy['kind'], subject: string): string {
    return `${this.#options.prefix}${kind}:${encodeURIComponent(subject)}`;
  }

  #spentKeys(base: string, time: number): string[] {
    return periods.map((period) => `${base}:spent:${periodKey(period, time)}`);
  }
}

/** The keys the settle script releases a ticket in: each token window's :ta and :ts, then each subject's :holds and :held. */
function holdKeys(tokenWindows: readonly string[], bases: readonly string[]): string[] {
  return [...tokenWindows.flatMap((name) => [`${name}:ta`, `${name}:ts`]), ...bases.flatMap((base) => [`${base}:holds`, `${base}:held`])];
}

const digests = new Map<string, string>();

/** EVALSHA, loading the script once when the server does not have it (a restart, SCRIPT FLUSH). */
async function evalCached(client: Redis, script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
  let digest = digests.get(script);
  if (digest) {
    try {
      return await client.evalsha(digest, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    }
  }
  digest = (await client.script('LOAD', script)) as string;
  digests.set(script, digest);
  return client.evalsha(digest, keys.length, ...keys, ...args);
}
