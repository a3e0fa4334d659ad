import type { ModelInfo } from '../core/model.ts';
import type { RequestRecord } from '../ledger/request-record.ts';

/**
 * The x-switchboard-* headers every answer carries (../shared/SPEC.md "HTTP API"): what
 * answered, through which route (`none` when a model was named directly) and after how many
 * attempts. Non-streamed answers add their cost; routes with a response cache say hit or miss.
 */
export function answerHeaders(record: RequestRecord, model: ModelInfo, withCost: boolean): Record<string, string> {
  return {
    'x-switchboard-model': headerValue(model.id),
    'x-switchboard-provider': headerValue(model.providerId),
    'x-switchboard-route': headerValue(record.route ?? 'none'),
    'x-switchboard-attempts': String(record.attempts.length),
    ...(withCost ? { 'x-switchboard-cost-usd': formatUsd(record.cost()) } : {}),
    ...(record.cache ? { 'x-switchboard-cache': record.cache } : {}),
  };
}

/**
 * The x-switchboard-* headers of an API request's error answer: what is known when no model
 * answered. The route (its id once routing chose one, else `none`: no route carried the request),
 * the attempts made (0 when refused before any), what they cost as the ledger row says (`costUsd`),
 * and, when there was an attempt, the model and provider of the last one tried.
 */
export function failureHeaders(record: RequestRecord, costUsd: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchboard-route': headerValue(record.route ?? 'none'),
    'x-switchboard-attempts': String(record.attempts.length),
    'x-switchboard-cost-usd': formatUsd(costUsd),
  };
  const last = record.attempts.at(-1);
  if (last !== undefined) {
    headers['x-switchboard-model'] = headerValue(last.model);
    headers['x-switchboard-provider'] = headerValue(last.provider);
  }
  if (record.cache) headers['x-switchboard-cache'] = record.cache;
  return headers;
}

/** What Node accepts in a header value without throwing ERR_INVALID_CHAR, kept to ASCII. */
const plainHeaderText = /^[\t\x20-\x7e]*$/;

/**
 * A header value that can never make Node throw ERR_INVALID_CHAR (which turned a billed answer
 * into a 500): text with a control or non-ASCII character is sent percent-encoded. Request bodies
 * cannot name such a model (src/api/model-name.ts), but config and runtime ids are not limited.
 */
export function headerValue(text: string): string {
  return plainHeaderText.test(text) ? text : encodeURIComponent(text);
}

/** A USD amount in plain decimal notation (never exponent form), without trailing zeros. */
export function formatUsd(value: number): string {
  // toFixed always writes a point here: trailing zeros, then a trailing point, are cut by hand
  // (a regex replace cost 0.5% of the gateway's profile, once per answer).
  const text = value.toFixed(12);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x30) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 0x2e) end--;
  return end === 0 ? '0' : text.slice(0, end);
}
