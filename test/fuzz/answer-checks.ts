import type { SocketAnswer } from '../helpers/raw-socket.ts';
import type { FuzzCase } from './attacks.ts';

/** Longest error body the fuzz accepts: a message of 1,000 characters at most, quoted values cut short. */
const maxErrorBytes = 4096;

/**
 * What is wrong with the answer to a case: a status outside what the case expects, a 5xx, an
 * error body not in the endpoint's shape (exactly OpenAI's `{error: {message, type, param,
 * code}}`, or Anthropic's `{type: "error", error: {type, message}}`), or an oversized one.
 */
export function problemsOfAnswer(fuzzCase: FuzzCase, answer: SocketAnswer): string[] {
  if (!answer.complete) return [`no complete answer (${answer.error ?? `status ${answer.status || 'none'}`}) within the time limit`];
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`a ${answer.status}`);
  if (fuzzCase.expect === 'answered') {
    if (answer.status < 200 || answer.status > 299) problems.push(`a valid request was answered ${answer.status}`);
    return problems;
  }
  if (answer.status < 400 || answer.status > 499) {
    if (answer.status < 500) problems.push(`a bad request was answered ${answer.status}`);
    return problems;
  }
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) problems.push(`content-type ${answer.headers['content-type'] ?? '(none)'}`);
  if (Buffer.byteLength(answer.body) > maxErrorBytes) problems.push(`an error body of ${Buffer.byteLength(answer.body)} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [...problems, 'the error body is not JSON'];
  }
  const shapeProblem = fuzzCase.format === 'anthropic' ? anthropicShapeProblem(body) : openAIShapeProblem(body);
  if (shapeProblem) problems.push(`not in the ${fuzzCase.format} error shape: ${shapeProblem}`);
  return problems;
}

function openAIShapeProblem(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  if (!isRecord(body) || Object.keys(body).join() !== 'error' || !isRecord(error)) return 'no single `error` object';
  if (Object.keys(error).sort().join() !== 'code,message,param,type') return `error keys ${Object.keys(error).join(', ')}`;
  if (typeof error.message !== 'string' || typeof error.type !== 'string') return 'message or type not a string';
  if (error.param !== null && typeof error.param !== 'string') return 'param neither a string nor null';
  if (error.code !== null && typeof error.code !== 'string') return 'code neither a string nor null';
  return undefined;
}

function anthropicShapeProblem(body: unknown): string | undefined {
  if (!isRecord(body) || Object.keys(body).sort().join() !== 'error,type' || body.type !== 'error') return 'not {type: "error", error}';
  const error = body.error;
  if (!isRecord(error) || Object.keys(error).sort().join() !== 'message,type') return 'error keys are not type and message';
  if (typeof error.message !== 'string' || typeof error.type !== 'string') return 'message or type not a string';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
