/**
 * What admission through the cluster primary costs a worker (`switchboard serve --workers N`):
 * the round trip over Node's IPC channel for each request whose key has a limit or a budget,
 * against the same engine in process. Run: `node --import tsx bench/cluster-admission.ts`.
 */
import cluster from 'node:cluster';
import type { SpendPolicy } from '../src/core/governance.ts';
import { AdmissionArbiter } from '../src/cluster/arbiter.ts';
import type { PrimaryMethods, WorkerMethods } from '../src/cluster/protocol.ts';
import { RpcPeer } from '../src/cluster/rpc.ts';
import { connectToPrimary, workerMarker } from '../src/cluster/worker-link.ts';
import { LimitsEngine, type Admission } from '../src/keys/limits.ts';

const policies: SpendPolicy[] = [
  { kind: 'key', subject: 'key_bench', label: 'bench', budgetUsd: 1e9, budgetPeriod: 'month', rpm: 1e9, modelLimits: {} },
  { kind: 'team', subject: 'team_bench', label: 'team', budgetUsd: 1e9, budgetPeriod: 'month', modelLimits: {} },
];
const demand = { requested: 'fast', estimatedCostUsd: () => 0.001, estimatedTokens: () => 100 };
const usage = () => ({ time: new Date().toISOString(), costUsd: 0.0008, inputTokens: 100, outputTokens: 20 });
const engine = () => new LimitsEngine({ costSince: async () => 0, flushLedger: async () => undefined });

async function timeAdmissions(label: string, admission: Admission, total: number, concurrency: number): Promise<void> {
  const once = async () => (await admission.admit(policies, demand)).settle(usage());
  for (let index = 0; index < 2_000; index += 1) await once();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await once();
      }
    }),
  );
  const elapsed = performance.now() - started;
  console.log(`${label.padEnd(52)} ${((elapsed * 1000) / total).toFixed(1).padStart(7)} µs per admit+settle  (${Math.round((total / elapsed) * 1000)} per s)`);
}

if (cluster.isPrimary) {
  const arbiter = new AdmissionArbiter(engine());
  const worker = cluster.fork({ [workerMarker]: '1' });
  const peer = new RpcPeer<PrimaryMethods, WorkerMethods>((envelope, sent) => {
    worker.send(envelope, undefined, {}, sent);
  });
  peer.handle('hello', () => ({ slot: 1, workers: 1, config: {} as never, instance: 1, port: 0, host: '' }));
  peer.handle('admit', (params) => arbiter.admit(worker.id, params));
  peer.handle('settle', ({ ticket, usage: used }) => arbiter.settle(worker.id, ticket, used));
  worker.on('message', (message: unknown) => peer.receive(message));
  worker.on('exit', (code) => process.exit(code ?? 0));
} else {
  const { link } = await connectToPrimary();
  await timeAdmissions('in process (LimitsEngine), one at a time', engine(), 50_000, 1);
  await timeAdmissions('through the primary (IPC), one at a time', link.admission, 20_000, 1);
  await timeAdmissions('through the primary (IPC), 16 at a time', link.admission, 40_000, 16);
  await timeAdmissions('through the primary (IPC), 64 at a time', link.admission, 40_000, 64);
  process.exit(0);
}
