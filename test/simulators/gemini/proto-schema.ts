import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the Gemini API's own definition (protos/*.proto, copied from ../shared/specs/gemini/protos/v1beta) into
 * message and enum tables, so the simulator checks request bodies against the protos rather than
 * against a hand-copied field list. Only what JSON validation needs is kept: fields with their
 * JSON names, labels, types, oneofs; enum value names. Services and options are skipped.
 */

export interface ProtoField {
  /** The proto name (snake_case), used in Google's error paths. */
  name: string;
  /** The JSON name: the `json_name` option, else lowerCamelCase of the name. */
  jsonName: string;
  /** Fully qualified type (`Content`, `GenerationConfig.Modality`), a scalar, or a `google.*` type. */
  type: string;
  repeated: boolean;
  /** Value type of a `map<string, V>` field. */
  mapValue?: string;
  oneof?: string;
}

export interface ProtoSchema {
  messages: Map<string, ProtoField[]>;
  enums: Map<string, Set<string>>;
}

const specDirectory = new URL('./protos/', import.meta.url);
const packagePrefix = 'google.ai.generativelanguage.v1beta.';

/** Parses every .proto of the spec folder (once per process). */
export function loadProtoSchema(directory = specDirectory): ProtoSchema {
  const schema: ProtoSchema = { messages: new Map(), enums: new Map() };
  const path = directory instanceof URL ? directory.pathname : directory;
  for (const file of readdirSync(path).filter((name) => name.endsWith('.proto')).sort()) {
    new Parser(tokenize(readFileSync(join(path, file), 'utf8')), schema).file();
  }
  resolveTypes(schema);
  return schema;
}

/** Strings, comments and tokens in one pass: a `//` or `/*` inside a string is not a comment. */
function tokenize(source: string): string[] {
  const tokens = source.match(/"(?:[^"\\]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_][\w.]*|-?\d[\w.]*|[{}[\]()<>=;,:]/g) ?? [];
  return tokens.filter((token) => !token.startsWith('//') && !token.startsWith('/*'));
}

class Parser {
  #position = 0;
  readonly #tokens: string[];
  readonly #schema: ProtoSchema;

  constructor(tokens: string[], schema: ProtoSchema) {
    this.#tokens = tokens;
    this.#schema = schema;
  }

  file(): void {
    while (this.#position < this.#tokens.length) {
      const token = this.#next();
      if (token === 'message') this.#message('');
      else if (token === 'enum') this.#enum('');
      else if (token === 'service') this.#skipBlock();
      else this.#skipStatement();
    }
  }

  #next(): string {
    return this.#tokens[this.#position++] ?? '';
  }

  #peek(): string {
    return this.#tokens[this.#position] ?? '';
  }

  #skipStatement(): void {
    let depth = 0;
    for (;;) {
      const token = this.#next();
      if (token === '' || (token === ';' && depth === 0)) return;
      if (token === '{' || token === '[') depth += 1;
      if (token === '}' || token === ']') depth -= 1;
    }
  }

  #skipBlock(): void {
    while (this.#next() !== '{');
    let depth = 1;
    while (depth > 0) {
      const token = this.#next();
      if (token === '{') depth += 1;
      else if (token === '}') depth -= 1;
      else if (token === '') return;
    }
  }

  #message(scope: string): void {
    const name = scope + this.#next();
    const fields: ProtoField[] = [];
    this.#schema.messages.set(name, fields);
    this.#next(); // {
    this.#body(name, fields);
  }

  #body(scope: string, fields: ProtoField[], oneof?: string): void {
    for (;;) {
      const token = this.#peek();
      if (token === '}' || token === '') {
        this.#next();
        return;
      }
      if (token === 'message') {
        this.#next();
        this.#message(`${scope}.`);
      } else if (token === 'enum') {
        this.#next();
        this.#enum(`${scope}.`);
      } else if (token === 'oneof') {
        this.#next();
        const name = this.#next();
        this.#next(); // {
        this.#body(scope, fields, name);
      } else if (token === 'option' || token === 'reserved' || token === 'extensions' || token === ';') {
        this.#skipStatement();
      } else {
        fields.push(this.#field(scope, oneof));
      }
    }
  }

  #field(scope: string, oneof: string | undefined): ProtoField {
    let label = this.#next();
    const repeated = label === 'repeated';
    if (label !== 'repeated' && label !== 'optional') this.#position -= 1;
    label = this.#next();
    let type = label;
    let mapValue: string | undefined;
    if (label === 'map') {
      this.#next(); // <
      this.#next(); // key type
      this.#next(); // ,
      mapValue = `${scope}|${this.#next()}`;
      this.#next(); // >
      type = 'map';
    } else {
      type = `${scope}|${label}`;
    }
    const name = this.#next();
    this.#next(); // =
    this.#next(); // number
    let jsonName = name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
    if (this.#peek() === '[') {
      const start = this.#position;
      this.#skipStatement();
      const options = this.#tokens.slice(start, this.#position);
      const at = options.indexOf('json_name');
      if (at >= 0) jsonName = JSON.parse(options[at + 2]!) as string;
    } else {
      this.#next(); // ;
    }
    return { name, jsonName, type, repeated: repeated || label === 'map', ...(mapValue ? { mapValue } : {}), ...(oneof ? { oneof } : {}) };
  }

  #enum(scope: string): void {
    const name = scope + this.#next();
    const values = new Set<string>();
    this.#next(); // {
    for (;;) {
      const token = this.#next();
      if (token === '}' || token === '') break;
      if (token === 'option' || token === 'reserved') {
        this.#skipStatement();
        continue;
      }
      values.add(token);
      this.#skipStatement();
    }
    this.#schema.enums.set(name, values);
  }
}

const scalars = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

/** Turns `scope|Name` references into fully qualified names, looking outward from the scope as protoc does. */
function resolveTypes(schema: ProtoSchema): void {
  const resolve = (reference: string): string => {
    const [scope, raw] = reference.split('|') as [string, string];
    const name = raw.startsWith(packagePrefix) ? raw.slice(packagePrefix.length) : raw;
    if (scalars.has(name) || name.startsWith('google.')) return name;
    const parts = scope.split('.');
    for (let length = parts.length; length >= 0; length -= 1) {
      const candidate = [...parts.slice(0, length), name].filter(Boolean).join('.');
      if (schema.messages.has(candidate) || schema.enums.has(candidate)) return candidate;
    }
    throw new Error(`Unresolved proto type ${name} in ${scope}`);
  };
  for (const fields of schema.messages.values()) {
    for (const field of fields) {
      if (field.type !== 'map') field.type = resolve(field.type);
      if (field.mapValue) field.mapValue = resolve(field.mapValue);
    }
  }
}
