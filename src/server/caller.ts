import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../core/caller.ts';
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
