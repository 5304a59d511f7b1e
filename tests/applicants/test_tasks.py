import datetime
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings

from applicants.models import Applicant
from applicants.services import RecheckStats
from applicants.tasks import applicants_recheck_daily, saved_search_digests
from mamagang.celery import app
from tests.applicants.factories import make_mother

pytestmark = pytest.mark.django_db

# 00:30 on 1 December in Beijing is still 30 November in UTC.
NOW = datetime.datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_applicants_recheck_daily_returns_the_counts_and_is_safe_twice(shenzhen_guangzhou):
    make_mother(children=[(2019, 3, True)])
    make_mother(children=[(2020, 1, False)])

    first = applicants_recheck_daily.delay(on="2026-12-01").get()
    second = applicants_recheck_daily.delay(on="2026-12-01").get()

    assert first == {
        "checked": 2,
        "changed": 2,
        "eligible": 1,
        "warned": 0,
        "chunks": 1,
        "skipped": False,
        "reasons": {"child_not_verified": 1},
    }
    assert second == {**first, "changed": 0}
    assert Applicant.objects.filter(eligibility_checked_on=datetime.date(2026, 12, 1)).count() == 2


def test_applicants_recheck_daily_defaults_to_today_in_beijing(mocker):
    service = mocker.patch("applicants.services.applicants_recheck", return_value=RecheckStats())
    mocker.patch("django.utils.timezone.now", return_value=NOW)

    result = applicants_recheck_daily.delay().get()

    service.assert_called_once_with(on=datetime.date(2026, 12, 1))
    assert result["checked"] == 0


def test_saved_search_digests_calls_the_service_with_now(mocker):
    service = mocker.patch(
        "applicants.services.saved_searches.saved_searches_send_digests", return_value=3
    )
    mocker.patch("django.utils.timezone.now", return_value=NOW)

    assert saved_search_digests.delay("weekly").get() == 3

    service.assert_called_once_with(frequency="weekly", now=NOW)


def test_saved_search_digests_runs_eagerly_against_the_database():
    assert saved_search_digests.delay("daily").get() == 0


@pytest.mark.parametrize(
    ("name", "task", "schedule", "kwargs"),
    [
        (
            "applicants-recheck-daily",
            "applicants.tasks.applicants_recheck_daily",
            crontab(minute=30, hour=2),
            {},
        ),
        (
            "applicants-saved-search-digests-daily",
            "applicants.tasks.saved_search_digests",
            crontab(minute=0, hour=8),
            {"frequency": "daily"},
        ),
        (
            "applicants-saved-search-digests-weekly",
            "applicants.tasks.saved_search_digests",
            crontab(minute=0, hour=8, day_of_week=1),
            {"frequency": "weekly"},
        ),
    ],
)
def test_applicants_periodic_tasks_are_scheduled(name, task, schedule, kwargs):
    app.loader.import_default_modules()

    entry = settings.CELERY_BEAT_SCHEDULE[name]

    assert entry["task"] == task
    assert entry["task"] in app.tasks
    assert entry["schedule"] == schedule
    assert entry.get("kwargs", {}) == kwargs
