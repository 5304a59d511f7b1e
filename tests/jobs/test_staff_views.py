import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobRegionSetting
from jobs.schedule import windows_for
from mamagang.accounts.services import staff_scope_grant
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

Status = Job.Status

PAGES = ["staff-job-queue", "staff-job-figures"]
JOB_PAGES = ["staff-job-detail"]
JOB_POSTS = ["staff-job-approve", "staff-job-return", "staff-job-take-down"]


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def review_required(regions):
    return JobRegionSetting.objects.create(region=regions["440306"], review_required=True)


@pytest.fixture
def reviewer(staff_user, regions):
    """A bureau user whose scope is 宝安区 (440306), where the factories put posts."""
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def tianhe_reviewer(make_user, regions):
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=regions["440106"], granted_by=None)
    return user


@pytest.fixture
def submitted_job(review_required):
    return make_job()


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Permissions


@pytest.mark.parametrize("name", PAGES + JOB_PAGES + JOB_POSTS)
def test_staff_job_pages_send_anonymous_to_login(client, submitted_job, name):
    args = [] if name in PAGES else [submitted_job.pk]
    method = client.post if name in JOB_POSTS else client.get

    response = method(reverse(f"jobs:{name}", args=args))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ["applicant", "employer_member"])
@pytest.mark.parametrize("name", PAGES + JOB_PAGES + JOB_POSTS)
def test_staff_job_pages_forbid_non_staff(client, make_user, submitted_job, role, name):
    client.force_login(make_user(role))
    args = [] if name in PAGES else [submitted_job.pk]
    method = client.post if name in JOB_POSTS else client.get

    response = method(reverse(f"jobs:{name}", args=args), {"reason": "x"})

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", JOB_PAGES + JOB_POSTS)
def test_staff_job_pages_hide_posts_out_of_scope(client, tianhe_reviewer, submitted_job, name):
    client.force_login(tianhe_reviewer)
    method = client.post if name in JOB_POSTS else client.get

    response = method(reverse(f"jobs:{name}", args=[submitted_job.pk]), {"reason": "不合规"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    submitted_job.refresh_from_db()
    assert submitted_job.status == Status.SUBMITTED


def test_staff_job_queue_lists_nothing_out_of_scope(client, tianhe_reviewer, submitted_job):
    client.force_login(tianhe_reviewer)

    response = client.get(reverse("jobs:staff-job-queue"))

    assert list(response.context["jobs"]) == []
    assert all(tab["count"] == 0 for tab in response.context["status_tabs"])


# Queue


def test_staff_job_queue_shows_submitted_oldest_first_with_counts(reviewer_client, review_required):
    employer = listed_employer()
    newer = make_job(employer=employer, title="较新的岗位")
    older = make_job(employer=employer, title="较早的岗位")
    Job.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=5))
    review_required.delete()
    make_job(employer=employer, title="已发布岗位")

    response = reviewer_client.get(reverse("jobs:staff-job-queue"))

    assert [j.pk for j in response.context["jobs"]] == [older.pk, newer.pk]
    tabs = {t["value"]: t["count"] for t in response.context["status_tabs"]}
    assert tabs[Status.SUBMITTED] == 2
    assert tabs[Status.PUBLISHED] == 1
    assert response.context["status_tabs"][0]["value"] == Status.SUBMITTED
    assert response.context["jobs"][0].is_stale


def test_staff_job_queue_searches_title_and_employer(reviewer_client, review_required):
    make_job(title="电商客服")
    other = make_job(title="包装工")

    by_title = reviewer_client.get(reverse("jobs:staff-job-queue"), {"q": "客服"})
    by_employer = reviewer_client.get(reverse("jobs:staff-job-queue"), {"q": other.employer.name})

    assert [j.title for j in by_title.context["jobs"]] == ["电商客服"]
    assert [j.pk for j in by_employer.context["jobs"]] == [other.pk]


def test_staff_job_queue_filters_by_district(client, make_user, regions):
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=regions["440300"], granted_by=None)
    JobRegionSetting.objects.create(region=regions["440300"], review_required=True)
    baoan = make_job(title="宝安岗位")
    make_job(title="南山岗位", district=regions["440305"])
    client.force_login(user)

    response = client.get(reverse("jobs:staff-job-queue"), {"district": "440306"})

    assert [j.pk for j in response.context["jobs"]] == [baoan.pk]


def test_staff_job_queue_query_count_is_constant(reviewer_client, review_required):
    employer = listed_employer()
    make_job(employer=employer)
    url = reverse("jobs:staff-job-queue")
    reviewer_client.get(url)
    with CaptureQueriesContext(connection) as one:
        reviewer_client.get(url)
    for _index in range(14):
        make_job()
    with CaptureQueriesContext(connection) as fifteen:
        response = reviewer_client.get(url)

    assert len(response.context["jobs"]) == 15
    assert len(fifteen) == len(one)


# Detail and decisions


def test_staff_job_detail_shows_post_warnings_and_actions(
    reviewer_client, review_required, make_user
):
    job = make_job(employment_form=Job.EmploymentForm.PART_TIME_HOURLY)

    response = reviewer_client.get(reverse("jobs:staff-job-detail", args=[job.pk]))

    content = response.content.decode()
    assert job.title in content
    assert "非全日制用工平均每日工作时间不超过4小时" in content
    assert [a["name"] for a in response.context["actions"]] == ["approve", "return"]
    assert [e.to_status for e in response.context["events"]] == [Status.SUBMITTED]


def test_staff_job_approve_publishes_submitted_post(reviewer_client, submitted_job):
    reviewer_client.post(reverse("jobs:staff-job-approve", args=[submitted_job.pk]))

    submitted_job.refresh_from_db()
    assert submitted_job.status == Status.PUBLISHED
    assert submitted_job.published_at is not None


def test_staff_job_approve_reports_wrong_status(reviewer_client, regions):
    job = make_job()  # published at once: no review in this region

    response = reviewer_client.post(reverse("jobs:staff-job-approve", args=[job.pk]))

    assert "不能进行此操作" in " ".join(_messages(response))
    assert response["Location"] == reverse("jobs:staff-job-detail", args=[job.pk])


def test_staff_job_return_records_reason(reviewer_client, submitted_job):
    reviewer_client.post(
        reverse("jobs:staff-job-return", args=[submitted_job.pk]), {"reason": "请补充工作地址。"}
    )

    submitted_job.refresh_from_db()
    assert submitted_job.status == Status.RETURNED
    assert submitted_job.status_reason == "请补充工作地址。"


@pytest.mark.parametrize("name", ["staff-job-return", "staff-job-take-down"])
def test_staff_job_decision_without_reason_changes_nothing(
    reviewer_client, submitted_job, regions, name
):
    job = submitted_job
    if name == "staff-job-take-down":
        reviewer_client.post(reverse("jobs:staff-job-approve", args=[job.pk]))
    job.refresh_from_db()
    before = job.status

    response = reviewer_client.post(reverse(f"jobs:{name}", args=[job.pk]), {"reason": "  "})

    assert "请填写原因" in " ".join(_messages(response))
    job.refresh_from_db()
    assert job.status == before
    assert job.status_reason == ""


def test_staff_job_take_down_records_reason(reviewer_client, regions):
    job = make_job()

    reviewer_client.post(
        reverse("jobs:staff-job-take-down", args=[job.pk]), {"reason": "报酬低于最低工资。"}
    )

    job.refresh_from_db()
    assert job.status == Status.TAKEN_DOWN
    assert job.status_reason == "报酬低于最低工资。"


# Figures


def _make_figures_jobs(regions):
    employer = listed_employer()
    make_job(employer=employer, headcount=2)  # full-time, hourly 25-30, school-run friendly
    make_job(
        employer=employer,
        headcount=5,
        sector="manufacturing",
        employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
        post_modes=[Job.PostMode.TAKE_HOME, Job.PostMode.SELF_CHOSEN_SLOTS],
        pay_min=Decimal("20"),
        pay_max=Decimal("22"),
        windows=windows_for([5, 6], 18 * 60, 21 * 60),
    )
    make_job(employer=employer, publish=False, headcount=9)  # draft: not counted
    make_job(employer=employer, headcount=7, district=regions["440106"])  # out of scope


def test_staff_job_figures_match_an_independent_count(reviewer_client, regions):
    _make_figures_jobs(regions)

    response = reviewer_client.get(reverse("jobs:staff-job-figures"))

    figures = response.context["figures"]
    scoped = Job.objects.filter(status=Status.PUBLISHED, district__code__startswith="440306")
    assert figures.published == scoped.count() == 2
    assert figures.headcount == sum(j.headcount for j in scoped) == 7
    assert figures.school_run_friendly == 1
    assert figures.school_run_share == Decimal("50.0")
    assert figures.hourly_min_avg == Decimal("22.50")
    assert figures.hourly_max_avg == Decimal("26.00")
    modes = {row["label"]: row["count"] for row in figures.by_post_mode}
    assert modes[Job.PostMode.SELF_CHOSEN_SLOTS.label] == 2
    assert modes[Job.PostMode.TAKE_HOME.label] == 1
    assert modes[Job.PostMode.TASK_BASED.label] == 0
    forms = {row["label"]: row["count"] for row in figures.by_employment_form}
    assert forms[Job.EmploymentForm.PART_TIME_HOURLY.label] == 1
    assert forms[Job.EmploymentForm.FULL_TIME_FLEXIBLE.label] == 1
    assert {row["label"]: row["count"] for row in figures.by_sector} == {"电商": 1, "工业制造": 1}
    assert [(row["code"], row["count"]) for row in figures.by_district] == [("440306", 2)]


def test_staff_job_figures_query_count_is_constant(reviewer_client, regions):
    make_job()
    url = reverse("jobs:staff-job-figures")
    reviewer_client.get(url)
    with CaptureQueriesContext(connection) as one:
        reviewer_client.get(url)
    for index in range(14):
        make_job(sector="catering" if index % 2 else "ecommerce")
    with CaptureQueriesContext(connection) as fifteen:
        response = reviewer_client.get(url)

    assert response.context["figures"].published == 15
    assert len(fifteen) == len(one)


def test_staff_member_of_the_employer_cannot_moderate_its_post(
    client, shenzhen_guangzhou, make_user
):
    from django.urls import reverse

    from jobs.models import Job
    from mamagang.accounts.services import staff_scope_grant
    from tests.employers.factories import MembershipFactory
    from tests.jobs.factories import make_job

    staff = make_user("bureau_staff")
    staff_scope_grant(user=staff, region=shenzhen_guangzhou["440306"], granted_by=None)
    job = make_job()
    MembershipFactory(employer=job.employer, user=staff, role="member")
    client.force_login(staff)

    page = client.get(reverse("jobs:staff-job-detail", args=[job.pk]))
    response = client.post(reverse("jobs:staff-job-take-down", args=[job.pk]), {"reason": "x"})

    assert "不能审核或下架本单位的岗位" in page.content.decode()
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.PUBLISHED
