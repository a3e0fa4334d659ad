import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Every path that can hold a secret is redacted, so a key never reaches
 * a log line even if a header or a provider config is logged by mistake.
 */
export const redactedPaths = [
  // Every header a provider key or a caller's key travels in (Azure `api-key`, Gemini
  // `x-goog-api-key`, AWS temporary credentials' `x-amz-security-token`).
  ...['headers', 'request.headers', 'req.headers'].flatMap((prefix) =>
    ['authorization', '["x-api-key"]', '["api-key"]', '["x-goog-api-key"]', '["x-amz-security-token"]', 'cookie'].map((name) =>
      name.startsWith('[') ? `${prefix}${name}` : `${prefix}.${name}`,
    ),
  ),
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.api_key',
  '*.aws_access_key_id',
  '*.aws_secret_access_key',
  '*.aws_session_token',
  'master_key',
  '*.master_key',
  'key',
  '*.secret',
];

/**
 * A JSON logger. Without a destination it writes to stdout asynchronously (buffered by
 * sonic-boom), so a request never waits on a terminal or a pipe; `logger.flush()` on shutdown
 * writes what is buffered.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** What `closeLogger` uses of pino's default destination (a SonicBoom on stdout). */
interface Destination {
  destroyed: boolean;
  end(): void;
  write(data: string): boolean;
  flushSync(): void;
  once(event: 'close' | 'error', listener: () => void): unknown;
}

function isDestination(stream: unknown): stream is Destination {
  const candidate = stream as Partial<Destination> | undefined;
  return typeof candidate?.end === 'function' && typeof candidate.flushSync === 'function' && typeof candidate.once === 'function' && typeof candidate.destroyed === 'boolean';
}

/**
 * Writes what the logger still holds and closes its destination, before the process exits: at
 * most `timeoutMs`, and never a hang. pino flushes a destination that is still open with
 * sonic-boom's `flushSync` at exit, and sonic-boom 4 (the version pino 10 pins) retries a write
 * that failed for another reason than EAGAIN every 100 ms for ever: with a broken pipe on stdout
 * (its reader gone) a drained process never exited (docs/operations.md). Ending the destination
 * waits for the write in flight; a broken pipe then fails it with EPIPE, on which pino stops
 * writing (and flushing) altogether. Past the deadline (a reader that stopped reading), what is
 * left is dropped rather than waited for at exit. Lines logged after this are dropped.
 */
export function closeLogger(logger: Logger, timeoutMs = 2_000): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (!isDestination(stream) || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.write = () => true;
      if (!closed) stream.flushSync = () => undefined;
      resolve();
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    stream.once('close', () => finish(true));
    stream.once('error', () => finish(false));
    stream.end();
  });
}

export type { Logger };
