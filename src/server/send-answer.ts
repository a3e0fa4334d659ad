import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ModelInfo } from '../core/model.ts';
import type { RequestRecord } from '../ledger/request-record.ts';
import { answerHeaders } from './answer-headers.ts';

/**
 * Sends a non-streamed answer (JSON text) with its x-switchboard-* headers, once its ledger
 * record is finished. In that order: finishing journals the row (src/ledger/writer.ts), so an
 * answer a caller has received always has its row, even if the process is killed the next
 * instant (issue 13; test/e2e/cluster-workers.test.ts, "kill -9 of a worker"). Writing the answer
 * first saved 50 µs of p50 at concurrency 1, but a kill between the two left an answered request
 * to be recorded as cut off, at $0 (docs/performance.md).
 */
export function sendAnswer(reply: FastifyReply, record: RequestRecord, model: ModelInfo, text: string): FastifyReply {
  reply.headers(answerHeaders(record, model, true));
  record.finish(reply.raw.destroyed ? 'client_aborted' : 'ok', 200);
  return reply.code(200).type('application/json').send(text);
}

/**
 * The same, straight on node:http (src/server/direct-routes.ts), with the headers every answer of
 * the request carries (`preset`), as Fastify writes it: its headers, a JSON content type and length.
 * The headers go to Node as one flat list of names and values (`writeHead` takes that form): one
 * object merged from the others by spreads was, measured, moved to the old generation for most
 * requests (`npm run bench:gc` at c=16: 1.84 KB a request reached it against 0.94 with the list,
 * twice the major collections, and a c=1 p99 about 1 ms higher; docs/performance.md).
 */
export function writeAnswer(response: ServerResponse, preset: Record<string, string>, record: RequestRecord, model: ModelInfo, text: string): void {
  const headers: string[] = [];
  for (const name in preset) headers.push(name, preset[name]!);
  const own = answerHeaders(record, model, true);
  for (const name in own) headers.push(name, own[name]!);
  headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)));
  record.finish(response.destroyed ? 'client_aborted' : 'ok', 200);
  response.writeHead(200, headers);
  response.end(text);
}
