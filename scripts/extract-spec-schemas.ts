/**
 * Extracts request schemas (with every schema they reference) from a provider's OpenAPI file
 * into a JSON file the test simulators validate against, applying the `nullable` rewrite that
 * ../shared/specs/README.md describes (ajv refuses `nullable` without `type`).
 *
 *   node --import tsx scripts/extract-spec-schemas.ts <openapi.yaml|json> <out.json> <Schema> [<Schema> ...]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';

const [input, output, ...roots] = process.argv.slice(2);
if (!input || !output || roots.length === 0) {
  process.stderr.write('usage: extract-spec-schemas.ts <spec> <out.json> <Schema>...\n');
  process.exit(2);
}
const text = await readFile(input, 'utf8');
const document = (input.endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 })) as {
  components: { schemas: Record<string, unknown> };
};
const all = document.components.schemas;
const picked: Record<string, unknown> = {};
const pending = [...roots];
while (pending.length > 0) {
  const name = pending.pop()!;
  if (name in picked) continue;
  const schema = all[name];
  if (schema === undefined) throw new Error(`schema ${name} not found`);
  picked[name] = schema;
  for (const match of JSON.stringify(schema).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) pending.push(match[1]!);
}
fixNullable(picked);
await writeFile(output, `${JSON.stringify({ source: input.replace(/^.*shared\//, 'shared/'), roots, components: { schemas: picked } })}\n`);
process.stdout.write(`${Object.keys(picked).length} schemas written to ${output}\n`);

function fixNullable(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(fixNullable);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  Object.values(object).forEach(fixNullable);
  if (typeof object.nullable === 'boolean' && !('type' in object)) {
    const nullable = object.nullable;
    delete object.nullable;
    if (!nullable) return;
    if (Array.isArray(object.anyOf)) object.anyOf.push({ type: 'null' });
    else if (Array.isArray(object.oneOf)) object.oneOf.push({ type: 'null' });
    else if (object.$ref || object.allOf) {
      const inner: Record<string, unknown> = {};
      for (const key of ['$ref', 'allOf']) {
        if (key in object) {
          inner[key] = object[key];
          delete object[key];
        }
      }
      object.anyOf = [inner, { type: 'null' }];
    }
  }
}
