import type { FastifyRequest } from 'fastify';
import type { Caller } from '../core/caller.ts';

const allowAll = () => true;

/** The Caller the pipeline sees for an authenticated request. */
export function callerOf(request: FastifyRequest): Caller {
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
