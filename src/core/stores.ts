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
}

/** Where ledger rows are kept. Implementations: src/store/<backend>/. */
export interface LedgerStore {
  /** Appends rows in one transaction. */
  append(rows: readonly LedgerRow[]): Promise<void>;
  query(query: LedgerQuery): Promise<LedgerRow[]>;
}

/** A storage backend: the stores it provides and its lifecycle. */
export interface Storage {
  readonly kind: string;
  readonly ledger: LedgerStore;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
