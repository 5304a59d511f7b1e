import pytest
from django.conf import settings

from mamagang.celery import app


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }

    assert settings.CELERY_BEAT_SCHEDULE
    assert unknown == {}


def test_beat_runs_on_beijing_time():
    assert app.conf.timezone == "Asia/Shanghai"


@pytest.mark.django_db
def test_periodic_notification_purge_task_runs_eagerly():
    from mamagang.core.tasks import notifications_purge_read

    assert notifications_purge_read.delay().get() == 0
