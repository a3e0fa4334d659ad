/** What the PostgreSQL stores share: their WHERE clauses and how times are read back. */

/** One optional filter: a condition whose `$?` marks are its value's parameter. */
export type Filter = readonly [condition: string, value: string | undefined];

/**
 * The WHERE clause of the filters that have a value (undefined or '' means "any"), conditions
 * joined with AND, each `$?` numbered as its value's parameter; no filter with a value, no WHERE.
 */
export function whereClause(filters: readonly Filter[]): { where: string; values: string[] } {
  const conditions: string[] = [];
  const values: string[] = [];
  for (const [condition, value] of filters) {
    if (value === undefined || value === '') continue;
    values.push(value);
    conditions.push(condition.replaceAll('$?', `$${values.length}`));
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', values };
}

/** A `timestamptz` as the stores' records hold times: ISO-8601 in UTC, as SQLite keeps them. */
export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

export function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(value);
}
