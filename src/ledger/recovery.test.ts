import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { ledgerRow } from '../../test/helpers/ledger-row.ts';
import type { LedgerRow } from '../core/ledger.ts';
import { InFlightJournal, readInFlight, type StartedRequest } from './in-flight-journal.ts';
import { readLines } from './line-file.ts';
import { FileRowJournal } from './journal.ts';
import { journalName, journalsOnDisk, recoverJournal, removeJournalFiles } from './recovery.ts';

const started = (id: string): StartedRequest => ({ id, time: '2025-06-01T00:00:00.000Z', endpoint: 'chat', keyId: 'key_1', team: 'red' });
const finishedRow = (id: string): LedgerRow => ledgerRow(id, { time: '2025-06-01T00:00:00.000Z', team: 'red' });

describe('journals of requests in flight (a killed process’s requests still get rows)', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-recovery-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('names in a cut-off row what the request had read of its body by the end of the turn it started in', async () => {
    const base = join(directory, 'described.db');
    const name = journalName(3);
    const inFlight = new InFlightJournal(base, name);
    const request = { ...started('streamed'), modelRequested: null as string | null, route: null as string | null, stream: false };
    inFlight.started(() => request);
    // The body, read later in the same turn: model, route and stream known.
    Object.assign(request, { modelRequested: 'fast', route: 'auto', stream: true });
    await turn();
    // Killed here.
    const recovered = await recoverJournal(base, name, async () => false);
    assert.deepEqual(recovered.rows.map((row) => [row.id, row.modelRequested, row.route, row.stream]), [['streamed', 'fast', 'auto', true]]);
    removeJournalFiles(base, name);
  });

  it('names the model of a request whose body came in a later turn than its line, with one more line', async () => {
    const base = join(directory, 'named-later.db');
    const name = journalName(4);
    const inFlight = new InFlightJournal(base, name);
    const request = { ...started('large-prompt'), modelRequested: null as string | null, stream: false };
    const large = inFlight.started(() => request);
    const other = inFlight.started(() => ({ ...started('other'), modelRequested: 'smart' }));
    await turn();
    // The body, read turns later.
    Object.assign(request, { modelRequested: 'fast', stream: true });
    inFlight.named(large);
    inFlight.named(other); // already named in its line: nothing more written
    await turn();
    const lines = (readLines(inFlight.location) ?? []).map((line) => JSON.parse(line) as StartedRequest);
    assert.deepEqual(lines.map((line) => [line.id, line.modelRequested ?? null]), [['large-prompt', null], ['other', 'smart'], ['large-prompt', 'fast']]);
    const recovered = await recoverJournal(base, name, async () => false);
    assert.deepEqual(recovered.rows.map((row) => [row.id, row.modelRequested, row.stream]).sort(), [['large-prompt', 'fast', true], ['other', 'smart', false]]);
    removeJournalFiles(base, name);
  });

  it('writes one line for a request named before its line went out', async () => {
    const base = join(directory, 'named-first.db');
    const inFlight = new InFlightJournal(base, 'ledger');
    const request = { ...started('quick-body'), modelRequested: null as string | null };
    const entry = inFlight.started(() => request);
    request.modelRequested = 'fast';
    inFlight.named(entry);
    await turn();
    inFlight.named(entry);
    await turn();
    const lines = readLines(inFlight.location) ?? [];
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as StartedRequest).modelRequested), ['fast']);
    inFlight.close();
  });

  it('gives each request cut off in flight an error row, and none to those whose row exists', async () => {
    const base = join(directory, 'kill.db');
    const name = journalName(2);
    const inFlight = new InFlightJournal(base, name);
    const rows = new FileRowJournal(base, name);
    const entries = new Map(['answered-journaled', 'answered-stored', 'cut-1', 'cut-2'].map((id) => [id, inFlight.started(() => started(id))]));
    await turn(); // listed at the end of the turn they started in
    rows.append(JSON.stringify(finishedRow('answered-journaled')));
    inFlight.finished(entries.get('answered-journaled')!);
    inFlight.finished(entries.get('answered-stored')!);
    assert.equal(inFlight.open, 2);
    // Killed here: nothing is closed.
    const recovered = await recoverJournal(base, name, async (id) => id === 'answered-stored');
    assert.equal(recovered.cutOff, 2);
    assert.deepEqual(recovered.rows.map((row) => [row.id, row.status, row.errorCode]), [
      ['answered-journaled', 'ok', null],
      ['cut-1', 'error', 'SB_ERR_INTERNAL'],
      ['cut-2', 'error', 'SB_ERR_INTERNAL'],
    ]);
    const cut = recovered.rows[1]!;
    assert.equal(cut.keyId, 'key_1');
    assert.equal(cut.team, 'red');
    assert.equal(cut.costUsd, 0);
    assert.equal(cut.httpStatus, 500);
    assert.match(cut.errorMessage ?? '', /ended \(killed or crashed\) before answering/);
    assert.deepEqual(journalsOnDisk(base), ['ledger-w2']);
    rows.close();
    removeJournalFiles(base, name);
    assert.deepEqual(journalsOnDisk(base), []);
  });

  it('stays small under endless load: rewritten with only the open requests', async () => {
    const base = join(directory, 'compact.db');
    const inFlight = new InFlightJournal(base, 'ledger', { compactEvery: 16 });
    const long = inFlight.started(() => started('long-stream'));
    for (let index = 0; index < 1000; index += 1) {
      const short = inFlight.started(() => started(`short-${index}`));
      await turn();
      inFlight.finished(short);
      inFlight.finished(short); // a second time changes nothing
    }
    assert.equal(inFlight.open, 1);
    const lines = readLines(inFlight.location) ?? [];
    assert.ok(lines.length <= 16, `${lines.length} lines for 1 open request`);
    assert.deepEqual(readInFlight(base, 'ledger').map((request) => request.id).filter((id) => id === 'long-stream'), ['long-stream']);
    inFlight.finished(long);
    assert.equal(inFlight.open, 0);
    inFlight.close();
    assert.equal(await readFile(inFlight.location, 'utf8'), '', 'emptied when nothing is left in flight');
  });

  it('does not write a request that finished in the turn it started in', async () => {
    const base = join(directory, 'quick.db');
    const inFlight = new InFlightJournal(base, 'ledger');
    inFlight.finished(inFlight.started(() => started('refused-at-once')));
    await turn();
    assert.deepEqual(readLines(inFlight.location), []);
  });

  it('skips a line torn by the kill', async () => {
    const base = join(directory, 'torn.db');
    // Written with write(2), so that the line appended below follows the file's last line (a
    // mapped file is padded with zeros; src/ledger/line-file.test.ts tears one of those).
    const inFlight = new InFlightJournal(base, 'ledger', { writes: 'written' });
    inFlight.started(() => started('whole'));
    await turn();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(inFlight.location, '{"id":"torn","ti');
    assert.deepEqual(readInFlight(base, 'ledger').map((request) => request.id), ['whole']);
  });
});
