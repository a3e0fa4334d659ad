import { connect, type Socket } from 'node:net';

/** An HTTP answer read off a raw socket, or what happened instead. */
export interface SocketAnswer {
  /** 0 when no status line came back. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The socket error the client saw, writing or reading (EPIPE, ECONNRESET…), if any. */
  error?: string;
  /** Whether the whole answer (headers and `content-length` bytes) arrived. */
  complete: boolean;
}

/** What to write: bytes at once, or pieces with a pause before each (a slow client). */
export type SocketRequest = string | Buffer | { pieces: Array<string | Buffer>; pauseMs: number };

/**
 * Sends raw bytes on a new connection, as a client that writes its whole request and only then
 * reads would (for pieces, reading starts at once): for what fetch refuses to send (bad request lines, oversized headers, a body longer
 * than its limit written in full, a slow body). Resolves once a complete answer has arrived, the
 * connection closed, or `timeoutMs` passed; the socket is closed afterwards.
 */
export function sendRaw(origin: string, request: SocketRequest, timeoutMs = 10_000): Promise<SocketAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(Buffer.concat(chunks)), ...(error ? { error } : {}) });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseAnswer(Buffer.concat(chunks)).complete) finish();
    });
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error ??= failure.code ?? failure.message;
    });
    socket.on('close', finish);
    void write(socket, request, (failure) => (error ??= failure.code ?? failure.message)).catch(() => undefined);
  });
}

async function write(socket: Socket, request: SocketRequest, onError: (failure: NodeJS.ErrnoException) => void): Promise<void> {
  if (typeof request === 'string' || Buffer.isBuffer(request)) {
    // Nothing is read until the whole request is written: what a client that sends first and
    // reads after sees (an answer that the server's reset discarded is never read).
    socket.pause();
    socket.write(request, (failure) => {
      if (failure) onError(failure);
      socket.resume();
    });
    return;
  }
  for (const piece of request.pieces) {
    await new Promise((resolve) => setTimeout(resolve, request.pauseMs));
    if (socket.destroyed) return;
    socket.write(piece);
  }
}

function parseAnswer(bytes: Buffer): Omit<SocketAnswer, 'error'> {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1) return { status: 0, headers: {}, body: '', complete: false };
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(headEnd + 4);
  const length = Number(headers['content-length'] ?? Number.NaN);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: body.toString('utf8'), complete: Number.isFinite(length) && body.length >= length };
}

/**
 * Writes `request` (several pipelined requests, say) on a new connection and reads every answer
 * until the server closes it or `timeoutMs` passes: each answer's status, headers and body, in
 * order (answers framed by `content-length`), and whether the server closed the connection.
 */
export function exchangeRaw(origin: string, request: string | Buffer, timeoutMs = 10_000): Promise<{ answers: Array<Omit<SocketAnswer, 'error' | 'complete'>>; closed: boolean }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers: parseAnswers(Buffer.concat(chunks)), closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(request);
  });
}

function parseAnswers(bytes: Buffer): Array<Omit<SocketAnswer, 'error' | 'complete'>> {
  const answers: Array<Omit<SocketAnswer, 'error' | 'complete'>> = [];
  let rest = bytes;
  while (rest.length > 0) {
    const answer = parseAnswer(rest);
    if (!answer.complete) break;
    const headEnd = rest.indexOf('\r\n\r\n');
    const length = Number(answer.headers['content-length']);
    answers.push({ status: answer.status, headers: answer.headers, body: rest.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8') });
    rest = rest.subarray(headEnd + 4 + length);
  }
  return answers;
}
