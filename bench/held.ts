/**
 * `npm run bench:held`: what a request keeps while it waits for its provider. With answers that
 * take seconds and hundreds of requests a second, about a thousand requests are in flight at any
 * time, and everything each one keeps outlives the young generation's collections: it is copied,
 * promoted and later marked (docs/performance.md, "A thousand calls in flight"). This measures it
 * directly rather than through CPU figures that drift with the machine.
 *
 * For each mode (BENCH_HELD_MODES, "chat,stream"): a fresh gateway (`--workers 1`, dist/, its
 * `npm start` flags, `--heapsnapshot-signal=SIGUSR2`; requests to a route of one model) in front
 * of the OpenAI simulator answering after BENCH_ANSWER_DELAY_MS (4000); two waves of BENCH_HELD
 * requests (1000) to warm it and open its connections, then a third, a heap snapshot while it
 * waits (half the answer's time after sending it), another once its answers came. The
 * difference, divided by the requests, is what each one kept in flight, its connections aside
 * (open in both snapshots): bytes, objects and the largest kinds of the JavaScript heap (compiled
 * code and native buffers left out). A stream is measured waiting for its first token.
 * BENCH_GATEWAY_BIN measures another build (a checkout's bin/switchboard.js).
 */
import { once } from 'node:events';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { builtGatewayBin, chatBody, masterKey, startGateway, startSimulator, streamBody, writeGatewayConfig, type Running } from './processes.ts';

const count = Number(process.env.BENCH_HELD ?? 1000);
const answerDelayMs = Number(process.env.BENCH_ANSWER_DELAY_MS ?? 4000);
const modes = (process.env.BENCH_HELD_MODES ?? 'chat,stream').split(',');
const gatewayBin = builtGatewayBin();
const heldChat = JSON.stringify({ ...(JSON.parse(chatBody) as object), model: 'held' });
const heldStream = JSON.stringify({ ...(JSON.parse(streamBody) as object), model: 'held' });
// A snapshot holds the gateway for seconds (2-6 s for 1,000 requests on Node 24 here, 12-16 s on
// Node 20): the simulator would close the connections idle meanwhile (Node's 5 s) and the
// snapshot after would miss them.
process.env.BENCH_KEEP_ALIVE_MS ??= '600000';

/** Self sizes and counts by kind ("object Promise", "closure", "string"), from a .heapsnapshot. */
async function kindsOf(file: string): Promise<Map<string, { count: number; bytes: number }>> {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let index = 0; index < snapshot.nodes.length; index += fields.length) {
    const type = types[snapshot.nodes[index + typeAt]!]!;
    // Strings and code are named by their content: one kind each.
    const name = type === 'object' || type === 'closure' || type === 'hidden' || type === 'native' ? snapshot.strings[snapshot.nodes[index + nameAt]!]!.slice(0, 40) : '';
    const kind = `${type} ${name}`.trim();
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[index + sizeAt]!;
    kinds.set(kind, entry);
  }
  return kinds;
}

/** Signals the gateway to write a heap snapshot into `directory` and resolves with its path once written. */
async function snapshot(gateway: Running, directory: string): Promise<string> {
  const before = new Set(await readdir(directory));
  process.kill(gateway.pid, 'SIGUSR2');
  for (;;) {
    await sleep(250);
    const written = (await readdir(directory)).find((name) => name.endsWith('.heapsnapshot') && !before.has(name));
    // V8 writes the file in one pass and the gateway answers again once it is done: wait for that.
    if (written !== undefined && (await fetch(`${gateway.origin}/health/live`).then((response) => response.ok, () => false))) return join(directory, written);
  }
}

async function measure(mode: string, directory: string): Promise<void> {
  const simulator = await startSimulator(undefined, 0, answerDelayMs);
  const config = await writeGatewayConfig(directory, simulator.origin);
  // Through a route whose first-token deadline outlasts the snapshot's pause (12-16 s on Node 20
  // here): the default 15 s would end the streams waiting meanwhile.
  await appendFile(config, `\nroutes: [{ id: held, candidates: [gpt-4o-mini], ttft_timeout_ms: 120000 }]\n`);
  const gateway = await startGateway(gatewayBin, config, 1, undefined, { flags: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${directory}`] });
  const pool = new Pool(gateway.origin, { connections: count });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${masterKey}` };
  const wave = () =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body: mode === 'stream' ? heldStream : heldChat });
        const text = await response.body.text();
        if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${text.slice(0, 200)}`);
      }),
    );
  try {
    process.stderr.write(`bench:held: ${mode}, ${count} requests in flight, answers after ${answerDelayMs} ms\n`);
    await wave();
    await wave();
    const held = wave();
    // Awaited below: a failure before then must not end this process unhandled, its children left running.
    held.catch(() => undefined);
    // Half the answer's time: every request has reached its upstream call by then.
    await sleep(answerDelayMs / 2);
    const started = performance.now();
    const during = await snapshot(gateway, directory);
    const tookMs = performance.now() - started;
    await held;
    const after = await snapshot(gateway, directory);
    process.stderr.write(`bench:held: the snapshot held the gateway ${(tookMs / 1000).toFixed(1)} s\n`);
    const [withRequests, without] = [await kindsOf(during), await kindsOf(after)];
    // Connections are counted in both snapshots: one that closed in between would count as kept.
    const sockets = [withRequests.get('object Socket')?.count ?? 0, without.get('object Socket')?.count ?? 0];
    if (Math.abs(sockets[0]! - sockets[1]!) > count / 100) process.stderr.write(`bench:held: ${sockets[0]} sockets during, ${sockets[1]} after: the difference counts\n`);
    let bytes = 0;
    let objects = 0;
    const rows: Array<{ kind: string; count: number; bytes: number }> = [];
    for (const [kind, entry] of withRequests) {
      // Compiled code and native buffers change with the JIT and the allocator's slabs, not per request.
      if (kind.startsWith('code') || kind.startsWith('native')) continue;
      const base = without.get(kind) ?? { count: 0, bytes: 0 };
      const row = { kind, count: (entry.count - base.count) / count, bytes: (entry.bytes - base.bytes) / count };
      bytes += row.bytes;
      objects += row.count;
      rows.push(row);
    }
    console.log(`\n${mode}: ${bytes.toFixed(0)} bytes and ${objects.toFixed(0)} objects a request in flight (Node ${process.version})`);
    console.log('  bytes  count  kind');
    for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, 15)) console.log(`${row.bytes.toFixed(0).padStart(7)} ${row.count.toFixed(1).padStart(6)}  ${row.kind}`);
  } finally {
    await pool.destroy();
    const exited = once(gateway.child, 'exit');
    gateway.child.kill('SIGKILL');
    await exited;
    await simulator.stop();
  }
}

const root = await mkdtemp(join(tmpdir(), 'switchboard-bench-held-'));
try {
  for (const mode of modes) await measure(mode, await mkdtemp(join(root, `${mode}-`)));
} finally {
  await rm(root, { recursive: true, force: true });
}
