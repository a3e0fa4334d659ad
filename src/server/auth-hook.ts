import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.ts';
import type { CallerGovernance, KeyResolution, KeyResolver } from '../core/governance.ts';

/** Who is calling: the operator (master key), or anyone when no master key is set. */
export interface Identity {
  kind: 'master' | 'open' | 'virtual';
  keyId: string | null;
  keyName?: string | null;
  team: string | null;
  /** The key's allow-list; absent means every model (master key, open access). */
  allowsModel?: (name: string) => boolean;
  /** A virtual key's (and its team's) budgets, limits and guardrails. */
  governance?: CallerGovernance;
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
 * A constant-time test for one key: both sides are compared as SHA-256 digests, so neither the
 * content nor the length of the master key leaks through timing. The expected key is hashed
 * once, here, not on every request; the presented key with the one-shot `crypto.hash` (Node 20.12+),
 * which builds no Hash object.
 */
export function keyMatcher(expected: string): (presented: string) => boolean {
  const digest = hash('sha256', expected, 'buffer');
  return (presented) => timingSafeEqual(hash('sha256', presented, 'buffer'), digest);
}

/**
 * Authenticates a /v1 request: the master key, or a virtual key (hash lookup, cached; revoked and
 * expired keys are 401). Without a master key the API is open (local use), but a valid virtual
 * key presented anyway still applies its allow-list, limits and budget. The master key and a
 * missing key are answered synchronously (no promise on the hot path); a virtual key waits for
 * its resolution. Refusals are thrown (synchronously, or as the promise's rejection).
 */
export function authenticate(
  request: FastifyRequest,
  isMasterKey: ((key: string) => boolean) | undefined,
  allowApiKeyHeader: boolean,
  keys?: KeyResolver,
): Identity | Promise<Identity> {
  const key = presentedKey(request, allowApiKeyHeader);
  if (!isMasterKey) {
    if (key === undefined || !keys) return { kind: 'open', keyId: null, team: null };
    return keys.resolve(key).then((resolved) => (resolved.status === 'valid' ? virtualIdentity(resolved) : { kind: 'open', keyId: null, team: null }));
  }
  if (key === undefined) {
    throw new GatewayError(
      'SB_ERR_UNAUTHORIZED',
      allowApiKeyHeader
        ? 'Missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>".'
        : 'Missing API key: send it as "Authorization: Bearer <key>".',
    );
  }
  if (isMasterKey(key)) return { kind: 'master', keyId: null, team: null };
  if (!keys) return virtualOrRefused(undefined);
  return keys.resolve(key).then(virtualOrRefused);
}

function virtualOrRefused(resolved: KeyResolution | undefined): Identity {
  switch (resolved?.status) {
    case 'valid':
      return virtualIdentity(resolved);
    case 'revoked':
      throw new GatewayError('SB_ERR_UNAUTHORIZED', 'This API key has been revoked.');
    case 'expired':
      throw new GatewayError('SB_ERR_UNAUTHORIZED', 'This API key has expired.');
    default:
      throw new GatewayError('SB_ERR_UNAUTHORIZED', 'Incorrect API key provided.');
  }
}

function virtualIdentity(resolved: Extract<KeyResolution, { status: 'valid' }>): Identity {
  return {
    kind: 'virtual',
    keyId: resolved.keyId,
    keyName: resolved.keyName,
    team: resolved.team,
    allowsModel: resolved.allowsModel,
    governance: resolved.governance,
  };
}
