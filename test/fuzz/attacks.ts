import { endpoints, type Endpoint, type ErrorFormat } from './endpoints.ts';
import { hostileString, hostileValue, hugeWrongArray } from './hostile-values.ts';
import { caseRandom, type Random } from './random.ts';
import type { WireRequest } from './wire.ts';

/** The master key of the fuzz gateway (gateway-host.ts). */
export const fuzzMasterKey = 'sb-fuzz-master-key';

/** One generated request and what its answer must be. */
export interface FuzzCase {
  index: number;
  endpoint: string;
  /** What was done to the request, for the report. */
  attack: string;
  request: WireRequest;
  /** The error shape the answer must have. */
  format: ErrorFormat;
  /** `refused`: a 4xx and no provider call. `answered`: a valid request (no provider is ever called for it either). */
  expect: 'refused' | 'answered';
  /** Whether the answer must have a ledger row (a billable endpoint reached by a request Node could parse). */
  ledgerRow: boolean;
}

interface Built {
  attack: string;
  request: WireRequest;
  /** Parser-level attacks have no request for the gateway: no ledger row, the shape comes from the path. */
  transport?: boolean;
}

type Attack = { name: string; weight: number; applies(endpoint: Endpoint): boolean; build(random: Random, endpoint: Endpoint): Built };

/**
 * JSON text of a body; deep values stand in the body as markers and are written here as text,
 * since JSON.stringify of 100,000 nested arrays would overflow the fuzz's own stack.
 */
const json = (value: unknown) => Buffer.from(JSON.stringify(value).replace(/"⟦deep:(array|object):(\d+)⟧"/g, (_, kind: string, depth: string) => deepJson(Number(depth), kind as 'array' | 'object')));
const deepMarker = (depth: number, kind: 'array' | 'object') => `⟦deep:${kind}:${depth}⟧`;
function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
const authHeaders = (endpoint: Endpoint): Array<[string, string]> => (endpoint.auth === 'none' ? [] : [['authorization', `Bearer ${fuzzMasterKey}`]]);
const request = (endpoint: Endpoint, body?: Buffer, headers: Array<[string, string | Buffer]> = []): WireRequest => ({
  method: endpoint.method,
  target: endpoint.path,
  headers: [...authHeaders(endpoint), ...(body ? ([['content-type', 'application/json']] as Array<[string, string]>) : []), ...headers],
  ...(body ? { body } : {}),
});
const withBody = (endpoint: Endpoint) => endpoint.body !== undefined;

/** Near misses of known field names, per wire format (docs/decisions/0009-request-field-policy.md). */
const openAITypos = ['temprature', 'max_token', 'top-p', 'maxTokens', 'frequence_penalty', 'strem', 'mesages', 'modle', 'stream_option', 'respones_format', 'tool', 'Temperature'];
const embeddingTypos = ['dimension', 'encodingformat', 'inputs', 'modle', 'encoding-format', 'user_', 'input-type'];
const anthropicTypos = ['stop_sequence', 'max_token', 'temprature', 'system_prompt', 'tool_choise', 'n', 'logit_bias', 'maxTokens'];
/** Field names no provider has. */
const badFieldNames = ['bad name', 'x\r\ny', '\u0000', 'constructor', 'prototype', '💥', '', 'a'.repeat(100), 'top.p', 'température'];

/** A body attack applied to the endpoint's valid body (the body stays a JSON object). */
function breakBody(random: Random, endpoint: Endpoint): { attack: string; body: Record<string, unknown> } {
  const body = endpoint.body!();
  const choices: Array<() => string> = [];
  if (endpoint.invalid?.length) {
    const wrongValue = () => {
      const [field, value] = random.pick(endpoint.invalid!);
      body[field] = structuredClone(value);
      return `wrong value for ${field}: ${JSON.stringify(value).slice(0, 40)}`;
    };
    // The most varied attack (every field's wrong values): drawn three times as often.
    choices.push(wrongValue, wrongValue, wrongValue);
  }
  if (endpoint.required?.length) {
    choices.push(() => {
      const field = random.pick(endpoint.required!);
      delete body[field];
      return `no ${field}`;
    });
    choices.push(() => {
      const field = random.pick(endpoint.required!);
      // Wrapped in an object, which no required field of any endpoint takes: a hostile value
      // alone may be valid there (1e308 is an integer max_tokens, [0, 1] a token-id input).
      body[field] = { [hostileString(random).slice(0, 20)]: hostileValue(random) };
      return `hostile object for ${field}`;
    });
  }
  choices.push(() => {
    const typos = endpoint.name === 'embeddings' ? embeddingTypos : openAITypos;
    const name = endpoint.closed ? random.pick([...anthropicTypos, ...openAITypos, hostileString(random).slice(0, 20) || 'x']) : random.pick(typos);
    setOwn(body, name, hostileValue(random));
    return `unknown field ${JSON.stringify(name).slice(0, 40)}`;
  });
  choices.push(() => {
    const name = random.pick(badFieldNames);
    setOwn(body, name, 1);
    return `bad field name ${JSON.stringify(name).slice(0, 40)}`;
  });
  choices.push(() => {
    // 101 to 100,000 levels, spread evenly over orders of magnitude; written as text (deepJson).
    const depth = Math.round(101 * 1000 ** random.next());
    const field = random.chance(0.5) && endpoint.required?.length ? random.pick(endpoint.required) : 'extra';
    body[field] = deepMarker(depth, random.pick(['array', 'object'] as const));
    return `${depth} levels of nesting in ${field}`;
  });
  choices.push(() => {
    const field = endpoint.required?.[endpoint.required.length - 1] ?? 'models';
    body[field] = hugeWrongArray(random);
    return `${(body[field] as unknown[]).length}-element wrong array in ${field}`;
  });
  return { attack: random.pick(choices)(), body };
}

const attacks: Attack[] = [
  {
    name: 'body',
    weight: 30,
    applies: withBody,
    build(random, endpoint) {
      const broken = breakBody(random, endpoint);
      // A second break, sometimes: two wrongs never make a right.
      if (random.chance(0.2)) {
        const second = breakBody(random, { ...endpoint, body: () => broken.body });
        return { attack: `${broken.attack}; ${second.attack}`, request: request(endpoint, json(second.body)) };
      }
      return { attack: broken.attack, request: request(endpoint, json(broken.body)) };
    },
  },
  {
    name: 'malformed JSON',
    weight: 8,
    applies: withBody,
    build(random, endpoint) {
      const text = JSON.stringify(endpoint.body!());
      const cut = random.int(1, text.length - 1);
      // Each variant is invalid wherever the cut falls (an insertion inside a string could be valid).
      const garbage = random.pick([',', '}', '"', '\\', '{', ']', "'", 'undefined', 'NaN', '"extra":NaN,', '"extra":undefined,', '"extra":01,']);
      const variants = [text.slice(0, cut), `{${garbage}${text.slice(1)}`, text.replaceAll('"', "'"), `${text},`, `${text}${text}`, `${text.slice(0, -1)},}`];
      return { attack: 'malformed JSON', request: request(endpoint, Buffer.from(random.pick(variants))) };
    },
  },
  {
    name: 'not an object',
    weight: 4,
    applies: (endpoint) => withBody(endpoint) && (endpoint.required?.length ?? 0) > 0,
    build(random, endpoint) {
      const body = random.pick(['[]', '[1,2]', '"text"', '42', 'true', 'null', '""', '[{"model":"fast"}]', ' ']);
      return { attack: `body ${body}`, request: request(endpoint, Buffer.from(body)) };
    },
  },
  {
    name: 'junk body on a route that takes none',
    weight: 3,
    applies: (endpoint) => !withBody(endpoint) && endpoint.method !== 'GET',
    build(random, endpoint) {
      const body = random.pick(['{', 'not json', '{"a":', '[[[[', '\u0000', '{"__proto__":{}}']);
      return { attack: `body ${JSON.stringify(body)}`, request: request(endpoint, Buffer.from(body)) };
    },
  },
  {
    name: 'invalid UTF-8',
    weight: 4,
    applies: withBody,
    build(random, endpoint) {
      const text = Buffer.from(JSON.stringify(endpoint.body!()));
      const bad = Buffer.from(random.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]));
      // Outside a string: the JSON is broken, whatever the bytes decode to.
      return { attack: 'invalid UTF-8 between JSON tokens', request: request(endpoint, Buffer.concat([text.subarray(0, 1), bad, text.subarray(1)])) };
    },
  },
  {
    name: 'invalid UTF-8 in the model name',
    weight: 3,
    applies: (endpoint) => withBody(endpoint) && 'model' in endpoint.body!(),
    build(random, endpoint) {
      const text = JSON.stringify(endpoint.body!());
      const at = text.indexOf('"model":"') + '"model":"'.length;
      const bad = Buffer.from(random.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0x80]]));
      return { attack: 'invalid UTF-8 in the model name', request: request(endpoint, Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at))])) };
    },
  },
  {
    name: 'prototype key',
    weight: 4,
    applies: withBody,
    build(random, endpoint) {
      const text = JSON.stringify(endpoint.body!());
      const key = random.pick(['"__proto__":{"admin":true}', '"\\u005f_proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}', '"__proto__":[]']);
      return { attack: `prototype key ${key}`, request: request(endpoint, Buffer.from(`{${key},${text.slice(1)}`)) };
    },
  },
  {
    name: 'too many values',
    weight: 1,
    applies: withBody,
    build(random, endpoint) {
      const count = random.int(500_001, 600_000);
      const text = JSON.stringify(endpoint.body!());
      return { attack: `${count} values`, request: request(endpoint, Buffer.from(`{"extra":[${'0,'.repeat(count - 1)}0],${text.slice(1)}`)) };
    },
  },
  {
    name: 'body over the limit',
    weight: 0.5,
    applies: withBody,
    build(random, endpoint) {
      const body = { ...endpoint.body!(), padding: 'p'.repeat(random.int(4, 6) * 1024 * 1024) };
      return { attack: 'body over max_body_mb', request: request(endpoint, json(body)) };
    },
  },
  {
    name: 'no key or a wrong key',
    weight: 6,
    applies: (endpoint) => endpoint.auth !== 'none',
    build(random, endpoint) {
      const base = request(endpoint, endpoint.body ? json(endpoint.body()) : undefined);
      const headers = base.headers.filter(([name]) => name !== 'authorization');
      const key = random.pick([undefined, 'Bearer', 'Bearer ', 'Bearer sk-wrong', 'Basic Zm9vOmJhcg==', `Bearer ${fuzzMasterKey}x`, `bearer  ${'k'.repeat(5000)}`]);
      return { attack: `authorization ${JSON.stringify(key)?.slice(0, 40)}`, request: { ...base, headers: key === undefined ? headers : [...headers, ['authorization', key]] } };
    },
  },
  {
    name: 'bad routing metadata header',
    weight: 3,
    applies: (endpoint) => ['chat', 'route-explain', 'messages', 'embeddings'].includes(endpoint.name),
    build(random, endpoint) {
      const value = random.pick(['not json', '[]', '"x"', '{"a":1}', '{"a":{"b":"c"}}', '{', 'null', `{"k":${'['.repeat(200)}${']'.repeat(200)}}`]);
      return { attack: `x-switchboard-metadata ${value.slice(0, 30)}`, request: request(endpoint, json(endpoint.body!()), [['x-switchboard-metadata', value]]) };
    },
  },
  {
    name: 'bad admin query',
    weight: 4,
    applies: (endpoint) => ['admin-usage', 'admin-usage-summary', 'admin-audit'].includes(endpoint.name),
    build(random, endpoint) {
      const query = random.pick(['limit=0', 'limit=abc', 'limit=100001', 'from=yesterday', 'to=2026-02-30T99:00:00Z', 'unknown=1', `x${encodeURIComponent(hostileString(random).slice(0, 50).replace(/[\ud800-\udfff]/g, "\ufffd"))}=1`, 'group_by=planet', 'format=xml', 'limit=%zz']);
      // /admin/usage/summary has no `format`: a bad group_by there instead.
      const bad = endpoint.name === 'admin-usage-summary' ? query.replace(/^format=/, 'group_by=') : query;
      return { attack: `query ${bad.slice(0, 60)}`, request: { ...request(endpoint), target: `${endpoint.path}?${bad}` } };
    },
  },
  {
    name: 'control character in a header',
    weight: 4,
    applies: () => true,
    build(random, endpoint) {
      const byte = random.pick([0, 1, 8, 10, 11, 13, 27, 127]);
      const base = request(endpoint, endpoint.body ? json(endpoint.body()) : undefined);
      return {
        attack: `byte ${byte} in a header value`,
        request: { ...base, headers: [...base.headers, [random.pick(['x-custom', 'x-switchboard-metadata', 'user-agent', 'anthropic-version']), Buffer.from([0x61, byte, 0x62])]] },
        transport: true,
      };
    },
  },
  {
    name: 'oversized headers or URI',
    weight: 2,
    applies: () => true,
    build(random, endpoint) {
      const base = request(endpoint, endpoint.body ? json(endpoint.body()) : undefined);
      if (random.chance(0.5)) return { attack: 'a 20 KB header', request: { ...base, headers: [...base.headers, ['x-padding', 'a'.repeat(random.int(17_000, 40_000))]] }, transport: true };
      return { attack: 'a 20 KB URI', request: { ...base, target: `${endpoint.path}?q=${'a'.repeat(random.int(17_000, 40_000))}` }, transport: true };
    },
  },
  {
    name: 'broken request line or framing',
    weight: 3,
    applies: () => true,
    build(random, endpoint) {
      const base = request(endpoint, endpoint.body ? json(endpoint.body()) : undefined);
      switch (random.int(0, 4)) {
        case 0:
          return { attack: 'invalid method', request: { ...base, method: random.pick(['FOO', 'get', '', 'GET\u0000']) }, transport: true };
        case 1:
          return { attack: 'control character in the path', request: { ...base, target: `${endpoint.path}\u0001` }, transport: true };
        case 2:
          return { attack: 'two content-length headers', request: { ...request(endpoint, Buffer.from('{}')), headers: [...base.headers, ['content-length', '2'], ['content-length', '3']] }, transport: true };
        case 3:
          return { attack: 'bad chunk size', request: { ...base, headers: [...base.headers.filter(([name]) => name !== 'content-length'), ['transfer-encoding', 'chunked']], rawSuffix: Buffer.from('zz\r\n{}\r\n0\r\n\r\n') }, transport: true };
        default:
          return { attack: 'content-length not a number', request: { ...base, headers: [...base.headers, ['content-length', '12abc']] }, transport: true };
      }
    },
  },
  {
    name: 'malformed URL',
    weight: 2,
    applies: () => true,
    build(random, endpoint) {
      const suffix = random.pick(['/%E0%A4%A', '/%', `/${'p'.repeat(150)}`, '/..%2f..%2fetc', '//x']);
      return { attack: `path ${endpoint.path}${suffix.slice(0, 20)}`, request: { ...request(endpoint), target: `${endpoint.path}${suffix}` } };
    },
  },
  {
    name: 'wrong method',
    weight: 2,
    applies: () => true,
    build(random, endpoint) {
      return { attack: 'PUT', request: { ...request(endpoint, random.chance(0.5) ? Buffer.from('{}') : undefined), method: 'PUT' } };
    },
  },
];

/**
 * Valid requests with hostile content, for which the gateway calls no provider either (token
 * counting, route explanation, health): they must answer 2xx without stalling the event loop.
 * Long unbroken text made token counting quadratic (issue 13, defect 1).
 */
function validHostile(random: Random): Built & { endpoint: Endpoint } {
  const text = hostileString(random).replace(/[\ud800-\udfff]/g, 'x') || 'x';
  switch (random.int(0, 2)) {
    case 0: {
      const endpoint = endpoints.find((candidate) => candidate.name === 'count-tokens')!;
      return { endpoint, attack: `count_tokens of ${text.length} characters`, request: request(endpoint, json({ model: 'claude', messages: [{ role: 'user', content: text }] })) };
    }
    case 1: {
      const endpoint = endpoints.find((candidate) => candidate.name === 'route-explain')!;
      return { endpoint, attack: `route/explain of ${text.length} characters`, request: request(endpoint, json({ model: 'auto', messages: [{ role: 'user', content: text }] })) };
    }
    default: {
      const endpoint = endpoints.find((candidate) => candidate.name === 'health-live')!;
      return { endpoint, attack: 'odd but legal headers', request: request(endpoint, undefined, [['x-odd', Buffer.from([0x80, 0xff, 0x09, 0x41])], ['user-agent', 'é'.repeat(100)]]) };
    }
  }
}

/** Case `index` of the run with `seed`: the same pair always gives the same case. */
export function generateCase(seed: number, index: number, options: { validShare: number }): FuzzCase {
  const random = caseRandom(seed, index);
  if (random.chance(options.validShare)) {
    const built = validHostile(random);
    return { index, endpoint: built.endpoint.name, attack: built.attack, request: built.request, format: built.endpoint.format, expect: 'answered', ledgerRow: false };
  }
  // Endpoints that take a body have the most to break: drawn three times as often.
  const endpoint = random.pick(endpoints.flatMap((candidate) => (candidate.body ? [candidate, candidate, candidate] : [candidate])));
  const usable = attacks.filter((attack) => attack.applies(endpoint));
  const built = weighted(random, usable).build(random, endpoint);
  if (random.chance(0.03) && built.request.body && !built.transport) built.request.slow = { pieces: random.int(2, 5), pauseMs: random.int(5, 40) };
  return {
    index,
    endpoint: endpoint.name,
    attack: built.attack,
    request: built.request,
    format: endpoint.format,
    expect: 'refused',
    ledgerRow: endpoint.billable && !built.transport && built.request.method === endpoint.method && built.request.target === endpoint.path,
  };
}

function weighted(random: Random, choices: readonly Attack[]): Attack {
  const total = choices.reduce((sum, choice) => sum + choice.weight, 0);
  let point = random.next() * total;
  for (const choice of choices) {
    point -= choice.weight;
    if (point < 0) return choice;
  }
  return choices[choices.length - 1]!;
}

/**
 * Adds `name` as the body's own field, whatever the name: an assignment to `__proto__` would set
 * the object's prototype instead (or do nothing), and the field would never reach the gateway.
 */
function setOwn(body: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(body, name, { value, enumerable: true, writable: true, configurable: true });
}
