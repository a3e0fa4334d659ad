/**
 * Every endpoint the fuzz attacks, with a valid body to start from (each attack then breaks it).
 * The gateway the fuzz runs (gateway-host.ts) has the models and ids named here.
 */

/** The error shape an endpoint answers in. */
export type ErrorFormat = 'openai' | 'anthropic';

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  format: ErrorFormat;
  /** Which key it needs: an API key, the master key (admin), or none (health, metrics). */
  auth: 'api' | 'admin' | 'none';
  /** A valid body, for endpoints that take one. */
  body?: () => Record<string, unknown>;
  /** Fields whose absence is an error. */
  required?: readonly string[];
  /** Fields and values each of which is invalid there (wrong type or out of range). */
  invalid?: ReadonlyArray<[string, unknown]>;
  /** Whether the request gets a ledger row (a billable API endpoint). */
  billable: boolean;
  /** Whether any top-level field not in the body is refused (closed schemas: Anthropic, admin). */
  closed: boolean;
}

/**
 * Records the fuzz gateway has, so that paths with ids hit real ones: a team with this id, and a
 * key whose generated id replaces `{key}` in a path when the case is sent (wire.ts).
 */
export const fixtureIds = { team: 'team_fuzz_fixture' };

const hi = [{ role: 'user', content: 'hi' }];

const chatInvalid: ReadonlyArray<[string, unknown]> = [
  ['model', 42],
  ['model', ''],
  ['model', 'oai/m\r\nx: 1'],
  ['model', 'oai/m\u0000x'],
  ['model', 'модель'],
  ['model', 'x'.repeat(300)],
  ['messages', 'hi'],
  ['messages', []],
  ['messages', [{ role: 'wizard', content: 'hi' }]],
  ['messages', [{ role: 'user', content: [] }]],
  ['messages', [{ role: 'user', content: 42 }]],
  ['messages', [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '' } }] }]],
  ['messages', [{ role: 'tool', content: 'x', tool_call_id: 'call_nowhere' }]],
  ['temperature', 3],
  ['temperature', 'hot'],
  ['top_p', -1],
  ['max_tokens', 0],
  ['max_tokens', 1.5],
  ['max_completion_tokens', -5],
  ['n', 0],
  ['stop', ['a', 'b', 'c', 'd', 'e']],
  ['stream', 'yes'],
  ['stream_options', { include_usage: true }],
  ['tools', [{ type: 'function', function: { name: 'bad name!' } }]],
  ['tool_choice', 'required'],
  ['response_format', { type: 'xml' }],
  ['metadata', { n: 1 }],
  ['models', ['fast', 7]],
  ['provider', { sort: 'random' }],
];

const messagesInvalid: ReadonlyArray<[string, unknown]> = [
  ['model', 42],
  ['model', 'claude\r\n'],
  ['model', '模型'],
  ['max_tokens', 0],
  ['max_tokens', -1],
  ['max_tokens', '5'],
  ['messages', [{ role: 'user', content: '' }]],
  ['messages', [{ role: 'user', content: [] }]],
  ['messages', [{ role: 'user', content: [{ type: 'text', text: '' }] }]],
  ['messages', [{ role: 'tool', content: 'x' }]],
  ['messages', [{ role: 'user', content: [{ type: 'server_tool_use', id: 'x' }] }]],
  ['temperature', 1.5],
  ['top_k', -1],
  ['metadata', { user_id: 'u', other: 1 }],
  ['thinking', { type: 'enabled', budget_tokens: 10 }],
  ['tool_choice', { type: 'any' }],
  ['tools', [{ name: 'x', input_schema: { type: 'string' } }]],
  ['stream', null],
  ['system', 7],
];

export const endpoints: readonly Endpoint[] = [
  {
    name: 'chat',
    method: 'POST',
    path: '/v1/chat/completions',
    format: 'openai',
    auth: 'api',
    body: () => ({ model: 'fast', messages: hi, temperature: 0.2 }),
    required: ['model', 'messages'],
    invalid: chatInvalid,
    billable: true,
    closed: false,
  },
  {
    name: 'route-explain',
    method: 'POST',
    path: '/v1/route/explain',
    format: 'openai',
    auth: 'api',
    body: () => ({ model: 'auto', messages: hi }),
    required: ['model', 'messages'],
    invalid: chatInvalid,
    billable: false,
    closed: false,
  },
  {
    name: 'messages',
    method: 'POST',
    path: '/v1/messages',
    format: 'anthropic',
    auth: 'api',
    body: () => ({ model: 'claude', max_tokens: 16, messages: hi }),
    required: ['model', 'max_tokens', 'messages'],
    invalid: messagesInvalid,
    billable: true,
    closed: true,
  },
  {
    name: 'count-tokens',
    method: 'POST',
    path: '/v1/messages/count_tokens',
    format: 'anthropic',
    auth: 'api',
    body: () => ({ model: 'claude', messages: hi }),
    required: ['model', 'messages'],
    invalid: messagesInvalid.filter(([field]) => field !== 'max_tokens'),
    billable: false,
    closed: true,
  },
  {
    name: 'embeddings',
    method: 'POST',
    path: '/v1/embeddings',
    format: 'openai',
    auth: 'api',
    body: () => ({ model: 'embed', input: 'hello' }),
    required: ['model', 'input'],
    invalid: [
      ['model', null],
      ['model', 'embed\n'],
      ['input', ''],
      ['input', []],
      ['input', [1.5]],
      ['input', [[]]],
      ['input', { text: 'x' }],
      ['encoding_format', 'int8'],
      ['dimensions', 0],
      ['input_type', 'poetry'],
    ],
    billable: true,
    closed: false,
  },
  {
    name: 'feedback',
    method: 'POST',
    path: '/v1/feedback',
    format: 'openai',
    auth: 'api',
    body: () => ({ request_id: 'req_unknown', score: 0.5 }),
    required: ['request_id', 'score'],
    invalid: [
      ['score', 2],
      ['score', '1'],
      ['request_id', ''],
      ['comment', 'c'.repeat(3000)],
    ],
    billable: false,
    closed: true,
  },
  { name: 'models', method: 'GET', path: '/v1/models', format: 'openai', auth: 'api', billable: false, closed: true },
  { name: 'model', method: 'GET', path: '/v1/models/fast', format: 'openai', auth: 'api', billable: false, closed: true },
  { name: 'health-live', method: 'GET', path: '/health/live', format: 'openai', auth: 'none', billable: false, closed: true },
  { name: 'health-ready', method: 'GET', path: '/health/ready', format: 'openai', auth: 'none', billable: false, closed: true },
  { name: 'metrics', method: 'GET', path: '/metrics', format: 'openai', auth: 'none', billable: false, closed: true },
  {
    name: 'admin-create-key',
    method: 'POST',
    path: '/admin/keys',
    format: 'openai',
    auth: 'admin',
    body: () => ({ name: 'fuzz', models: ['fast'], rpm: 10 }),
    required: ['name'],
    invalid: [
      ['name', ''],
      ['name', 7],
      ['models', [1]],
      ['rpm', 0],
      ['budget_usd', -1],
      ['budget_period', 'week'],
      ['expires_at', 'tomorrow'],
      ['metadata', { a: 1 }],
      ['guardrails', ['not-configured']],
      ['model_limits', { 'gpt-*': { rpm: 'ten' } }],
    ],
    billable: false,
    closed: true,
  },
  {
    name: 'admin-update-key',
    method: 'PATCH',
    path: '/admin/keys/{key}',
    format: 'openai',
    auth: 'admin',
    body: () => ({ rpm: 20 }),
    required: [],
    invalid: [
      ['name', ''],
      ['tpm', -3],
      ['team', 5],
      ['expires_at', '2026-13-45'],
    ],
    billable: false,
    closed: true,
  },
  {
    name: 'admin-create-team',
    method: 'POST',
    path: '/admin/teams',
    format: 'openai',
    auth: 'admin',
    body: () => ({ name: 'fuzz-team' }),
    required: ['name'],
    invalid: [
      ['id', 'bad id!'],
      ['name', ''],
      ['budget_usd', 'lots'],
    ],
    billable: false,
    closed: true,
  },
  {
    name: 'admin-update-team',
    method: 'PATCH',
    path: `/admin/teams/${fixtureIds.team}`,
    format: 'openai',
    auth: 'admin',
    body: () => ({ rpm: 5 }),
    required: [],
    invalid: [
      ['name', 'renamed'],
      ['rpm', 0.5],
    ],
    billable: false,
    closed: true,
  },
  {
    name: 'admin-add-provider',
    method: 'POST',
    path: '/admin/providers',
    format: 'openai',
    auth: 'admin',
    body: () => ({ id: 'fuzz-provider', type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' }),
    required: ['id', 'type'],
    invalid: [
      ['type', 'carrier-pigeon'],
      ['id', 'bad id!'],
      ['base_url', 'not a url'],
      ['timeout_ms', -1],
    ],
    billable: false,
    closed: true,
  },
  { name: 'admin-revoke-key', method: 'DELETE', path: '/admin/keys/{key}', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-rotate-key', method: 'POST', path: '/admin/keys/{key}/rotate', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-delete-team', method: 'DELETE', path: `/admin/teams/${fixtureIds.team}`, format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-list-keys', method: 'GET', path: '/admin/keys', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-usage', method: 'GET', path: '/admin/usage', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-usage-summary', method: 'GET', path: '/admin/usage/summary', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-routes', method: 'GET', path: '/admin/routes', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-spend', method: 'GET', path: '/admin/spend', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-audit', method: 'GET', path: '/admin/audit', format: 'openai', auth: 'admin', billable: false, closed: true },
  { name: 'admin-providers', method: 'GET', path: '/admin/providers', format: 'openai', auth: 'admin', billable: false, closed: true },
];
