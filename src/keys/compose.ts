import type { Config } from '../config/schema.ts';
import type { Storage } from '../core/stores.ts';
import { Guardrails } from '../guardrails/guardrails.ts';
import { Governance } from './governance.ts';
import { LimitsEngine } from './limits.ts';
import { Teams } from './teams.ts';
import { VirtualKeys } from './virtual-keys.ts';

/** Virtual keys, teams, limits and guardrails over a storage backend, as app.ts wires them. */
export interface GovernanceParts {
  keys: VirtualKeys;
  teams: Teams;
  limits: LimitsEngine;
  guardrails: Guardrails;
  governance: Governance;
}

/** Builds the governance parts; `flushLedger` lets budgets load spend that is still queued. */
export function createGovernanceParts(storage: Storage, config: Config, flushLedger: () => Promise<void>): GovernanceParts {
  const keys = new VirtualKeys(storage.keys, storage.teams);
  const teams = new Teams(storage.teams, () => keys.teamsChanged());
  const limits = new LimitsEngine({ costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger });
  const guardrails = new Guardrails(config.guardrails, config.routes);
  return { keys, teams, limits, guardrails, governance: new Governance(guardrails, limits) };
}
