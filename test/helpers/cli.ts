import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/** Linux with glibc as its C library: where native/malloc-trim's addon has malloc_trim to call. */
export const glibcLinux = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** A `switchboard serve` child process. */
export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT once it listens. */
  origin: string;
  /** http://127.0.0.1:PORT/v1, what the OpenAI SDK takes as baseURL. */
  baseURL: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Runs the CLI to completion (for commands that exit, like a bad config). */
export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [options.bin ?? bin, ...args], { cwd: options.cwd, env: options.env ?? cleanEnvironment() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Starts `switchboard serve ...` and waits for its "listening" line. One process unless the
 * arguments say `--workers` (the default is one per core): tests of workers say so
 * (test/e2e/cluster-workers.test.ts), the others test what one process does.
 */
export async function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServerProcess> {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  const child = spawn(process.execPath, [bin, 'serve', ...args, ...workers], { cwd: options.cwd, env: options.env ?? cleanEnvironment() });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /Switchboard listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`switchboard exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`switchboard did not start in time: ${stderr}`)), 20_000).unref();
  });
  const origin = (await listening).replace('localhost', '127.0.0.1');
  return {
    child,
    origin,
    baseURL: `${origin}/v1`,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      if (code === null) process.stderr.write(`switchboard ended by ${signal}; its stderr:\n${stderr}\nstdout:\n${stdout.slice(-4000)}\n`);
      return code;
    },
  };
}

/** The environment without provider keys or a master key, so tests do not depend on the machine's. */
export function cleanEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/_API_KEY$|^SWITCHBOARD_|^OLLAMA_BASE_URL$|^DATABASE_URL$|^REDIS_URL$|^AWS_/.test(name)) continue;
    environment[name] = value;
  }
  return { ...environment, ...extra };
}

/**
 * GLIBC_TUNABLES as /proc/PID/environ shows it in a process started with `value`: glibc parses
 * the variable in place (2.36 cuts it at the first `:` after a tunable it knows), so a test
 * compares a process's entry with a reference process's rather than with the value itself.
 */
export function tunablesAsSeen(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const script = "const e=require('fs').readFileSync('/proc/self/environ','utf8').split('\\0').find((x)=>x.startsWith('GLIBC_TUNABLES='));process.stdout.write(e===undefined?'':e.slice(15))";
  return spawnSync(process.execPath, ['-e', script], { env: { GLIBC_TUNABLES: value }, encoding: 'utf8' }).stdout;
}

/** The GLIBC_TUNABLES entry of a running process's environment (Linux), or undefined. */
export async function processTunables(pid: number): Promise<string | undefined> {
  const entries = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  return entries.find((entry) => entry.startsWith('GLIBC_TUNABLES='))?.slice('GLIBC_TUNABLES='.length);
}
