import type { HttpClient, UpstreamRequest } from '../../src/core/http-client.ts';

/** A canned provider answer: a status (200 when absent) and a body's text. */
export interface CannedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * An HttpClient for adapter tests: records what the adapter sends and answers each call from
 * `reply` (a fixed answer, or one built from the request).
 */
export function fakeHttp(reply: CannedAnswer | ((request: UpstreamRequest) => CannedAnswer)): { http: HttpClient; sent: UpstreamRequest[] } {
  const sent: UpstreamRequest[] = [];
  const http: HttpClient = {
    async send(request) {
      sent.push(request);
      const answer = typeof reply === 'function' ? reply(request) : reply;
      const bytes = new TextEncoder().encode(answer.body);
      return {
        status: answer.status ?? 200,
        headers: answer.headers ?? {},
        body: new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(bytes), controller.close()) }),
        text: async () => answer.body,
        discard: async () => undefined,
      };
    },
  };
  return { http, sent };
}
