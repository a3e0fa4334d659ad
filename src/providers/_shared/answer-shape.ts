import { GatewayError } from '../../core/errors.ts';

/**
 * A 2xx answer whose body is valid JSON but not an answer: not the shape the provider's spec
 * gives its answers (`{"foo":"bar"}`, `{"choices": []}`), so there is nothing to relay. Read
 * tolerantly, such a body would become an empty answer (or be passed through as it came) and go
 * back as a success, with no fallback. SB_ERR_UPSTREAM_INVALID_RESPONSE is retryable: another
 * deployment may answer. The message names the provider, what the body should have been and what
 * it lacks, and never quotes the body (it may echo what the provider was sent, credentials
 * included), so it needs no redactor.
 */
export function invalidAnswer(provider: string, expected: string, problem: string, upstreamStatus?: number): GatewayError {
  return new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" answered with a body that is not ${expected}: ${problem}`, {
    provider,
    ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
  });
}

/** Whether a value read from a provider's JSON is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `<path>[i] is not an object` for the first entry of `list` that is not one, or undefined. */
export function nonObjectEntry(list: readonly unknown[], path: string): string | undefined {
  const index = list.findIndex((entry) => !isJsonObject(entry));
  return index === -1 ? undefined : `${path}[${index}] is not an object`;
}

/** How a list of embedding vectors must look; `name` is the field that holds it, for the message. */
export interface VectorListRule {
  name: string;
  /** How many vectors there must be (one per input); 0 or absent when unknown (token-id inputs). */
  count?: number;
  /** A vector may be a base64 string (OpenAI's `encoding_format: "base64"`). */
  base64?: boolean;
  /** How the message names entry `index` (default `<name>[<index>]`). */
  entry?: (index: number) => string;
}

/**
 * What is wrong with a list of embedding vectors read from an answer, or undefined when it is
 * one: a non-empty list (of `count` entries when known) whose entries are non-empty arrays
 * starting with a number (or non-empty strings where base64 is allowed). Only a vector's first
 * value is read: the answer is checked for its shape, not walked number by number.
 */
export function vectorListProblem(vectors: unknown, rule: VectorListRule): string | undefined {
  if (!Array.isArray(vectors) || vectors.length === 0) return `"${rule.name}" is not a non-empty list of vectors`;
  if (rule.count && vectors.length !== rule.count) return `"${rule.name}" holds ${vectors.length} vectors for ${rule.count} inputs`;
  const index = vectors.findIndex((vector: unknown) => !isVector(vector, rule.base64 === true));
  if (index === -1) return undefined;
  return `${rule.entry ? rule.entry(index) : `${rule.name}[${index}]`} is not a vector`;
}

function isVector(value: unknown, base64: boolean): boolean {
  if (base64 && typeof value === 'string') return value.length > 0;
  return Array.isArray(value) && value.length > 0 && typeof value[0] === 'number';
}
