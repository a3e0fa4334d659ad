import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../core/caller.ts';
import type { RequestRecord } from '../ledger/request-record.ts';
import type { Identity } from './auth-hook.ts';

const allowAll = () => true;

/** The Caller the pipeline sees for an authenticated request (a Fastify request, or an ApiExchange). */
export function callerOf(request: { identity: Identity | null; headers: IncomingHttpHeaders }): Caller {
  const identity = request.identity;
  return {
    keyId: identity?.keyId ?? null,
    keyName: identity?.keyName ?? null,
    team: identity?.team ?? null,
    allowsModel: identity?.allowsModel ?? allowAll,
    ...(identity?.governance ? { governance: identity.governance } : {}),
    header: (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/**
 * Names the authenticated caller on its request's record: key, team and the key's (and team's)
 * default metadata. The metadata is set here, before the body is read, so that a request refused
 * for its body (malformed JSON, a wrong field, a bad metadata header) still carries the key's
 * defaults on its ledger row, as every other row of the key does; the pipeline replaces it with
 * the request's merged metadata once the body is parsed.
 */
export function recordCaller(record: RequestRecord, identity: Identity): void {
  record.keyId = identity.keyId;
  record.team = identity.team;
  const defaults = identity.governance?.metadata;
  if (defaults === undefined) return;
  // Most keys have no defaults: no copy for them.
  for (const _name in defaults) {
    record.metadata = { ...defaults };
    return;
  }
}
