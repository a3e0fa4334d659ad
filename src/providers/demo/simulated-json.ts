/**
 * A value of a JSON Schema's shape, for the demo provider's answers in JSON mode and its forced
 * tool calls: a model listed with `json_schema` must answer JSON that parses to the schema, or the
 * openai SDK's `parse()` (lib/parser.mjs, JSON.parse then the zod schema) throws on a demo answer.
 * Strings say the value is simulated; numbers are their minimum or 0; one item per array (none
 * when `maxItems` is 0); the first of an enum, `anyOf` or `oneOf`; a nullable field, its value.
 * `$ref`s into `$defs`/`definitions` are followed, to a null (or an empty object) past a few
 * levels of recursion.
 */
export function simulatedJson(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null) return simulatedString;
  const node = schema as SchemaNode;
  if (node.const !== undefined) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if (typeof node.$ref === 'string') {
    if (depth >= maxDepth) return nullable(node) ? null : {};
    return simulatedJson(resolve(root, node.$ref), root, depth + 1);
  }
  const branches = node.anyOf ?? node.oneOf;
  if (Array.isArray(branches) && branches.length > 0) {
    const chosen = branches.find((branch) => (branch as SchemaNode | null)?.type !== 'null') ?? branches[0];
    return simulatedJson(chosen, root, depth);
  }
  const type = Array.isArray(node.type) ? (node.type.find((item) => item !== 'null') ?? 'null') : node.type;
  switch (type) {
    case 'object': {
      const properties = node.properties ?? {};
      const names = node.required ?? Object.keys(properties);
      return Object.fromEntries(names.map((name) => [name, simulatedJson(properties[name], root, depth + 1)]));
    }
    case 'array':
      return node.maxItems === 0 || depth >= maxDepth ? [] : Array.from({ length: Math.max(1, node.minItems ?? 1) }, () => simulatedJson(node.items, root, depth + 1));
    case 'integer':
    case 'number':
      // zod's .positive() is `exclusiveMinimum: 0`: one above it (an integer stays whole).
      return typeof node.minimum === 'number' ? node.minimum : typeof node.exclusiveMinimum === 'number' ? node.exclusiveMinimum + 1 : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return (typeof node.format === 'string' && simulatedFormats[node.format]) || simulatedString;
  }
}

/** Strings of the formats zod writes into a schema (`.email()`, `.uuid()`…), which parse() checks. */
const simulatedFormats: Readonly<Record<string, string>> = {
  email: 'simulated@example.com',
  uri: 'https://example.com/simulated',
  url: 'https://example.com/simulated',
  uuid: '00000000-0000-4000-8000-000000000000',
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00',
};

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, unknown>;
  required?: string[];
  items?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: unknown[];
  oneOf?: unknown[];
  $ref?: string;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  format?: string;
}

const simulatedString = 'simulated';
/** Nesting followed before recursion is cut short. */
const maxDepth = 8;

function nullable(node: SchemaNode): boolean {
  return Array.isArray(node.type) && node.type.includes('null');
}

/** `#/$defs/Name`, `#/definitions/Name` (or any `#/a/b` pointer) within the root schema. */
function resolve(root: unknown, reference: string): unknown {
  if (!reference.startsWith('#')) return undefined;
  let target: unknown = root;
  for (const segment of reference.slice(1).split('/').filter(Boolean)) {
    if (typeof target !== 'object' || target === null) return undefined;
    target = (target as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return target;
}
