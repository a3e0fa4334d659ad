import type { GatewayError } from '../core/errors.ts';

/** An ingress wire format's way of shaping errors (api/<format>/format-error.ts). */
export type ErrorShaper = (error: GatewayError) => unknown;

/** Which wire format a route speaks, carried in the Fastify route config. */
export interface RouteFormat {
  format: string;
}

/**
 * The format of an answer to a request that matched no route (unknown endpoint, malformed URL or
 * request line): Anthropic's under /v1/messages, where Anthropic SDK clients read the error, else
 * OpenAI's.
 */
export function formatForPath(path: string): 'anthropic' | 'openai' {
  const format = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
  return format;
}

/** The error shaper for an answer to `path` (`formatForPath`), OpenAI's when there is none for it. */
export function shaperForPath(shapers: ReadonlyMap<string, ErrorShaper>, path: string): ErrorShaper {
  return shapers.get(formatForPath(path)) ?? shapers.get('openai')!;
}
