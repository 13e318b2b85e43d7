"""Counting attempts in a time window, shared by every process through the cache (the database
cache by default, Redis if CACHE_URL says so)."""

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt for `key`; False once more than `limit` were made in the current
    `window` seconds (a fixed window: the count starts again when it ends)."""
    bucket = f"ratelimit:{key}:{int(time.time()) // window}"
    if cache.add(bucket, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window + 1)
        return True
    return count <= limit


def retry_after(window: int) -> int:
    """Seconds until the current fixed window of `window` seconds ends (at least 1)."""
    return max(1, window - int(time.time()) % window)


class RateLimited(Exception):  # noqa: N818  (the name says what happened)
    """Too many requests: answered with 429 and `Retry-After: seconds`."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def client_address(request) -> str:  # noqa: ANN001
    """The client's address; behind a proxy that the settings trust, the forwarded one."""
    from django.conf import settings

    if getattr(settings, "RAPPORT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")
