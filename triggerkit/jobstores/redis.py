"""The Redis job store, at APScheduler 3's ``apscheduler.jobstores.redis`` path.

Layout (APScheduler 3.11's, so a database it wrote opens as it is):

- a hash ``jobs_key`` (``apscheduler.jobs``): job id -> the job's serialized state;
- a sorted set ``run_times_key`` (``apscheduler.run_times``): job id scored by its next run
  time as a UTC POSIX timestamp; a paused job (no next run time) is not in it.

Every write is one round trip and atomic (a small Lua script or a ``MULTI`` pipeline), where
APScheduler 3 checks for the id first and writes in a second step; the scheduler's pass writes
all its due jobs back in one script call (:meth:`RedisJobStore.update_jobs`).

Shared by several schedulers (``shared=True``), every add, update and removal also publishes on
the channel ``<jobs_key>.changes`` (:attr:`RedisJobStore.changes_channel`) inside the same script
or ``MULTI`` block, and :meth:`~RedisJobStore.watch_changes` subscribes to it in a daemon thread
(:mod:`triggerkit.jobstores.watcher`).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingIdError, JobLookupError
from ..util import datetime_to_utc_timestamp, utc_timestamp_to_datetime
from . import _redis_claims
from .base import BaseJobStore
from .claims import Claim, ExpiredClaim, Planner, RunKey, from_micros, plan_claim, to_micros
from .serializers import make_serializer
from .watcher import NOTICE_WAIT, WatchingStore, new_token

try:
    from redis import Redis
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "RedisJobStore requires the redis package: pip install 'triggerkit-cron[redis]'"
    ) from exc

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["RedisJobStore"]

# KEYS: jobs hash, run-times zset. ARGV: id, state, score ('' = paused), changes channel ('' =
# none), payload. 1 = added, 0 = id taken.
_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
"""

# KEYS as above. ARGV: changes channel ('' = none), payload, then (id, state, score) triples.
# Returns, per job, 1 = updated, 0 = not stored.
_UPDATE = """
local result = {}
local changed = false
for i = 3, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    changed = true
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    if ARGV[i + 2] == '' then
      redis.call('ZREM', KEYS[2], ARGV[i])
    else
      redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i])
    end
    result[#result + 1] = 1
  else
    result[#result + 1] = 0
  end
end
if changed and ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return result
"""

# KEYS as above. ARGV: the due time (score), the most jobs to return (-1: all). Returns the due
# ids and their states, interleaved, in one round trip (a state is nil if the hash lacks it).
_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local result = {}
for i, id in ipairs(ids) do
  result[2 * i - 1] = id
  result[2 * i] = redis.call('HGET', KEYS[1], id)
end
return result
"""

# KEYS as above. ARGV: changes channel ('' = none), payload, then ids. Returns, per id, 1 =
# removed, 0 = not stored; announces the change if any was removed.
_REMOVE = """
local result = {}
local changed = false
for i = 3, #ARGV do
  local removed = redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  if removed == 1 then changed = true end
  result[#result + 1] = removed
end
if changed and ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return result
"""

#: how long a subscription waits for the server's confirmation (seconds)
_SUBSCRIBE_WAIT = 5.0

# Jobs per script call in update_jobs: keeps one call from blocking the server for long.
_BATCH = 1000


def _score(job: Job) -> str:
    """The job's sorted-set score as text ('' when paused); repr keeps every bit of the float."""
    timestamp = datetime_to_utc_timestamp(job.next_run_time)
    return "" if timestamp is None else repr(timestamp)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisJobStore(WatchingStore, BaseJobStore):
    """Store jobs in a Redis database.

    Leftover keyword arguments go to :class:`redis.Redis` (``host``, ``port``, ``password``...).

    Plugin alias: ``redis``

    :param db: the database number to store jobs in
    :param jobs_key: key of the hash that holds the job states
    :param run_times_key: key of the sorted set that holds the next run times
    :param pickle_protocol: pickle protocol level to write with (``serializer="pickle"``)
    :param serializer: ``"pickle"`` (APScheduler 3's format; unpickling runs code named by the
        data) or ``"json"`` (plain data; see :mod:`triggerkit.jobstores.serializers`)
    """

    def __init__(
        self,
        db: int | str = 0,
        jobs_key: str = "apscheduler.jobs",
        run_times_key: str = "apscheduler.run_times",
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        serializer: Any = "pickle",
        **connect_args: Any,
    ) -> None:
        super().__init__()
        if db is None:
            raise ValueError('The "db" parameter must not be empty')
        if not jobs_key:
            raise ValueError('The "jobs_key" parameter must not be empty')
        if not run_times_key:
            raise ValueError('The "run_times_key" parameter must not be empty')
        self.pickle_protocol = pickle_protocol
        self.serializer = make_serializer(serializer, pickle_protocol)
        self.jobs_key = jobs_key
        self.run_times_key = run_times_key
        # Any: redis-py types its replies as unions of every reply kind
        self.redis: Any = Redis(db=int(db), **connect_args)
        self._add_script = self.redis.register_script(_ADD)
        self._update_script = self.redis.register_script(_UPDATE)
        self._due_script = self.redis.register_script(_DUE)
        self._remove_script = self.redis.register_script(_REMOVE)
        #: shared mode's keys, beside APScheduler 3's two (see triggerkit.jobstores._redis_claims)
        self.locks_key = f"{jobs_key}.locks"
        self.leases_key = f"{jobs_key}.leases"
        self.claims_key = f"{jobs_key}.claims"
        self.claim_states_key = f"{jobs_key}.claim_states"
        self._claim_scripts: dict[str, Any] = {}
        #: the pub/sub channel changes are announced on once shared (``None`` before)
        self.changes_channel: str | None = None
        self._token = ""
        self._watcher = None

    # -- reading ---------------------------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        data = self.redis.hget(self.jobs_key, job_id)
        return self.decode_job(job_id, data) if data else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self.acquire_due_jobs(now)

    def acquire_due_jobs(self, now: datetime, limit: int | None = None) -> list[Job]:
        # One round trip for the ids and the states. '-inf', not APScheduler's 0: a job due
        # before 1970 is due too.
        timestamp = repr(datetime_to_utc_timestamp(now))
        count = -1 if limit is None else limit
        if count == 0:
            return []
        reply = self._due_script(keys=[self.jobs_key, self.run_times_key], args=[timestamp, count])
        known_bad = self.unloadable_job_ids  # reported once already; get_job() tries them again
        jobs = []
        for index in range(0, len(reply), 2):
            job_id, data = _text(reply[index]), reply[index + 1]
            if data is None or job_id in known_bad:  # None: a run time without a job
                continue
            job = self.decode_job(job_id, data)
            if job is not None:
                jobs.append(job)
        return jobs

    def get_next_run_time(self) -> datetime | None:
        # Rows that failed to load keep their run times; look past them, or the scheduler
        # would wake up for them at once, again and again.
        known_bad = self.unloadable_job_ids
        entries = self.redis.zrange(self.run_times_key, 0, len(known_bad), withscores=True)
        for raw_id, score in entries:
            if _text(raw_id) not in known_bad:
                return utc_timestamp_to_datetime(score)
        return None

    def get_all_jobs(self) -> list[Job]:
        jobs = []
        for raw_id, data in self.redis.hgetall(self.jobs_key).items():
            job = self.decode_job(_text(raw_id), data)
            if job is not None:
                jobs.append(job)
        jobs.sort(key=_sort_key)
        return jobs

    # -- writing ---------------------------------------------------------------------------

    def add_job(self, job: Job) -> None:
        data = self.encode_job(job)
        keys = [self.jobs_key, self.run_times_key]
        args: list[str | bytes] = [
            job.id,
            data,
            _score(job),
            self.changes_channel or "",
            self._token,
        ]
        if not self._add_script(keys=keys, args=args):
            raise ConflictingIdError(job.id)

    def update_job(self, job: Job) -> None:
        if not self._update_many([job])[0]:
            raise JobLookupError(job.id)

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Store several jobs' new versions in one script call per 1,000 jobs (atomic each)."""
        batch = list(jobs)
        for start in range(0, len(batch), _BATCH):
            self._update_many(batch[start : start + _BATCH])

    def _update_many(self, jobs: Sequence[Job]) -> list[int]:
        if not jobs:
            return []
        args: list[Any] = [self.changes_channel or "", self._token]
        for job in jobs:
            args += (job.id, self.encode_job(job), _score(job))
            self.forget_unloadable(job.id)
        result: list[int] = self._update_script(keys=[self.jobs_key, self.run_times_key], args=args)
        return result

    def remove_job(self, job_id: str) -> None:
        if not self.remove_jobs([job_id]):
            raise JobLookupError(job_id)

    def remove_jobs(self, job_ids: Iterable[str]) -> list[str]:
        """Remove several jobs in one atomic round trip; return the ids that were stored."""
        ids = list(job_ids)
        if not ids:
            return []
        keys = [self.jobs_key, self.run_times_key]
        args = [self.changes_channel or "", self._token, *ids]
        counts = self._remove_script(keys=keys, args=args)
        for job_id in ids:
            self.forget_unloadable(job_id)
        return [job_id for job_id, count in zip(ids, counts, strict=True) if count]

    def remove_all_jobs(self) -> None:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.jobs_key)
            pipe.delete(self.run_times_key)
            self._publish(pipe)
            pipe.execute()
        self.forget_unloadable()

    # -- shared by several schedulers (Lua scripts; see triggerkit.jobstores._redis_claims) --

    supports_shared = True

    def enable_shared(self) -> None:
        for name in ("LOCK", "COMMIT", "MARK", "RENEW", "RELEASE", "TAKE", "LIVE"):
            self._claim_scripts[name] = self.redis.register_script(getattr(_redis_claims, name))
        # A token per process and per start: a store made before a fork gets one per child.
        self._token = new_token()
        self.changes_channel = f"{self.jobs_key}.changes"

    def _publish(self, pipe: Any) -> None:
        """Announce a change in the caller's ``MULTI`` block (once shared)."""
        if self.changes_channel is not None:
            pipe.publish(self.changes_channel, self._token)

    def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """Subscribe to :attr:`changes_channel` in a daemon thread (its own connection) and call
        ``on_change`` for every other store object's change, and once after each reconnection."""
        self._stop_watching()
        channel = self.changes_channel
        if channel is None:
            return False
        client, token = self.redis, self._token

        def connect() -> _RedisListener:
            return _RedisListener(client, channel, token)

        return self._start_watching(
            f"triggerkit-subscribe-{self._alias}", connect, on_change, self._logger
        )

    def claim_due_runs(
        self,
        now: datetime,
        owner: str,
        lease_until: datetime,
        planner: Planner,
        limit: int = 500,
    ) -> list[Claim]:
        now_score = datetime_to_utc_timestamp(now)
        locked = self._claim_scripts["LOCK"](
            keys=[
                self.jobs_key,
                self.run_times_key,
                self.locks_key,
                self.leases_key,
                self.claims_key,
            ],
            args=[repr(now_score), to_micros(now), owner, to_micros(lease_until), limit],
        )
        if not locked:
            return []
        args: list[Any] = [owner, to_micros(lease_until)]
        planned: list[Claim | None] = []
        for index in range(0, len(locked), 3):
            job_id, data, live = _text(locked[index]), locked[index + 1], int(locked[index + 2])
            job = self.decode_job(job_id, data)
            if job is None:
                args += (job_id, "U", data, b"", "", 0)
                planned.append(None)
                continue
            claim = plan_claim(job, planner, live)
            action = "D" if claim.removed else "S"
            new = b"" if claim.removed else self.encode_job(job)
            score = "" if claim.removed else _score(job)
            args += (job_id, action, data, new, score, len(claim.run_times))
            args += [to_micros(run_time) for run_time in claim.run_times]
            planned.append(claim)
        keys = [
            self.jobs_key,
            self.run_times_key,
            self.locks_key,
            self.leases_key,
            self.claims_key,
            self.claim_states_key,
        ]
        done = self._claim_scripts["COMMIT"](keys=keys, args=args)
        return [claim for claim, ok in zip(planned, done, strict=True) if claim is not None and ok]

    @staticmethod
    def _members(runs: Iterable[RunKey]) -> list[str]:
        return [f"{to_micros(run_time)}:{job_id}" for job_id, run_time in runs]

    def mark_runs_started(self, owner: str, runs: Iterable[RunKey]) -> list[RunKey]:
        runs = list(runs)
        members = self._members(runs)
        if not members:
            return []
        marked = self._claim_scripts["MARK"](keys=[self.claims_key], args=[owner, *members])
        held = {m.decode() if isinstance(m, bytes) else str(m) for m in marked}
        return [run for run, member in zip(runs, members, strict=True) if member in held]

    def renew_claims(self, owner: str, runs: Iterable[RunKey], lease_until: datetime) -> None:
        members = self._members(runs)
        if members:
            self._claim_scripts["RENEW"](
                keys=[self.leases_key, self.claims_key],
                args=[owner, to_micros(lease_until), *members],
            )

    def release_runs(self, owner: str, runs: Iterable[RunKey]) -> None:
        members = self._members(runs)
        if members:
            self._claim_scripts["RELEASE"](
                keys=[self.leases_key, self.claims_key, self.claim_states_key],
                args=[owner, *members],
            )

    def take_expired_claims(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 100
    ) -> list[ExpiredClaim]:
        taken = self._claim_scripts["TAKE"](
            keys=[self.leases_key, self.claims_key, self.claim_states_key],
            args=[to_micros(now), owner, to_micros(lease_until), limit],
        )
        expired = []
        for index in range(0, len(taken), 4):
            micros, _, job_id = _text(taken[index]).partition(":")
            started = _text(taken[index + 2]) == "1"
            data = taken[index + 3]
            job = None
            if not started and data:
                job = self.decode_job(job_id, data)
            expired.append(
                ExpiredClaim(
                    job_id, from_micros(int(micros)), _text(taken[index + 1]), started, job
                )
            )
        return expired

    def live_claim_owners(self, now: datetime) -> dict[RunKey, str]:
        live = self._claim_scripts["LIVE"](
            keys=[self.leases_key, self.claims_key], args=[to_micros(now)]
        )
        owners: dict[RunKey, str] = {}
        for index in range(0, len(live), 2):
            micros, _, job_id = _text(live[index]).partition(":")
            owners[(job_id, from_micros(int(micros)))] = _text(live[index + 1])
        return owners

    def shutdown(self) -> None:
        self._stop_watching()
        self.redis.connection_pool.disconnect()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"


class _RedisListener:
    """One pub/sub subscription, for :class:`ChangeWatcher`.

    redis-py may reconnect a subscription by itself and subscribe again; the confirmation of
    every subscription after the first one counts as a change (notices may have been lost).
    """

    def __init__(self, client: Any, channel: str, token: str) -> None:
        self._token = token
        self._pubsub = client.pubsub()
        self._subscribed = 0
        try:
            self._pubsub.subscribe(channel)
            # listening once the server confirms: a change published after this is received
            deadline = time.monotonic() + _SUBSCRIBE_WAIT
            while not self._subscribed and time.monotonic() < deadline:
                message = self._pubsub.get_message(timeout=NOTICE_WAIT)
                if message is not None and message["type"] == "subscribe":
                    self._subscribed = 1
            if not self._subscribed:
                raise ConnectionError(f"no confirmation of SUBSCRIBE {channel}")
        except Exception:
            self._pubsub.close()
            raise

    def wait(self, timeout: float) -> bool:
        changed = False
        message = self._pubsub.get_message(timeout=timeout)
        while message is not None:
            if message["type"] == "message":
                changed = changed or _text(message["data"]) != self._token
            elif message["type"] == "subscribe":
                self._subscribed += 1
                changed = changed or self._subscribed > 1
            message = self._pubsub.get_message(timeout=0)
        return changed

    def close(self) -> None:
        self._pubsub.close()


def _sort_key(job: Job) -> tuple[bool, float, str]:
    """Scheduled jobs by next run time (ties by id), then the paused ones by id."""
    timestamp = datetime_to_utc_timestamp(job.next_run_time)
    return (timestamp is None, timestamp or 0.0, job.id)
