import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from employers.models import RegistryEntry
from employers.services import registry_entry_suspend
from jobs.models import Job, JobRegionSetting, MinimumWage
from jobs.schedule import windows_for
from jobs.search import search_query
from jobs.selectors import job_list_public
from jobs.services import (
    job_approve,
    job_close,
    job_create,
    job_duplicate,
    job_renew,
    job_return,
    job_submit,
    job_take_down,
    job_update,
    jobs_expire_overdue,
    jobs_warn_expiring,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from tests.accounts.factories import UserFactory
from tests.jobs.factories import job_fields, listed_employer, make_job

pytestmark = pytest.mark.django_db
H = 60
Status = Job.Status


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def moderator(staff_user, regions):
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    return staff_user


def _public_ids():
    return set(job_list_public(today=timezone.localdate()).values_list("pk", flat=True))


def test_job_submit_publishes_at_once_where_no_review_is_required(regions):
    job = make_job()

    assert job.status == Status.PUBLISHED
    assert job.published_at is not None
    assert job.pk in _public_ids()
    assert job.events.get().to_status == "published"


def test_job_submit_waits_for_review_where_the_region_requires_it(regions, moderator):
    JobRegionSetting.objects.create(region=regions["440300"], review_required=True)

    job = make_job()
    assert job.status == Status.SUBMITTED
    assert job.pk not in _public_ids()

    job = job_approve(job=job, decided_by=moderator)
    assert job.status == Status.PUBLISHED
    assert job.pk in _public_ids()


def test_job_submit_refuses_an_employer_not_in_the_registry(regions):
    from tests.employers.factories import RegistryEntryFactory

    employer = RegistryEntryFactory(submitted=True).employer
    job, _ = job_create(
        employer=employer,
        created_by=UserFactory(),
        fields=job_fields(),
        windows=windows_for(range(5), 9 * H, 15 * H),
    )

    with pytest.raises(DomainError) as excinfo:
        job_submit(job=job, submitted_by=UserFactory())

    assert excinfo.value.code == "job_employer_not_listed"


def test_posts_of_a_suspended_employer_leave_search_at_once(regions, moderator):
    job = make_job()
    entry = RegistryEntry.objects.get(employer=job.employer)

    registry_entry_suspend(entry=entry, decided_by=moderator, reason="核查")

    assert job.pk not in _public_ids()


def test_drafts_expired_and_taken_down_posts_are_never_public(regions, moderator):
    draft = make_job(publish=False)
    expired = make_job()
    Job.objects.filter(pk=expired.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    taken = job_take_down(job=make_job(), decided_by=moderator, reason="虚假信息")

    assert _public_ids().isdisjoint({draft.pk, expired.pk, taken.pk})
    assert taken.status_reason == "虚假信息"


def test_job_return_needs_a_reason_and_resubmit_works(regions, moderator):
    JobRegionSetting.objects.create(region=regions["440306"], review_required=True)
    job = make_job()

    with pytest.raises(DomainError):
        job_return(job=job, decided_by=moderator, reason=" ")
    job = job_return(job=job, decided_by=moderator, reason="请写明每天几点上班")
    job = job_submit(job=job, submitted_by=UserFactory())

    assert job.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("service", "kwargs"),
    [(job_approve, {}), (job_return, {"reason": "x"})],
)
def test_moderation_refuses_published_posts(regions, moderator, service, kwargs):
    with pytest.raises(DomainError) as excinfo:
        service(job=make_job(), decided_by=moderator, **kwargs)

    assert excinfo.value.code == "job_transition_not_allowed"


def test_staff_of_another_district_cannot_moderate(regions, make_user):
    other = make_user("bureau_staff")
    staff_scope_grant(user=other, region=regions["440106"], granted_by=None)

    with pytest.raises(DomainError) as excinfo:
        job_take_down(job=make_job(), decided_by=other, reason="x")

    assert excinfo.value.code == "job_out_of_scope"


def test_editing_a_published_post_goes_back_to_review_only_where_required(regions):
    JobRegionSetting.objects.create(region=regions["440306"], review_required=False)
    job = make_job()
    user = UserFactory()

    job, _ = job_update(
        job=job,
        updated_by=user,
        fields=job_fields(title="新标题"),
        windows=windows_for(range(5), 9 * H, 15 * H),
    )
    assert job.status == Status.PUBLISHED

    JobRegionSetting.objects.filter(region=regions["440306"]).update(review_required=True)
    job, _ = job_update(
        job=job,
        updated_by=user,
        fields=job_fields(title="新标题", headcount=5),
        windows=windows_for(range(5), 9 * H, 15 * H),
    )
    assert job.status == Status.PUBLISHED  # headcount needs no review

    job, _ = job_update(
        job=job,
        updated_by=user,
        fields=job_fields(title="又改了", headcount=5),
        windows=windows_for(range(5), 9 * H, 15 * H),
    )
    assert job.status == Status.SUBMITTED


def test_job_create_derives_hours_hourly_equivalent_and_school_run_fit(regions):
    job = make_job(pay_unit="month", pay_min=Decimal("3900"), pay_max=Decimal("3900"))

    assert job.hours_per_week == Decimal("30.0")
    assert job.hourly_min == Decimal("30.00")
    assert job.school_run_friendly is True

    late = make_job(windows=windows_for(range(5), 13 * H, 19 * H))
    assert late.school_run_friendly is False


def test_school_day_is_a_region_setting(regions):
    JobRegionSetting.objects.create(
        region=regions["440300"], school_day_start_minute=8 * H, school_day_end_minute=17 * H + 30
    )

    job = make_job(windows=windows_for(range(5), 8 * H, 17 * H))

    assert job.school_run_friendly is True


def test_part_time_post_below_minimum_wage_is_warned_not_refused(regions):
    MinimumWage.objects.create(
        region=regions["440300"],
        valid_from=datetime.date(2025, 3, 1),
        monthly=Decimal("2520"),
        hourly=Decimal("23.70"),
        source="测试",
    )
    job, warnings = job_create(
        employer=listed_employer(),
        created_by=UserFactory(),
        fields=job_fields(
            employment_form="part_time_hourly",
            pay_min=Decimal("20"),
            pay_max=Decimal("22"),
            pay_cycle_days=30,
        ),
        windows=windows_for(range(5), 9 * H, 15 * H),
    )

    assert job.pk
    assert {w.code for w in warnings} == {
        "part_time_week_hours",
        "part_time_day_hours",
        "below_hourly_minimum_wage",
        "part_time_pay_cycle",
    }


def test_close_renew_duplicate(regions):
    job = make_job()
    user = UserFactory()

    renewed = job_renew(
        job=job, renewed_by=user, valid_until=job.valid_until + datetime.timedelta(days=30)
    )
    assert renewed.valid_until == job.valid_until + datetime.timedelta(days=30)

    closed = job_close(job=job, closed_by=user, reason="filled")
    assert (closed.status, closed.close_reason) == ("closed", "filled")
    with pytest.raises(DomainError):
        job_close(job=closed, closed_by=user, reason="filled")

    copy = job_duplicate(job=closed, created_by=user)
    assert copy.status == Status.DRAFT
    assert copy.windows.count() == 5
    assert copy.hourly_min == closed.hourly_min


def test_expiry_task_is_idempotent_and_warns_a_week_before(
    regions, django_capture_on_commit_callbacks
):
    now = timezone.now()
    today = timezone.localdate(now)
    old = make_job()
    soon = make_job()
    Job.objects.filter(pk=old.pk).update(valid_until=today - datetime.timedelta(days=1))
    Job.objects.filter(pk=soon.pk).update(valid_until=today + datetime.timedelta(days=7))

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_expire_overdue(now=now) == 1
        assert jobs_expire_overdue(now=now) == 0
        assert jobs_warn_expiring(now=now) == 1
        assert jobs_warn_expiring(now=now) == 0

    old.refresh_from_db()
    assert old.status == Status.EXPIRED
    # After expiry the employer answers whether the post was filled.
    assert (
        job_close(job=old, closed_by=UserFactory(), reason="not_filled").close_reason
        == "not_filled"
    )


@pytest.mark.parametrize(
    ("title", "query", "found"),
    [
        ("电商直播主播招聘", "直播", True),
        ("家政服务员", "服务", True),
        ("家政服务员", "家政服务员", True),
        ("社区保洁员", "直播", False),
        ("电商直播主播招聘", "直播 电商", True),
        ("电商直播主播招聘", "直播 保洁", False),
    ],
)
def test_search_finds_two_character_chinese_words(regions, title, query, found):
    job = make_job(title=title, description="工作时间灵活", occupation="普工")

    hits = Job.objects.filter(search_vector=search_query(query))

    assert (job in hits) is found
