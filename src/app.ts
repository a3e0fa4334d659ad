import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { formatAnthropicError } from './api/anthropic/format-error.ts';
import { formatOpenAIError } from './api/openai/format-error.ts';
import { knownNames } from './app-primary.ts';
import { loadCatalog } from './catalog/index.ts';
import type { Config, ProviderConfig } from './config/schema.ts';
import { GatewayError } from './core/errors.ts';
import { requestFinishedChannel, type RequestFinishedMessage } from './core/events.ts';
import type { LedgerRow } from './core/ledger.ts';
import type { ProviderSettings } from './core/provider-adapter.ts';
import type { ProviderProfile } from './core/strategy.ts';
import { createChangeRelay } from './cluster/change-relay.ts';
import type { SharedChange } from './core/shared-change.ts';
import { createGovernanceParts } from './keys/compose.ts';
import type { Admission } from './keys/limits.ts';
import { CredentialCipher } from './keys/credential-cipher.ts';
import type { FinishedRequest, RequestRecord } from './ledger/request-record.ts';
import { openLedger } from './ledger/open-ledger.ts';
import { journalName } from './ledger/recovery.ts';
import type { LedgerWriter } from './ledger/writer.ts';
import { Pipeline } from './pipeline.ts';
import { providerDefinitions } from './providers/index.ts';
import type { ProviderHandle } from './router/execute.ts';
import { strategies } from './router/index.ts';
import { ModelRegistry } from './router/model-registry.ts';
import { candidateFilters } from './router/filters/index.ts';
import { CircuitPolicies } from './router/circuit-policy.ts';
import { Planner } from './router/plan.ts';
import { RuntimeProviders, type BuiltProvider } from './router/runtime-providers.ts';
import { compileRules } from './router/rules.ts';
import { registerAdminRoutes } from './server/admin/index.ts';
import type { ErrorShaper } from './server/ingress-format.ts';
import { HandedConnections, privateListenPath } from './server/handed-connections.ts';
import { createHttpServer } from './server/http.ts';
import { registerChatRoutes } from './server/routes/chat.ts';
import { registerEmbeddingRoutes } from './server/routes/embeddings.ts';
import { registerMessageRoutes } from './server/routes/messages.ts';
import { registerModelRoutes } from './server/routes/models.ts';
import { registerOperationRoutes } from './server/routes/operations.ts';
import { registerRouteExplainRoutes } from './server/routes/route-explain.ts';
import { registerFeedbackRoutes } from './server/routes/feedback.ts';
import { createFeedbackRecorder } from './feedback/record-feedback.ts';
import type { Gateway, GatewayOptions } from './gateway.ts';
import { journalLocation } from './store/journal-location.ts';
import { openStorage, storageLimits, storageLogging, wantsLedgerThread } from './store/open.ts';
import { claimJournalLocks } from './store/journal-lock.ts';
import { openSharedState } from './store/redis/index.ts';
import { createLogger } from './telemetry/logger.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { createHttpClient } from './upstream/http-client.ts';
import { createImageFetcher } from './upstream/image-fetcher.ts';
import { tapRateLimits } from './upstream/rate-limit-tap.ts';
import { createMemoryRoutingState } from './store/memory/routing-state.ts';
import { createMemoryResponseCache } from './store/memory/response-cache.ts';
import { SharedSignal } from './server/shared-signal.ts';

/**
 * The composition root of a gateway (a single process or a worker of `--workers N`): with
 * src/app-primary.ts, the only modules that pick concrete stores, adapters and strategies.
 * Everything else receives what it needs through interfaces from src/core/.
 */

// Re-exported: tests and tools build configs against the same names as the CLI.
export { environmentProviders, knownNames } from './app-primary.ts';

export type { Gateway, GatewayOptions };

/** How long connections may stay open after the drain deadline ended their requests. */
const closeGraceMs = 2_000;
/** How often the drain closes connections that went idle. */
const idleSweepMs = 50;
/** How long the ledger waits, after the last connection closed, for the rows those closes finish. */
const recordGraceMs = 1_000;

/** Why readiness fails on the ledger, or undefined. */
function ledgerProblem(writer: LedgerWriter): string | undefined {
  if (writer.healthy) return undefined;
  const stats = writer.stats();
  return `${stats.lastError ?? 'writes are failing'} (${stats.queued} rows queued, ${stats.writeFailures} failed batches)`;
}

/** Builds a gateway from a validated config. */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const instance = randomUUID();
  const logger = options.logger ?? createLogger(config.server.log_level);
  const catalog = options.catalog ?? (await loadCatalog());
  const link = options.cluster;
  const workers = link?.workers ?? 1;
  // Ledger batches in a thread of their own only when a core is left over by the processes
  // serving the port (docs/decisions/0011-ledger-write-path.md).
  const storage = await openStorage(config.storage.url, { ledgerThread: wantsLedgerThread(availableParallelism(), workers), ...storageLogging(logger), ...storageLimits(config) });
  const environment = options.environment ?? process.env;
  const databasePath = await journalLocation(config.storage.url, environment);
  // A worker's instance is its primary's, which holds the lock; a single process claims one.
  const journalLocks = !link && databasePath ? claimJournalLocks(databasePath) : undefined;
  const journal = journalName(link?.slot, link?.instance ?? journalLocks?.instance);
  // The lock goes with a start that fails here, or this process's next gateway would be another instance.
  const { writer, inFlight, cutOff } = await openLedger(storage, databasePath, logger, journal, journalLocks).catch((error: unknown) => {
    journalLocks?.release();
    throw error;
  });
  const metrics = createMetrics(instance, { ledger: () => writer.stats(), ...(config.storage.redis ? { redis: () => shared?.connected() === true } : {}) }, link ? { worker: String(link.slot) } : {});
  metrics.countRows(cutOff);
  const shared = config.storage.redis ? await openSharedState(config.storage.redis, { prefix: environment.SWITCHBOARD_REDIS_PREFIX || 'switchboard:', logger }) : undefined;
  // Reads that must see every finished request (admin, feedback, a budget's spend): with workers all of them flush, with Redis every replica.
  const flushOwnLedgers = link ? () => link.flushAllLedgers() : () => writer.flush();
  const flushAllLedgers = shared ? () => Promise.all([flushOwnLedgers(), shared.publish({ kind: 'ledger-flush' })]).then(() => undefined) : flushOwnLedgers;
  const shutdown = new AbortController();
  // Requests and streams in flight wait on it through one listener (src/server/shared-signal.ts).
  const drainDeadline = new SharedSignal(shutdown.signal);
  const http = createHttpClient();
  const images = createImageFetcher({ allowPrivate: config.server.allow_private_image_urls });

  const providers = new Map<string, ProviderHandle>();
  const profiles = new Map<string, ProviderProfile>();
  const circuits = new CircuitPolicies(config.providers);
  const relay = createChangeRelay(link, shared, logger);
  // A deployment's failures and recoveries reach every worker and replica: each opens its circuit after the failures in a row of all.
  const state = createMemoryRoutingState(circuits.policyFor, Date.now, relay ? (news) => relay.spread({ kind: 'health', ...news }) : undefined);
  // Rate-limit headers are read off every answer only when a route's strategy ranks by them.
  const readsRateLimits = config.routes.some((route) => strategies.get(route.strategy)?.readsRateLimits === true);
  // Config providers at startup and /admin/providers at runtime are built the same way.
  const buildProvider = (provider: ProviderConfig): BuiltProvider => {
    const definition = providerDefinitions.get(provider.type)!;
    circuits.set(provider);
    const settings: ProviderSettings = {
      id: provider.id,
      type: provider.type,
      ...(provider.base_url ?? definition.defaultBaseUrl ? { baseUrl: provider.base_url ?? definition.defaultBaseUrl } : {}),
      ...(provider.api_key ? { apiKey: provider.api_key } : {}),
      headers: provider.headers,
      timeoutMs: provider.timeout_ms,
      options: {
        api_version: provider.api_version,
        continue_final_message: provider.continue_final_message,
        region: provider.region,
        aws_access_key_id: provider.aws_access_key_id,
        aws_secret_access_key: provider.aws_secret_access_key,
        aws_session_token: provider.aws_session_token,
      },
    };
    const client = readsRateLimits ? tapRateLimits(http, (limits) => state.recordRateLimit(provider.id, limits)) : http;
    return {
      handle: { adapter: definition.create(settings, { http: client, images }), timeoutMs: provider.timeout_ms },
      profile: {
        id: provider.id,
        type: provider.type,
        onPrem: provider.data_policy?.on_prem ?? definition.onPremDefault ?? false,
        retainsData: provider.data_policy?.retains_data ?? !(definition.onPremDefault ?? false),
        // Each worker counts what it dispatches itself, so it steers by its share of the limits.
        limits: { ...(provider.limits?.rpm ? { rpm: provider.limits.rpm / workers } : {}), ...(provider.limits?.tpm ? { tpm: provider.limits.tpm / workers } : {}) },
      },
      catalogType: definition.catalogType ?? provider.type,
      ...(definition.cachePriceMultipliers ? { cachePriceMultipliers: definition.cachePriceMultipliers } : {}),
    };
  };
  const registryProviders = config.providers.map((provider) => {
    const built = buildProvider(provider);
    providers.set(provider.id, built.handle);
    profiles.set(provider.id, built.profile);
    return { id: provider.id, catalogType: built.catalogType, selfHosted: built.profile.onPrem, cachePriceMultipliers: built.cachePriceMultipliers };
  });
  const registry = new ModelRegistry(config.models, registryProviders, catalog);
  const governed = createGovernanceParts(storage, config, () => writer.flush(), {
    ...(link ? { admission: link.admission } : {}),
    ...(shared ? { share: (local: Admission) => shared.admission(local, { costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger: flushAllLedgers }) } : {}),
    ...(relay ? { keyChanged: (keyHash: string) => relay.announce({ kind: 'key', keyHash }), teamsChanged: () => relay.announce({ kind: 'teams' }) } : {}),
  });
  const encryptionKey = environment.SWITCHBOARD_ENCRYPTION_KEY || config.server.master_key;
  const runtimeProviders = new RuntimeProviders({
    store: storage.providers,
    cipher: encryptionKey ? new CredentialCipher(encryptionKey) : undefined,
    providerTypes: knownNames().providerTypes,
    configured: config.providers,
    build: buildProvider,
    handles: providers,
    profiles,
    registry,
    catalog,
    ...(relay ? { changed: (id: string) => relay.announce({ kind: 'provider', id }) } : {}),
  });
  for (const warning of await runtimeProviders.load()) logger.warn(warning);
  state.loadFeedback(await storage.feedback.totals());
  const planner = new Planner({ registry, routes: config.routes, strategies, filters: candidateFilters, providers: (id) => profiles.get(id), state });
  if (!link || link.slot === 1) for (const warning of planner.warnings) logger.warn(warning);
  const pipeline = new Pipeline({
    planner,
    rules: compileRules(config.rules),
    providers,
    state,
    countDispatchTokens: config.providers.some((provider) => provider.limits?.tpm !== undefined),
    ...(config.routes.some((route) => route.cache) ? { cache: shared ? shared.responseCache(createMemoryResponseCache()) : createMemoryResponseCache() } : {}),
    governance: governed.governance,
    canRecord: () => !writer.full,
  });

  const logShare = Number(config.server.log_requests);
  const onRequestFinished: FinishedRequest = (row, journaled, record) => {
    // Other requests in flight may finish in this turn too: the answer waits for its end, where
    // the rows of all of them are journaled in one write (src/ledger/writer.ts).
    const shared = journaled !== undefined && inFlight !== undefined && inFlight.open > 1;
    if (shared) {
      // The request leaves the in-flight journal only once its row is written: a kill before
      // must still find it there.
      writer.append(row, () => {
        record.onRowJournaled?.();
        journaled();
      });
    } else {
      // Alone in flight (concurrency 1), its answer would only wait: its row is written now.
      writer.append(row);
      record.onRowJournaled?.();
    }
    if (requestFinishedChannel.hasSubscribers) requestFinishedChannel.publish({ instance, row } satisfies RequestFinishedMessage);
    if (logShare > 0 && (logShare >= 1 || Math.random() < logShare)) logFinished(row);
    if (!shared) journaled?.();
  };
  const logFinished = (row: LedgerRow) =>
    logger.info(
      {
        request_id: row.id,
        endpoint: row.endpoint,
        status: row.status,
        http_status: row.httpStatus,
        model: row.model,
        provider: row.provider,
        route: row.route,
        attempts: row.attempts.length,
        input_tokens: row.inputTokens,
        output_tokens: row.outputTokens,
        cost_usd: row.costUsd,
        latency_ms: row.latencyMs,
        ttft_ms: row.ttftMs,
        error_code: row.errorCode,
      },
      'request finished',
    );

  let draining = false;
  let handed: HandedConnections | undefined;
  const errorShapers = new Map<string, ErrorShaper>([['openai', formatOpenAIError], ['anthropic', formatAnthropicError]]);
  const server = createHttpServer({
    maxBodyBytes: Math.round(config.server.max_body_mb * 1024 * 1024),
    ...(config.server.master_key ? { masterKey: config.server.master_key } : {}),
    keys: governed.keys,
    logger,
    errorShapers,
    onRequestFinished,
    isClosing: () => draining,
    ...(inFlight
      ? {
          onRequestStarted: (record: RequestRecord) => {
            const entry = inFlight.started(() => ({
              id: record.id,
              time: record.time,
              endpoint: record.endpoint,
              keyId: record.keyId,
              team: record.team,
              modelRequested: record.modelRequested,
              route: record.route,
              stream: record.stream,
            }));
            record.onModelNamed = () => inFlight.named(entry);
            record.onRowJournaled = () => inFlight.finished(entry);
          },
        }
      : {}),
  });
  // Counted on the HTTP server itself, not in Fastify hooks: a request refused by the
  // authentication hook skipped a later onRequest hook but not onResponse, and an aborted one
  // never reached onResponse, so the gauge drifted both ways. A response's 'close' comes once,
  // whether it finished or was cut. Ahead of Fastify's listener, so a request is counted before
  // any handler runs (a /metrics scrape counts itself, as the gauge is read while it is served).
  server.server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    metrics.requestStarted(response);
  });
  const context = {
    pipeline,
    listModels: () => [
      ...registry.list().map((model) => ({ id: model.id, ownedBy: model.providerId, ...(model.pricing ? {} : { unpriced: true }) })),
      ...planner.routeIds().map((id) => ({ id, ownedBy: 'switchboard', ...(planner.routeModels(id).some((model) => model.pricing) ? {} : { unpriced: true }) })),
      // Catalog models all have prices (docs/catalog.md), and self-hosted ones cost $0.
      ...registry.addresses().map((address) => ({ id: address.id, ownedBy: address.providerId })),
    ],
    metricsRegistry: link ? { contentType: metrics.registry.contentType, metrics: () => link.clusterMetrics() } : metrics.registry,
    pingStorage: () => storage.ping(),
    isDraining: () => draining,
    ledgerProblem: () => ledgerProblem(writer),
    shutdown: drainDeadline,
  };
  registerChatRoutes(server, context);
  registerMessageRoutes(server, context);
  registerEmbeddingRoutes(server, context);
  registerModelRoutes(server, context, Date.now());
  registerOperationRoutes(server, context);
  registerRouteExplainRoutes(server, context);
  // Learned quality is per process: a score recorded here is applied by every worker and replica.
  const learned = relay
    ? {
        recordFeedback: (model: string, score: number, replaced?: number) => {
          state.recordFeedback(model, score, replaced);
          relay.spread({ kind: 'feedback', model, score, ...(replaced !== undefined ? { replaced } : {}) });
        },
      }
    : state;
  registerFeedbackRoutes(server, createFeedbackRecorder({ ledger: storage.ledger, feedback: storage.feedback, state: learned, flushLedger: flushAllLedgers }));
  registerAdminRoutes(server, {
    ...governed,
    masterKey: config.server.master_key,
    ledger: storage.ledger,
    flushLedger: flushAllLedgers,
    audit: storage.audit,
    providers: runtimeProviders,
    hasGuardrail: (name) => governed.guardrails.has(name),
    routes: config.routes,
  });
  // Another worker's or replica's /admin change: drop what this one cached, or load the provider as stored now.
  const applyChange = async (change: SharedChange) => {
    if (change.kind === 'key') governed.keys.forget(change.keyHash);
    else if (change.kind === 'teams') governed.keys.teamsChanged();
    else if (change.kind === 'feedback') state.recordFeedback(change.model, change.score, change.replaced);
    else if (change.kind === 'health') state.applyHealthNews(change);
    else if (change.kind === 'ledger-flush') await writer.flush();
    else {
      const warning = await runtimeProviders.refresh(change.id);
      if (warning) logger.warn(warning);
    }
  };
  await shared?.subscribe(applyChange);
  await link?.serve({
    apply: applyChange,
    flushLedger: () => writer.flush(),
    metrics: () => metrics.registry.getMetricsAsJSON(),
  });

  return {
    server,
    config,
    logger,
    storage,
    async listen(port, host) {
      return server.listen({ port, host });
    },
    async serveHanded() {
      // Exclusive: a path in a cluster worker would otherwise be shared through the primary.
      await server.listen({ path: privateListenPath(), exclusive: true, listenTextResolver: () => 'serving the connections the primary hands over' });
      const connections = (handed ??= new HandedConnections(server.server));
      return (socket) => {
        if (draining) return false;
        connections.accept(socket);
        return true;
      };
    },
    async close(drainTimeoutMs = config.server.drain_timeout_ms) {
      draining = true;
      // Requests and streams in flight may finish until the deadline; then they end with an
      // error (503, or an error event on a stream) and their rows are written like any other.
      // Connections still open a moment later are closed. Only then is storage closed, so no
      // row arrives after it (issue 13, defect 4).
      const deadline = setTimeout(() => {
        logger.warn({ drain_timeout_ms: drainTimeoutMs }, 'drain deadline reached: ending the requests and streams still open');
        shutdown.abort(new GatewayError('SB_ERR_UNAVAILABLE', 'Switchboard is shutting down: the request was ended at the drain deadline.'));
      }, drainTimeoutMs);
      const force = setTimeout(() => server.server.closeAllConnections(), drainTimeoutMs + closeGraceMs);
      // A keep-alive connection whose last request finished during the drain is idle: close it
      // then rather than wait for the client to, or for the force timer.
      const idle = setInterval(() => server.server.closeIdleConnections(), idleSweepMs);
      try {
        await server.close();
        await handed?.closed();
      } finally {
        clearTimeout(deadline);
        clearTimeout(force);
        clearInterval(idle);
      }
      // A connection closed just now finishes its request's row in its own 'close' handler, a
      // turn or more later: the ledger waits for them (1 s at most) rather than drop their rows.
      for (let waited = 0; inFlight && inFlight.open > 0 && waited < recordGraceMs; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      const unwritten = await writer.close();
      if (unwritten > 0) logger.error({ rows: unwritten, journal: writer.journalLocation }, 'ledger rows could not be written before exit; they are kept in the journal and written at the next start');
      inFlight?.close();
      metrics.close();
      await http.close();
      await shared?.close();
      try {
        await storage.close();
      } finally {
        journalLocks?.release();
      }
    },
    flushLedger: () => writer.flush(),
  };
}
