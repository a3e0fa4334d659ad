// What the benchmark's plain-JavaScript baselines (bench/raw-proxy.mjs, bench/parsing-relay.mjs)
// share: listen on a free loopback port, print the origin on stdout (where bench/processes.ts
// reads it), and on SIGTERM close the server, run `stop` (their upstream pools) and exit.

/** @param {import('node:http').Server} server @param {() => void} stop */
export function serveBaseline(server, stop) {
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
    process.stdout.write(`http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    stop();
    process.exit(0);
  });
}
