import type { IncomingHttpHeaders } from 'node:http';
import { quote } from '../api/validation.ts';
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
export function presentedKey(headers: IncomingHttpHeaders, allowApiKeyHeader: boolean): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  if (allowApiKeyHeader) {
    const apiKey = headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  }
  return undefined;
}

/**
 * A constant-time test for one key: every code unit of the presented key is compared (against the
 * expected key's, cycling through it) and the differences accumulated, so the time taken depends
 * on the presented key's length only, which the caller knows: neither the content nor the length
 * of the expected key leaks through timing. It replaces SHA-256 digests of both compared with
 * `timingSafeEqual`, which gave the same guarantee at about 1.3 µs a request in a loop and 4 µs
 * on the gateway's profile (OpenSSL's per-call setup), against a few tens of nanoseconds here.
 */
export function keyMatcher(expected: string): (presented: string) => boolean {
  if (expected.length === 0) return () => false;
  const length = expected.length;
  return (presented) => {
    let difference = presented.length ^ length;
    for (let index = 0; index < presented.length; index++) difference |= presented.charCodeAt(index) ^ expected.charCodeAt(index % length);
    return difference === 0;
  };
}

/**
 * Authenticates a /v1 request: the master key, or a virtual key (hash lookup, cached; revoked and
 * expired keys are 401). Without a master key the API is open (local use), but a valid virtual
 * key presented anyway still applies its allow-list, limits and budget. The master key and a
 * missing key are answered synchronously (no promise on the hot path); a virtual key waits for
 * its resolution. Refusals are thrown (synchronously, or as the promise's rejection).
 */
export function authenticate(
  headers: IncomingHttpHeaders,
  isMasterKey: ((key: string) => boolean) | undefined,
  allowApiKeyHeader: boolean,
  keys?: KeyResolver,
): Identity | Promise<Identity> {
  const key = presentedKey(headers, allowApiKeyHeader);
  if (!isMasterKey) {
    // A web page of another site gets no open access (see foreignPage); a valid virtual key still works.
    const foreign = foreignPage(headers.origin);
    if (key === undefined || !keys) {
      if (foreign) throw foreign;
      return { kind: 'open', keyId: null, team: null };
    }
    return keys.resolve(key).then((resolved) => {
      if (resolved.status === 'valid') return virtualIdentity(resolved);
      if (foreign) throw foreign;
      return { kind: 'open', keyId: null, team: null };
    });
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

/**
 * Without a master key the API is open to whatever can reach it, and the gateway listens on
 * localhost for local programs alone (src/main.ts). A browser reaches localhost too: any site the
 * user visits can POST to it (a `text/plain` body needs no CORS preflight, and every content type
 * is read as JSON), or rebind its own name to 127.0.0.1 and read the answers as same-origin (DNS
 * rebinding), spending the providers' credits of the keys in the environment. Browsers say which
 * page sends a request in `Origin` (on every POST, same-origin ones included); programs and SDKs
 * send none. So a request from a page whose origin is not this machine (`localhost`,
 * `*.localhost`, 127.0.0.0/8, [::1]; `null` included) needs a key. A web page's origin is always
 * http(s) or `null` (RFC 6454 §7; sandboxed frames, file: and data: pages send `null`), so an
 * origin of another scheme is software installed on this machine, which is not subject to CORS
 * and worked before: a browser extension (`chrome-extension://<id>`, `moz-extension://`), an
 * editor's webview (`vscode-webview://`), a desktop app (`app://`, `tauri://`). No CORS header is
 * ever sent, so no web page of another origin could read an answer anyway.
 */
function foreignPage(origin: string | string[] | undefined): GatewayError | undefined {
  if (origin === undefined) return undefined;
  const value = Array.isArray(origin) ? origin.join(', ') : origin;
  if (isLoopbackOrigin(value)) return undefined;
  return new GatewayError(
    'SB_ERR_UNAUTHORIZED',
    `A request from a web page (Origin ${quote(value)}) needs an API key: without a master key Switchboard serves programs on this machine only. Set a master key (server.master_key, SWITCHBOARD_MASTER_KEY) and send a key.`,
  );
}

function isLoopbackOrigin(origin: string): boolean {
  if (!URL.canParse(origin)) return false;
  const { protocol, hostname } = new URL(origin);
  if (protocol !== 'http:' && protocol !== 'https:') return true;
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * A revoked or expired key's 401, naming the key (never its secret): its ledger row carries the
 * key and team (src/server/error-handler.ts), so `/admin/usage?key_id=` answers "what still uses
 * the key I revoked?" (an outside review: those rows had no key).
 */
export class RefusedKeyError extends GatewayError {
  readonly keyId: string;
  readonly team: string | null;

  constructor(message: string, keyId: string, team: string | null) {
    super('SB_ERR_UNAUTHORIZED', message);
    this.keyId = keyId;
    this.team = team;
  }
}

function virtualOrRefused(resolved: KeyResolution | undefined): Identity {
  switch (resolved?.status) {
    case 'valid':
      return virtualIdentity(resolved);
    case 'revoked':
      throw new RefusedKeyError('This API key has been revoked.', resolved.keyId, resolved.team);
    case 'expired':
      throw new RefusedKeyError('This API key has expired.', resolved.keyId, resolved.team);
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
