/**
 * JSON Schemas go to Gemini as they are, in `parametersJsonSchema` (content.proto
 * FunctionDeclaration) and `responseJsonSchema` (generative_service.proto GenerationConfig),
 * instead of being squeezed into the proto `Schema` subset, whose parser rejects every keyword it
 * does not know with a 400 ("Unknown name \"const\" ... Cannot find field"). Gemini accepts any
 * JSON Schema there but honours only the keywords listed in the GenerationConfig comment; the
 * others are ignored upstream, so each one is reported here as a warning, never dropped silently.
 */

/** The keywords generative_service.proto says are supported (plus its non-standard `propertyOrdering`). */
const supportedKeywords = new Set([
  '$id', '$defs', '$ref', '$anchor', 'type', 'format', 'title', 'description', 'enum', 'items', 'prefixItems', 'minItems',
  'maxItems', 'minimum', 'maximum', 'anyOf', 'oneOf', 'properties', 'additionalProperties', 'required', 'propertyOrdering',
]);

/** Annotations that change nothing about valid values: not worth a warning. */
const harmlessKeywords = new Set(['$schema', '$comment', 'examples', 'default']);

// Where subschemas are (under supported keywords only: an ignored keyword's subschemas go with it).
/** Keywords whose value is a map of name → subschema. */
const schemaMaps = new Set(['properties', '$defs']);
/** Keywords whose value is a list of subschemas. */
const schemaLists = new Set(['anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is one subschema. */
const schemaValues = new Set(['items', 'additionalProperties']);

/** JSON-pointer-like paths of the keywords in `schema` that Gemini ignores, e.g. `properties.city.pattern`. */
export function ignoredSchemaKeywords(schema: unknown, path = ''): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [];
  const ignored: string[] = [];
  const here = (key: string) => (path === '' ? key : `${path}.${key}`);
  const entries = Object.entries(schema as Record<string, unknown>);
  // "If `$ref` is set on a sub-schema, no other properties, except for than those starting as a
  // `$`, may be set" (generative_service.proto, GenerationConfig.response_json_schema).
  const besideRef = entries.some(([key]) => key === '$ref');
  for (const [key, value] of entries) {
    if (besideRef && !key.startsWith('$') && !harmlessKeywords.has(key)) {
      ignored.push(here(key));
      continue;
    }
    if (!supportedKeywords.has(key) && !harmlessKeywords.has(key)) ignored.push(here(key));
    // "`enum` (for strings and numbers)", ibid.: an enum of booleans or null is not honoured.
    else if (key === 'enum' && Array.isArray(value) && value.some((item) => typeof item !== 'string' && typeof item !== 'number')) ignored.push(here(key));
    if (schemaMaps.has(key) && typeof value === 'object' && value !== null) {
      for (const [name, child] of Object.entries(value as Record<string, unknown>)) ignored.push(...ignoredSchemaKeywords(child, here(`${key}.${name}`)));
    } else if (schemaLists.has(key) && Array.isArray(value)) {
      value.forEach((child, index) => ignored.push(...ignoredSchemaKeywords(child, here(`${key}[${index}]`))));
    } else if (schemaValues.has(key)) {
      ignored.push(...ignoredSchemaKeywords(value, here(key)));
    }
  }
  return ignored;
}
