import { fork, type ChildProcess } from 'node:child_process';
import { sendRaw, type SocketAnswer } from '../helpers/raw-socket.ts';
import { generateCase, type FuzzCase } from './attacks.ts';
import { problemsOfAnswer } from './answer-checks.ts';
import type { HostLedger, HostMeasure, HostMessage, HostReady } from './gateway-host.ts';
import { describeRequest, requestBytes, type FixtureIds } from './wire.ts';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** No case starts after this long (the run is bounded in time whatever the count). */
  timeLimitMs: number;
  /** Longest event-loop delay of the gateway allowed while it handles one case. */
  stallLimitMs: number;
  /** Share of valid requests with hostile content (answered 2xx, still with no provider call). */
  validShare: number;
  /** Only these case numbers (to reproduce a failure). */
  only?: readonly number[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface FuzzFailure {
  index: number;
  endpoint: string;
  attack: string;
  problems: string[];
  request: string;
  answer: string;
}

export interface FuzzReport {
  seed: number;
  ran: number;
  failures: FuzzFailure[];
  /** Cases by answer status (0: no answer). */
  statuses: Record<number, number>;
  serverErrors: number;
  providerCalls: number;
  maxDelayMs: number;
  worstCase: number | undefined;
  peakRssMb: number;
  durationMs: number;
  stoppedEarly: boolean;
  /** Cases that stalled on every run while the machine itself was slow: reported, not failed. */
  inconclusiveStalls: number[];
}

/** How long one case may take to be answered (a slow body, a drained 6 MB body included). */
const answerTimeoutMs = 20_000;
/** A stalled case is sent again up to this many times: the machine may be busy (other processes, GC). */
const stallAttempts = 4;
/** A delay this long is never the machine being busy. */
const certainStallMs = 1000;

/** A health check, sent after a stalled case to see whether the machine itself is slow. */
const control: FuzzCase = {
  index: -1,
  endpoint: 'health-live',
  attack: 'control',
  request: { method: 'GET', target: '/health/live', headers: [] },
  format: 'openai',
  expect: 'answered',
  ledgerRow: false,
};

/**
 * Runs `count` generated cases against a fresh gateway in its own process, one at a time, and
 * checks each answer: a 4xx in the endpoint's error shape (2xx for the valid ones), no provider
 * call, an event-loop delay under the limit, an answer within `answerTimeoutMs`, a ledger row for
 * billable requests, and a process still running at the end.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const host = await startHost();
  const report: FuzzReport = { seed: options.seed, ran: 0, failures: [], statuses: {}, serverErrors: 0, providerCalls: 0, maxDelayMs: 0, worstCase: undefined, peakRssMb: 0, durationMs: 0, stoppedEarly: false, inconclusiveStalls: [] };
  const withLedgerRow: string[] = [];
  const indexes = options.only ?? Array.from({ length: options.count }, (_, index) => index);
  try {
    // Warm up (first compilations of schemas and parsers) with cases of another seed, unchecked.
    for (let index = 0; index < 30; index++) await host.send(generateCase(options.seed ^ 0x5bd1e995, index, { validShare: 0.1 }));
    await host.measure();
    for (const index of indexes) {
      if (performance.now() - started > options.timeLimitMs) {
        report.stoppedEarly = true;
        break;
      }
      if (host.exited()) break;
      const fuzzCase = generateCase(options.seed, index, { validShare: options.validShare });
      const callsBefore = report.providerCalls;
      const answer = await host.send(fuzzCase);
      const measure = await host.measure();
      const stall = measure.maxDelayMs > options.stallLimitMs ? await confirmStall(host, fuzzCase, measure.maxDelayMs, options.stallLimitMs) : 'none';
      if (stall === 'inconclusive') report.inconclusiveStalls.push(index);
      report.ran++;
      report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
      if (answer.status >= 500) report.serverErrors++;
      report.providerCalls = measure.providerCalls;
      report.peakRssMb = measure.peakRssMb;
      if (measure.maxDelayMs > report.maxDelayMs) {
        report.maxDelayMs = measure.maxDelayMs;
        report.worstCase = index;
      }
      const problems = problemsOfAnswer(fuzzCase, answer);
      if (measure.providerCalls !== callsBefore) problems.push(`a provider was called (${measure.providerCalls - callsBefore} calls)`);
      if (stall === 'confirmed') problems.push(`the gateway's event loop stalled ${Math.round(measure.maxDelayMs)} ms (and on each of ${stallAttempts} more runs)`);
      if (host.exited()) problems.push(`the gateway process exited (${host.exitDescription()})`);
      if (problems.length > 0) report.failures.push(failure(fuzzCase, problems, answer));
      const requestId = answer.headers['x-request-id'];
      if (fuzzCase.ledgerRow && requestId) withLedgerRow.push(requestId);
      if (fuzzCase.ledgerRow && !requestId && answer.complete) report.failures.push(failure(fuzzCase, ['no x-request-id on the answer of a billable request'], answer));
      if (report.ran % 1000 === 0) options.log?.(`${report.ran} cases, ${report.failures.length} failures, longest loop delay ${Math.round(report.maxDelayMs)} ms`);
    }
    if (!host.exited()) {
      const ledger = new Set(await host.ledger());
      const missing = withLedgerRow.filter((id) => !ledger.has(id));
      if (missing.length > 0) report.failures.push({ index: -1, endpoint: '(ledger)', attack: '', problems: [`${missing.length} billable requests have no ledger row: ${missing.slice(0, 5).join(', ')}`], request: '', answer: '' });
    } else {
      report.failures.push({ index: -1, endpoint: '(process)', attack: '', problems: [`the gateway process exited (${host.exitDescription()})`], request: '', answer: '' });
    }
  } finally {
    await host.close();
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/**
 * Whether a stall is the case's doing: the case is sent again, each time followed by a health
 * check (the control). It is not if any run does not stall (a busy machine or a GC pause made the
 * first one slow). It is if a delay is beyond anything load explains, or if every run stalls and
 * some control after one did not (the machine was quiet). If every run and every control is slow,
 * the machine is too busy to say.
 */
async function confirmStall(host: Host, fuzzCase: FuzzCase, firstDelayMs: number, limitMs: number): Promise<'none' | 'confirmed' | 'inconclusive'> {
  if (firstDelayMs > certainStallMs) return 'confirmed';
  let quietControl = false;
  for (let attempt = 0; attempt < stallAttempts; attempt++) {
    await host.send(fuzzCase);
    const delay = (await host.measure()).maxDelayMs;
    if (delay <= limitMs) return 'none';
    if (delay > certainStallMs) return 'confirmed';
    await host.send(control);
    if ((await host.measure()).maxDelayMs <= limitMs / 4) quietControl = true;
  }
  return quietControl ? 'confirmed' : 'inconclusive';
}

function failure(fuzzCase: FuzzCase, problems: string[], answer: SocketAnswer): FuzzFailure {
  const body = answer.body.length > 400 ? `${answer.body.slice(0, 400)}… (${answer.body.length} bytes)` : answer.body;
  return {
    index: fuzzCase.index,
    endpoint: fuzzCase.endpoint,
    attack: fuzzCase.attack,
    problems,
    request: describeRequest(fuzzCase.request),
    answer: `${answer.status || '(no status)'}${answer.error ? ` [${answer.error}]` : ''} ${body}`,
  };
}

interface Host {
  send(fuzzCase: FuzzCase): Promise<SocketAnswer>;
  measure(): Promise<HostMeasure>;
  ledger(): Promise<string[]>;
  exited(): boolean;
  exitDescription(): string;
  close(): Promise<void>;
}

async function startHost(): Promise<Host> {
  const child: ChildProcess = fork(new URL('./gateway-host.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exit: string | undefined;
  const waiting = new Map<HostMessage['type'], Array<(message: HostMessage) => void>>();
  const next = <Type extends HostMessage['type']>(type: Type) =>
    new Promise<Extract<HostMessage, { type: Type }>>((resolve, reject) => {
      if (exit !== undefined) return reject(new Error(`the gateway process exited (${exit})`));
      waiting.set(type, [...(waiting.get(type) ?? []), resolve as (message: HostMessage) => void]);
    });
  child.on('message', (message: HostMessage) => waiting.get(message.type)?.shift()?.(message));
  child.on('exit', (code, signal) => {
    exit = signal ?? `code ${code}`;
    for (const resolvers of waiting.values()) resolvers.length = 0;
  });
  const ready = await Promise.race([next('ready'), new Promise<never>((_, reject) => child.once('exit', () => reject(new Error(`the gateway process exited before it was ready (${exit})`))))]);
  const { origin, keyId }: HostReady = ready;
  const fixtures: FixtureIds = { key: keyId };
  const ask = async <Type extends 'measure' | 'ledger'>(type: Type) => {
    const answer = next(type);
    child.send(type);
    return answer;
  };
  return {
    async send(fuzzCase) {
      const pieces = requestBytes(fuzzCase.request, fixtures);
      const slow = fuzzCase.request.slow;
      return sendRaw(origin, pieces.length === 1 ? pieces[0]! : { pieces, pauseMs: slow?.pauseMs ?? 0 }, answerTimeoutMs);
    },
    measure: () => ask('measure'),
    ledger: async () => ((await ask('ledger')) as HostLedger).ids,
    exited: () => exit !== undefined,
    exitDescription: () => exit ?? 'running',
    async close() {
      if (exit !== undefined) return;
      const closed = new Promise((resolve) => child.once('exit', resolve));
      child.send('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (exit === undefined) child.kill();
    },
  };
}
