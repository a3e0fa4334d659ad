import { GatewayError } from '../core/errors.ts';
import { formatParam, quote } from './validation.ts';

/**
 * The top-level field names of a request body, checked before any provider sees it
 * (docs/decisions/0009-request-field-policy.md). A misspelt parameter (`temprature`, `max_token`,
 * `top-p`) would otherwise reach a provider, cost an attempt and come back as its 400, or worse,
 * be dropped on the way to a provider that ignores unknown fields, silently changing the request.
 */
export interface FieldPolicy {
  /** Every field a provider behind this wire format may take: never refused by name. */
  known: ReadonlySet<string>;
  /** The known names by their normalized spelling (lower case, no `_`, `-` or spaces). */
  normalized: ReadonlyMap<string, string>;
  /**
   * Whether any other well-formed name passes through to providers (OpenAI-style APIs, whose
   * servers have many extension fields), or is refused (Anthropic's request schemas are closed).
   */
  relayUnknown: boolean;
  /** How the refusal is worded: each wire format's own phrasing of "unknown field". */
  describe(name: string, suggestion: string | undefined): string;
}

/** What a parameter name looks like in every provider's API: snake_case (or camelCase) words. */
const parameterName = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Names that are never parameters and would only reach a provider as a prototype-pollution probe. */
const reservedNames = new Set(['__proto__', 'constructor', 'prototype']);
/** More unknown fields than this is not a request a provider expects (and bounds the work here). */
const maxUnknownFields = 32;

/** Compiles the lookups of a policy's known names once. */
export function createFieldPolicy(known: Iterable<string>, relayUnknown: boolean, describe: FieldPolicy['describe']): FieldPolicy {
  const names = new Set(known);
  return { known: names, normalized: new Map([...names].map((name) => [normalize(name), name])), relayUnknown, describe };
}

/** A field name as a message shows it: as is when it looks like a parameter, else quoted and cut short. */
export function displayFieldName(name: string): string {
  return parameterName.test(name) ? name : quote(name);
}

/** Throws a 400 naming the first top-level field the policy refuses, with the field it resembles. */
export function checkFieldNames(body: Record<string, unknown>, policy: FieldPolicy): void {
  let unknown = 0;
  for (const name in body) {
    if (!Object.hasOwn(body, name) || policy.known.has(name)) continue;
    unknown++;
    const suggestion = nearestKnownName(name, policy);
    const wellFormed = parameterName.test(name) && !reservedNames.has(name);
    if (suggestion !== undefined || !wellFormed || !policy.relayUnknown || unknown > maxUnknownFields) {
      const reason =
        unknown > maxUnknownFields ? ` (more than ${maxUnknownFields} unknown fields)` : wellFormed || suggestion !== undefined ? '' : ' (not a parameter name)';
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `${policy.describe(name, suggestion)}${reason}`, { param: formatParam([name]) });
    }
  }
}

/**
 * The known name an unknown one is a near miss of: the same once case, `_`, `-` and spaces are
 * ignored (`top-p`, `maxTokens`), or one edit away (two for names of 8 characters or more:
 * `temprature`, `max_token`, `frequence_penalty`). Short names (under 4 characters) match only
 * by the first rule, so `n` is not a near miss of anything and nothing is a near miss of `n`.
 */
export function nearestKnownName(name: string, policy: Pick<FieldPolicy, 'known' | 'normalized'>): string | undefined {
  if (name.length > 64) return undefined;
  const sameName = policy.normalized.get(normalize(name));
  if (sameName !== undefined) return sameName;
  const budget = name.length >= 8 ? 2 : name.length >= 4 ? 1 : 0;
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of policy.known) {
    if (budget === 0 || candidate.length < 4 || Math.abs(candidate.length - name.length) > budget) continue;
    const distance = editDistance(name.toLowerCase(), candidate, bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of two
 * neighbours each cost 1), giving up with `limit + 1` once every alignment costs more than `limit`.
 */
function editDistance(left: string, right: string, limit: number): number {
  let previousPrevious: number[] = [];
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    let rowMinimum = row;
    for (let column = 1; column <= right.length; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let value = Math.min(previous[column]! + 1, current[column - 1]! + 1, previous[column - 1]! + cost);
      if (row > 1 && column > 1 && left[row - 1] === right[column - 2] && left[row - 2] === right[column - 1]) {
        value = Math.min(value, previousPrevious[column - 2]! + 1);
      }
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    previousPrevious = previous;
    previous = current;
  }
  return previous[right.length]!;
}
