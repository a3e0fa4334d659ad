import { parseArgs } from 'node:util';
import { createGateway, environmentProviders, knownNames, type Gateway } from './app.ts';
import { loadCatalog } from './catalog/index.ts';
import { configFromEnvironment } from './config/from-env.ts';
import { ConfigError, findConfigFile, loadConfigFile, validateConfig, type LoadedConfig } from './config/load.ts';

const usage = `Usage: switchboard serve [--config FILE] [--port N] [--host H]

  --config FILE   config file (default: ./switchboard.yaml if present, else $SWITCHBOARD_CONFIG;
                  with neither, providers come from *_API_KEY environment variables)
  --port N        port to listen on (default: server.port, 4000)
  --host H        address to bind (default: server.host; else 0.0.0.0 with a master key,
                  localhost without one)
`;

/** The CLI: `switchboard serve`. Returns when the server has stopped. */
export async function main(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
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
  let gateway: Gateway;
  try {
    gateway = await createGateway(config);
  } catch (error) {
    process.stderr.write(`Switchboard could not start: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const address = await gateway.listen(port ?? config.server.port, host);
  printBanner(address, loaded, notes);
  await waitForShutdown(gateway, config.server.drain_timeout_ms);
}

async function loadConfiguration(explicit: string | undefined): Promise<{ loaded: LoadedConfig; notes: string[] }> {
  const file = await findConfigFile(explicit, process.env);
  if (file) return { loaded: await loadConfigFile(file, process.env, knownNames()), notes: [] };
  const catalog = await loadCatalog();
  const { raw, notes } = configFromEnvironment(process.env, environmentProviders(catalog));
  return { loaded: validateConfig(raw, undefined, process.env, knownNames()), notes };
}

/** Human-readable startup summary on stderr (logs proper are JSON on stdout). */
function printBanner(address: string, loaded: LoadedConfig, notes: readonly string[]): void {
  const { config } = loaded;
  const lines = [
    `Switchboard listening on ${address}`,
    `  config:    ${loaded.file ?? 'none (built from the environment)'}`,
    ...notes.map((note) => `             ${note}`),
    `  storage:   ${config.storage.url}`,
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
function waitForShutdown(gateway: Gateway, drainTimeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info({ signal, drain_timeout_ms: drainTimeoutMs }, 'draining: no new requests; waiting for in-flight requests and streams');
      gateway
        .close(drainTimeoutMs)
        .then(() => gateway.logger.info('stopped'))
        .catch((error: unknown) => {
          gateway.logger.error({ err: error }, 'error while stopping');
          process.exitCode = 1;
        })
        .finally(() => {
          gateway.logger.flush(() => {
            resolve();
            setImmediate(() => process.exit());
          });
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
