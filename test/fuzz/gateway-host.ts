import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createGateway, knownNames } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { fuzzMasterKey } from './attacks.ts';
import { fixtureIds } from './endpoints.ts';
import { allLedgerIds } from './ledger-ids.ts';

/**
 * The gateway under fuzz, in a process of its own (run by run-fuzz.ts with `fork`), so that its
 * event loop is measured alone: the fuzz client's own work (building multi-megabyte bodies) does
 * not count against it. Its providers are strict simulators that count every call; none is
 * expected. Messages from the parent: `measure` (event-loop delay and provider calls since the
 * last measure), `ledger` (the ids of every ledger row), `close`.
 */

export interface HostReady {
  type: 'ready';
  origin: string;
  keyId: string;
}

export interface HostMeasure {
  type: 'measure';
  /** Longest event-loop delay since the last measure, in ms. */
  maxDelayMs: number;
  /** Provider calls since the gateway started. */
  providerCalls: number;
  /** Peak resident memory of the process so far, in MB. */
  peakRssMb: number;
}

export interface HostLedger {
  type: 'ledger';
  ids: string[];
}

export type HostMessage = HostReady | HostMeasure | HostLedger;

const send = (message: HostMessage) => process.send!(message);

const openai = await new OpenAISimulator().start();
const anthropic = await new AnthropicSimulator().start();
const directory = await mkdtemp(join(tmpdir(), 'switchboard-fuzz-'));
const { config } = validateConfig(
  {
    server: { master_key: fuzzMasterKey, max_body_mb: 4 },
    // FUZZ_DATABASE_URL: the same cases against another store (a postgres:// schema of its own).
    storage: { url: process.env.FUZZ_DATABASE_URL || `sqlite://${join(directory, 'switchboard.db')}` },
    providers: [
      { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
      { id: 'ant', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
    ],
    models: [
      { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
      { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small', capabilities: ['embeddings'] },
      { id: 'claude', provider: 'ant', upstream: 'claude-sonnet-4-5' },
    ],
    routes: [{ id: 'auto', strategy: 'ordered', candidates: ['fast', 'claude'] }],
  },
  'fuzz config',
  {},
  knownNames(),
);
// Warnings and errors only, to nowhere: 10,000 refusals would otherwise be 10,000 log lines to format.
const quiet = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const gateway = await createGateway(config, { logger: createLogger('warn', quiet), environment: { SWITCHBOARD_JOURNAL_DIR: directory } });
const origin = await gateway.listen(0, '127.0.0.1');

// Records the attacks' ids point at: a key (its id is generated) and a team (its id is chosen).
const admin = (path: string, body: unknown) =>
  fetch(`${origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${fuzzMasterKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const key = (await (await admin('/admin/keys', { name: 'fuzz-fixture' })).json()) as { id: string };
await admin('/admin/teams', { id: fixtureIds.team, name: 'fuzz fixture team' });

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const providerCalls = () => openai.requests.length + anthropic.requests.length;
const baseline = providerCalls();

process.on('message', (message: string) => {
  if (message === 'measure') {
    send({ type: 'measure', maxDelayMs: delay.max / 1e6, providerCalls: providerCalls() - baseline, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
    delay.reset();
  } else if (message === 'ledger') {
    void gateway
      .flushLedger()
      .then(() => allLedgerIds(gateway.storage.ledger))
      .then((ids) => send({ type: 'ledger', ids }));
  } else if (message === 'close') {
    void gateway
      .close()
      .then(() => Promise.all([openai.close(), anthropic.close(), rm(directory, { recursive: true, force: true })]))
      .then(() => process.exit(0));
  }
});

send({ type: 'ready', origin, keyId: key.id });
