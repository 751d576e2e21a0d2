"""The Lua scripts the store runs: each decision is one atomic script on the server's clock.

Every script reads the time with ``TIME`` on the server, so workers whose clocks disagree still
agree on the windows; a caller only ever gets back a duration ("wait 0.42 s"), which does not
depend on its own clock. Numbers go back as text: Redis would truncate a Lua number to an integer.
"""

from __future__ import annotations

#: KEYS: pause, then (bucket, log) per window: the account's, and the action's if any.
#: ARGV: mode ("reserve", "confirm" or "pause"), pause seconds, then (requests, per_seconds,
#: burst) per window. Each window is the local `Window`: a log of the last ``requests`` slots
#: (a send waits until the oldest leaves the window) and a token bucket smoothing bursts.
#: "confirm" is asked after a wait: if a pause began meanwhile, a slot after it is booked.
LIMITER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode = ARGV[1]
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if mode == 'pause' then
  local seconds = tonumber(ARGV[2])
  if now + seconds > paused then
    paused = now + seconds
    local ms = math.ceil(seconds * 1000) + 1000
    redis.call('SET', KEYS[1], string.format('%.6f', paused), 'PX', ms)
  end
  return string.format('%.6f', paused - now)
end
if mode == 'confirm' and paused <= now then
  return '0'
end
local slot = math.max(now, paused)
local windows = {}
for i = 0, (#KEYS - 1) / 2 - 1 do
  local w = {bucket = KEYS[2 + 2 * i], log = KEYS[3 + 2 * i], requests = tonumber(ARGV[3 + 3 * i]),
             per = tonumber(ARGV[4 + 3 * i]), burst = tonumber(ARGV[5 + 3 * i])}
  local rate = w.requests / w.per
  local state = redis.call('HMGET', w.bucket, 't', 'u')
  w.tokens = w.burst
  if state[1] then
    w.tokens = math.min(w.burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
  end
  if w.tokens < 1 then
    slot = math.max(slot, now + (1 - w.tokens) / rate)
  end
  if redis.call('LLEN', w.log) >= w.requests then
    local oldest = tonumber(redis.call('LINDEX', w.log, -w.requests))
    slot = math.max(slot, oldest + w.per)
  end
  windows[#windows + 1] = w
end
for _, w in ipairs(windows) do
  -- An idle account's keys vanish once nothing in them can matter any more.
  local ttl = math.ceil((slot - now + w.per) * 1000) + 1000
  redis.call('HSET', w.bucket, 't', string.format('%.6f', w.tokens - 1),
             'u', string.format('%.6f', now))
  redis.call('PEXPIRE', w.bucket, ttl)
  redis.call('RPUSH', w.log, string.format('%.6f', slot))
  redis.call('LTRIM', w.log, -w.requests, -1)
  redis.call('PEXPIRE', w.log, ttl)
end
return string.format('%.6f', slot - now)
"""

#: Shared by the ledger's scripts: drop the reservations of jobs whose lease ran out.
#: KEYS[1]: hash "kind NUL job" -> amount; KEYS[2]: sorted set job -> lease expiry (server time).
_LEDGER_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function job_of(field)
  local at = string.find(field, '\\0', 1, true)
  return string.sub(field, 1, at - 1), string.sub(field, at + 1)
end
local function drop_job(job)
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    local _, owner = job_of(field)
    if owner == job then redis.call('HDEL', KEYS[1], field) end
  end
  redis.call('ZREM', KEYS[2], job)
end
for _, job in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  drop_job(job)
end
local function keep_until(expiry)
  local ms = math.ceil((expiry - now) * 1000) + 60000
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
  end
end
"""

#: ARGV: kind, wanted, remaining, job, lease seconds. Returns the amount granted.
RESERVE = (
    _LEDGER_PRELUDE
    + """
local kind, wanted, remaining, job = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local others = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local k, owner = job_of(all[i])
  if k == kind and owner ~= job then others = others + tonumber(all[i + 1]) end
end
local granted = math.max(0, math.min(wanted, remaining - others))
local field = kind .. '\\0' .. job
if granted > 0 then
  redis.call('HSET', KEYS[1], field, granted)
else
  redis.call('HDEL', KEYS[1], field)
end
local expiry = now + tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], expiry, job)
keep_until(expiry)
return granted
"""
)

#: ARGV: kind, spent, job.
SETTLE = (
    _LEDGER_PRELUDE
    + """
local field = ARGV[1] .. '\\0' .. ARGV[3]
local held = tonumber(redis.call('HGET', KEYS[1], field) or '0')
local left = held - tonumber(ARGV[2])
if left > 0 then
  redis.call('HSET', KEYS[1], field, left)
else
  redis.call('HDEL', KEYS[1], field)
end
return math.max(0, left)
"""
)

#: ARGV: job, lease seconds. Returns 1 if the job still held a lease, else 0 (it had expired).
RENEW = (
    _LEDGER_PRELUDE
    + """
local held = redis.call('ZSCORE', KEYS[2], ARGV[1])
local expiry = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], expiry, ARGV[1])
keep_until(expiry)
if held then return 1 else return 0 end
"""
)

#: ARGV: job.
RELEASE = (
    _LEDGER_PRELUDE
    + """
drop_job(ARGV[1])
return 1
"""
)

#: ARGV: kind. The amount all live reservations of that kind hold.
HELD = (
    _LEDGER_PRELUDE
    + """
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local k = job_of(all[i])
  if k == ARGV[1] then total = total + tonumber(all[i + 1]) end
end
return total
"""
)
