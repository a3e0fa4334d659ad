import { createHash } from 'node:crypto';

/**
 * Mistral rejects tool call ids that are not exactly nine letters or digits with a 400 ("Tool
 * call id was call_abc but must be a-z, A-Z, 0-9, with a length of 9.", code 3280; the spec's
 * ToolCall.id says only `string`, the rule is the API's, see docs/providers/mistral.md). Ids from
 * other providers (OpenAI's `call_...`, Anthropic's `toolu_...`) are therefore mapped to nine
 * base-62 characters derived from a hash of the id: the same id always gives the same result, so
 * an assistant tool call and the tool message answering it stay paired. Valid ids are kept.
 */
const valid = /^[a-zA-Z0-9]{9}$/;
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function mistralToolCallId(id: string): string {
  if (valid.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let result = '';
  for (let index = 0; index < 9; index += 1) result += alphabet[digest[index]! % alphabet.length];
  return result;
}
