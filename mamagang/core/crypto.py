"""
Encryption at rest and keyed look-up hashes for personal identifiers.

MAMAGANG_PII_KEY holds one or more Fernet keys separated by commas; the first
encrypts, all decrypt (key rotation). Look-up hashes are HMAC-SHA256 under a
key derived from the first key, so equal inputs can be found and kept unique
without storing them in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _keys() -> list[str]:
    return [k.strip() for k in settings.PII_ENCRYPTION_KEY.split(",") if k.strip()]


@cache
def _fernet(raw: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in raw.split(",") if k.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "MAMAGANG_PII_KEY must be Fernet keys (urlsafe base64, 32 bytes)."
        ) from exc


def _cipher() -> MultiFernet:
    if not _keys():
        raise ImproperlyConfigured("Set MAMAGANG_PII_KEY to encrypt personal data.")
    return _fernet(",".join(_keys()))


def encrypt_text(value: str) -> str:
    """Return `value` encrypted with the current key, as text."""
    return _cipher().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    """Return the clear text of `token`; raise ValueError if no key opens it."""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The value cannot be decrypted with the configured keys.") from exc


def keyed_hash(value: str) -> str:
    """Return the hex HMAC-SHA256 of `value` for look-ups and uniqueness."""
    keys = _keys()
    if not keys:
        raise ImproperlyConfigured("Set MAMAGANG_PII_KEY to hash personal data.")
    lookup_key = hashlib.sha256(b"mamagang:lookup-hash:" + keys[0].encode()).digest()
    return hmac.new(lookup_key, value.encode(), hashlib.sha256).hexdigest()


def mask_identifier(value: str, *, head: int = 4, tail: int = 4) -> str:
    """Return `value` with all but the first `head` and last `tail` characters hidden."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def check_key_configured() -> str | None:
    """Return an error message if the PII key is missing or malformed, else None."""
    try:
        _cipher()
    except ImproperlyConfigured as exc:
        return str(exc)
    return None
