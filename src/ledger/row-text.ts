import type { AttemptRecord, LedgerRow } from '../core/ledger.ts';

/**
 * A ledger row's JSON text, field by field: what `JSON.parse` reads back is what
 * `JSON.stringify(row)` would have written (the same members and values; an attempt's members
 * in the order declared here). V8's JSON.stringify (Node 20 and 24) copies every string a character
 * at a time through its escape check; a string with nothing to escape is joined here as it is,
 * one regular-expression test deciding. `npm run bench:instructions` counted the row's
 * serialisation at 30,000 instructions a request, 8% of a non-streamed request's main thread
 * (docs/performance.md, thirty-first session).
 *
 * The members are listed twice, in the text and in `rowMembers`/`attemptMembers`: the types
 * below fail to compile when LedgerRow or AttemptRecord gains a member the lists lack, and
 * row-text.test.ts fails when the text lacks a member of the lists.
 */

// A quote, a backslash, a control character or a UTF-16 surrogate (JSON.stringify escapes lone
// ones): such a string goes through JSON.stringify, any other is quoted as it is.
// eslint-disable-next-line no-control-regex -- control characters are what JSON must escape
const needsEscaping = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(value)` for a string or a null. A member missing from a row (which its type does
 * not allow, but a bug could do) is written as `null`, here and below, so that the line stays
 * JSON and the row is kept: interpolated it would read `undefined`.
 */
export function jsonText(value: string | null | undefined): string {
  if (value === null || value === undefined) return 'null';
  return needsEscaping.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** A number as JSON.stringify writes it: `null` for what JSON cannot hold (and for a missing value). */
function numberText(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${value}` : 'null';
}

/** A list or object member, through JSON.stringify unless it is empty (the common case), `null` if missing. */
function listText(value: readonly unknown[] | undefined): string {
  if (value === undefined || value === null) return 'null';
  return value.length === 0 ? '[]' : JSON.stringify(value);
}

function recordText(value: Readonly<Record<string, string>> | undefined): string {
  if (value === undefined || value === null) return 'null';
  for (const _ in value) return JSON.stringify(value);
  return '{}';
}

/** The optional members of an attempt, each written only when present (as JSON.stringify leaves out an undefined one). */
function attemptText(attempt: AttemptRecord): string {
  let text =
    `{"model":${jsonText(attempt.model)},"provider":${jsonText(attempt.provider)},"upstreamModel":${jsonText(attempt.upstreamModel)},` +
    `"outcome":"${attempt.outcome}","latencyMs":${numberText(attempt.latencyMs)}`;
  if (attempt.errorCode !== undefined) text += `,"errorCode":${jsonText(attempt.errorCode)}`;
  if (attempt.message !== undefined) text += `,"message":${jsonText(attempt.message)}`;
  if (attempt.upstreamStatus !== undefined) text += `,"upstreamStatus":${numberText(attempt.upstreamStatus)}`;
  if (attempt.retryAfterSeconds !== undefined) text += `,"retryAfterSeconds":${numberText(attempt.retryAfterSeconds)}`;
  if (attempt.inputTokens !== undefined) text += `,"inputTokens":${numberText(attempt.inputTokens)}`;
  if (attempt.outputTokens !== undefined) text += `,"outputTokens":${numberText(attempt.outputTokens)}`;
  if (attempt.costUsd !== undefined) text += `,"costUsd":${numberText(attempt.costUsd)}`;
  if (attempt.resumedFrom !== undefined) text += `,"resumedFrom":${numberText(attempt.resumedFrom)}`;
  return `${text}}`;
}

function attemptsText(attempts: readonly AttemptRecord[] | undefined): string {
  if (attempts === undefined || attempts === null) return 'null';
  if (attempts.length === 0) return '[]';
  let text = `[${attemptText(attempts[0]!)}`;
  for (let index = 1; index < attempts.length; index += 1) text += `,${attemptText(attempts[index]!)}`;
  return `${text}]`;
}

/**
 * The row's JSON text (see the top of this file). The time (toISOString's), the endpoint, the
 * status and an attempt's outcome are our own words, never escaped: quoted without the test.
 */
export function rowText(row: LedgerRow): string {
  return (
    `{"id":${jsonText(row.id)},"time":"${row.time}","endpoint":"${row.endpoint}","keyId":${jsonText(row.keyId)},` +
    `"team":${jsonText(row.team)},"modelRequested":${jsonText(row.modelRequested)},"route":${jsonText(row.route)},` +
    `"model":${jsonText(row.model)},"provider":${jsonText(row.provider)},"upstreamModel":${jsonText(row.upstreamModel)},` +
    `"attempts":${attemptsText(row.attempts)},"inputTokens":${numberText(row.inputTokens)},"outputTokens":${numberText(row.outputTokens)},` +
    `"cachedInputTokens":${numberText(row.cachedInputTokens)},"cacheWriteTokens":${numberText(row.cacheWriteTokens)},` +
    `"reasoningTokens":${numberText(row.reasoningTokens)},"tokensEstimated":${row.tokensEstimated ? 'true' : 'false'},` +
    `"costUsd":${numberText(row.costUsd)},"latencyMs":${numberText(row.latencyMs)},"ttftMs":${numberText(row.ttftMs)},` +
    `"status":"${row.status}","httpStatus":${numberText(row.httpStatus)},"errorCode":${jsonText(row.errorCode)},` +
    `"errorMessage":${jsonText(row.errorMessage)},"stream":${row.stream ? 'true' : 'false'},"reason":${jsonText(row.reason)},` +
    `"metadata":${recordText(row.metadata)},"warnings":${listText(row.warnings)},"guardrails":${listText(row.guardrails)}}`
  );
}

/** Every member `rowText` writes; with `rowMembersComplete`, every member of LedgerRow. */
export const rowMembers = [
  'id', 'time', 'endpoint', 'keyId', 'team', 'modelRequested', 'route', 'model', 'provider', 'upstreamModel', 'attempts',
  'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'tokensEstimated', 'costUsd',
  'latencyMs', 'ttftMs', 'status', 'httpStatus', 'errorCode', 'errorMessage', 'stream', 'reason', 'metadata', 'warnings', 'guardrails',
] as const satisfies ReadonlyArray<keyof LedgerRow>;

/** Every member `attemptText` can write; with `attemptMembersComplete`, every member of AttemptRecord. */
export const attemptMembers = [
  'model', 'provider', 'upstreamModel', 'outcome', 'latencyMs', 'errorCode', 'message', 'upstreamStatus', 'retryAfterSeconds',
  'inputTokens', 'outputTokens', 'costUsd', 'resumedFrom',
] as const satisfies ReadonlyArray<keyof AttemptRecord>;

// Compile-time checks: a member of LedgerRow or AttemptRecord missing from the lists above is named in the error.
type Unwritten<Type, Listed> = Exclude<keyof Type, Listed>;
export const rowMembersComplete: [Unwritten<LedgerRow, (typeof rowMembers)[number]>] extends [never] ? true : Unwritten<LedgerRow, (typeof rowMembers)[number]> = true;
export const attemptMembersComplete: [Unwritten<AttemptRecord, (typeof attemptMembers)[number]>] extends [never] ? true : Unwritten<AttemptRecord, (typeof attemptMembers)[number]> = true;
