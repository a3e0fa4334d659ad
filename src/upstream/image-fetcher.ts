import { isIP } from 'node:net';
import type { Dispatcher, request as undiciRequest } from 'undici';
import { toAbortSignal } from '../core/abort.ts';
import { GatewayError } from '../core/errors.ts';
import type { ImageFetcher } from '../core/http-client.ts';
import { isPublicAddress, publicLookup } from './public-address.ts';

/** Limits for fetching images that a provider needs as bytes. */
export interface ImageFetcherOptions {
  maxBytes?: number;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /**
   * Fetch from private, loopback and link-local addresses too (`server.allow_private_image_urls`):
   * for images a deployment serves on its own network. Off by default.
   */
  allowPrivate?: boolean;
}

/**
 * Fetches an image URL for providers that take only inline bytes (Gemini, Bedrock), with a size
 * limit and a timeout. `data:` URLs are decoded without a request. Failures are the caller's
 * 400s: the URL they sent could not be used.
 *
 * The URL is the caller's, and the gateway fetches it from inside the network it runs in: only
 * public addresses are connected to (./public-address.ts), checked on the URL's IP or on what its
 * name resolves to when connecting, so that a caller cannot make the gateway reach its own admin
 * port, a service beside it, or a cloud metadata endpoint, and learn from the errors what
 * answers there (server-side request forgery; LiteLLM's image fetching had such a CVE).
 */
export function createImageFetcher(options: ImageFetcherOptions = {}): ImageFetcher {
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  /** Connects to public addresses only; made with the first image fetched. */
  let publicOnly: Dispatcher | undefined;
  return {
    async fetch(url, signal) {
      const inline = decodeDataUrl(url);
      if (inline) return inline;
      // https only: plain http to internal addresses would let a caller probe the gateway's network.
      if (!/^https:\/\//i.test(url)) {
        throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Image URLs must be https:// or data: URLs.', { param: 'image_url' });
      }
      const origin = URL.canParse(url) ? new URL(url).origin : 'https://…';
      const failed = (reason: string) => new GatewayError('SB_ERR_INVALID_REQUEST', `Could not fetch the image at ${origin}: ${reason}`, { param: 'image_url' });
      const host = URL.canParse(url) ? new URL(url).hostname.replace(/^\[|\]$/g, '') : '';
      if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
        throw new GatewayError('SB_ERR_INVALID_REQUEST', `Image URLs must point to a public address; ${origin} does not.`, { param: 'image_url' });
      }
      let response: Dispatcher.ResponseData<unknown>;
      try {
        // Loaded on the first image to fetch: the whole of undici costs 110 ms of start, and most
        // gateways never fetch an image (src/upstream/http-client.ts loads only its Agent).
        const undici = await import('undici');
        const dispatcher = options.dispatcher ?? (options.allowPrivate ? undefined : (publicOnly ??= new undici.Agent({ connect: { lookup: publicLookup } })));
        response = await undici.request(url, {
          method: 'GET',
          signal: AbortSignal.any([toAbortSignal(signal), AbortSignal.timeout(timeoutMs)]),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          ...(dispatcher ? { dispatcher } : {}),
        } as Parameters<typeof undiciRequest>[1]);
      } catch (error) {
        throw failed(error instanceof Error ? error.message : String(error));
      }
      if (response.statusCode !== 200) {
        await response.body.dump().catch(() => undefined);
        throw failed(`HTTP ${response.statusCode}`);
      }
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        await response.body.dump().catch(() => undefined);
        throw failed(`larger than ${maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) {
            response.body.destroy();
            throw failed(`larger than ${maxBytes} bytes`);
          }
          chunks.push(chunk);
        }
      } catch (error) {
        if (GatewayError.isInstance(error)) throw error;
        throw failed(error instanceof Error ? error.message : String(error));
      }
      const type = String(response.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      return { mediaType: type, data: new Uint8Array(Buffer.concat(chunks)) };
    },
  };
}

/** `data:image/png;base64,....` → bytes and media type; undefined for other URLs. */
export function decodeDataUrl(url: string): { mediaType: string; data: Uint8Array } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Malformed data: URL in an image part.', { param: 'image_url' });
  const header = url.slice(5, comma);
  const mediaType = header.split(';')[0] || 'application/octet-stream';
  const payload = url.slice(comma + 1);
  const data = header.endsWith(';base64') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload));
  return { mediaType, data: new Uint8Array(data) };
}
