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

interface MessageSchema {
  properties: Record<string, unknown> & { role: { enum: string[] } };
}

/**
 * The fields the spec defines for a message of each role (ChatCompletionRequest<Role>Message).
 * The spec leaves these schemas open, but the API refuses any other field in a message
 * (`Additional properties are not allowed ('id' was unexpected) - 'messages.0'`, e.g.
 * github.com/transitive-bullshit/agentic/issues/531, microsoft/semantic-kernel/issues/4261).
 */
const messageFieldsByRole = new Map(
  ['Developer', 'System', 'User', 'Assistant', 'Tool', 'Function'].map((name) => {
    const schema = (schemas.components as { schemas: Record<string, MessageSchema> }).schemas[`ChatCompletionRequest${name}Message`]!;
    return [schema.properties.role.enum[0]!, new Set(Object.keys(schema.properties))] as const;
  }),
);

/** The API's refusal of a message field the spec does not define for its role, or undefined. */
export function unexpectedMessageFields(messages: ReadonlyArray<Record<string, unknown>>): string | undefined {
  for (const [index, message] of messages.entries()) {
    const allowed = messageFieldsByRole.get(String(message.role));
    const extra = Object.keys(message).filter((key) => allowed && !allowed.has(key));
    if (extra.length === 0) continue;
    const names = extra.map((key) => `'${key}'`).join(', ');
    return `Additional properties are not allowed (${names} ${extra.length === 1 ? 'was' : 'were'} unexpected) - 'messages.${index}'`;
  }
  return undefined;
}
