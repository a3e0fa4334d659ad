import type { Config } from '../config/schema.ts';
import type { Storage } from '../core/stores.ts';
import { Guardrails } from '../guardrails/guardrails.ts';
import { Governance } from './governance.ts';
import { LimitsEngine, type Admission } from './limits.ts';
import { Teams } from './teams.ts';
import { VirtualKeys } from './virtual-keys.ts';

/** Virtual keys, teams, limits and guardrails over a storage backend, as app.ts wires them. */
export interface GovernanceParts {
  keys: VirtualKeys;
  teams: Teams;
  limits: Admission;
  guardrails: Guardrails;
  governance: Governance;
}

/** What differs in a cluster worker (`--workers N`, src/cluster/). */
export interface GovernanceOptions {
  /** Admission through the primary's engine instead of one in this process. */
  admission?: Admission;
  /** Wraps the admission (this process's or the primary's) in one shared by several replicas (Redis). */
  share?(local: Admission): Admission;
  /** Called once a key's change is saved (other processes drop their cached copy); awaited. */
  keyChanged?(keyHash: string): Promise<void>;
  /** Called once a team's change is saved; awaited. */
  teamsChanged?(): Promise<void>;
}

/** Builds the governance parts; `flushLedger` lets budgets load spend that is still queued. */
export function createGovernanceParts(storage: Storage, config: Config, flushLedger: () => Promise<void>, options: GovernanceOptions = {}): GovernanceParts {
  const keys = new VirtualKeys(storage.keys, storage.teams, options.keyChanged ? { changed: options.keyChanged } : {});
  const teams = new Teams(storage.teams, async () => {
    keys.teamsChanged();
    await options.teamsChanged?.();
  });
  const local = options.admission ?? new LimitsEngine({ costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger });
  const limits = options.share ? options.share(local) : local;
  const guardrails = new Guardrails(config.guardrails, config.routes);
  return { keys, teams, limits, guardrails, governance: new Governance(guardrails, limits) };
}
