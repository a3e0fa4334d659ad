import type { GatewayError } from '../core/errors.ts';

/** An ingress wire format's way of shaping errors (api/<format>/format-error.ts). */
export type ErrorShaper = (error: GatewayError) => unknown;

/** Which wire format a route speaks, carried in the Fastify route config. */
export interface RouteFormat {
  format: string;
}
