/**
 * The processes of `npm run bench`: the OpenAI simulator as the upstream, the raw Node proxy
 * (bench/raw-proxy.mjs) and the gateway (`switchboard serve --workers 1`, compiled, SQLite ledger,
 * logs at the default level), each pinned to a core when `taskset` exists.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from './load.ts';
import type { Target } from './report.ts';
import { portkeyHeaders } from './portkey.ts';

export const repository = fileURLToPath(new URL('..', import.meta.url));
export const upstreamKey = 'bench-upstream-key';
export const masterKey = 'bench-master';

/** Sentences a long system message is made of, by BENCH_PROMPT_SCRIPT. */
const promptSentences: Record<string, string> = {
  latin: 'The quick brown fox jumps over the lazy dog again. ',
  cyrillic: 'Быстрая бурая лиса прыгает через ленивую собаку. ',
  chinese: '快速的棕色狐狸跳过了懒狗。',
  // English with the odd accent, dash and curly quote: mostly ASCII, but not all.
  accented: 'Café — “quoted” text here, mostly ASCII with a few marks. ',
};

/**
 * The system message: "Be brief.", or with BENCH_PROMPT_KB about that many KB of UTF-8 (a long
 * context, as retrieval-augmented prompts send) in BENCH_PROMPT_SCRIPT (latin, the default;
 * cyrillic; chinese; accented): what a prompt's size and script cost (docs/performance.md).
 */
export const promptSettings = { kb: Number(process.env.BENCH_PROMPT_KB ?? 0), script: process.env.BENCH_PROMPT_SCRIPT ?? 'latin' };
function systemMessage(): string {
  if (!(promptSettings.kb > 0)) return 'Be brief.';
  const sentence = promptSentences[promptSettings.script];
  if (sentence === undefined) throw new Error(`BENCH_PROMPT_SCRIPT: "${promptSettings.script}" is not one of ${Object.keys(promptSentences).join(', ')}`);
  return sentence.repeat(Math.ceil((promptSettings.kb * 1024) / Buffer.byteLength(sentence)));
}

/** The benchmarks' chat request, non-streamed and streamed (with usage, as SDKs ask). */
export const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: systemMessage() }, { role: 'user', content: 'Say hello in five words.' }] });
export const streamBody = JSON.stringify({ ...JSON.parse(chatBody), stream: true, stream_options: { include_usage: true } });

/**
 * Where each process runs: the upstream and the load generator on core 0, the process under
 * test on core 1, when the machine has two cores and taskset exists; else anywhere.
 */
export function benchCores(): { pinned: boolean; generatorCore: number | undefined; serverCore: number | undefined } {
  const pinned = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return pinned ? { pinned, generatorCore: 0, serverCore: 1 } : { pinned, generatorCore: undefined, serverCore: undefined };
}

/**
 * The gateway's bin: BENCH_GATEWAY_BIN (another checkout's, measured as it is), else this
 * checkout's, after bringing dist/ up to date (the bin would otherwise fall back to tsx, and the
 * figures would be of that). Exits when the build fails.
 */
export function builtGatewayBin(): string {
  if (process.env.BENCH_GATEWAY_BIN !== undefined) return process.env.BENCH_GATEWAY_BIN;
  buildIfStale(repository);
  return join(repository, 'bin', 'switchboard.js');
}

/** Builds the checkout at `root` when its dist/ is older than its sources (`scripts/build.js --if-stale`); a failed build ends the benchmark. */
export function buildIfStale(root: string): void {
  const build = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

export interface Running {
  child: ChildProcess;
  pid: number;
  /** What the process printed that the pattern matched (its origin). */
  origin: string;
  stop(): Promise<void>;
}

/**
 * Starts `command` and resolves once `pattern` matches its `stream`. `onStdout`: what the process
 * writes to stdout when it is not `stream` (V8's --trace-gc lines, bench/gc.ts), else dropped.
 */
export function startProcess(
  command: string[],
  pattern: RegExp,
  stream: 'stdout' | 'stderr',
  core?: number,
  environment?: NodeJS.ProcessEnv,
  onStdout?: (text: string) => void,
): Promise<Running> {
  const [file, ...args] = pinned(core, command);
  const child = spawn(file!, args, {
    cwd: repository,
    env: environment ?? process.env,
    // The gateway's JSON logs go to /dev/null: written, as in production, but not read here.
    stdio: ['ignore', stream === 'stdout' || onStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  if (stream === 'stderr' && onStdout) child.stdout!.on('data', (chunk: Buffer) => onStdout(chunk.toString()));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = pattern.exec(output);
      if (!found) return;
      child[stream]!.off('data', onData);
      child[stream]!.resume();
      resolve({
        child,
        pid: child.pid!,
        origin: found[1]!,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      });
    };
    child[stream]!.on('data', onData);
    if (stream === 'stdout') child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${output}`)));
  });
}

/** `chunkDelayMs`: pause between the chunks of a streamed answer; `answerDelayMs`: before each answer (0: none). */
export function startSimulator(core?: number, chunkDelayMs = 0, answerDelayMs = 0): Promise<Running> {
  const environment = { ...process.env, BENCH_CHUNK_DELAY_MS: String(chunkDelayMs), BENCH_ANSWER_DELAY_MS: String(answerDelayMs) };
  return startProcess([process.execPath, '--import', 'tsx', 'bench/simulator-process.ts'], /(http:\/\/\S+)\n/, 'stdout', core, environment);
}

/** The raw proxy in front of the simulator; its origin is the simulator's with another port. */
export function startRawProxy(upstreamOrigin: string, core?: number): Promise<Running> {
  return startProcess([process.execPath, 'bench/raw-proxy.mjs', upstreamOrigin], /(http:\/\/\S+)\n/, 'stdout', core);
}

/**
 * The parsing relay (BENCH_RELAY=1) in front of the simulator, as the raw proxy; `extra`: Node
 * flags before its script and environment variables besides ours (bench/allocations.ts' probe),
 * a command it runs under (valgrind, bench/instructions.ts).
 */
export function startParsingRelay(upstreamOrigin: string, core?: number, extra: ProcessExtras = {}): Promise<Running> {
  const environment = extra.environment ? { ...process.env, ...extra.environment } : undefined;
  const command = [...(extra.wrapper ?? []), process.execPath, ...(extra.flags ?? []), 'bench/parsing-relay.mjs', upstreamOrigin];
  return startProcess(command, /(http:\/\/\S+)\n/, 'stdout', core, environment);
}

/** Writes the gateway's config: one OpenAI provider (the simulator), SQLite, default log level. */
export async function writeGatewayConfig(directory: string, simulatorUrl: string): Promise<string> {
  const file = join(directory, 'bench.yaml');
  await writeFile(
    file,
    [
      `server: { master_key: ${masterKey} }`,
      `storage: { url: "sqlite://${join(directory, 'bench.db')}" }`,
      `providers: [{ id: oai, type: openai, base_url: "${simulatorUrl}", api_key: ${upstreamKey} }]`,
      'models: [{ id: gpt-4o-mini, provider: oai, upstream: gpt-4o-mini }]',
    ].join('\n'),
  );
  return file;
}

/**
 * The Node flags the gateway runs with: those `npm start` gives it (package.json's start script,
 * so the benchmark measures the gateway as its quick start runs it: on Node 20, where the bin
 * cannot add a start-time flag to its own process, that matters; ADR 0019), then
 * BENCH_GATEWAY_NODE_FLAGS (space-separated): V8 heap settings, say.
 */
export function gatewayNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const startFlags = /\bnode\s+(.*?)\s*bin\/switchboard\.js\b/.exec(scripts.start ?? '')?.[1] ?? '';
  return [...startFlags.split(/\s+/), ...(process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ')].filter(Boolean);
}

/**
 * `switchboard serve` from `bin` (default: this checkout's, which runs dist/), with
 * `gatewayNodeFlags()` before the bin; `extra.wrapper`: a command it runs under (valgrind).
 */
export function startGateway(
  bin: string,
  config: string,
  workers: number,
  core?: number,
  extra: ProcessExtras & { onStdout?: (text: string) => void } = {},
): Promise<Running> {
  const flags = [...gatewayNodeFlags(), ...(extra.flags ?? [])];
  const command = [...(extra.wrapper ?? []), process.execPath, ...flags, bin, 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--workers', String(workers)];
  // Without the caller's SWITCHBOARD_* or provider keys: the config above is the whole setup.
  const environment = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^SWITCHBOARD_|_API_KEY$/.test(name))), ...extra.environment };
  return startProcess(command, /listening on (http:\/\/\S+)/, 'stderr', core, environment, extra.onStdout);
}

/** How a measured process is started besides its own command: Node flags, environment variables, a command it runs under. */
export interface ProcessExtras {
  flags?: string[];
  environment?: Record<string, string>;
  wrapper?: string[];
}

/** A process bench:allocations and bench:instructions measure, and where its chat endpoint is. */
export interface MeasuredProcess {
  name: 'gateway' | 'relay';
  start(extra: ProcessExtras): Promise<Running>;
  url(origin: string): string;
  key: string;
}

/** The gateway (`bin`, `config`, one worker) and, with BENCH_RELAY=1, the parsing relay, in front of the simulator at `simulatorOrigin`. */
export function measuredProcesses(bin: string, config: string, simulatorOrigin: string, core: number | undefined): MeasuredProcess[] {
  const upstreamPath = new URL(simulatorOrigin).pathname.replace(/\/$/, '');
  const processes: MeasuredProcess[] = [
    { name: 'gateway', start: (extra) => startGateway(bin, config, 1, core, extra), url: (origin) => `${origin}/v1/chat/completions`, key: masterKey },
  ];
  if (process.env.BENCH_RELAY === '1') {
    processes.push({
      name: 'relay',
      start: (extra) => startParsingRelay(new URL(simulatorOrigin).origin, core, extra),
      url: (origin) => `${origin}${upstreamPath}/chat/completions`,
      key: upstreamKey,
    });
  }
  return processes;
}

/**
 * Where a series sends its requests: to the upstream directly, through the proxy (and nginx,
 * Portkey's gateway and the parsing relay, when they run), through the gateway; with the headers a target needs.
 */
export function benchTargets(
  simulator: Running,
  proxy: Running,
  gateway: Running,
  nginx?: Running,
  portkey?: Running,
  relay?: Running,
): Partial<Record<Target, { url: string; key: string; process?: Running; headers?: Record<string, string> }>> {
  const simulatorOrigin = new URL(simulator.origin).origin;
  const path = new URL(simulator.origin).pathname.replace(/\/$/, '');
  return {
    direct: { url: `${simulatorOrigin}${path}/chat/completions`, key: upstreamKey },
    proxy: { url: `${proxy.origin}${path}/chat/completions`, key: upstreamKey, process: proxy },
    ...(nginx ? { nginx: { url: `${nginx.origin}${path}/chat/completions`, key: upstreamKey, process: nginx } } : {}),
    ...(relay ? { relay: { url: `${relay.origin}${path}/chat/completions`, key: upstreamKey, process: relay } } : {}),
    ...(portkey ? { portkey: { url: `${portkey.origin}/v1/chat/completions`, key: upstreamKey, process: portkey, headers: portkeyHeaders(simulator.origin) } } : {}),
    gateway: { url: `${gateway.origin}/v1/chat/completions`, key: masterKey, process: gateway },
  };
}
