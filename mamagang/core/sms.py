"""
Text messages (SMS). A backend is a class with `send(phone, text) -> None`,
named by the SMS_BACKEND setting, like Django's e-mail backends; a
provider's gateway (Aliyun, Tencent Cloud SMS) is one more such class.

- `ConsoleSmsBackend` writes each message to standard output (development).
- `LocmemSmsBackend` keeps messages in `outbox` (tests).

Messages carry no ID numbers and no children's data: a short text and a link.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Print each message, for development and the demo."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"[SMS to {phone}] {text}\n")
            self.stream.flush()


outbox: list[SmsMessage] = []


class LocmemSmsBackend:
    """Keep each message in `mamagang.core.sms.outbox`, for tests."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(SmsMessage(phone, text))


def get_sms_backend() -> SmsBackend:
    return import_string(getattr(settings, "SMS_BACKEND", "mamagang.core.sms.ConsoleSmsBackend"))()


def sms_send(*, phone: str, text: str) -> None:
    """Send `text` to `phone` through the configured backend (70 characters is one SMS)."""
    if phone:
        get_sms_backend().send(phone, text)
