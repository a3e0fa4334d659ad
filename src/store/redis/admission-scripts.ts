/**
 * The Lua scripts of the shared limits engine (src/store/redis/admission.ts). Redis runs each one
 * whole, with no other command in between (https://redis.io/docs/latest/develop/programmability/eval-intro/),
 * so check-and-reserve is atomic across every replica, as src/keys/limits.ts is within one process.
 *
 * A window (rpm or tpm of a key, a team, or one of their model globs) is four keys:
 *   :r   sorted set, one member per request (the ticket), scored by its arrival (ms)
 *   :t   sorted set, one member per request whose tokens count, scored the same
 *   :ta  hash, ticket -> tokens counted for it (the estimate, then the real count)
 *   :ts  string, the sum of :ta
 * A subject (key or team) is three:
 *   :holds  sorted set, ticket -> when its lease ends (ms): requests in flight
 *   :held   hash, ticket -> USD reserved for it
 *   :spent  string, USD spent in the budget's current period (the key's name holds the period);
 *           absent until loaded from the ledger, and again after it expires (reconciled)
 * Numbers go back to the caller as strings: Redis would truncate a Lua number to an integer.
 */

/**
 * The server's clock (ms), the one every replica's windows and leases are measured by: each
 * replica's own would prune the others' entries early or late by the skew between them, and a
 * script run after another one may otherwise carry an earlier time than it.
 */
const serverNow = `
local serverTime = redis.call('TIME')
local now = tonumber(serverTime[1]) * 1000 + math.floor(tonumber(serverTime[2]) / 1000)
`;

/**
 * KEYS: 4 per window, then 3 per subject. ARGV: (unused), window ms, ticket, lease ms, tokens,
 * spec (JSON: w = [[first key, rpm, tpm, subject], ...], s = [[first key, budget, reserve], ...]; -1 = none).
 * Each subject is checked in turn, its windows then its budget, as src/keys/limits.ts checks its policies.
 * Returns {1} admitted; {2, subject} its spend must be loaded first; {0, 'rpm'|'tpm', window, wait ms};
 * {0, 'spent', subject, spent}; {0, 'reserved', subject, spent, reserved, in flight}.
 */
export const admitScript = `${serverNow}
local windowMs = tonumber(ARGV[2])
local ticket = ARGV[3]
local leaseUntil = now + tonumber(ARGV[4])
local tokens = tonumber(ARGV[5])
local spec = cjson.decode(ARGV[6])
local cutoff = now - windowMs

local function pruneWindow(k)
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', cutoff)
  while true do
    local old = redis.call('ZRANGEBYSCORE', KEYS[k + 1], '-inf', cutoff, 'LIMIT', 0, 500)
    if #old == 0 then break end
    local amounts = redis.call('HMGET', KEYS[k + 2], unpack(old))
    local sum = 0
    for i = 1, #amounts do
      if amounts[i] then sum = sum + tonumber(amounts[i]) end
    end
    redis.call('HDEL', KEYS[k + 2], unpack(old))
    redis.call('ZREM', KEYS[k + 1], unpack(old))
    redis.call('DECRBY', KEYS[k + 3], sum)
  end
end

-- Milliseconds until the count falls below the limit as requests age out.
local function requestWait(k, count, limit)
  local entry = redis.call('ZRANGE', KEYS[k], count - limit, count - limit, 'WITHSCORES')
  if #entry == 0 then return windowMs end
  return math.max(0, tonumber(entry[2]) + windowMs - now)
end

local function tokenWait(k, total, limit)
  local start = 0
  while true do
    local entries = redis.call('ZRANGE', KEYS[k + 1], start, start + 199, 'WITHSCORES')
    if #entries == 0 then return windowMs end
    local members = {}
    for i = 1, #entries, 2 do members[#members + 1] = entries[i] end
    local amounts = redis.call('HMGET', KEYS[k + 2], unpack(members))
    for i = 1, #members do
      total = total - (tonumber(amounts[i]) or 0)
      if total < limit then return math.max(0, tonumber(entries[i * 2]) + windowMs - now) end
    end
    start = start + 200
  end
end

-- Leases that ended belong to requests whose process is gone: their holds go.
local function pruneHolds(k)
  while true do
    local expired = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', '(' .. now, 'LIMIT', 0, 500)
    if #expired == 0 then break end
    redis.call('HDEL', KEYS[k + 1], unpack(expired))
    redis.call('ZREM', KEYS[k], unpack(expired))
  end
end

for i, s in ipairs(spec.s) do
  for j, w in ipairs(spec.w) do
    if w[4] == i then
      pruneWindow(w[1])
      if w[2] >= 0 then
        local count = redis.call('ZCARD', KEYS[w[1]])
        if count >= w[2] then return {0, 'rpm', j, tostring(requestWait(w[1], count, w[2]))} end
      end
      if w[3] >= 0 then
        local total = tonumber(redis.call('GET', KEYS[w[1] + 3]) or '0')
        if total >= w[3] then return {0, 'tpm', j, tostring(tokenWait(w[1], total, w[3]))} end
      end
    end
  end
  pruneHolds(s[1])
  if s[2] >= 0 then
    local spent = redis.call('GET', KEYS[s[1] + 2])
    if not spent then return {2, i} end
    spent = tonumber(spent)
    if spent >= s[2] then return {0, 'spent', i, tostring(spent)} end
    local held = 0
    local values = redis.call('HVALS', KEYS[s[1] + 1])
    for j = 1, #values do held = held + tonumber(values[j]) end
    if spent + held >= s[2] then
      return {0, 'reserved', i, tostring(spent), tostring(held), redis.call('ZCARD', KEYS[s[1]])}
    end
  end
end

local windowTtl = windowMs + 60000
for _, w in ipairs(spec.w) do
  if w[2] >= 0 then
    redis.call('ZADD', KEYS[w[1]], now, ticket)
    redis.call('PEXPIRE', KEYS[w[1]], windowTtl)
  end
  if w[3] >= 0 then
    redis.call('ZADD', KEYS[w[1] + 1], now, ticket)
    redis.call('HSET', KEYS[w[1] + 2], ticket, tokens)
    redis.call('INCRBY', KEYS[w[1] + 3], tokens)
    for j = 1, 3 do redis.call('PEXPIRE', KEYS[w[1] + j], windowTtl) end
  end
end
local holdTtl = (leaseUntil - now) * 2
for _, s in ipairs(spec.s) do
  redis.call('ZADD', KEYS[s[1]], leaseUntil, ticket)
  redis.call('HSET', KEYS[s[1] + 1], ticket, tostring(s[3]))
  redis.call('PEXPIRE', KEYS[s[1]], holdTtl)
  redis.call('PEXPIRE', KEYS[s[1] + 1], holdTtl)
end
return {1}
`;

/**
 * KEYS: per token window its :ta and :ts, then per subject its :holds and :held, then the :spent
 * keys the cost counts in. ARGV: ticket, real tokens, cost (USD), windows, subjects.
 * Replaces the token estimate with the real count (unless it aged out), releases the holds, and
 * adds the cost to each period's spend that is loaded (one not loaded reads the ledger, which has it).
 */
export const settleScript = `
local ticket = ARGV[1]
local tokens = tonumber(ARGV[2])
local k = 1
for _ = 1, tonumber(ARGV[4]) do
  local old = redis.call('HGET', KEYS[k], ticket)
  if old then
    redis.call('HSET', KEYS[k], ticket, tokens)
    redis.call('INCRBY', KEYS[k + 1], tokens - tonumber(old))
  end
  k = k + 2
end
for _ = 1, tonumber(ARGV[5]) do
  redis.call('ZREM', KEYS[k], ticket)
  redis.call('HDEL', KEYS[k + 1], ticket)
  k = k + 2
end
if tonumber(ARGV[3]) > 0 then
  while k <= #KEYS do
    if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('INCRBYFLOAT', KEYS[k], ARGV[3]) end
    k = k + 1
  end
end
return 1
`;

/**
 * KEYS: a subject's :holds, :held and one period's :spent.
 * Returns {spent or false when not loaded, reserved, in flight}.
 */
export const statusScript = `${serverNow}while true do
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 500)
  if #expired == 0 then break end
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('ZREM', KEYS[1], unpack(expired))
end
local held = 0
local values = redis.call('HVALS', KEYS[2])
for j = 1, #values do held = held + tonumber(values[j]) end
return {redis.call('GET', KEYS[3]) or false, tostring(held), redis.call('ZCARD', KEYS[1])}
`;
