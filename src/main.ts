import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Gateway } from './app.ts';
import { environmentProviders, knownNames, openPrimary } from './app-primary.ts';
import { loadCatalog } from './catalog/index.ts';
import { connectToPrimary, isClusterWorker } from './cluster/worker-link.ts';
import { configFromEnvironment } from './config/from-env.ts';
import { ConfigError, findConfigFile, loadConfigFile, validateConfig, type LoadedConfig } from './config/load.ts';
import { describeRedisUrl, describeStorageUrl } from './config/storage-url.ts';
import type { Config } from './config/schema.ts';
import { closeLogger, createLogger } from './telemetry/logger.ts';

const usage = `Usage: switchboard serve [--config FILE] [--port N] [--host H] [--workers N]

  --config FILE   config file (default: ./switchboard.yaml if present, else $SWITCHBOARD_CONFIG;
                  with neither, providers come from *_API_KEY environment variables)
  --port N        port to listen on (default: server.port, 4000)
  --host H        address to bind (default: server.host; else 0.0.0.0 with a master key,
                  localhost without one)
  --workers N     processes serving the port (default: server.workers, else the number of
                  cores); 1 runs a single process
`;

/*
 * The gateway (src/app.ts: Fastify, the pipeline, the ingress formats, undici) and the cluster
 * primary (src/cluster/primary.ts) are imported when the command needs them, not above: the
 * primary of `--workers N` never serves a request and so never loads the gateway, and `--help`
 * or a config error answers without loading either (docs/decisions/0010-compiled-build-and-benchmark.md).
 */

/** The CLI: `switchboard serve`. Returns when the server has stopped. */
export async function main(argv: readonly string[]): Promise<void> {
  // A worker forked by the primary below: it takes its config from the primary, not from argv.
  if (isClusterWorker()) return serveAsWorker();
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        workers: { type: 'string', short: 'w' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const command = parsed.positionals[0] ?? 'serve';
  if (parsed.values.help || command === 'help') {
    process.stdout.write(usage);
    return;
  }
  if (command !== 'serve') {
    process.stderr.write(`Unknown command "${command}".\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const port = parsed.values.port === undefined ? undefined : Number(parsed.values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port: "${parsed.values.port}" is not a port number\n`);
    process.exitCode = 2;
    return;
  }

  const requestedWorkers = parsed.values.workers === undefined ? undefined : Number(parsed.values.workers);
  if (requestedWorkers !== undefined && (!Number.isInteger(requestedWorkers) || requestedWorkers < 1 || requestedWorkers > 256)) {
    process.stderr.write(`--workers: "${parsed.values.workers}" is not a number of processes (1 to 256)\n`);
    process.exitCode = 2;
    return;
  }

  let loaded: LoadedConfig;
  let notes: string[] = [];
  try {
    ({ loaded, notes } = await loadConfiguration(parsed.values.config));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  const { config } = loaded;
  const host = parsed.values.host ?? config.server.host ?? (config.server.master_key ? '0.0.0.0' : 'localhost');
  const workers = workerCount(config, requestedWorkers ?? config.server.workers, notes);
  if (workers instanceof Error) {
    process.stderr.write(`${workers.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (workers > 1) return servePrimary(config, workers, port ?? config.server.port, host, (address) => printBanner(address, loaded, notes, workers));
  let gateway: Gateway;
  try {
    const { createGateway } = await import('./app.ts');
    gateway = await createGateway(config);
  } catch (error) {
    process.stderr.write(`Switchboard could not start: ${(error as Error).message}\n`);
    process.exitCode = 1;
    // A connection opened before the failure (Redis reconnects for good) must not keep the process alive.
    setTimeout(() => process.exit(1), 1_000).unref();
    return;
  }
  const address = await listenOrSay(gateway, port ?? config.server.port, host, 'Switchboard could not start');
  if (address === undefined) return;
  // Signals are handled before the banner says it listens: whoever reads that line may stop it at once.
  const stopped = waitForShutdown(gateway, config.server.drain_timeout_ms, ['SIGTERM', 'SIGINT']);
  printBanner(address, loaded, notes, 1);
  await stopped;
}

/** The gateway listening; undefined (exit code 1, storage closed) after saying in one line why it could not. */
async function listenOrSay(gateway: Gateway, port: number, host: string, heading: string): Promise<string | undefined> {
  try {
    return await gateway.listen(port, host);
  } catch (error) {
    process.stderr.write(`${heading}: ${listenProblem(error, port, host)}\n`);
    process.exitCode = 1;
    await gateway.close(0).catch(() => undefined);
    return undefined;
  }
}

/** Why the server could not listen, in one line: the usual causes named, anything else with its code. */
function listenProblem(error: unknown, port: number, host: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use (another process listens there; choose another with --port)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (--host)`;
    case 'EACCES':
      return `no permission to listen on port ${port} (ports below 1024 need privileges)`;
    default:
      return `cannot listen on ${host}:${port}: ${(error as Error).message}`;
  }
}

/**
 * How many processes serve the port: asked for, else one per core. A database in memory is
 * each process's own, so it cannot be shared: one process then (an error if more were asked for).
 */
function workerCount(config: Config, requested: number | undefined, notes: string[]): number | Error {
  const inMemory = config.storage.url === 'sqlite://:memory:' || config.storage.url === ':memory:';
  if (inMemory && requested !== undefined && requested > 1) {
    return new Error(`--workers ${requested}: storage ${config.storage.url} cannot be shared by several processes; use a database file (sqlite://path) or --workers 1`);
  }
  // Already a worker of another cluster manager (pm2 cluster mode): that manager runs the copies.
  if (!cluster.isPrimary) {
    notes.push('running as a worker of another cluster manager: one process here');
    return 1;
  }
  if (requested !== undefined) return requested;
  const cores = availableParallelism();
  if (inMemory && cores > 1) notes.push('storage in memory: one process (workers would each have a database of their own)');
  return inMemory ? 1 : cores;
}

/** The primary of `--workers N` (src/cluster/primary.ts): forks the workers and waits for them to stop. */
async function servePrimary(config: Config, workers: number, port: number, host: string, onListening: (address: string) => void): Promise<void> {
  const logger = createLogger(config.server.log_level).child({ worker: 'primary' });
  let code: number;
  try {
    const { runPrimary } = await import('./cluster/primary.ts');
    code = await runPrimary({
      workers,
      config,
      port,
      host,
      logger,
      onListening,
      listenProblem: (error) => listenProblem(error, port, host),
      onStartFailed: (message) => process.stderr.write(`Switchboard could not start: ${message}\n`),
      open: (flushWorkers) => openPrimary(config, logger, { workers, flushWorkers }),
    });
  } catch (error) {
    process.stderr.write(`Switchboard could not start: ${(error as Error).message}\n`);
    code = 1;
  }
  process.exitCode = code;
  await closeLogger(logger);
  setImmediate(() => process.exit());
}

/** A worker of `--workers N`: the config and its slot come from the primary. */
async function serveAsWorker(): Promise<void> {
  // Ctrl-C reaches every process of the terminal's group: the primary alone acts on it, by
  // sending each worker SIGTERM, so a worker is never replaced while the whole server stops.
  process.on('SIGINT', () => undefined);
  // Loading starts before the primary is asked for the config, so the two overlap.
  const gatewayModule = import('./app.ts');
  const connection = await connectToPrimary();
  const { config, slot } = connection.setup;
  const logger = createLogger(config.server.log_level).child({ worker: slot });
  let gateway: Gateway;
  try {
    const { createGateway } = await gatewayModule;
    gateway = await createGateway(config, { logger, cluster: connection.link });
  } catch (error) {
    process.stderr.write(`Switchboard could not start (worker ${slot}): ${(error as Error).message}\n`);
    process.exitCode = 1;
    setImmediate(() => process.exit());
    return;
  }
  let serve: (socket: Socket) => boolean;
  try {
    serve = await gateway.serveHanded();
  } catch (error) {
    process.stderr.write(`Switchboard could not start (worker ${slot}): ${(error as Error).message}\n`);
    process.exitCode = 1;
    await gateway.close(0).catch(() => undefined);
    setImmediate(() => process.exit());
    return;
  }
  const stopped = waitForShutdown(gateway, config.server.drain_timeout_ms, ['SIGTERM'], {
    beforeDrain: () => connection.draining(),
    afterDrain: () => connection.retire(),
  });
  connection.listening(serve);
  await stopped;
}

async function loadConfiguration(explicit: string | undefined): Promise<{ loaded: LoadedConfig; notes: string[] }> {
  const file = await findConfigFile(explicit, process.env);
  if (file) return { loaded: await loadConfigFile(file, process.env, knownNames()), notes: [] };
  const catalog = await loadCatalog();
  const { raw, notes } = configFromEnvironment(process.env, environmentProviders(catalog));
  return { loaded: validateConfig(raw, undefined, process.env, knownNames()), notes };
}

/** Human-readable startup summary on stderr (logs proper are JSON on stdout). */
function printBanner(address: string, loaded: LoadedConfig, notes: readonly string[], workers: number): void {
  const { config } = loaded;
  const lines = [
    `Switchboard listening on ${address}`,
    `  config:    ${loaded.file ?? 'none (built from the environment)'}`,
    ...notes.map((note) => `             ${note}`),
    `  workers:   ${workers === 1 ? '1 (a single process)' : `${workers} processes on one port (--workers)`}`,
    `  storage:   ${describeStorageUrl(config.storage.url)}`,
    ...(config.storage.redis ? [`  redis:     ${describeRedisUrl(config.storage.redis)} (rate limits, budgets and key changes shared by replicas)`] : []),
    `  providers: ${config.providers.map((provider) => `${provider.id} (${provider.type})`).join(', ') || 'none'}`,
    `  models:    ${summarize(config.models.map((model) => model.id))}`,
    `  routes:    ${summarize(config.routes.map((route) => `${route.id} (${route.strategy})`))}`,
    ...loaded.warnings.map((warning) => `  warning:   ${warning}`),
  ];
  if (!config.server.master_key) {
    lines.push(
      '',
      '  !!! WARNING: no master key is set (server.master_key / SWITCHBOARD_MASTER_KEY).',
      '  !!! Anyone who can reach this port can use your providers. Set a master key before exposing it.',
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

function summarize(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * SIGTERM/SIGINT: stop taking requests, let in-flight ones finish until the drain timeout, end
 * those left with an error, write their rows, close storage, exit 0 (src/app.ts `close`). The
 * process exits once that is done even if something (a library's timer, a socket) would keep it
 * alive: a drained gateway that does not exit is what a supervisor kills -9.
 */
function waitForShutdown(
  gateway: Gateway,
  drainTimeoutMs: number,
  signals: readonly NodeJS.Signals[],
  hooks: { beforeDrain?: () => void; afterDrain?: () => Promise<void> } = {},
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info({ signal, drain_timeout_ms: drainTimeoutMs }, 'draining: no new requests; waiting for in-flight requests and streams');
      hooks.beforeDrain?.();
      gateway
        .close(drainTimeoutMs)
        .then(() => gateway.logger.info('stopped'))
        .catch((error: unknown) => {
          gateway.logger.error({ err: error }, 'error while stopping');
          process.exitCode = 1;
        })
        .then(hooks.afterDrain)
        .finally(() =>
          closeLogger(gateway.logger).then(() => {
            resolve();
            setImmediate(() => process.exit());
          }),
        );
    };
    // A SIGTERM repeated while draining changes nothing: systemd (KillMode=control-group) and
    // `kill -- -PGID` signal every process of a server at once and the primary passes its own on
    // to each worker, so a worker gets two, and the second must not kill it mid-drain (the default
    // action once no listener is left). A second Ctrl-C still ends the process at once.
    for (const signal of signals) {
      if (signal === 'SIGINT') process.once(signal, () => stop(signal));
      else process.on(signal, () => stop(signal));
    }
  });
}
