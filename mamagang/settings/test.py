"""Test settings: PostgreSQL (DATABASE_URL or embedded); eager Celery unless a worker runs."""

import os

from .base import *
from .base import BASE_DIR, REDIS_URL
from .database import database_config

DEBUG = False
SECRET_KEY = "test-only-secret-key-with-enough-length-and-entropy-0123456789abc"  # noqa: S105
PII_ENCRYPTION_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDEyMzQ="

DATABASES = {"default": database_config(base_dir=BASE_DIR)}

# Fast hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "mamagang.core.sms.LocmemSmsBackend"
# Manifest storage needs collectstatic; plain storage serves tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test gets a clean local cache; the real-worker test uses Redis itself.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True


def _redis_db(url: str, db: int) -> str:
    """Return `url` pointing at Redis database number `db`."""
    head, _, tail = url.partition("//")
    host = tail.split("/", 1)[0]
    return f"{head}//{host}/{db}"


# With Redis available, the broker is fixed from the start (the real-worker
# test only turns eager mode off): Celery caches its broker connection pool,
# so switching URLs mid-run leaves producers on the old transport. Test
# tasks use their own database numbers so a developer's worker cannot steal them.
# Under pytest-xdist each test process (gw0, gw1, ...) gets its own pair, so one
# process's worker never takes another's tasks (Redis has databases 0-15).
TEST_REDIS_URL = REDIS_URL
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if REDIS_URL:
    CELERY_BROKER_URL = _redis_db(REDIS_URL, 2 + 2 * (_XDIST_INDEX % 7))
    CELERY_RESULT_BACKEND = _redis_db(REDIS_URL, 3 + 2 * (_XDIST_INDEX % 7))
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
# Serve static files from the app and project folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
