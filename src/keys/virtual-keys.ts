import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { CallerGovernance, KeyResolution, KeyResolver, SpendPolicy } from '../core/governance.ts';
import type { KeyStore, LimitSettings, TeamRecord, TeamStore, VirtualKeyRecord } from '../core/stores.ts';
import { conflict } from '../core/errors.ts';
import { bothAllow, compileModelAccess, type ModelAccess } from './model-access.ts';

/**
 * Virtual keys: `sb-` and 256 random bits, shown once at creation (and rotation), stored only
 * as a SHA-256 hash. A fast hash is enough for secrets of this entropy (no dictionary to
 * search), and lets authentication look the key up by its hash (docs/decisions/0004). The
 * hash found is compared with the presented one in constant time before the key is trusted.
 */

/** What a key is created or updated with (camelCase view of the admin contract). */
export type KeySettings = Pick<VirtualKeyRecord, 'name' | 'team' | keyof LimitSettings | 'expiresAt' | 'metadata' | 'guardrails'>;

/** A key with its secret: only ever the answer to create and rotate. */
export interface IssuedKey {
  record: VirtualKeyRecord;
  secret: string;
}

/** A new secret: `sb-` and 43 base64url characters. */
export function generateSecret(): string {
  return `sb-${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time equality of two hex hashes of the same algorithm. */
export function hashesEqual(left: string, right: string): boolean {
  const a = Buffer.from(left, 'hex');
  const b = Buffer.from(right, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Whether a text has the shape of a secret `generateSecret` makes (an id never has). */
export function isSecretShaped(text: string): boolean {
  return /^sb-[A-Za-z0-9_-]{43}$/.test(text);
}

/** A secret `generateSecret` makes, within a longer text (a stray character pasted with it). */
const secretWithin = /sb-[A-Za-z0-9_-]{39,}([A-Za-z0-9_-]{4})/g;

/** The text with every secret-shaped run in it cut to its hint (`sb-...wxyz`), for quoting it. */
export function hideSecrets(text: string): string {
  return text.replace(secretWithin, 'sb-...$1');
}

/** What a listing shows to tell keys apart without revealing them. */
export function secretHint(secret: string): string {
  return `sb-...${secret.slice(-4)}`;
}

interface CachedKey {
  record: VirtualKeyRecord;
  /** The label the key's requests carry: its team's name when the team exists, else the key's own label. */
  team: string | null;
  allowsModel: ModelAccess;
  governance: CallerGovernance;
  cachedAt: number;
}

export interface VirtualKeysOptions {
  clock?: () => number;
  /** How long a resolved key is trusted without reading the store again (other processes' edits). */
  cacheTtlMs?: number;
  /**
   * Called with the old hash once a key's change is saved, before the admin call answers:
   * other workers drop their cached copy (src/cluster/), so a revocation holds on all at once.
   */
  changed?(keyHash: string): Promise<void>;
}

/** Key lifecycle (create, update, revoke, rotate) and authentication by secret, with a cache. */
export class VirtualKeys implements KeyResolver {
  readonly #keys: KeyStore;
  readonly #teams: TeamStore;
  readonly #clock: () => number;
  readonly #ttlMs: number;
  readonly #changed: ((keyHash: string) => Promise<void>) | undefined;
  readonly #cache = new Map<string, CachedKey>();
  /**
   * Hashes no key has, and when the store said so. A client left with a wrong or rotated-away
   * secret retries in a loop, and each try was a store query (with PostgreSQL a round trip that
   * holds one of the process's few connections, which the ledger and real keys wait for).
   * Secrets are made here at random (create, rotate), so a hash unknown now stays unknown; the
   * TTL bounds a key put in the store by other means (a restored backup).
   */
  readonly #unknown = new Map<string, number>();

  constructor(keys: KeyStore, teams: TeamStore, options: VirtualKeysOptions = {}) {
    this.#keys = keys;
    this.#teams = teams;
    this.#clock = options.clock ?? Date.now;
    this.#ttlMs = options.cacheTtlMs ?? 30_000;
    this.#changed = options.changed;
  }

  async create(settings: KeySettings): Promise<IssuedKey> {
    const secret = generateSecret();
    const now = new Date(this.#clock()).toISOString();
    const record: VirtualKeyRecord = {
      id: `key_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      ...settings,
      team: await this.#teamLabel(settings.team),
      revoked: false,
      createdAt: now,
      updatedAt: now,
      keyHash: hashSecret(secret),
      keyHint: secretHint(secret),
    };
    await this.#keys.save(record);
    return { record, secret };
  }

  list(): Promise<VirtualKeyRecord[]> {
    return this.#keys.list();
  }

  /**
   * A key by its id, or by its secret: LiteLLM's key endpoints take the secret, and an admin who
   * has only the secret at hand must be able to read or revoke its key (found by hash, as
   * authentication finds it; a rotated-away secret finds nothing).
   */
  get(idOrSecret: string): Promise<VirtualKeyRecord | undefined> {
    return isSecretShaped(idOrSecret) ? this.#keys.findByHash(hashSecret(idOrSecret)) : this.#keys.get(idOrSecret);
  }

  update(id: string, changes: Partial<KeySettings>): Promise<VirtualKeyRecord | undefined> {
    return this.#change(id, async (record, updatedAt) => {
      const team = changes.team === undefined ? record.team : await this.#teamLabel(changes.team);
      return { ...record, ...changes, team, updatedAt };
    });
  }

  revoke(id: string): Promise<VirtualKeyRecord | undefined> {
    return this.#change(id, (record, updatedAt) => ({ ...record, revoked: true, updatedAt }));
  }

  /**
   * A new secret for the same key (same id, budget and spend); the old secret stops working at
   * once. A revoked key stays revoked: 409, where a new secret for it would never work.
   */
  async rotate(id: string): Promise<IssuedKey | undefined> {
    const secret = generateSecret();
    const rotated = await this.#change(id, (record, updatedAt) => {
      if (record.revoked) throw conflict(`Key ${record.id} is revoked; create a new key instead.`);
      return { ...record, keyHash: hashSecret(secret), keyHint: secretHint(secret), updatedAt };
    });
    return rotated && { record: rotated, secret };
  }

  /** A team changed or went away: keys resolve their team again. */
  teamsChanged(): void {
    this.#cache.clear();
  }

  /** Another process changed the key of this hash: read it from the store at its next use. */
  forget(keyHash: string): void {
    this.#cache.delete(keyHash);
    this.#unknown.delete(keyHash);
  }

  async resolve(secret: string): Promise<KeyResolution> {
    const presented = hashSecret(secret);
    const now = this.#clock();
    let cached = this.#cache.get(presented);
    if (!cached || now - cached.cachedAt > this.#ttlMs) {
      const unknownSince = this.#unknown.get(presented);
      if (unknownSince !== undefined && now - unknownSince <= this.#ttlMs) return { status: 'unknown' };
      const record = await this.#keys.findByHash(presented);
      if (!record) {
        // Bounded as the cache is: random secrets sprayed at the gateway cannot grow it without limit.
        if (this.#unknown.size >= 10_000) this.#unknown.clear();
        this.#unknown.set(presented, now);
        return { status: 'unknown' };
      }
      this.#unknown.delete(presented);
      const team = record.team ? await this.#teams.findByLabel(record.team) : undefined;
      cached = { record, ...describe(record, team), cachedAt: now };
      // Bounded: a flood of distinct valid keys cannot grow the cache without limit.
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(presented, cached);
    }
    const { record } = cached;
    if (!hashesEqual(record.keyHash, presented)) return { status: 'unknown' };
    if (record.revoked) return { status: 'revoked', keyId: record.id, team: cached.team };
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now) return { status: 'expired', keyId: record.id, team: cached.team };
    return { status: 'valid', keyId: record.id, keyName: record.name, team: cached.team, allowsModel: cached.allowsModel, governance: cached.governance };
  }

  /**
   * Saves a changed key and drops its cached resolution, so the change (a revocation above all)
   * takes effect at once in this process; undefined when there is no such key.
   */
  async #change(
    id: string,
    change: (record: VirtualKeyRecord, updatedAt: string) => VirtualKeyRecord | Promise<VirtualKeyRecord>,
  ): Promise<VirtualKeyRecord | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    const changed = await change(record, new Date(this.#clock()).toISOString());
    await this.#keys.save(changed);
    this.#cache.delete(record.keyHash);
    await this.#changed?.(record.keyHash);
    return changed;
  }

  /** Keys name a team by id or name; they record its name, so spend adds up under one label. */
  async #teamLabel(label: string | null): Promise<string | null> {
    if (label === null) return null;
    const team = await this.#teams.findByLabel(label);
    return team?.name ?? label;
  }
}

/** The allow-list and policies of a key and its team, compiled once per cache entry. */
function describe(record: VirtualKeyRecord, team: TeamRecord | undefined): Pick<CachedKey, 'team' | 'allowsModel' | 'governance'> {
  const policies: SpendPolicy[] = [policyOf('key', record.id, record.name, record)];
  if (team) policies.push(policyOf('team', team.name, team.name, team));
  return {
    // A key created before its team may name it by the id the team was then given: its rows must
    // still carry the team's name, the label the team's spend is summed under when it is read
    // back from the ledger (at a restart) and that /admin/usage?team= looks for.
    team: team?.name ?? record.team,
    allowsModel: bothAllow(compileModelAccess(record.models), compileModelAccess(team?.models)),
    governance: {
      policies,
      guardrails: [...new Set([...(team?.guardrails ?? []), ...record.guardrails])],
      metadata: { ...team?.metadata, ...record.metadata },
    },
  };
}

function policyOf(kind: SpendPolicy['kind'], subject: string, label: string, source: LimitSettings): SpendPolicy {
  return {
    kind,
    subject,
    label,
    budgetPeriod: source.budgetPeriod,
    modelLimits: source.modelLimits,
    ...(source.budgetUsd !== null ? { budgetUsd: source.budgetUsd } : {}),
    ...(source.rpm !== null ? { rpm: source.rpm } : {}),
    ...(source.tpm !== null ? { tpm: source.tpm } : {}),
  };
}
