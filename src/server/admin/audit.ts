import type { FastifyInstance } from 'fastify';
import { parseWith, type AdminContext } from './context.ts';
import { auditQuery } from './contract.ts';

/** /admin/audit: admin writes, newest first, filterable by action and target id. */
export function registerAuditRoutes(app: FastifyInstance, context: AdminContext): void {
  app.get('/audit', async (request) => {
    const query = parseWith(auditQuery, request.query, 'audit query');
    const entries = await context.audit.list({
      ...(query.action !== undefined ? { action: query.action } : {}),
      ...(query.target_id !== undefined ? { targetId: query.target_id } : {}),
      limit: query.limit ?? 100,
    });
    return {
      object: 'list',
      data: entries.map((entry) => ({
        id: entry.id,
        time: entry.time,
        actor: entry.actor,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        details: entry.details,
      })),
    };
  });
}
