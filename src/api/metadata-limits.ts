import { GatewayError } from '../core/errors.ts';
import { quote } from './validation.ts';

/**
 * Limits of the routing metadata a request brings (the body's `metadata`, the
 * `x-switchboard-metadata` header): OpenAI's own for Chat Completions' `metadata` (16 pairs, keys
 * of 64 characters, values of 512). The metadata goes whole onto the request's ledger row (and
 * /admin/usage, its CSV, the journal): without a limit one caller's 32 MB body wrote a 32 MB row
 * per request, and `/admin/usage` read a hundred of them into one answer.
 */
export const maxMetadataEntries = 16;
export const maxMetadataKeyLength = 64;
export const maxMetadataValueLength = 512;

/** Refuses (400, `param`: where it came from) metadata over the limits; values are strings already. */
export function checkMetadataLimits(metadata: Readonly<Record<string, unknown>> | null | undefined, param: string): void {
  if (metadata == null) return;
  let entries = 0;
  for (const key in metadata) {
    if (!Object.hasOwn(metadata, key)) continue;
    entries += 1;
    if (entries > maxMetadataEntries) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `${param} holds more than ${maxMetadataEntries} keys.`, { param });
    }
    if (key.length > maxMetadataKeyLength) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `${param} keys are at most ${maxMetadataKeyLength} characters (${quote(key)} is longer).`, { param });
    }
    const value = metadata[key];
    if (typeof value === 'string' && value.length > maxMetadataValueLength) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `${param} values are at most ${maxMetadataValueLength} characters (the value of ${quote(key)} is longer).`, { param });
    }
  }
}
