"""
One integration test with a real Celery worker on Redis.

It needs `transaction=True`: the worker runs in another thread with its own
database connection, so it sees only committed rows (SETUP-NOTES.md).
"""

import time

import pytest
import redis
from django.conf import settings
from django.core import mail

from mamagang.celery import app as celery_app
from tests.conftest import skip_for_missing_service

pytestmark = pytest.mark.worker


@pytest.fixture
def redis_broker():
    broker = settings.CELERY_BROKER_URL if settings.TEST_REDIS_URL else None
    reason = "REDIS_URL is not set"
    if broker:
        try:
            redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            broker, reason = None, f"Redis is unreachable: {exc}"
    if not broker:
        skip_for_missing_service("Redis", reason)
    redis.Redis.from_url(broker).flushdb()
    return broker


@pytest.fixture
def celery_worker_on_redis(redis_broker):
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task)
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
            yield
    finally:
        celery_app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_notification_email_from_redis_queue(celery_worker_on_redis, make_user):
    from mamagang.core.models import Notification
    from mamagang.core.services import notification_send
    from mamagang.core.tasks import notification_email_send

    user = make_user()
    # Outside an atomic block on_commit fires at once: the task goes to Redis.
    notification = notification_send(recipient=user, kind="test", title="录用通知", email=True)

    deadline = time.monotonic() + 30
    while Notification.objects.get(pk=notification.pk).emailed_at is None:
        assert time.monotonic() < deadline, "the worker did not send the e-mail within 30 s"
        time.sleep(0.1)

    # Running the task again through the worker sends nothing more.
    again = notification_email_send.apply_async(kwargs={"notification_id": notification.pk})
    assert again.get(timeout=30) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("录用通知")
