import { compile, type z } from 'zod';
import { GatewayError } from '../core/errors.ts';

/**
 * Validation of untrusted bodies that costs the same whether a body is right or wrong.
 *
 * zod collects every issue by default: a 3 MB body holding a 1.5M-element array of the wrong type
 * made 1.5M issues (13 s of blocked event loop, 1.3 GB of memory) before we read the first one.
 * Two things stop that here: zod's abort-early mode (`abortEarly`, zod ≥ 4.6: a container stops
 * at its first child whose issue aborts), and every check inside the schema made aborting (a
 * check such as `.min(1)` does not abort by default, so 1M empty strings still made 1M issues).
 * Arrays also carry `.max()` caps in the schemas, which zod checks before it reads any element.
 *
 * Each schema is also compiled once (`z.compile`, zod ≥ 4.6): a generated function parses a valid
 * body about 7x faster than the runtime parser (0.7-1 µs against 6-7 µs for a small chat request),
 * and hands anything it does not accept to the runtime parser, which then finds the issue as
 * before. So a valid body is checked by generated code and an invalid one at most twice, still
 * stopping at its first issue; what is accepted and what is said about a refusal do not change.
 */

/** Longest error message a caller gets back (the whole text, whatever it quotes). */
export const maxMessageLength = 1000;
/** Longest quoted value (a model name, an id, a field name) inside a message or `param`. */
export const maxQuotedLength = 120;

/** Each schema's compiled clone, made on its first use (after its checks were made aborting). */
const compiled = new WeakMap<object, z.ZodType>();

/** The context that turns zod's abort-early mode on (ParseContextInternal.abortEarly in zod/v4/core). */
const abortEarly = { abortEarly: true } as z.core.ParseContext<z.core.$ZodIssue>;

/** `schema.safeParse(value)`, stopping at the first issue. */
export function safeParseFirstIssue<Schema extends z.ZodType>(schema: Schema, value: unknown): z.ZodSafeParseResult<z.output<Schema>> {
  let parser = compiled.get(schema) as Schema | undefined;
  if (parser === undefined) {
    makeChecksAbort(schema, new Set());
    parser = compile(schema);
    compiled.set(schema, parser);
  }
  return parser.safeParse(value, abortEarly);
}

/** Parses a request body with `schema`, or throws a 400 naming the first field at fault. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const parsed = safeParseFirstIssue(schema, body);
  if (!parsed.success) throw firstIssue(parsed.error);
  return parsed.data;
}

/**
 * Marks every check of `schema` and of the schemas it contains (object shapes, array elements,
 * union options, optional/nullable/pipe inner types, record values…) as aborting. Run once per
 * schema; the schemas are module constants, so this is a one-time change of their definitions.
 */
function makeChecksAbort(schema: z.core.$ZodType, seen: Set<object>): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  const definition = schema._zod.def as z.core.$ZodTypeDef & { checks?: Array<z.core.$ZodCheck<never>> };
  for (const check of definition.checks ?? []) check._zod.def.abort = true;
  for (const value of Object.values(definition)) visit(value, seen);
}

function visit(value: unknown, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null) return;
  if ('_zod' in value) {
    makeChecksAbort(value as z.core.$ZodType, seen);
  } else if (Array.isArray(value)) {
    for (const item of value) visit(item, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) visit(item, seen);
  }
}

/**
 * Parses the value of the body's field `name` with `schema`, or throws a 400 naming the field at
 * fault (`logit_bias.50256`): for fields checked one by one, only when a body has them.
 */
export function parseField<Schema extends z.ZodType>(schema: Schema, name: string, value: unknown): z.output<Schema> {
  const parsed = safeParseFirstIssue(schema, value);
  if (!parsed.success) throw firstIssue(parsed.error, [name]);
  return parsed.data;
}

/**
 * The first zod issue as a 400 naming the field (`messages[0].role`), as OpenAI's `param`;
 * `prefix`: the path of the value that was parsed, inside the body.
 */
export function firstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): GatewayError {
  const issue = error.issues[0];
  if (!issue) return new GatewayError('SB_ERR_INVALID_REQUEST', 'Invalid request body.');
  const deepest = deepestIssue(issue);
  const param = formatParam(prefix.length === 0 ? deepest.path : [...prefix, ...deepest.path]);
  const message = param ? `Invalid value for '${param}': ${deepest.message}` : deepest.message;
  return new GatewayError('SB_ERR_INVALID_REQUEST', boundMessage(message), param ? { param } : {});
}

/**
 * Unions report "invalid input" at the top; the innermost issue says what is actually wrong: the
 * deepest one, and among equally deep ones that of the option whose type matched (for `[]` given
 * to "string or non-empty array", "must not be empty" rather than "expected string").
 *
 * One exception: when an option refused the value itself for its size or value (an array over its
 * cap) and every other option refused its type, or the type of its first element, the size is what
 * is wrong. For 2,049 strings given to "up to 2,048 strings, or up to 300,000 token ids", the
 * token-id option reads the first element ("expected number" at `[0]`, deeper) only because its cap
 * is higher; the array is not made of numbers, and the caller needs to hear it is too long.
 */
function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0 && issue.message.startsWith('Invalid input')) {
    const nested = issue.errors.map((errors) => errors[0]).filter((candidate): candidate is z.core.$ZodIssue => candidate !== undefined);
    const typeMismatch = (candidate: z.core.$ZodIssue) => (candidate.code === 'invalid_type' ? 1 : 0);
    const ofTheValue = nested.find((candidate) => candidate.path.length === 0 && candidate.code !== 'invalid_type');
    const othersMismatch = (candidate: z.core.$ZodIssue) =>
      candidate.path.length === 0 || (candidate.code === 'invalid_type' && candidate.path.length === 1 && candidate.path[0] === 0);
    if (ofTheValue && nested.every(othersMismatch)) return { ...ofTheValue, path: issue.path };
    const best = nested.sort((left, right) => right.path.length - left.path.length || typeMismatch(left) - typeMismatch(right))[0];
    if (best) return { ...best, path: [...issue.path, ...best.path] };
  }
  return issue;
}

/** `messages[0].content` from a zod path; a key that is not a plain name is quoted and cut short. */
export function formatParam(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return clip(text, maxQuotedLength);
}

/**
 * The `param` of a 400 for an issue: its path, and for an unknown field the field itself (zod
 * reports it at the object that holds it), so that the client learns which field to remove.
 * Undefined for an issue of the whole body.
 */
export function issueParam(issue: z.core.$ZodIssue): string | undefined {
  const path = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  return path.length > 0 ? formatParam(path) : undefined;
}

/**
 * A value from the request as a message quotes it: in JSON quotes (so control characters show as
 * escapes, never as raw bytes), cut to `maxQuotedLength` characters.
 */
export function quote(value: string): string {
  return JSON.stringify(clip(value, maxQuotedLength));
}

/** A value from the request that can hold no control character (checked by a pattern), cut short. */
export function shorten(value: string): string {
  return clip(value, maxQuotedLength);
}

/**
 * The message a caller reads for an error, whatever raised it: cut to `maxMessageLength`, and for
 * an internal failure (a bug, never the caller's input) a fixed text; the server log has the
 * original (src/server/http.ts logs every 5xx with its cause).
 */
export function callerMessage(error: GatewayError): string {
  if (error.code === 'SB_ERR_INTERNAL') return 'Internal error: the gateway failed to handle this request. The server log has the details.';
  return boundMessage(error.message);
}

/** A message cut to `maxMessageLength` characters. */
export function boundMessage(message: string): string {
  return clip(message, maxMessageLength);
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}… (${text.length - length} more characters)`;
}
