import { GatewayError } from '../core/errors.ts';

/**
 * The one parser of request bodies (every content type: clients that forget it still send JSON).
 *
 * - An empty body is no body (`undefined`): routes that take none (DELETE /admin/keys/{id}, POST
 *   …/rotate) accept it whatever the content type says, and routes that need one answer their
 *   own 400 ("The request body must be a JSON object").
 * - Nesting deeper than `maxJsonDepth` is refused before JSON.parse: a body of 100,000 nested
 *   arrays parses, but every recursive walk after it (JSON.stringify of the body for a provider,
 *   token counting, guardrails) then overflowed the stack into a 500. So is a body of more than
 *   `maxJsonValues` values, which costs more to parse than any real request.
 * - `__proto__` keys, and `constructor` objects with a `prototype` key, are refused, as
 *   Fastify's default parser does (secure-json-parse): they are prototype-pollution probes, and
 *   `Object.assign` of such a body into another object would change that object's prototype.
 */

/** Deepest nesting of objects and arrays a body may have: far beyond any real request's. */
export const maxJsonDepth = 100;
/**
 * Most values (numbers, strings, objects… counted by their separators) a body may hold. The
 * largest real requests hold a few hundred thousand (300,000 embedding token ids, OpenAI's cap
 * per request; tens of thousands of messages); JSON.parse of 900,000 small values alone blocks
 * the event loop for 100-200 ms, of 500,000 for 30-70 ms.
 */
export const maxJsonValues = 500_000;

/** Keys that could reach a prototype, spelt plainly or with JSON escapes (as secure-json-parse checks). */
const protoKey = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const constructorKey = /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/** Parses a request body, or throws a 400 saying what is wrong with it. */
export function parseJsonBody(text: string): unknown {
  if (text === '') return undefined;
  const problem = shapeProblem(text);
  if (problem) throw new GatewayError('SB_ERR_INVALID_REQUEST', problem);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'We could not parse the JSON body of your request. The body must be a JSON object; check that it is valid JSON.');
  }
  if ((protoKey.test(text) || constructorKey.test(text)) && reachesPrototype(value)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The JSON body must not contain "__proto__" keys or "constructor" objects with a "prototype" key.');
  }
  return value;
}

/**
 * What makes JSON text too costly to parse and walk: nesting deeper than `maxJsonDepth`, or more
 * than `maxJsonValues` values. One pass over the text that jumps over strings with a native
 * `indexOf` (a few ms for a 3 MB body, a tenth of what JSON.parse takes); malformed text is left
 * to JSON.parse to refuse.
 */
export function shapeProblem(text: string, limits: { depth: number; values: number } = { depth: maxJsonDepth, values: maxJsonValues }): string | undefined {
  let depth = 0;
  let separators = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      index = closingQuote(text, index);
      if (index === -1) return undefined;
    } else if (code === 0x2c || code === 0x7b || code === 0x5b) {
      if (++separators > limits.values) return `The JSON body holds more than ${limits.values} values.`;
      if (code !== 0x2c && ++depth > limits.depth) return `The JSON body is nested more than ${limits.depth} levels deep.`;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opened at `opening` (one not escaped by a backslash), or -1. */
function closingQuote(text: string, opening: number): number {
  let index = opening;
  for (;;) {
    index = text.indexOf('"', index + 1);
    if (index === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(index - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return index;
  }
}

/** Whether a parsed value holds a `__proto__` key or a `constructor` object with a `prototype` key. */
function reachesPrototype(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    if (Object.hasOwn(value, '__proto__')) return true;
    const record = value as Record<string, unknown>;
    const constructorValue = Object.hasOwn(value, 'constructor') ? record.constructor : undefined;
    if (typeof constructorValue === 'object' && constructorValue !== null && Object.hasOwn(constructorValue, 'prototype')) return true;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return false;
}
