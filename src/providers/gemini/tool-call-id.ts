import { randomBytes } from 'node:crypto';

/**
 * Tool call ids as clients see them. Gemini may give no id at all (content.proto FunctionCall.id
 * is optional; older models leave it out), so one is made up. A function call's
 * `thoughtSignature` must come back on the same call next turn — Gemini 3 answers 400 "Function
 * call ... is missing a thought_signature" otherwise (ai.google.dev/gemini-api/docs/thought-signatures,
 * examples/streaming-success-thinking-function-call-thought-summary-signature.txt) — and the
 * OpenAI format has no field for it. So the signature rides in the id itself, as base64url after
 * a separator: every client echoes tool call ids, and the gateway stays stateless.
 */

const separator = '__thought__';

/** The id a client sees for a function call. */
export function encodeToolCallId(geminiId: string | null | undefined, signature: string | null | undefined): string {
  const base = geminiId || `call_${randomBytes(12).toString('hex')}`;
  return signature ? `${base}${separator}${Buffer.from(signature, 'base64').toString('base64url')}` : base;
}

/** The signature carried by an id, as standard base64 (undefined when there is none). */
export function signatureFromToolCallId(id: string): string | undefined {
  const at = id.indexOf(separator);
  if (at < 0) return undefined;
  const encoded = id.slice(at + separator.length);
  return encoded === '' ? undefined : Buffer.from(encoded, 'base64url').toString('base64');
}
