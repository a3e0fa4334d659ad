import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { formatOpenAIError } from './api/openai/format-error.ts';
import { loadCatalog, type Catalog } from './catalog/index.ts';
import type { KnownNames } from './config/check-references.ts';
import type { EnvironmentProvider } from './config/from-env.ts';
import type { Config } from './config/schema.ts';
import { requestFinishedChannel, type RequestFinishedMessage } from './core/events.ts';
import type { LedgerRow } from './core/ledger.ts';
import type { ProviderSettings } from './core/provider-adapter.ts';
import type { Storage } from './core/stores.ts';
import { LedgerWriter } from './ledger/writer.ts';
import { Pipeline } from './pipeline.ts';
import { providerDefinitions } from './providers/index.ts';
import type { ProviderHandle } from './router/execute.ts';
import { strategies } from './router/index.ts';
import { ModelRegistry } from './router/model-registry.ts';
import { Planner } from './router/plan.ts';
import type { ErrorShaper } from './server/ingress-format.ts';
import { createHttpServer } from './server/http.ts';
import { registerChatRoutes } from './server/routes/chat.ts';
import { registerEmbeddingRoutes } from './server/routes/embeddings.ts';
import { registerModelRoutes } from './server/routes/models.ts';
import { registerOperationRoutes } from './server/routes/operations.ts';
import { openStorage } from './store/open.ts';
import { createLogger } from './telemetry/logger.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { createHttpClient } from './upstream/http-client.ts';
import { createImageFetcher } from './upstream/image-fetcher.ts';

/**
 * The composition root: the only module that picks concrete stores, adapters and strategies.
 * Everything else receives what it needs through interfaces from src/core/.
 */

/** Names the config validator checks against. */
export function knownNames(): KnownNames {
  return {
    providerTypes: new Map([...providerDefinitions].map(([type, definition]) => [type, { requiresApiKey: definition.requiresApiKey, requiresBaseUrl: !definition.defaultBaseUrl && definition.requiresBaseUrl !== false }])),
    strategies: [...strategies.keys()],
  };
}

/** Provider types no-config mode turns on from *_API_KEY variables, with their catalog models. */
export function environmentProviders(catalog: Catalog): EnvironmentProvider[] {
  return [...providerDefinitions].flatMap(([type, definition]) =>
    definition.environmentKey
      ? [{ type, environmentKey: definition.environmentKey, catalogModels: catalog.entriesFor(definition.catalogType ?? type).map((entry) => entry.model) }]
      : [],
  );
}

/** Options mostly for tests: where logs go. */
export interface GatewayOptions {
  logger?: Logger;
  catalog?: Catalog;
}

/** A running gateway's parts and lifecycle. */
export interface Gateway {
  server: FastifyInstance;
  config: Config;
  logger: Logger;
  storage: Storage;
  /** Starts listening; resolves with the bound address. */
  listen(port: number, host: string): Promise<string>;
  /** Stops taking requests, lets in-flight ones (streams too) finish, flushes the ledger. */
  close(): Promise<void>;
  /** Flushes queued ledger rows now (tests and admin reads). */
  flushLedger(): Promise<void>;
}

/** Builds a gateway from a validated config. */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const instance = randomUUID();
  const logger = options.logger ?? createLogger(config.server.log_level);
  const catalog = options.catalog ?? (await loadCatalog());
  const storage = await openStorage(config.storage.url);
  const writer = new LedgerWriter(storage.ledger, {
    onFailure: (error, rows) => logger.error({ err: error, rows }, 'ledger write failed; rows kept for the next batch'),
  });
  const metrics = createMetrics(instance);
  const http = createHttpClient();
  const images = createImageFetcher();

  const providers = new Map<string, ProviderHandle>();
  const registryProviders = config.providers.map((provider) => {
    const definition = providerDefinitions.get(provider.type)!;
    const settings: ProviderSettings = {
      id: provider.id,
      type: provider.type,
      ...(provider.base_url ?? definition.defaultBaseUrl ? { baseUrl: provider.base_url ?? definition.defaultBaseUrl } : {}),
      ...(provider.api_key ? { apiKey: provider.api_key } : {}),
      headers: provider.headers,
      timeoutMs: provider.timeout_ms,
      options: {
        api_version: provider.api_version,
        region: provider.region,
        aws_access_key_id: provider.aws_access_key_id,
        aws_secret_access_key: provider.aws_secret_access_key,
        aws_session_token: provider.aws_session_token,
      },
    };
    providers.set(provider.id, { adapter: definition.create(settings, { http, images }), timeoutMs: provider.timeout_ms });
    return { id: provider.id, catalogType: definition.catalogType ?? provider.type };
  });
  const registry = new ModelRegistry(config.models, registryProviders, catalog);
  const planner = new Planner(registry, config.routes, strategies);
  const pipeline = new Pipeline({ planner, providers });

  const onRequestFinished = (row: LedgerRow) => {
    writer.append(row);
    if (requestFinishedChannel.hasSubscribers) requestFinishedChannel.publish({ instance, row } satisfies RequestFinishedMessage);
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
  };

  const errorShapers = new Map<string, ErrorShaper>([['openai', formatOpenAIError]]);
  const server = createHttpServer({
    maxBodyBytes: Math.round(config.server.max_body_mb * 1024 * 1024),
    ...(config.server.master_key ? { masterKey: config.server.master_key } : {}),
    logger,
    errorShapers,
    onRequestFinished,
  });
  let draining = false;
  server.addHook('onRequest', async () => {
    metrics.inFlight.inc();
  });
  server.addHook('onResponse', async () => {
    metrics.inFlight.dec();
  });
  const context = {
    pipeline,
    listModels: () => [
      ...registry.list().map((model) => ({ id: model.id, ownedBy: model.providerId })),
      ...planner.routeIds().map((id) => ({ id, ownedBy: 'switchboard' })),
    ],
    metricsRegistry: metrics.registry,
    pingStorage: () => storage.ping(),
    isDraining: () => draining,
  };
  registerChatRoutes(server, context);
  registerEmbeddingRoutes(server, context);
  registerModelRoutes(server, context, Date.now());
  registerOperationRoutes(server, context);

  return {
    server,
    config,
    logger,
    storage,
    async listen(port, host) {
      return server.listen({ port, host });
    },
    async close() {
      draining = true;
      await server.close();
      await writer.close();
      metrics.close();
      await http.close();
      await storage.close();
    },
    flushLedger: () => writer.flush(),
  };
}
