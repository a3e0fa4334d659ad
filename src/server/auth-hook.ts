import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.ts';

/** Who is calling: the operator (master key), or anyone when no master key is set. */
export interface Identity {
  kind: 'master' | 'open';
  keyId: string | null;
  team: string | null;
}

/** The key a request presents: `Authorization: Bearer <key>`, or `x-api-key` where allowed. */
export function presentedKey(request: FastifyRequest, allowApiKeyHeader: boolean): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  if (allowApiKeyHeader) {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  }
  return undefined;
}

/**
 * Compares keys in constant time: both sides are hashed first, so neither the content nor the
 * length of the master key leaks through timing.
 */
export function keysEqual(presented: string, expected: string): boolean {
  const left = createHash('sha256').update(presented).digest();
  const right = createHash('sha256').update(expected).digest();
  return timingSafeEqual(left, right);
}

/** Authenticates a /v1 request against the master key (no key configured: open access). */
export function authenticate(request: FastifyRequest, masterKey: string | undefined, allowApiKeyHeader: boolean): Identity {
  if (!masterKey) return { kind: 'open', keyId: null, team: null };
  const key = presentedKey(request, allowApiKeyHeader);
  if (key === undefined) {
    throw new GatewayError(
      'SB_ERR_UNAUTHORIZED',
      allowApiKeyHeader
        ? 'Missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>".'
        : 'Missing API key: send it as "Authorization: Bearer <key>".',
    );
  }
  if (keysEqual(key, masterKey)) return { kind: 'master', keyId: null, team: null };
  throw new GatewayError('SB_ERR_UNAUTHORIZED', 'Incorrect API key provided.');
}
