import type { z } from 'zod';
import { GatewayError } from '../core/errors.ts';

/** The first zod issue as a 400 naming the field (`messages[0].role`), as OpenAI's `param`. */
export function firstIssue(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  if (!issue) return new GatewayError('SB_ERR_INVALID_REQUEST', 'Invalid request body.');
  const deepest = deepestIssue(issue);
  const param = formatParam(deepest.path);
  const message = param ? `Invalid value for '${param}': ${deepest.message}` : deepest.message;
  return new GatewayError('SB_ERR_INVALID_REQUEST', message, param ? { param } : {});
}

/** Unions report "invalid input" at the top; the innermost issue says what is actually wrong. */
function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0 && issue.message.startsWith('Invalid input')) {
    const nested = issue.errors.map((errors) => errors[0]).filter((candidate): candidate is z.core.$ZodIssue => candidate !== undefined);
    const best = nested.sort((left, right) => right.path.length - left.path.length)[0];
    if (best) return { ...best, path: [...issue.path, ...best.path] };
  }
  return issue;
}

/** `messages[0].content` from a zod path. */
export function formatParam(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
