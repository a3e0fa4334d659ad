import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { boundMessage, issueParam, quote, safeParseFirstIssue } from '../../api/validation.ts';
import { formatIssue } from '../../config/load.ts';
import type { RouteConfig } from '../../config/schema.ts';
import { GatewayError } from '../../core/errors.ts';
import type { AuditStore, LedgerStore } from '../../core/stores.ts';
import type { Admission } from '../../keys/limits.ts';
import type { Teams } from '../../keys/teams.ts';
import { hideSecrets, isSecretShaped, type VirtualKeys } from '../../keys/virtual-keys.ts';
import type { RuntimeProviders } from '../../router/runtime-providers.ts';

/** What the admin endpoints use; built by app.ts. */
export interface AdminContext {
  /** Undefined: the admin API is disabled. */
  masterKey: string | undefined;
  keys: VirtualKeys;
  teams: Teams;
  limits: Admission;
  ledger: LedgerStore;
  /** Writes queued ledger rows so reads see every finished request. */
  flushLedger(): Promise<void>;
  audit: AuditStore;
  providers: RuntimeProviders;
  /** Whether a guardrail of this name is configured. */
  hasGuardrail(name: string): boolean;
  routes: readonly RouteConfig[];
}

/**
 * Parses a body or query with a contract schema; a 400 names the first problem by field. Parsing
 * stops at that problem (src/api/validation.ts): listing every one made a 6 MB answer to a 195 KB
 * body with 97,000 wrong array items, after seconds of blocked event loop.
 */
export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.infer<Schema> {
  const parsed = safeParseFirstIssue(schema, value ?? {});
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const param = first && issueParam(first);
  throw new GatewayError('SB_ERR_INVALID_REQUEST', boundMessage(`Invalid ${what}: ${first ? formatIssue(first) : 'invalid value'}`), {
    ...(param !== undefined ? { param } : {}),
  });
}

/** The `{id}` path parameter. */
export function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/**
 * 404 in the OpenAI shape. A key addressed by something shaped like a secret is not quoted: that
 * would put a secret in the answer and the log line of every mistyped or rotated-away one. Nor is
 * a secret within the id (pasted with a newline, a space, a quote or `Bearer `): it is quoted
 * cut to its hint.
 */
export function notFound(kind: string, id: string): GatewayError {
  if (isSecretShaped(id)) return new GatewayError('SB_ERR_NOT_FOUND', `No ${kind} has this secret (sb-...${id.slice(-4)}).`);
  return new GatewayError('SB_ERR_NOT_FOUND', `No ${kind} with id ${quote(hideSecrets(id))}.`);
}

/** Every guardrail a key or team names must be configured. */
export function checkGuardrails(context: AdminContext, names: readonly string[] | undefined): void {
  const unknown = (names ?? []).filter((name) => !context.hasGuardrail(name));
  if (unknown.length) {
    const names = unknown.slice(0, 5).map(quote).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Unknown guardrail(s): ${names} (configure them under guardrails: in the config file).`, { param: 'guardrails' });
  }
}

/** Records an admin write: who (the master key), what, which object, when; never a secret. */
export async function audit(
  context: AdminContext,
  request: FastifyRequest,
  action: string,
  targetType: string,
  targetId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await context.audit.append({
    time: new Date().toISOString(),
    actor: 'master',
    action,
    targetType,
    targetId,
    details: { ...details, request_id: request.id, ip: request.ip },
  });
}
