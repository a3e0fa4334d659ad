/** Ports of the benchmark's baselines (bench/nginx.ts, bench/portkey.ts): one free now, and waiting until a server listens on it. */
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port free now, for a server that cannot be told to take any port and say which, as Node servers can (nginx), or will not say (Portkey's gateway). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once something accepts connections on the port, or rejects after `timeoutMs`. */
export async function accepting(port: number, timeoutMs: number, name: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    socket.destroy();
    if (connected) return;
    if (performance.now() > deadline) throw new Error(`${name} did not listen on port ${port}`);
    await sleep(50);
  }
}
