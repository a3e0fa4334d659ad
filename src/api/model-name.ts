import type { z } from 'zod';

/** Longest model name a request may give: far beyond any provider's ids (Bedrock ARNs included). */
export const maxModelNameLength = 256;

/**
 * Every provider's model ids are printable ASCII, and the name a request gives comes back in the
 * `x-switchboard-model` header: CR, LF, NUL or characters outside Latin-1 there made Node throw
 * ERR_INVALID_CHAR after the provider had been called and billed (docs/decisions/0009-request-field-policy.md).
 */
const printableAscii = /^[\x20-\x7e]*$/;

/** The checks every model name in a request body gets, on top of `base` (which says when it is missing). */
export function modelName(base: z.ZodString): z.ZodString {
  return base
    .max(maxModelNameLength, `model names are at most ${maxModelNameLength} characters`)
    .regex(printableAscii, 'model names are printable ASCII (no control characters such as CR, LF or NUL, and no non-ASCII characters)');
}
