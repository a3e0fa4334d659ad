/**
 * The two load generators of `npm run bench`, each in a process of its own: wrk (C, far cheaper
 * per request than any Node client, so the generator is not what limits a series; Debian:
 * `apt-get install -y wrk`) for non-streamed series when it is installed, and bench/load-client.ts
 * otherwise and for streamed series (wrk cannot time the first byte). Both warm up first, then
 * call `onMeasuring` right before the measured part, so the caller can read the CPU time spent
 * by the process under test in exactly that part.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  url: string;
  key: string;
  body: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Stop after this many requests (the Node client only). */
  requests?: number;
  /** Headers sent besides the content type and the key (a gateway's routing headers: Portkey's). */
  headers?: Record<string, string>;
}

/** What one generator measured; times in milliseconds. */
export interface GeneratorResult {
  generator: 'wrk' | 'node';
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Time to the first body byte (the Node client only). */
  ttfbP50?: number;
  ttfbP99?: number;
}

/** The value below which `share` of the values fall (nearest rank). */
export function percentile(values: readonly number[], share: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** `taskset -c CORE` before a command when taskset exists and the machine has that core. */
export function pinned(core: number | undefined, command: string[]): string[] {
  if (core === undefined) return command;
  return ['taskset', '-c', String(core), ...command];
}

const clientScript = fileURLToPath(new URL('./load-client.ts', import.meta.url));
const wrkScript = fileURLToPath(new URL('./wrk-post.lua', import.meta.url));

/** Runs bench/load-client.ts with `options`. */
export function runNodeLoad(options: LoadOptions, core: number | undefined, onMeasuring: () => void): Promise<GeneratorResult> {
  return runClient<GeneratorResult>(clientScript, options, core, onMeasuring);
}

/**
 * Runs a client script (bench/load-client.ts, bench/rate-client.ts) with `options` as JSON:
 * calls `onMeasuring` when it says its measured part starts, and resolves with the JSON line it prints.
 */
export async function runClient<Result>(script: string, options: object, core: number | undefined, onMeasuring: () => void): Promise<Result> {
  const [command, ...args] = pinned(core, [process.execPath, '--import', 'tsx', script, JSON.stringify(options)]);
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.includes('measuring\n') && !child.stdin.writableEnded) {
      onMeasuring();
      child.stdin.end('go\n');
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the load client failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as Result;
}

/** Runs wrk twice (warm-up, then measured) with bench/wrk-post.lua sending `options.body`. */
export async function runWrkLoad(options: LoadOptions, core: number | undefined, onMeasuring: () => void): Promise<GeneratorResult> {
  const run = async (milliseconds: number): Promise<string> => {
    const seconds = Math.max(1, Math.round(milliseconds / 1000));
    const [command, ...args] = pinned(core, ['wrk', '-t1', `-c${options.concurrency}`, `-d${seconds}s`, '--latency', '-s', wrkScript, options.url]);
    const child = spawn(command!, args, { env: { ...process.env, BENCH_BODY: options.body, BENCH_KEY: options.key, BENCH_HEADERS: Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`).join('\n') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`wrk failed (${code}): ${output}`);
    return output;
  };
  if (options.warmupMs > 0) await run(options.warmupMs);
  onMeasuring();
  return parseWrk(await run(options.durationMs));
}

/** Reads wrk's `--latency` report. */
export function parseWrk(output: string): GeneratorResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const duration = (label: string): number => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!match) return Number.NaN;
    const unit = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
    return Number(match[1]) * unit;
  };
  const requests = number(/(\d+) requests in/);
  const seconds = number(/requests in ([\d.]+)s/) * (/requests in [\d.]+m,/.test(output) ? 60 : 1);
  const failed = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = failed + (socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0);
  return { generator: 'wrk', requests, errors, seconds, rps: number(/Requests\/sec:\s+([\d.]+)/), p50: duration('50'), p99: duration('99') };
}
