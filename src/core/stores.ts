import type { BudgetPeriod, RateLimits } from './governance.ts';
import type { LedgerRow } from './ledger.ts';

/** Filters for reading ledger rows back. All optional; `limit` defaults to 100. */
export interface LedgerQuery {
  requestId?: string;
  keyId?: string;
  team?: string;
  model?: string;
  /** ISO-8601 bounds on `time`, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  limit?: number;
  /** Rows to skip first, for reading on page by page (newest first; equal times by id). */
  offset?: number;
}

/** The most rows one query reads: /admin/usage's largest page (10,000), and one to tell whether more follow. */
export const maxRowsRead = 10_001;

/** Where ledger rows are kept. Implementations: src/store/<backend>/. */
export interface LedgerStore {
  /** Appends rows in one transaction. */
  append(rows: readonly LedgerRow[]): Promise<void>;
  /**
   * Appends rows given as their JSON text (parsing to what `JSON.stringify(row)` would: the
   * line the ledger journal already wrote), in one transaction; the ledger writer uses it when
   * present, so a row is serialised once on the request thread and the store reads it where it
   * writes (a worker thread, or the database itself). Resolves once the rows are readable
   * through `query`.
   */
  appendSerialized?(rows: readonly string[]): Promise<void>;
  query(query: LedgerQuery): Promise<LedgerRow[]>;
  /** Totals with tokens and cost, grouped by one dimension. */
  summary(query: UsageSummaryQuery): Promise<UsageTotals[]>;
  /** USD spent by a key or team in rows at or after `from` (ISO-8601; undefined: all time). */
  costSince(subject: SpendSubject, from: string | undefined): Promise<number>;
}

/** A storage backend: the stores it provides and its lifecycle. */
export interface Storage {
  readonly kind: string;
  readonly ledger: LedgerStore;
  readonly keys: KeyStore;
  readonly teams: TeamStore;
  readonly providers: ProviderCredentialStore;
  readonly audit: AuditStore;
  readonly feedback: FeedbackStore;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Ledger totals grouped by one dimension (/admin/usage/summary). */
export type UsageGroup = 'key' | 'team' | 'model' | 'provider' | 'day';

/** Which rows a summary adds up. */
export interface UsageSummaryQuery {
  groupBy: UsageGroup;
  from?: string;
  to?: string;
  keyId?: string;
  team?: string;
}

/** One group's totals. `group` is null for rows without the dimension (e.g. no key). */
export interface UsageTotals {
  group: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Whose spend to add up: one key's or one team's. */
export type SpendSubject = { keyId: string } | { team: string };

/** The allowed models, budget and rate limits that keys and teams both carry. */
export interface LimitSettings {
  /** Allowed model globs; null: every model. */
  models: string[] | null;
  budgetUsd: number | null;
  budgetPeriod: BudgetPeriod;
  rpm: number | null;
  tpm: number | null;
  /** Limits per requested model, by glob. */
  modelLimits: Record<string, RateLimits>;
}

/** A virtual key as stored: the secret itself is never kept, only its hash and a hint. */
export interface VirtualKeyRecord extends LimitSettings {
  id: string;
  name: string;
  /** Team label (a team's name or id); the ledger records it as given. */
  team: string | null;
  /** ISO-8601; null: never expires. */
  expiresAt: string | null;
  metadata: Record<string, string>;
  guardrails: string[];
  revoked: boolean;
  createdAt: string;
  updatedAt: string;
  /** Hex SHA-256 of the secret. */
  keyHash: string;
  /** `sb-…` plus the last four characters, to tell keys apart. */
  keyHint: string;
}

/** Where virtual keys are kept. */
export interface KeyStore {
  /** Inserts or replaces by id. */
  save(record: VirtualKeyRecord): Promise<void>;
  get(id: string): Promise<VirtualKeyRecord | undefined>;
  findByHash(keyHash: string): Promise<VirtualKeyRecord | undefined>;
  list(): Promise<VirtualKeyRecord[]>;
}

/** A team: budgets and limits shared by every key that names it. */
export interface TeamRecord extends LimitSettings {
  id: string;
  /** Unique; keys may name a team by id or by name. */
  name: string;
  metadata: Record<string, string>;
  guardrails: string[];
  createdAt: string;
  updatedAt: string;
}

/** Where teams are kept. */
export interface TeamStore {
  save(record: TeamRecord): Promise<void>;
  get(id: string): Promise<TeamRecord | undefined>;
  /** The team whose id or name equals the label. */
  findByLabel(label: string): Promise<TeamRecord | undefined>;
  list(): Promise<TeamRecord[]>;
  delete(id: string): Promise<boolean>;
}

/** A provider added at runtime: its whole config sealed (AES-256-GCM), never stored in clear. */
export interface StoredProvider {
  id: string;
  type: string;
  /** The sealed JSON of the provider's config entry. */
  sealedConfig: string;
  /** Last four characters of the API key, or null when it has none. */
  apiKeyHint: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Where runtime providers are kept. */
export interface ProviderCredentialStore {
  save(record: StoredProvider): Promise<void>;
  list(): Promise<StoredProvider[]>;
  delete(id: string): Promise<boolean>;
}

/** One admin action: who did what to which object, without secrets. */
export interface AuditEntry {
  id?: number;
  time: string;
  actor: string;
  /** e.g. `key.create`, `provider.delete`. */
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

/** Filters for reading the audit log back, newest first. */
export interface AuditQuery {
  action?: string;
  targetId?: string;
  limit?: number;
}

/** Where admin actions are recorded. */
export interface AuditStore {
  append(entry: AuditEntry): Promise<void>;
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

/** Quality feedback on one answered request (POST /v1/feedback). */
export interface FeedbackRecord {
  requestId: string;
  /** ISO-8601 time the feedback was given. */
  time: string;
  /** The model id and provider that answered the request. */
  model: string;
  provider: string;
  keyId: string | null;
  /** In [0, 1]. */
  score: number;
}

/** Where feedback is kept; one record per request (newer feedback replaces older). */
export interface FeedbackStore {
  /** Saves the feedback; resolves with the score it replaced, if the request had one. */
  save(record: FeedbackRecord): Promise<{ replacedScore?: number }>;
  /** Count and sum of scores per model, for the adaptive strategy's learned quality. */
  totals(): Promise<Array<{ model: string; count: number; sum: number }>>;
}
