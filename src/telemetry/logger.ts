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

export type { Logger };
