import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from './auth-hook.ts';
import { GatewayError } from '../core/errors.ts';
import { quote } from '../api/validation.ts';
import { checkMetadataLimits } from '../api/metadata-limits.ts';

/**
 * Routing metadata from the `x-switchboard-metadata` header: a JSON object with string values
 * (../shared/SPEC.md "Routing hints"). A malformed header is a 400, not silently ignored.
 * A virtual key's default metadata (and its team's) comes first; the header and then the body
 * override it.
 */
export function headerMetadata(request: { identity: Identity | null; headers: IncomingHttpHeaders }): Record<string, string> {
  const defaults = request.identity?.governance?.metadata;
  const header = request.headers['x-switchboard-metadata'];
  if (header === undefined) return { ...defaults };
  const text = Array.isArray(header) ? header.join(',') : header;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The x-switchboard-metadata header must be a JSON object.', { param: 'x-switchboard-metadata' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The x-switchboard-metadata header must be a JSON object.', { param: 'x-switchboard-metadata' });
  }
  checkMetadataLimits(parsed as Record<string, unknown>, 'x-switchboard-metadata');
  const metadata: Record<string, string> = { ...defaults };
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      // The key quoted as every request value is, cut short (a 12 KB key was echoed whole) and escaped.
      throw new GatewayError('SB_ERR_INVALID_REQUEST', `x-switchboard-metadata values must be strings (${quote(key)} is not).`, {
        param: 'x-switchboard-metadata',
      });
    }
    metadata[key] = value;
  }
  return metadata;
}
