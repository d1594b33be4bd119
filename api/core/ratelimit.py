"""Fixed-window rate limits shared by every worker and machine: counters in the database,
or in Redis when ``NOVAEVO_REDIS_URL`` is set."""

from __future__ import annotations

import time
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from api.accounts.models import RateCounter
from api.core.errors import ApiError


class RateLimiter(Protocol):
    """Counts one hit on ``key``; returns the seconds to wait when over ``limit``, else 0."""

    def hit(self, key: str, limit: int, window_s: int) -> int: ...


class DatabaseRateLimiter:
    """Counters in ``api_rate_counter``, one row per key and window, in their own
    transaction (a refused or failed request still counts)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert

    def hit(self, key: str, limit: int, window_s: int) -> int:
        now = time.time()
        window = int(now // window_s)
        stmt = self._insert(RateCounter).values(key=key, window=window, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "window"], set_={"count": RateCounter.count + 1}
        ).returning(RateCounter.count)
        with self.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            if count == 1:  # first hit of a window: forget the windows before it
                conn.execute(
                    RateCounter.__table__.delete().where(
                        RateCounter.key == key, RateCounter.window < window
                    )
                )
        return 0 if count <= limit else int((window + 1) * window_s - now) + 1


class RedisRateLimiter:
    """Counters as Redis keys ``novaevo:rate:<key>:<window>`` that expire with their window."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)

    def hit(self, key: str, limit: int, window_s: int) -> int:
        now = time.time()
        window = int(now // window_s)
        name = f"novaevo:rate:{key}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_s + 1)
        count = pipe.execute()[0]
        return 0 if count <= limit else int((window + 1) * window_s - now) + 1


def make_rate_limiter(engine: Engine, redis_url: str | None) -> RateLimiter:
    """Redis when configured, else the database."""
    return RedisRateLimiter(redis_url) if redis_url else DatabaseRateLimiter(engine)


def enforce(limiter: RateLimiter, what: str, keys: list[str], limit: int, window_s: int) -> None:
    """Count one hit on each key; raise a 429 ApiError when any is over ``limit``."""
    wait = max(limiter.hit(f"{what}:{key}", limit, window_s) for key in keys)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what} requests; retry in {wait} s",
            {"retry_after_s": wait, "limit": limit, "window_s": window_s},
        )
