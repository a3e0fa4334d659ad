/** Placeholders a path may hold, replaced by the fuzz gateway's fixture ids when a case is sent. */
export interface FixtureIds {
  key: string;
}

/** An HTTP/1.1 request as the fuzz writes it: every byte is the case's to choose. */
export interface WireRequest {
  /** The request line's method and target, as sent (a case may break them). */
  method: string;
  target: string;
  /** Header lines in order, as raw bytes (a case may put control characters in them). */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
  /** Write the body in this many pieces, with this pause before each (a slow client). */
  slow?: { pieces: number; pauseMs: number };
  /** Extra bytes after the request line and headers are written (broken framing). */
  rawSuffix?: Buffer;
}

/** The bytes of a request: line, headers, `content-length` (unless a header sets it), body. */
export function requestBytes(request: WireRequest, fixtures: FixtureIds): Buffer[] {
  const target = request.target.replaceAll('{key}', fixtures.key);
  const lines: Buffer[] = [Buffer.from(`${request.method} ${target} HTTP/1.1\r\nhost: fuzz\r\nconnection: close\r\n`, 'latin1')];
  const hasLength = request.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  for (const [name, value] of request.headers) lines.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n'));
  if (request.body && !hasLength) lines.push(Buffer.from(`content-length: ${request.body.length}\r\n`));
  lines.push(Buffer.from('\r\n'));
  if (request.rawSuffix) lines.push(request.rawSuffix);
  const head = Buffer.concat(lines);
  if (!request.body) return [head];
  if (!request.slow) return [Buffer.concat([head, request.body])];
  const pieces: Buffer[] = [head];
  const size = Math.ceil(request.body.length / request.slow.pieces);
  for (let offset = 0; offset < request.body.length; offset += size) pieces.push(request.body.subarray(offset, offset + size));
  return pieces;
}

/** A short printable description of a request, for failure reports (bodies cut to `limit` characters). */
export function describeRequest(request: WireRequest, limit = 600): string {
  const headers = request.headers.map(([name, value]) => `${name}: ${JSON.stringify(Buffer.isBuffer(value) ? value.toString('latin1') : value).slice(1, -1).slice(0, 200)}`).join('\n');
  const body = request.body ? request.body.toString('utf8') : '';
  const shown = body.length > limit ? `${body.slice(0, limit)}… (${body.length} bytes in all)` : body;
  return `${request.method} ${JSON.stringify(request.target).slice(1, -1).slice(0, 300)}\n${headers}${request.slow ? `\n(body in ${request.slow.pieces} pieces, ${request.slow.pauseMs} ms apart)` : ''}\n\n${shown}`;
}
