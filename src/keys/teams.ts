import { randomUUID } from 'node:crypto';
import { conflict } from '../core/errors.ts';
import type { LimitSettings, TeamRecord, TeamStore } from '../core/stores.ts';

/** What a team is created with (camelCase view of the admin contract). */
export type TeamSettings = Pick<TeamRecord, 'name' | keyof LimitSettings | 'metadata' | 'guardrails'>;

/**
 * Teams: budgets, limits, allowed models and guardrails shared by every key that names the
 * team. A team's name is its label on keys and ledger rows, so it cannot be renamed (keys and
 * past rows would lose it); it is found by id or name. Every change tells the key cache (and,
 * with `--workers N`, the other workers' caches) before it answers.
 */
export class Teams {
  readonly #store: TeamStore;
  readonly #changed: () => void | Promise<void>;
  readonly #clock: () => number;

  constructor(store: TeamStore, changed: () => void | Promise<void>, clock: () => number = Date.now) {
    this.#store = store;
    this.#changed = changed;
    this.#clock = clock;
  }

  async create(settings: TeamSettings, id?: string): Promise<TeamRecord> {
    if (await this.#store.findByLabel(settings.name)) throw conflict(`A team named "${settings.name}" already exists.`);
    if (id !== undefined && (await this.#store.findByLabel(id))) throw conflict(`A team with id "${id}" already exists.`);
    const now = new Date(this.#clock()).toISOString();
    const record: TeamRecord = { id: id ?? `team_${randomUUID().replaceAll('-', '').slice(0, 16)}`, ...settings, createdAt: now, updatedAt: now };
    await this.#store.save(record);
    await this.#changed();
    return record;
  }

  list(): Promise<TeamRecord[]> {
    return this.#store.list();
  }

  /** A team by id or name. */
  find(label: string): Promise<TeamRecord | undefined> {
    return this.#store.findByLabel(label);
  }

  async update(label: string, changes: Partial<Omit<TeamSettings, 'name'>>): Promise<TeamRecord | undefined> {
    const record = await this.#store.findByLabel(label);
    if (!record) return undefined;
    const updated: TeamRecord = { ...record, ...changes, updatedAt: new Date(this.#clock()).toISOString() };
    await this.#store.save(updated);
    await this.#changed();
    return updated;
  }

  /** Deletes the team; keys keep its name as a plain label, without the team's limits. */
  async delete(label: string): Promise<TeamRecord | undefined> {
    const record = await this.#store.findByLabel(label);
    if (!record) return undefined;
    await this.#store.delete(record.id);
    await this.#changed();
    return record;
  }
}
