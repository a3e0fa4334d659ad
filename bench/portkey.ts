/**
 * Portkey's open-source AI gateway (`@portkey-ai/gateway`, Node, Hono) as a third baseline of
 * `npm run bench`, when BENCH_PORTKEY says where it is: the gateway issue 15's outside check runs
 * beside ours. Not a dependency of ours; install it anywhere:
 *
 *   npm install --prefix /tmp/portkey @portkey-ai/gateway
 *   BENCH_PORTKEY=/tmp/portkey npm run bench
 *
 * BENCH_PORTKEY: its `build/start-server.js`, its package folder, or a folder whose
 * node_modules holds it. It runs as its README starts it (`start-server.js --port=N`), with
 * `--headless` and NODE_ENV=production (no log console), in front of the same simulator, told
 * where by its headers (`x-portkey-provider: openai`, `x-portkey-custom-host`; 127.0.0.1 is among
 * the custom hosts it trusts by default). It keeps no ledger, keys or budgets: what it does per
 * request is the translation and the call, so it is the closest thing to compare in kind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pinned } from './load.ts';
import { accepting, freePort } from './ports.ts';
import type { Running } from './processes.ts';

/** The start script BENCH_PORTKEY points to, or undefined when it is not set; throws when nothing is there. */
export function portkeyEntry(setting = process.env.BENCH_PORTKEY): string | undefined {
  if (!setting) return undefined;
  const base = resolve(setting);
  const candidates = [base, join(base, 'build', 'start-server.js'), join(base, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js')];
  const entry = candidates.find((candidate) => candidate.endsWith('.js') && existsSync(candidate));
  if (!entry) throw new Error(`BENCH_PORTKEY=${setting}: no build/start-server.js of @portkey-ai/gateway there`);
  return entry;
}

/** Its package's version, for the results. */
export function portkeyVersion(entry: string): string {
  try {
    return `@portkey-ai/gateway ${(JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return '@portkey-ai/gateway';
  }
}

/** The headers that route a request through Portkey to `upstreamBase` (the simulator's `/v1` URL). */
export function portkeyHeaders(upstreamBase: string): Record<string, string> {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamBase.replace(/\/$/, '') };
}

/** Starts Portkey's gateway from `entry` on a free port of 127.0.0.1's. */
export async function startPortkey(entry: string, core?: number): Promise<Running> {
  const port = await freePort();
  const [command, ...args] = pinned(core, [process.execPath, entry, `--port=${port}`, '--headless']);
  const child = spawn(command!, args, { cwd: dirname(entry), env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`Portkey's gateway exited with ${String(code)}: ${output}`);
  });
  exited.catch(() => undefined);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  try {
    await Promise.race([accepting(port, 30_000, "Portkey's gateway"), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  // taskset execs node in place: the child is the gateway.
  return { child, pid: child.pid!, origin: `http://127.0.0.1:${port}`, stop };
}
