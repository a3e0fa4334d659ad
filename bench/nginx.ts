/**
 * nginx as a second baseline of `npm run bench`, when it is installed (Debian: `apt-get install
 * -y nginx-light`): the reverse proxy written in C that issue 15's outside check runs beside the
 * gateway. One worker process (the gateway runs one too), keep-alive connections to the
 * upstream, responses not buffered (streamed answers pass as they come), no access log. Its CPU
 * is read from the worker, which does all the work.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned } from './load.ts';
import { accepting, freePort } from './ports.ts';
import { childrenOf } from './process-stats.ts';
import type { Running } from './processes.ts';

export function nginxInstalled(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** Starts nginx in front of `upstreamOrigin` (http://host:port); `pid` is its worker's. */
export async function startNginx(upstreamOrigin: string, core?: number): Promise<Running> {
  const upstream = new URL(upstreamOrigin);
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-nginx-'));
  const port = await freePort();
  const config = join(directory, 'nginx.conf');
  await writeFile(
    config,
    `worker_processes 1;
daemon off;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${directory}/body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  upstream bench_upstream {
    server ${upstream.hostname}:${upstream.port};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  const [command, ...args] = pinned(core, ['nginx', '-p', directory, '-e', join(directory, 'error.log'), '-c', config]);
  const master = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  master.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(master, 'exit').then(([code]) => {
    throw new Error(`nginx exited with ${String(code)}: ${output}`);
  });
  exited.catch(() => undefined);
  const stop = async () => {
    if (master.exitCode === null && master.signalCode === null) {
      master.kill('SIGTERM');
      await once(master, 'exit');
    }
    await rm(directory, { recursive: true, force: true });
  };
  // taskset execs nginx in place, so the child is the master; its one child is the worker.
  let worker: number | undefined;
  try {
    await Promise.race([accepting(port, 10_000, 'nginx'), exited]);
    worker = childrenOf(master.pid!)[0];
    if (worker === undefined) throw new Error('nginx started without a worker process');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    child: master,
    pid: worker,
    origin: `http://127.0.0.1:${port}`,
    stop,
  };
}
