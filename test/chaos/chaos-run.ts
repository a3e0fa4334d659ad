import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapCodeStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { AnthropicSimulator, type Fault as AnthropicFault } from '../simulators/anthropic/server.ts';
import { MistralSimulator } from '../simulators/mistral/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import type { Fault } from '../simulators/_shared/types.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import type { AttemptRecord } from '../../src/core/ledger.ts';
import { Database } from '../../src/store/sqlite/driver.ts';

/**
 * A chaos run (issue 14): load through three routes whose first provider fails in every way the
 * simulators can (5xx, 429 with short and long retry-after, hangs, resets, cut and stalled
 * streams, slow first byte and first token, invalid events, in-band stream errors, invalid JSON),
 * one of which flaps and one of which has an outage and then recovers, each route with a healthy
 * candidate serving the same upstream model (so every answer's text is known exactly). It checks
 * what a caller relies on: no error reaches a client, every answer is the whole text once, every
 * request is in the ledger exactly once with its attempts, probes of the dead provider stay within
 * one or two per cooldown, and the heap comes back after the run.
 */

export interface ChaosOptions {
  seed: number;
  /** Length of the load, ms. */
  durationMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Share of the faulty providers' calls that get a fault (0..1). */
  faultRate: number;
  /** When the outage of claude-a starts and how long it lasts, ms from the start of the load. */
  outageStartMs: number;
  outageMs: number;
  /** The faulty providers' first cooldown, s. */
  cooldownSeconds: number;
  /** Half-period of the flapping provider (mistral-a), ms. */
  flapMs: number;
  /** Fault kinds to draw from (default: all). */
  mix?: readonly FaultKind[];
  log?: (line: string) => void;
}

export type FaultKind =
  | 'status-5xx'
  | 'rate-limit-short'
  | 'rate-limit-long'
  | 'hang'
  | 'reset'
  | 'cut-stream'
  | 'stall'
  | 'slow-first-byte'
  | 'slow-first-token'
  | 'invalid-event'
  | 'stream-error'
  | 'invalid-json';

export const allFaultKinds: readonly FaultKind[] = [
  'status-5xx', 'rate-limit-short', 'rate-limit-long', 'hang', 'reset', 'cut-stream', 'stall', 'slow-first-byte', 'slow-first-token', 'invalid-event', 'stream-error', 'invalid-json',
];

export interface ChaosReport {
  requests: number;
  streamed: number;
  clientErrors: string[];
  /** The ledger's attempts of the requests that failed. */
  failedAttempts: string[];
  /** Answers whose text was not exactly the whole answer. */
  wrongAnswers: string[];
  ledgerRows: number;
  /** Request ids with no row, or more than one. */
  ledgerMismatches: string[];
  attempts: number;
  resumed: number;
  faultsInjected: Record<string, number>;
  outage: {
    /** Calls that reached the dead provider during the outage. */
    calls: number;
    /** Gaps between those calls after the circuit opened, ms (the cooldowns as they went). */
    probeGapsMs: number[];
    /** Most calls in any window of one first cooldown, after the circuit opened. */
    maxCallsPerCooldown: number;
    /** From the outage's end to the first answer from the recovered provider, ms (null: never). */
    recoveredAfterMs: number | null;
  };
  /**
   * The heap after a forced collection, before and after the load, without V8's compiled code and
   * bytecode (`growth` is of this); `codeBeforeMb`/`codeAfterMb`: that code, shown beside it.
   */
  heap: { beforeMb: number; afterMb: number; growth: number; codeBeforeMb: number; codeAfterMb: number };
  durationMs: number;
}

/** mulberry32: a small seeded generator, so a run's fault sequence repeats with its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const masterKey = 'sb-chaos-master';

/** The fault of one kind, in the shape every simulator takes. */
function faultOf(kind: FaultKind, random: () => number): Fault {
  switch (kind) {
    case 'status-5xx':
      return { kind: 'status', status: [500, 502, 503, 529][Math.floor(random() * 4)]! };
    case 'rate-limit-short':
      return { kind: 'status', status: 429, headers: { 'retry-after': '0' } };
    case 'rate-limit-long':
      return { kind: 'status', status: 429, headers: { 'retry-after': '30' } };
    case 'hang':
      return { kind: 'hang' };
    case 'reset':
      return { kind: 'reset' };
    case 'cut-stream':
      return { kind: 'cut-stream', afterChunks: 3 + Math.floor(random() * 6) };
    case 'stall':
      return { kind: 'stall', afterChunks: 4 + Math.floor(random() * 5) };
    case 'slow-first-byte':
      return { kind: 'slow', delayMs: 5000 };
    case 'slow-first-token':
      return { kind: 'stall', afterChunks: 1, ms: 5000 };
    case 'invalid-event':
      return { kind: 'invalid-event', afterChunks: 3 + Math.floor(random() * 4) };
    case 'stream-error':
      return { kind: 'stream-error', afterChunks: 4 + Math.floor(random() * 4) };
    case 'invalid-json':
      return { kind: 'invalid-json' };
  }
}

/** Forces a garbage collection (the heap figures compare live objects, not garbage). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The heap's live objects after two forced collections, apart from V8's compiled code and
 * bytecode: what a leak of requests (records, streams, timers) would grow. The code is not: a
 * long run through every fault path has V8 compile more of them, 2-3 MB more machine code over
 * 150-180 s of this run (docs/performance.md, twelfth session), which took the whole heap past
 * 10% with no object of a request kept (heap snapshots, eleventh session).
 */
function heapMb(): { dataMb: number; codeMb: number } {
  collectGarbage();
  collectGarbage();
  const code = getHeapCodeStatistics();
  const codeBytes = code.code_and_metadata_size + code.bytecode_and_metadata_size;
  return { dataMb: (getHeapStatistics().used_heap_size - codeBytes) / (1024 * 1024), codeMb: codeBytes / (1024 * 1024) };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = seeded(options.seed);
  const mix = options.mix ?? allFaultKinds;
  const faultsInjected: Record<string, number> = {};
  const claudeA = await new AnthropicSimulator().start();
  const claudeB = await new AnthropicSimulator().start();
  const gptA = await new OpenAISimulator({ models: ['gpt-shared'] }).start();
  const vllm = await new OpenAISimulator({ apiKey: 'vllm-key', models: ['gpt-shared'], continueFinalMessage: true }).start();
  const mistralA = await new MistralSimulator().start();
  const mistralB = await new MistralSimulator({ apiKey: 'mistral-b-key' }).start();
  const cooldown = { failures: 3, seconds: options.cooldownSeconds };
  const gateway = await startGateway({
    server: { master_key: masterKey, log_level: 'warn' },
    providers: [
      { id: 'claude-a', type: 'anthropic', base_url: claudeA.url, api_key: claudeA.apiKey, cooldown, timeout_ms: 3000 },
      { id: 'claude-b', type: 'anthropic', base_url: claudeB.url, api_key: claudeB.apiKey, timeout_ms: 3000 },
      { id: 'gpt-a', type: 'openai', base_url: gptA.url, api_key: gptA.apiKey, cooldown, timeout_ms: 3000 },
      { id: 'vllm', type: 'openai-compatible', base_url: vllm.url, api_key: 'vllm-key', continue_final_message: true, timeout_ms: 3000 },
      { id: 'mistral-a', type: 'mistral', base_url: mistralA.url, api_key: mistralA.apiKey, cooldown, timeout_ms: 3000 },
      { id: 'mistral-b', type: 'mistral', base_url: mistralB.url, api_key: 'mistral-b-key', timeout_ms: 3000 },
    ],
    models: [
      { id: 'claude-first', provider: 'claude-a', upstream: 'claude-shared' },
      { id: 'claude-second', provider: 'claude-b', upstream: 'claude-shared' },
      { id: 'gpt-first', provider: 'gpt-a', upstream: 'gpt-shared' },
      { id: 'gpt-second', provider: 'vllm', upstream: 'gpt-shared' },
      { id: 'mistral-first', provider: 'mistral-a', upstream: 'mistral-shared' },
      { id: 'mistral-second', provider: 'mistral-b', upstream: 'mistral-shared' },
    ],
    routes: ['claude', 'gpt', 'mistral'].map((family) => ({
      id: family,
      strategy: 'ordered',
      candidates: [`${family}-first`, `${family}-second`],
      retry: { attempts: 2, backoff_ms: 20, max_retry_after_ms: 1000 },
      timeout_ms: 4000,
      ttft_timeout_ms: 2000,
      stall_timeout_ms: 1500,
    })),
  });
  const openai = new OpenAI({ baseURL: gateway.baseURL, apiKey: masterKey, maxRetries: 0, timeout: 60_000 });
  const anthropic = new Anthropic({ baseURL: gateway.origin, apiKey: masterKey, maxRetries: 0, timeout: 60_000 });

  let loadStarted = 0;
  let outageEndedAt = 0;
  const inOutage = () => {
    const elapsed = performance.now() - loadStarted;
    return loadStarted > 0 && elapsed >= options.outageStartMs && elapsed < options.outageStartMs + options.outageMs;
  };
  const policy = (name: string, extraDown?: () => boolean) => (): AnthropicFault | undefined => {
    if (extraDown?.()) {
      faultsInjected.outage = (faultsInjected.outage ?? 0) + 1;
      return { kind: 'status', status: 503 };
    }
    if (random() >= options.faultRate) return undefined;
    const kind = mix[Math.floor(random() * mix.length)]!;
    faultsInjected[`${name}:${kind}`] = (faultsInjected[`${name}:${kind}`] ?? 0) + 1;
    return faultOf(kind, random);
  };
  const flapping = () => loadStarted > 0 && Math.floor((performance.now() - loadStarted) / options.flapMs) % 2 === 1;
  claudeA.chaos(policy('claude-a', inOutage));
  gptA.chaos(policy('gpt-a'));
  mistralA.chaos(policy('mistral-a', flapping));

  const report: ChaosReport = {
    requests: 0,
    streamed: 0,
    clientErrors: [],
    failedAttempts: [],
    wrongAnswers: [],
    ledgerRows: 0,
    ledgerMismatches: [],
    attempts: 0,
    resumed: 0,
    faultsInjected,
    outage: { calls: 0, probeGapsMs: [], maxCallsPerCooldown: 0, recoveredAfterMs: null },
    heap: { beforeMb: 0, afterMb: 0, growth: 0, codeBeforeMb: 0, codeAfterMb: 0 },
    durationMs: 0,
  };
  const requestIds: string[] = [];
  const failedIds: string[] = [];

  /** One request as a client sends it; the answer's text must be the whole answer. */
  const oneRequest = async (index: number) => {
    const family = (['claude', 'gpt', 'mistral'] as const)[index % 3]!;
    const stream = index % 4 !== 0;
    const viaAnthropic = family === 'claude' && index % 5 === 0;
    const question = `question number ${index} about robots and rivers`;
    const expected = `Simulated reply from ${family}-shared: ${question}`;
    report.requests += 1;
    if (stream) report.streamed += 1;
    let requestId: string | null = null;
    try {
      let text = '';
      if (viaAnthropic) {
        const call = anthropic.messages.stream({ model: family, max_tokens: 400, messages: [{ role: 'user', content: question }] });
        const message = await call.finalMessage();
        requestId = (await call.withResponse()).response.headers.get('x-request-id');
        text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      } else if (stream) {
        const { data, response } = await openai.chat.completions.create({ model: family, stream: true, messages: [{ role: 'user', content: question }] }).withResponse();
        requestId = response.headers.get('x-request-id');
        for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      } else {
        const { data, response } = await openai.chat.completions.create({ model: family, messages: [{ role: 'user', content: question }] }).withResponse();
        requestId = response.headers.get('x-request-id');
        text = data.choices[0]?.message.content ?? '';
      }
      if (requestId) requestIds.push(requestId);
      if (text !== expected) report.wrongAnswers.push(`${requestId}: ${JSON.stringify(text)}`);
    } catch (error) {
      if (requestId) failedIds.push(requestId);
      report.clientErrors.push(`${family}${stream ? ' stream' : ''}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  // Warm-up under the same faults, so that what is loaded on first use (the tokenizer counting a
  // broken attempt's tokens, connection pools, compiled code) is in the heap figure before.
  const warmUpMs = Math.max(3000, Math.min(15_000, options.durationMs / 10));
  const warmUpStarted = performance.now();
  let warmUp = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() - warmUpStarted < warmUpMs) await oneRequest((warmUp += 1));
    }),
  );
  const warmUpRequests = report.requests;
  gateway.logs.length = 0;
  ({ dataMb: report.heap.beforeMb, codeMb: report.heap.codeBeforeMb } = heapMb());
  log(`warm-up: ${warmUpRequests} requests in ${Math.round(warmUpMs / 1000)} s; heap ${report.heap.beforeMb.toFixed(1)} MB and ${report.heap.codeBeforeMb.toFixed(1)} MB of code`);

  loadStarted = performance.now();
  const outageCallsFrom = claudeA.messageCalls().length;
  let next = 0;
  const worker = async () => {
    while (performance.now() - loadStarted < options.durationMs) {
      await oneRequest((next += 1));
    }
  };
  const progress = setInterval(() => log(`${Math.round((performance.now() - loadStarted) / 1000)} s: ${report.requests} requests, ${report.clientErrors.length} client errors`), 10_000);
  const outageWatch = (async () => {
    await sleep(options.outageStartMs + options.outageMs);
    outageEndedAt = performance.now();
  })();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  clearInterval(progress);
  await outageWatch;
  report.durationMs = Math.round(performance.now() - loadStarted);

  // The outage, as claude-a saw it.
  const outageStart = loadStarted + options.outageStartMs;
  const calls = claudeA.messageCalls().slice(outageCallsFrom).map((call) => call.receivedAt);
  const during = calls.filter((time) => time >= outageStart && time < outageEndedAt);
  report.outage.calls = during.length;
  // The circuit opened at the first gap of at least half a cooldown; the calls after it are probes.
  const cooldownMs = options.cooldownSeconds * 1000;
  const openedAt = during.findIndex((time, index) => index > 0 && time - during[index - 1]! >= cooldownMs / 2);
  const probes = openedAt < 0 ? [] : during.slice(openedAt - 1);
  report.outage.probeGapsMs = probes.slice(1).map((time, index) => Math.round(time - probes[index]!));
  for (const [index, time] of probes.entries()) {
    const inWindow = probes.slice(index).filter((other) => other - time < cooldownMs).length;
    report.outage.maxCallsPerCooldown = Math.max(report.outage.maxCallsPerCooldown, inWindow);
  }
  const recovered = calls.find((time) => time >= outageEndedAt);
  report.outage.recoveredAfterMs = recovered === undefined ? null : Math.round(recovered - outageEndedAt);

  await checkLedger(gateway, report, requestIds, failedIds);
  requestIds.length = 0;

  // What the run kept for its own checks is not the gateway's: the simulators' request logs and
  // the captured log lines go.
  gateway.logs.length = 0;
  for (const simulator of [claudeA, claudeB, gptA, vllm, mistralA, mistralB]) {
    simulator.chaos(undefined);
    simulator.requests.length = 0;
  }
  await sleep(200);
  ({ dataMb: report.heap.afterMb, codeMb: report.heap.codeAfterMb } = heapMb());
  report.heap.growth = (report.heap.afterMb - report.heap.beforeMb) / report.heap.beforeMb;
  await closeAll(gateway, claudeA, claudeB, gptA, vllm, mistralA, mistralB);
  return report;
}

/** Every request has exactly one ledger row, with its attempts. */
async function checkLedger(gateway: TestGateway, report: ChaosReport, requestIds: readonly string[], failedIds: readonly string[]): Promise<void> {
  await gateway.gateway.flushLedger();
  // Every row, read from the gateway's SQLite file: the admin query stops at 10,000.
  const database = new Database(gateway.databasePath, { readonly: true });
  const rows = (database.prepare('SELECT id, attempts FROM ledger').all() as Array<{ id: string; attempts: string }>).map((row) => ({ id: row.id, attempts: JSON.parse(row.attempts) as AttemptRecord[] }));
  database.close();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
  report.ledgerRows = rows.length;
  for (const id of requestIds) if (counts.get(id) !== 1) report.ledgerMismatches.push(`${id}: ${counts.get(id) ?? 0} rows`);
  if (rows.length !== report.requests) report.ledgerMismatches.push(`${rows.length} rows for ${report.requests} requests`);
  for (const id of failedIds) {
    const row = rows.find((candidate) => candidate.id === id);
    if (row) report.failedAttempts.push(`${id}: ${row.attempts.map((attempt) => `${attempt.provider} ${attempt.outcome} ${attempt.errorCode ?? ''} ${attempt.message ?? ''}`).join(' → ')}`);
  }
  for (const row of rows) {
    report.attempts += row.attempts.length;
    report.resumed += row.attempts.filter((attempt) => attempt.resumedFrom !== undefined).length;
    if (row.attempts.length === 0) report.ledgerMismatches.push(`${row.id}: no attempts`);
  }
}

/** The report's lines, for the console. */
export function describeReport(report: ChaosReport): string[] {
  return [
    `requests: ${report.requests} (${report.streamed} streamed) in ${(report.durationMs / 1000).toFixed(1)} s`,
    `client-visible errors: ${report.clientErrors.length}${report.clientErrors.length ? ` (${report.clientErrors.slice(0, 3).join(' | ')})` : ''}`,
    ...report.failedAttempts.slice(0, 5).map((line) => `  failed: ${line}`),
    `answers not exactly the whole text: ${report.wrongAnswers.length}${report.wrongAnswers.length ? ` (${report.wrongAnswers.slice(0, 3).join(' | ')})` : ''}`,
    `ledger rows: ${report.ledgerRows} for ${report.requests} requests; mismatches: ${report.ledgerMismatches.length}${report.ledgerMismatches.length ? ` (${report.ledgerMismatches.slice(0, 3).join(' | ')})` : ''}`,
    `attempts: ${report.attempts}, of which resumed streams: ${report.resumed}`,
    `faults injected: ${Object.entries(report.faultsInjected).map(([kind, count]) => `${kind} ${count}`).join(', ')}`,
    `outage: ${report.outage.calls} calls reached the dead provider; gaps between probes ${report.outage.probeGapsMs.join(', ')} ms; at most ${report.outage.maxCallsPerCooldown} per cooldown; back in use ${report.outage.recoveredAfterMs ?? 'never'} ms after it recovered`,
    `heap without code: ${report.heap.beforeMb.toFixed(1)} MB before, ${report.heap.afterMb.toFixed(1)} MB after (${(report.heap.growth * 100).toFixed(1)}%); V8's code and bytecode ${report.heap.codeBeforeMb.toFixed(1)} → ${report.heap.codeAfterMb.toFixed(1)} MB`,
  ];
}
