import type { UpstreamRequest } from '../../src/core/http-client.ts';

/** A JSON POST to `url` as adapters send one (2 s limits, provider "local"), with `overrides`. */
export function upstreamRequest(url: string, overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    url,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal: new AbortController().signal,
    firstByteTimeoutMs: 2_000,
    idleTimeoutMs: 2_000,
    provider: 'local',
    ...overrides,
  };
}
