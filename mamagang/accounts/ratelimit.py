"""
Refuse logins after repeated failures, per mobile number and per IP address.

Counts live in the cache (Redis in production) with a fixed window that
starts at the first failure. The per-IP limit is four times the per-number
limit, so a shared office or mobile-carrier NAT is not locked by one person.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

IP_FACTOR = 4


def _key(kind: str, value: str) -> str:
    # Hash the number: cache keys must not carry personal data in clear.
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"login-fail:{kind}:{digest}"


def _limits() -> tuple[int, int]:
    return settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS


def login_is_locked(*, phone: str, ip: str | None) -> bool:
    """Return True if further login attempts for `phone` or from `ip` are refused."""
    limit, _window = _limits()
    if (cache.get(_key("phone", phone)) or 0) >= limit:
        return True
    return bool(ip) and (cache.get(_key("ip", ip)) or 0) >= limit * IP_FACTOR


def login_failure_record(*, phone: str, ip: str | None) -> None:
    """Count one failed attempt for `phone` and for `ip`."""
    _limit, window = _limits()
    keys = [_key("phone", phone)] + ([_key("ip", ip)] if ip else [])
    for key in keys:
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def login_failures_clear(*, phone: str) -> None:
    """Forget the failures of `phone` after a successful login."""
    cache.delete(_key("phone", phone))
