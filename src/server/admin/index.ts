import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.ts';
import { keyMatcher, presentedKey } from '../auth-hook.ts';
import { registerAuditRoutes } from './audit.ts';
import type { AdminContext } from './context.ts';
import { registerKeyRoutes } from './keys.ts';
import { registerProviderRoutes } from './providers.ts';
import { registerRouteListing } from './routes.ts';
import { registerSpendRoutes } from './spend.ts';
import { registerTeamRoutes } from './teams.ts';
import { registerUsageRoutes } from './usage.ts';

export type { AdminContext } from './context.ts';

/**
 * /admin/*: keys, teams, usage, spend, providers, routes and the audit log (docs/admin.md).
 * Every endpoint needs the master key; a virtual key is 403, no key or a wrong one 401. With no
 * master key configured the admin API is disabled and answers 403 saying how to enable it.
 * Errors take the OpenAI shape (the error handler's default format).
 */
export function registerAdminRoutes(app: FastifyInstance, context: AdminContext): void {
  void app.register(
    async (admin) => {
      const isMasterKey = context.masterKey ? keyMatcher(context.masterKey) : undefined;
      admin.addHook('onRequest', async (request) => authorize(request, context, isMasterKey));
      registerKeyRoutes(admin, context);
      registerTeamRoutes(admin, context);
      registerUsageRoutes(admin, context);
      registerSpendRoutes(admin, context);
      registerProviderRoutes(admin, context);
      registerRouteListing(admin, context);
      registerAuditRoutes(admin, context);
    },
    { prefix: '/admin' },
  );
}

async function authorize(request: FastifyRequest, context: AdminContext, isMasterKey: ((key: string) => boolean) | undefined): Promise<void> {
  if (!isMasterKey) {
    throw new GatewayError(
      'SB_ERR_MODEL_FORBIDDEN',
      'The admin API is disabled: set a master key (server.master_key, e.g. from SWITCHBOARD_MASTER_KEY) to enable it.',
      { publicCode: 'admin_disabled' },
    );
  }
  const key = presentedKey(request.headers, false);
  if (key === undefined) throw new GatewayError('SB_ERR_UNAUTHORIZED', 'Missing API key: the admin API needs "Authorization: Bearer <master key>".');
  if (isMasterKey(key)) return;
  const resolved = await context.keys.resolve(key);
  if (resolved.status === 'valid') {
    throw new GatewayError('SB_ERR_MODEL_FORBIDDEN', 'The admin API needs the master key; virtual keys cannot use it.', { publicCode: 'admin_forbidden' });
  }
  throw new GatewayError('SB_ERR_UNAUTHORIZED', 'Incorrect API key provided.');
}
