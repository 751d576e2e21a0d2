"""The Lua scripts the store runs: each decision is one atomic script on the server's clock.

Every script reads the time with ``TIME`` on the server, so workers whose clocks disagree still
agree on the windows; a caller only ever gets back a duration ("wait 0.42 s"), which does not
depend on its own clock. Numbers go back as text: Redis would truncate a Lua number to an integer.
"""

from __future__ import annotations

#: KEYS: pause, then (bucket, log) per window: the account's, and the action's if any.
#: ARGV: mode ("reserve", "confirm" or "pause"), pause seconds, the booking's id, then
#: (requests, per_seconds, burst) per window. Each window is the local `Window`: a log of the
#: slots still inside a window (a sorted set, so a late send can move its slot: see `AMEND`; a
#: send waits until it would be at most the ``requests``-th in its window) and a token bucket
#: smoothing bursts.
#: "confirm" is asked after a wait: if a pause began meanwhile, or a send booked earlier left
#: late (`AMEND`), the booking moves to the first slot the windows allow now.
#: Returns {seconds to wait, the slot booked (server time) or ''}.
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
  return {string.format('%.6f', paused - now), ''}
end
local windows = {}
for i = 0, (#KEYS - 1) / 2 - 1 do
  windows[#windows + 1] = {bucket = KEYS[2 + 2 * i], log = KEYS[3 + 2 * i],
                           requests = tonumber(ARGV[4 + 3 * i]), per = tonumber(ARGV[5 + 3 * i]),
                           burst = tonumber(ARGV[6 + 3 * i])}
end
local me = ARGV[3]
if mode == 'confirm' then
  -- After a wait: the log may have changed since the booking (a pause, a late send that moved
  -- its slot). Move this booking until no window holds `requests` others before it.
  local slot = math.max(now, paused)
  for _, w in ipairs(windows) do
    local mine = redis.call('ZSCORE', w.log, me)
    if mine then slot = math.max(slot, tonumber(mine)) end
  end
  for _ = 1, 50 do
    local moved = false
    for _, w in ipairs(windows) do
      local inside = redis.call('ZRANGEBYSCORE', w.log, '(' .. string.format('%.6f', slot - w.per),
                                string.format('%.6f', slot), 'WITHSCORES')
      local others = {}
      for i = 1, #inside, 2 do
        if inside[i] ~= me then others[#others + 1] = tonumber(inside[i + 1]) end
      end
      if #others >= w.requests then
        local need = others[#others - w.requests + 1] + w.per
        if need > slot then slot = need; moved = true end
      end
    end
    if not moved then break end
  end
  for _, w in ipairs(windows) do
    redis.call('ZADD', w.log, string.format('%.6f', slot), me)
    redis.call('PEXPIRE', w.log, math.ceil((slot - now + w.per) * 1000) + 1000)
  end
  local wait = slot - now
  if wait < 0.0005 then wait = 0 end
  return {string.format('%.6f', wait), string.format('%.6f', slot)}
end
local slot = math.max(now, paused)
for _, w in ipairs(windows) do
  local rate = w.requests / w.per
  local state = redis.call('HMGET', w.bucket, 't', 'u')
  w.tokens = w.burst
  if state[1] then
    w.tokens = math.min(w.burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
  end
  if w.tokens < 1 then
    slot = math.max(slot, now + (1 - w.tokens) / rate)
  end
  -- Only sends that can still share a window with a future one are kept.
  redis.call('ZREMRANGEBYSCORE', w.log, '-inf', '(' .. string.format('%.6f', now - w.per))
  local count = redis.call('ZCARD', w.log)
  if count > 0 then
    -- After every booking already made, as the local limiter books: a later booking may have
    -- counted on this slot being free.
    slot = math.max(slot, tonumber(redis.call('ZRANGE', w.log, -1, -1, 'WITHSCORES')[2]))
  end
  if count >= w.requests then
    local oldest = redis.call('ZRANGE', w.log, -w.requests, -w.requests, 'WITHSCORES')
    slot = math.max(slot, tonumber(oldest[2]) + w.per)
  end
end
for _, w in ipairs(windows) do
  -- An idle account's keys vanish once nothing in them can matter any more.
  local ttl = math.ceil((slot - now + w.per) * 1000) + 1000
  redis.call('HSET', w.bucket, 't', string.format('%.6f', w.tokens - 1),
             'u', string.format('%.6f', now))
  redis.call('PEXPIRE', w.bucket, ttl)
  redis.call('ZADD', w.log, string.format('%.6f', slot), me)
  redis.call('PEXPIRE', w.log, ttl)
end
return {string.format('%.6f', slot - now), string.format('%.6f', slot)}
"""

#: KEYS: the logs the booking is in. ARGV: its id, the slot it really left at (server time).
#: A send that left well after its slot (a process descheduled, a first call importing its
#: transport) moves its slot, so the windows count it when the server did.
AMEND = """
for _, key in ipairs(KEYS) do
  local held = redis.call('ZSCORE', key, ARGV[1])
  if held and tonumber(held) < tonumber(ARGV[2]) then
    redis.call('ZADD', key, 'XX', ARGV[2], ARGV[1])
  end
end
return 1
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
