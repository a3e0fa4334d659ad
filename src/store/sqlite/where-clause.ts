/** One optional filter: an SQL condition and the value of its named parameter. */
export type Filter = readonly [condition: string, name: string, value: string | undefined];

/**
 * The WHERE clause of the filters that have a value (undefined or '' means "any"), conditions
 * joined with AND, and their named parameters; no filter with a value, no WHERE.
 */
export function whereClause(filters: readonly Filter[]): { where: string; parameters: Record<string, string> } {
  const conditions: string[] = [];
  const parameters: Record<string, string> = {};
  for (const [condition, name, value] of filters) {
    if (value === undefined || value === '') continue;
    conditions.push(condition);
    parameters[name] = value;
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', parameters };
}
