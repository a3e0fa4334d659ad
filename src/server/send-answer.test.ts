import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import type { LedgerRow } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import { RequestRecord } from '../ledger/request-record.ts';
import { sendAnswer, writeAnswer } from './send-answer.ts';

const model: ModelInfo = { id: 'fast', providerId: 'oai', upstream: 'gpt-4o-mini', pricing: { inputPerMtok: 1, outputPerMtok: 2 }, tags: [] };

describe('sendAnswer', () => {
  it('finishes the record as ok before the answer goes out, then writes it with its headers', async () => {
    const app = Fastify();
    const seen: Array<{ row: LedgerRow; answerWritten: boolean }> = [];
    app.post('/answer', async (_request, reply) => {
      const record = new RequestRecord('req_1', 'chat', (row) => seen.push({ row, answerWritten: reply.raw.writableEnded }));
      record.answered = model;
      record.usage = { inputTokens: 1_000_000, outputTokens: 0 };
      return sendAnswer(reply, record, model, '{"id":"chatcmpl-1"}');
    });
    const response = await app.inject({ method: 'POST', url: '/answer' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '{"id":"chatcmpl-1"}');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['x-switchboard-model'], 'fast');
    assert.equal(response.headers['x-switchboard-cost-usd'], '1');
    assert.equal(seen.length, 1, 'the record finishes once');
    assert.equal(seen[0]!.answerWritten, false, 'the row is made (and journaled) before the answer goes out');
    assert.equal(seen[0]!.row.status, 'ok');
    assert.equal(seen[0]!.row.httpStatus, 200);
    await app.close();
  });

  it('writeAnswer writes the answer only once the row is journaled, which may be after the turn ends', async () => {
    const steps: string[] = [];
    const server = createServer((_request, response) => {
      const record = new RequestRecord('req_2', 'chat', (row, journaled) => {
        steps.push(`finished ${row.status}, answer written: ${response.writableEnded}`);
        // The ledger's journal calls back at the end of the turn (src/ledger/writer.ts).
        setImmediate(() => {
          steps.push(`journaled, answer written: ${response.writableEnded}`);
          journaled!();
          steps.push(`after the callback, answer written: ${response.writableEnded}`);
        });
      });
      record.answered = model;
      writeAnswer(response, { 'x-request-id': 'req_2' }, record, model, '{"id":"chatcmpl-2"}');
      steps.push(`writeAnswer returned, answer written: ${response.writableEnded}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), '{"id":"chatcmpl-2"}');
    assert.equal(answer.headers.get('x-request-id'), 'req_2');
    assert.equal(answer.headers.get('x-switchboard-model'), 'fast');
    assert.deepEqual(steps, [
      'finished ok, answer written: false',
      'writeAnswer returned, answer written: false',
      'journaled, answer written: false',
      'after the callback, answer written: true',
    ]);
    server.close();
  });
});
