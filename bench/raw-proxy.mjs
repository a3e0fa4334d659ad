// The baseline of `npm run bench`: the least a Node.js HTTP proxy can do. Every request is
// forwarded as it came (method, path, headers, body streamed) to one upstream over a keep-alive
// pool without a limit on its connections (as the gateway's: with answers that take seconds, a
// limit would queue the calls beyond it), and the answer streamed back. No parsing, no logging,
// no ledger. Plain JavaScript, so no loader runs in it.
// Usage: node bench/raw-proxy.mjs UPSTREAM_ORIGIN   (prints its own origin)
import { Agent, createServer, request } from 'node:http';
import { serveBaseline } from './baseline-server.mjs';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:8080');
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

const server = createServer((incoming, outgoing) => {
  const headers = { ...incoming.headers, host: upstream.host };
  const forwarded = request(
    { agent, hostname: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(forwarded);
});
serveBaseline(server, () => agent.destroy());
