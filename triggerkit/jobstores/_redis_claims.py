"""The Lua scripts behind :class:`~triggerkit.jobstores.redis.RedisJobStore`'s claims
(``shared=True``; see :mod:`triggerkit.jobstores.claims`).

A claim takes two atomic script calls around the scheduler's planner (which runs in Python):

1. ``LOCK`` picks the due jobs nobody holds, writes a lock (``owner|until``) per job in the
   ``<jobs_key>.locks`` hash and returns their states and live instance counts;
2. ``COMMIT`` checks, per job, that the lock is still the caller's and the stored state is still
   the one read in step 1 (else the job changed or was claimed after the lock expired: the job is
   passed over and re-read in the next pass), then writes the advanced job, records the claimed
   runs and drops the lock.

A scheduler that dies between the two leaves a lock that expires after the lease; the job was not
advanced, so the next claimer gets the same runs: nothing was handed out, nothing is lost.

Claims live in ``<jobs_key>.claims`` (hash: ``"<run time us>:<job id>"`` ->
``"owner|started|counted"``), ``<jobs_key>.leases`` (sorted set: the same member scored by the
lease deadline in microseconds) and ``<jobs_key>.claim_states`` (the job as claimed, for a
takeover). APScheduler 3's two keys are untouched.
"""

from __future__ import annotations

__all__ = ["COMMIT", "LIVE", "LOCK", "MARK", "RELEASE", "RENEW", "TAKE"]

# KEYS: jobs, run_times, locks, leases, claims.
# ARGV: now (score), now (us), owner, lock until (us), limit.
# Returns a flat list: id, state, live instances, ... for each job locked.
LOCK = """
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
if #ids == 0 then return out end
local live = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], now, '+inf')) do
  local v = redis.call('HGET', KEYS[5], m)
  if v and string.sub(v, -1) == '1' then
    local id = string.sub(m, string.find(m, ':', 1, true) + 1)
    live[id] = (live[id] or 0) + 1
  end
end
for _, id in ipairs(ids) do
  local lock = redis.call('HGET', KEYS[3], id)
  local free = true
  if lock then
    local sep = string.find(lock, '|', 1, true)
    if tonumber(string.sub(lock, sep + 1)) >= now then free = false end
  end
  if free then
    local state = redis.call('HGET', KEYS[1], id)
    if state then
      redis.call('HSET', KEYS[3], id, ARGV[3] .. '|' .. ARGV[4])
      out[#out + 1] = id
      out[#out + 1] = state
      out[#out + 1] = live[id] or 0
    end
  end
end
return out
"""

# KEYS: jobs, run_times, locks, leases, claims, claim_states.
# ARGV: owner, lease until (us), then per job: id, action (S store, D delete, U unlock only),
#       state read by LOCK, new state, new score ('' = paused), run count n, n run times (us).
# Returns 1 per job claimed, 0 per job passed over.
COMMIT = """
local owner = ARGV[1]
local lease = ARGV[2]
local result = {}
local i = 3
while i <= #ARGV do
  local id, action, old, new, score = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local n = tonumber(ARGV[i + 5])
  local lock = redis.call('HGET', KEYS[3], id)
  local ok = 0
  if lock and string.sub(lock, 1, #owner + 1) == owner .. '|' then
    redis.call('HDEL', KEYS[3], id)
    if action ~= 'U' and redis.call('HGET', KEYS[1], id) == old then
      if action == 'D' then
        redis.call('HDEL', KEYS[1], id)
        redis.call('ZREM', KEYS[2], id)
      else
        redis.call('HSET', KEYS[1], id, new)
        if score == '' then
          redis.call('ZREM', KEYS[2], id)
        else
          redis.call('ZADD', KEYS[2], score, id)
        end
      end
      for k = 1, n do
        local m = ARGV[i + 5 + k] .. ':' .. id
        redis.call('ZADD', KEYS[4], lease, m)
        redis.call('HSET', KEYS[5], m, owner .. '|0|' .. (k == n and '1' or '0'))
        redis.call('HSET', KEYS[6], m, old)
      end
      ok = 1
    end
  end
  result[#result + 1] = ok
  i = i + 6 + n
end
return result
"""

# KEYS: claims. ARGV: owner, members. Returns the members marked (still the owner's).
MARK = """
local marked = {}
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1] .. '|1|' .. string.sub(v, -1))
    marked[#marked + 1] = ARGV[i]
  end
end
return marked
"""

# KEYS: leases, claims. ARGV: owner, lease until (us), members.
RENEW = """
for i = 3, #ARGV do
  local v = redis.call('HGET', KEYS[2], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
  end
end
return 0
"""

# KEYS: leases, claims, claim_states. ARGV: owner, members.
RELEASE = """
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[2], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('HDEL', KEYS[3], ARGV[i])
  end
end
return 0
"""

# KEYS: leases, claims, claim_states. ARGV: now (us), owner, lease until (us), limit.
# Returns a flat list: member, previous owner, started ('1'/'0'), state, ... per claim taken.
TAKE = """
local out = {}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0,
                           tonumber(ARGV[4]))
for _, m in ipairs(members) do
  local v = redis.call('HGET', KEYS[2], m)
  if v then
    local sep = string.find(v, '|', 1, true)
    local previous = string.sub(v, 1, sep - 1)
    local flags = string.sub(v, sep + 1)
    redis.call('HSET', KEYS[2], m, ARGV[2] .. '|' .. flags)
    redis.call('ZADD', KEYS[1], ARGV[3], m)
    out[#out + 1] = m
    out[#out + 1] = previous
    out[#out + 1] = string.sub(flags, 1, 1)
    out[#out + 1] = redis.call('HGET', KEYS[3], m) or ''
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
"""

# KEYS: leases, claims. ARGV: now (us). Returns member, owner, ... for each live claim.
LIVE = """
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')) do
  local v = redis.call('HGET', KEYS[2], m)
  if v then
    out[#out + 1] = m
    out[#out + 1] = string.sub(v, 1, string.find(v, '|', 1, true) - 1)
  end
end
return out
"""
