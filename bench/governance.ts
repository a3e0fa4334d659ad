import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChatRequest } from '../src/api/openai/parse-chat-request.ts';
import { configSchema } from '../src/config/schema.ts';
import type { GovernedRecord } from '../src/core/governance.ts';
import { Guardrails } from '../src/guardrails/guardrails.ts';
import { findPii, piiEntities } from '../src/guardrails/pii.ts';
import { LimitsEngine } from '../src/keys/limits.ts';
import { VirtualKeys } from '../src/keys/virtual-keys.ts';
import { openSqliteStorage } from '../src/store/sqlite/index.ts';

/** Time per call of the governance helpers a virtual-key request runs, in microseconds. */
async function measure(label: string, iterations: number, run: () => unknown): Promise<void> {
  for (let index = 0; index < Math.min(iterations, 1000); index += 1) await run();
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) await run();
  console.log(label.padEnd(58), `${(((performance.now() - started) * 1000) / iterations).toFixed(2)} µs`.padStart(12));
}

export async function runGovernanceBenchmarks(): Promise<void> {
  const text = 'Summarise the following text for jane@example.com. '.repeat(24);
  await measure('findPii, all entities (1.2 KB prompt, 24 emails)', 5_000, () => findPii(text, new Set(piiEntities)));
  const config = configSchema.parse({ guardrails: [{ name: 'pii', type: 'pii' }], routes: [{ id: 'auto', candidates: ['m'], guardrails: ['pii'] }] });
  const guardrails = new Guardrails(config.guardrails, config.routes);
  const request = parseChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'Summarise the following text. '.repeat(40) }] }, {});
  const caller = { keyId: null, keyName: null, team: null, allowsModel: () => true, header: () => undefined };
  const record = (): GovernedRecord => ({ id: 'r', guardrails: [], warnings: [], onFinish: () => undefined });
  await measure('guardrails.screenChat, pii on the route, nothing found', 5_000, () => guardrails.screenChat(record(), request, 'auto', caller));
  await measure('guardrails.screenChat, no guardrail applies', 200_000, () => guardrails.screenChat(record(), request, 'fast', caller));

  const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const storage = await openSqliteStorage(join(directory, 'bench.db'));
  try {
    const keys = new VirtualKeys(storage.keys, storage.teams);
    const { secret } = await keys.create({ name: 'bench', team: null, models: ['gpt-*'], budgetUsd: 1e9, budgetPeriod: 'month', rpm: null, tpm: null, modelLimits: {}, expiresAt: null, metadata: {}, guardrails: [] });
    await measure('VirtualKeys.resolve (cached)', 100_000, () => keys.resolve(secret));
    const limits = new LimitsEngine({ costSince: (subject, from) => storage.ledger.costSince(subject, from), flushLedger: async () => undefined });
    const policy = { kind: 'key' as const, subject: 'key_bench', label: 'bench', budgetUsd: 1e9, budgetPeriod: 'month' as const, rpm: 1e9, tpm: 1e12, modelLimits: {} };
    const usage = { time: new Date().toISOString(), costUsd: 0.001, inputTokens: 100, outputTokens: 50 };
    await measure('LimitsEngine admit + settle (budget, rpm, tpm)', 100_000, async () =>
      (await limits.admit([policy], { requested: 'fast', estimatedCostUsd: () => 0.01, estimatedTokens: () => 100 })).settle(usage),
    );
  } finally {
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  }
}
