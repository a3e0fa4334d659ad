import type { CallerGovernance } from './governance.ts';

/**
 * Who sent a request and what they may do, as the pipeline and router see it. Built by the HTTP
 * layer from the authenticated key and the request's headers.
 */
export interface Caller {
  /** The virtual key's id and name; null for the master key and open access. */
  keyId: string | null;
  keyName: string | null;
  team: string | null;
  /** The key's allow-list (`models` globs); always true for the master key and open access. */
  allowsModel(name: string): boolean;
  /** A request header by lower-case name (rules can test headers). */
  header(name: string): string | undefined;
  /** A virtual key's budgets, limits and guardrails (with its team's); absent for the master key and open access. */
  governance?: CallerGovernance;
}
