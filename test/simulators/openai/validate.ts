import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

const addFormats = formats as unknown as (ajv: Ajv) => Ajv;

/**
 * Request validators compiled from OpenAI's published OpenAPI spec (extracted into
 * openai-schemas.json by scripts/extract-spec-schemas.ts from ../shared/specs/openai/openapi.yaml).
 */
const schemas = JSON.parse(readFileSync(new URL('./openai-schemas.json', import.meta.url), 'utf8')) as { components: unknown };
const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openai', components: schemas.components });

const compiled = new Map<string, ValidateFunction>();

/** Validates a body against a named component schema; returns error text or undefined. */
export function validateAgainstSpec(schemaName: string, body: unknown): string | undefined {
  const validate = compiled.get(schemaName) ?? ajv.compile({ $ref: `openai#/components/schemas/${schemaName}` });
  compiled.set(schemaName, validate);
  if (validate(body)) return undefined;
  const first = validate.errors?.[0];
  return first ? `${first.instancePath || '(body)'} ${first.message ?? 'is invalid'}` : 'invalid body';
}
