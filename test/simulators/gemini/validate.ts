import { loadProtoSchema, type ProtoField, type ProtoSchema } from './proto-schema.ts';

/**
 * Proto3 JSON parsing as Google's API front end does it, checked against the protos: unknown
 * field names, wrong JSON types, unknown enum values, two members of one oneof. Field names are
 * accepted in their JSON form or their proto (snake_case) form; violations name the field by its
 * proto path (`contents[1].parts[0].function_call`), as the real error messages do
 * (Invalid JSON payload received. Unknown name "id" at 'contents[1].parts[0].function_call': Cannot find field.).
 */

export interface FieldViolation {
  /** Proto path of the message holding the bad field ('' at the top). */
  field: string;
  description: string;
}

let schema: ProtoSchema | undefined;

/** Violations of `value` as a JSON-encoded `type` message (empty when it parses). */
export function validateProtoJson(value: unknown, type: string): FieldViolation[] {
  schema ??= loadProtoSchema();
  const violations: FieldViolation[] = [];
  checkMessage(schema, value, type, '', violations);
  return violations;
}

function at(path: string): string {
  return path === '' ? '' : ` at '${path}'`;
}

function checkMessage(schema: ProtoSchema, value: unknown, type: string, path: string, violations: FieldViolation[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    violations.push({ field: path, description: `Invalid value${at(path)} (type.googleapis.com/google.ai.generativelanguage.v1beta.${type}), ${JSON.stringify(value)}` });
    return;
  }
  const fields = schema.messages.get(type) ?? [];
  const oneofs = new Map<string, string>();
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const field = fields.find((candidate) => candidate.jsonName === key || candidate.name === key);
    if (!field) {
      violations.push({ field: path, description: `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${at(path)}: Cannot find field.` });
      continue;
    }
    if (child === null) continue;
    if (field.oneof) {
      const already = oneofs.get(field.oneof);
      if (already) {
        violations.push({ field: path, description: `Invalid JSON payload received. Oneof field '${field.oneof}' is already set. Cannot set '${field.name}'${at(path)}` });
        continue;
      }
      oneofs.set(field.oneof, field.name);
    }
    checkField(schema, field, child, path === '' ? field.name : `${path}.${field.name}`, violations);
  }
}

function checkField(schema: ProtoSchema, field: ProtoField, value: unknown, path: string, violations: FieldViolation[]): void {
  if (field.mapValue) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      violations.push({ field: path, description: `Invalid JSON payload received. Expected an object${at(path)}.` });
      return;
    }
    Object.values(value as Record<string, unknown>).forEach((entry, index) => checkValue(schema, field.mapValue!, entry, `${path}[${index}].value`, violations));
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      violations.push({ field: path, description: `Invalid JSON payload received. Expected an array${at(path)}.` });
      return;
    }
    value.forEach((item, index) => checkValue(schema, field.type, item, `${path}[${index}]`, violations));
    return;
  }
  checkValue(schema, field.type, value, path, violations);
}

const integerTypes = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
/**
 * The 32-bit types' bounds: the proto3 JSON parser refuses a number outside them
 * ("Invalid value at 'generation_config.seed' (TYPE_INT32), 2147483648"). 64-bit ones are not
 * checked: a JSON number cannot hold more than their range anyway.
 */
const integerRanges: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};

function checkValue(schema: ProtoSchema, type: string, value: unknown, path: string, violations: FieldViolation[]): void {
  const invalid = (label: string) => violations.push({ field: path, description: `Invalid value at '${path}' (${label}), ${JSON.stringify(value)}` });
  if (schema.messages.has(type)) return checkMessage(schema, value, type, path, violations);
  const values = schema.enums.get(type);
  if (values) {
    if (!(typeof value === 'string' && values.has(value)) && !Number.isInteger(value)) invalid(`type.googleapis.com/google.ai.generativelanguage.v1beta.${type}`);
    return;
  }
  if (integerTypes.has(type)) {
    const number = typeof value === 'string' ? Number(value) : value;
    const [min, max] = integerRanges[type] ?? [-Infinity, Infinity];
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) invalid(`TYPE_${type.toUpperCase()}`);
    return;
  }
  switch (type) {
    case 'float':
    case 'double':
      if (typeof value !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(String(value))) invalid(`TYPE_${type.toUpperCase()}`);
      return;
    case 'bool':
      if (typeof value !== 'boolean') invalid('TYPE_BOOL');
      return;
    case 'string':
      if (typeof value !== 'string') invalid('TYPE_STRING');
      return;
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) invalid('TYPE_BYTES');
      return;
    case 'google.protobuf.Struct':
      if (typeof value !== 'object' || Array.isArray(value)) invalid('type.googleapis.com/google.protobuf.Struct');
      return;
    case 'google.protobuf.Duration':
      if (typeof value !== 'string' || !/^-?\d+(\.\d+)?s$/.test(value)) invalid('type.googleapis.com/google.protobuf.Duration');
      return;
    default:
      // google.protobuf.Value takes any JSON; google.type.* messages are not modelled.
      return;
  }
}

/** A google.rpc.Status body for violations (400 INVALID_ARGUMENT with a BadRequest detail). */
export function badRequestBody(violations: FieldViolation[]): Record<string, unknown> {
  return {
    error: {
      code: 400,
      message: violations.map((violation) => violation.description).join('\n'),
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: violations.map((violation) => ({ field: violation.field, description: violation.description })),
        },
      ],
    },
  };
}
