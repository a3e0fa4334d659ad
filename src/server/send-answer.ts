import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ModelInfo } from '../core/model.ts';
import type { RequestRecord } from '../ledger/request-record.ts';
import { answerHeaders } from './answer-headers.ts';
import { headerList } from './header-list.ts';

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
 * The answer goes out once the journal holds the row (`finishThen`): while other requests are in
 * flight, at the end of this event-loop turn, where the rows of all the answers finished in it
 * are written at once, one `write(2)` instead of one each (ADR 0011, sixteenth-session addition).
 */
export function writeAnswer(response: ServerResponse, preset: Readonly<Record<string, string>>, record: RequestRecord, model: ModelInfo, text: string): void {
  const headers = headerList(preset, answerHeaders(record, model, true));
  record.finishThen(response.destroyed ? 'client_aborted' : 'ok', 200, () => {
    try {
      writeJson(response, 200, headers, text);
    } catch {
      // Outside the request's own error handling now: a caller must not wait for an answer that failed.
      response.destroy();
    }
  });
}

/** Writes JSON text as the whole answer: `headers` (a flat list, src/server/header-list.ts), then its type and length. */
export function writeJson(response: ServerResponse, status: number, headers: string[], text: string): void {
  headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)));
  response.writeHead(status, headers);
  response.end(text);
}
