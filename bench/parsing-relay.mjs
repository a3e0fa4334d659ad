// An opt-in baseline of `npm run bench` (BENCH_RELAY=1): the least a gateway that reads what it
// relays can do. It reads the caller's JSON body whole and parses it (a gateway must know the
// model), posts the same text upstream through one undici Agent (keep-alive, no limit on
// connections, as the gateway's), and for a non-streamed answer buffers it and parses it to read
// its usage (a gateway must record the tokens); a streamed answer is relayed chunk by chunk
// unread. No validation, routing, conversion, ledger, limits or headers of its own. The raw proxy
// (bench/raw-proxy.mjs) parses nothing: comparing the two says what reading costs, and the gateway
// against this one what everything else it does costs (docs/performance.md, twenty-ninth session).
// Plain JavaScript, so no loader runs in it.
// Usage: node bench/parsing-relay.mjs UPSTREAM_ORIGIN   (prints its own origin)
import { createServer } from 'node:http';
import { Agent } from 'undici';
import { serveBaseline } from './baseline-server.mjs';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:8080');
const agent = new Agent({ connections: null, keepAliveTimeout: 30_000 });
// Headers that belong to a connection, not to the answer relayed (RFC 9110 section 7.6.1); the
// length stays: a non-streamed answer is relayed byte for byte.
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding']);
let tokens = 0;

function relay(incoming, outgoing, text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    outgoing.writeHead(400).end();
    return;
  }
  const streamed = body.stream === true;
  const parts = [];
  agent.dispatch(
    {
      origin: upstream.origin,
      method: 'POST',
      path: incoming.url,
      headers: { 'content-type': 'application/json', authorization: incoming.headers.authorization ?? '' },
      body: text,
    },
    {
      onConnect() {},
      onHeaders(status, rawHeaders) {
        const headers = {};
        for (let index = 0; index < rawHeaders.length; index += 2) {
          const name = rawHeaders[index].toString('latin1').toLowerCase();
          if (!hopByHop.has(name)) headers[name] = rawHeaders[index + 1].toString('latin1');
        }
        outgoing.writeHead(status, headers);
        return true;
      },
      onData(chunk) {
        if (streamed) return outgoing.write(chunk);
        parts.push(chunk);
        return true;
      },
      onComplete() {
        if (streamed) {
          outgoing.end();
          return;
        }
        const answer = Buffer.concat(parts);
        try {
          tokens += JSON.parse(answer.toString()).usage?.total_tokens ?? 0;
        } catch {
          // Not JSON (an upstream error page): relayed as it came.
        }
        outgoing.end(answer);
      },
      onError() {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      },
    },
  );
}

const server = createServer((incoming, outgoing) => {
  const chunks = [];
  incoming.on('data', (chunk) => chunks.push(chunk));
  incoming.on('end', () => relay(incoming, outgoing, Buffer.concat(chunks).toString()));
});
serveBaseline(server, () => {
  agent.destroy();
  process.stderr.write(`parsing relay: ${tokens} tokens read\n`);
});
