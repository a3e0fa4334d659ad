import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Every path that can hold a secret is redacted, so a key never reaches
 * a log line even if a header or a provider config is logged by mistake.
 */
export const redactedPaths = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'request.headers.authorization',
  'request.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.api_key',
  '*.aws_secret_access_key',
  '*.aws_session_token',
  'master_key',
  '*.master_key',
  'key',
  '*.secret',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
