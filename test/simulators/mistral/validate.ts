import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

const addFormats = formats as unknown as (ajv: Ajv) => Ajv;

/**
 * Request validators compiled from Mistral's published OpenAPI spec: mistral-schemas.json was
 * extracted from ../shared/specs/mistral/openapi.yaml by
 *   node --import tsx scripts/extract-spec-schemas.ts /work/shared/specs/mistral/openapi.yaml \
 *     test/simulators/mistral/mistral-schemas.json ChatCompletionRequest EmbeddingRequest \
 *     SystemMessage UserMessage AssistantMessage ToolMessage
 * Errors come back in the spec's HTTPValidationError shape (`detail[]` with `loc`, `msg`, `type`),
 * as the API's 422 does.
 */
const document = JSON.parse(readFileSync(new URL('./mistral-schemas.json', import.meta.url), 'utf8')) as {
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};
const ajv = new Ajv({ strict: false, allErrors: false, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema({ $id: 'mistral', components: document.components });

const compiled = new Map<string, ValidateFunction>();

/** One entry of a 422 body's `detail` (ValidationError in the spec). */
export interface ValidationDetail {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
}

/** Top-level property names a component schema declares (for `extra_forbidden`). */
export function declaredFields(schemaName: string): Set<string> {
  return new Set(Object.keys(document.components.schemas[schemaName]?.properties ?? {}));
}

/** Validates `value` against a component schema; `location` prefixes the error's `loc`. */
export function validateAgainstSpec(schemaName: string, value: unknown, location: Array<string | number>): ValidationDetail | undefined {
  let validate = compiled.get(schemaName);
  if (!validate) {
    validate = ajv.compile({ $ref: `mistral#/components/schemas/${schemaName}` });
    compiled.set(schemaName, validate);
  }
  if (validate(value)) return undefined;
  return toDetail(validate.errors?.[0], value, location);
}

function toDetail(error: ErrorObject | undefined, value: unknown, location: Array<string | number>): ValidationDetail {
  if (!error) return { type: 'value_error', loc: location, msg: 'Invalid input' };
  const path = error.instancePath.split('/').slice(1).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: string }).additionalProperty);
    return { type: 'extra_forbidden', loc: [...location, ...path, extra], msg: 'Extra inputs are not permitted', input: pick(value, [...path, extra]) };
  }
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return { type: 'missing', loc: [...location, ...path, missing], msg: 'Field required' };
  }
  return { type: 'value_error', loc: [...location, ...path], msg: `Input ${error.message ?? 'is invalid'}`, input: pick(value, path) };
}

function pick(value: unknown, path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) current = current && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}
