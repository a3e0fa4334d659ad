/**
 * Bedrock's prompt caching as the simulator plays it (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html,
 * API_runtime_CachePointBlock.html, API_runtime_TokenUsage.html): which models take cache points
 * and a 1-hour TTL, the checks Bedrock makes of them, and the usage a cached prompt reports.
 */

type Json = Record<string, unknown>;

/**
 * Models Bedrock lists as taking cache points (the user guide's "Supported models" table):
 * Claude 3.5 Haiku, 3.5 Sonnet v2, 3.7 Sonnet, Claude 4 and later; Nova Micro, Lite, Pro, Premier.
 * Claude Opus/Sonnet/Haiku 4.5 and later take a 1-hour TTL as well.
 */
const caching = ['claude-3-5-haiku', 'claude-3-5-sonnet-20241022', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-opus-4', 'claude-haiku-4', 'nova-micro', 'nova-lite', 'nova-pro', 'nova-premier'];
const hourLong = ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-opus-4-6'];

/** A text for each block of the prompt, and the cache points between them, in order: toolConfig, system, messages. */
function promptPieces(body: Json): Array<{ text: string } | { cachePoint: Json }> {
  const pieces: Array<{ text: string } | { cachePoint: Json }> = [];
  const take = (block: Json) => pieces.push(block.cachePoint !== undefined ? { cachePoint: block.cachePoint as Json } : { text: JSON.stringify(block) });
  for (const tool of ((body.toolConfig as Json | undefined)?.tools as Json[] | undefined) ?? []) take(tool);
  for (const block of (body.system as Json[] | undefined) ?? []) take(block);
  for (const message of (body.messages as Array<{ content: Json[] }> | undefined) ?? []) for (const block of message.content) take(block);
  return pieces;
}

/** What Bedrock refuses of a body's cache points for `model`, worded as it words it; undefined when fine. */
export function cachePointProblem(body: Json, model: string): string | undefined {
  const points = promptPieces(body).flatMap((piece) => ('cachePoint' in piece ? [piece.cachePoint] : []));
  if (points.length === 0) return undefined;
  for (const point of points) {
    const extra = Object.keys(point).find((key) => key !== 'type' && key !== 'ttl');
    if (extra !== undefined) return `Malformed input request: extraneous key [${extra}] is not permitted, please reformat your input and try again.`;
    if (point.type !== 'default') return `1 validation error detected: Value '${String(point.type)}' at 'cachePoint.type' failed to satisfy constraint: Member must satisfy enum value set: [default]`;
    if (point.ttl !== undefined && point.ttl !== '5m' && point.ttl !== '1h') return `1 validation error detected: Value '${String(point.ttl)}' at 'cachePoint.ttl' failed to satisfy constraint: Member must satisfy enum value set: [5m, 1h]`;
  }
  if (!caching.some((name) => model.includes(name))) return 'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.';
  if (points.length > 4) return `A maximum of 4 blocks with cache_control may be provided. Found ${points.length}.`;
  if (points.some((point) => point.ttl === '1h') && !hourLong.some((name) => model.includes(name))) return `The model ${model} does not support a cache TTL of 1h.`;
  // TTLs may not grow along the prompt (toolConfig → system → messages).
  const ttls = points.map((point) => (point.ttl === '1h' ? 3600 : 300));
  if (ttls.some((ttl, index) => index > 0 && ttl > ttls[index - 1]!)) return 'A cache checkpoint with ttl="1h" must not come after one with ttl="5m".';
  return undefined;
}

/** A prompt's tokens as the simulator counts them (four characters a token). */
const tokensOf = (text: string) => Math.ceil(text.length / 4);

/**
 * The prefixes cached so far (their lifetimes are not played out): a request reads the longest
 * prefix ending at one of its cache points that is cached, and writes the rest up to its last.
 */
export class SimulatedPromptCache {
  readonly #cached = new Set<string>();

  /** TokenUsage's cache fields for `body`, and the tokens left uncached; undefined without cache points. */
  usage(body: Json): { uncached: number; read: number; write: number; details: Array<{ inputTokens: number; ttl: '5m' | '1h' }> } | undefined {
    const pieces = promptPieces(body);
    const prefixes: Array<{ text: string; ttl: '5m' | '1h' }> = [];
    let text = '';
    for (const piece of pieces) {
      if ('text' in piece) text += piece.text;
      else prefixes.push({ text, ttl: piece.cachePoint.ttl === '1h' ? '1h' : '5m' });
    }
    if (prefixes.length === 0) return undefined;
    const total = tokensOf(text);
    let readUpTo = -1;
    prefixes.forEach((prefix, index) => {
      if (this.#cached.has(prefix.text)) readUpTo = index;
    });
    const read = readUpTo >= 0 ? tokensOf(prefixes[readUpTo]!.text) : 0;
    const byTtl = { '1h': 0, '5m': 0 };
    let before = read;
    for (const prefix of prefixes.slice(readUpTo + 1)) {
      const upTo = tokensOf(prefix.text);
      byTtl[prefix.ttl] += upTo - before;
      before = upTo;
      this.#cached.add(prefix.text);
    }
    const write = byTtl['1h'] + byTtl['5m'];
    // Sorted by TTL, 1h first, and empty when nothing was written (API_runtime_TokenUsage.html).
    const details = (['1h', '5m'] as const).filter((ttl) => byTtl[ttl] > 0).map((ttl) => ({ inputTokens: byTtl[ttl], ttl }));
    return { uncached: total - read - write, read, write, details };
  }
}
