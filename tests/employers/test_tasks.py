from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings

from employers.models import RegistryEdition
from employers.tasks import registry_editions_publish_due
from tests.employers.factories import RegistryEntryFactory

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 12, 1, 9, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_registry_editions_publish_due_task_calls_the_service_with_now(mocker):
    service = mocker.patch(
        "employers.services.editions.registry_editions_publish_due",
        return_value=[SimpleNamespace(pk=7), SimpleNamespace(pk=9)],
    )
    mocker.patch("django.utils.timezone.now", return_value=DUE)

    result = registry_editions_publish_due.delay().get()

    assert result == [7, 9]
    service.assert_called_once_with(now=DUE)


def test_registry_editions_publish_due_task_publishes_due_regions_once(shenzhen_guangzhou, mocker):
    RegistryEntryFactory(approved=True)
    mocker.patch("django.utils.timezone.now", return_value=DUE)

    first = registry_editions_publish_due.delay().get()
    second = registry_editions_publish_due.delay().get()

    assert sorted(first) == sorted(RegistryEdition.objects.values_list("pk", flat=True))
    assert len(first) == 2  # 宝安区 and 深圳市
    assert second == []


def test_registry_editions_publish_due_is_scheduled_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["employers-publish-registry-editions"]

    assert entry["task"] == "employers.tasks.registry_editions_publish_due"
    assert entry["schedule"] == crontab(minute=0)
