import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobRegionSetting, JobWindow
from jobs.schedule import windows_for
from jobs.services import job_return
from mamagang.accounts.services import staff_scope_grant
from tests.employers.factories import EmployerFactory, MembershipFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

Status = Job.Status

PAGES = ["employer-job-list", "employer-job-new"]
JOB_PAGES = ["employer-job-detail", "employer-job-edit"]
JOB_POSTS = [
    "employer-job-submit",
    "employer-job-close",
    "employer-job-renew",
    "employer-job-duplicate",
]


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def employer(regions):
    return listed_employer()


@pytest.fixture
def member(employer, employer_member):
    MembershipFactory(employer=employer, user=employer_member)
    return employer_member


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def _form_data(**overrides):
    today = timezone.localdate()
    data = {
        "title": "社区团购分拣员",
        "occupation": "分拣",
        "sector": "ecommerce",
        "description": "上午分拣社区团购商品，离家近。",
        "post_modes": ["self_chosen_slots"],
        "employment_form": Job.EmploymentForm.FULL_TIME_FLEXIBLE,
        "headcount": "2",
        "location_mode": Job.LocationMode.COMMUNITY,
        "district": "440306",
        "street": "",
        "address": "新安街道",
        "pay_unit": Job.PayUnit.HOUR,
        "pay_min": "25",
        "pay_max": "30",
        "pieces_per_hour": "",
        "pay_cycle_days": "30",
        "education": Job.Education.NONE,
        "certificates": "",
        "other_requirements": "",
        "has_labour_contract": "on",
        "contract_months": "12",
        "social_insurance": "on",
        "promotion_path": "",
        "valid_from": today.isoformat(),
        "valid_until": (today + datetime.timedelta(days=60)).isoformat(),
        "windows-TOTAL_FORMS": "4",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "14",
        "windows-0-weekdays": ["0", "1", "2", "3", "4"],
        "windows-0-start": "09:00",
        "windows-0-end": "15:00",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _windows(job: Job) -> list[tuple[int, int, int]]:
    return list(
        JobWindow.objects.filter(job=job)
        .order_by("weekday", "start_minute")
        .values_list("weekday", "start_minute", "end_minute")
    )


# Permissions


@pytest.mark.parametrize("name", PAGES + JOB_PAGES + JOB_POSTS)
def test_employer_job_pages_send_anonymous_to_login(client, employer, name):
    job = make_job(employer=employer)
    args = [job.pk] if name not in PAGES else []
    method = client.post if name in JOB_POSTS else client.get

    response = method(reverse(f"jobs:{name}", args=args))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", PAGES + JOB_PAGES + JOB_POSTS)
def test_employer_job_pages_forbid_applicants(client, employer, applicant, name):
    job = make_job(employer=employer)
    client.force_login(applicant)
    args = [job.pk] if name not in PAGES else []
    method = client.post if name in JOB_POSTS else client.get

    response = method(reverse(f"jobs:{name}", args=args))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", JOB_PAGES + JOB_POSTS)
def test_employer_job_pages_hide_another_employers_post(client, employer, member, make_user, name):
    job = make_job(employer=employer)
    other = make_user("employer_member")
    MembershipFactory(employer=EmployerFactory(), user=other)
    client.force_login(other)
    method = client.post if name in JOB_POSTS else client.get

    denied = method(reverse(f"jobs:{name}", args=[job.pk]), {"reason": "filled"})
    client.force_login(member)
    allowed = client.get(reverse("jobs:employer-job-detail", args=[job.pk]))

    assert denied.status_code == HTTPStatus.NOT_FOUND
    assert allowed.status_code == HTTPStatus.OK
    assert Job.objects.filter(employer=employer).count() == 1


def test_employer_job_get_refuses_to_change_state(member_client, employer):
    job = make_job(employer=employer, publish=False)

    response = member_client.get(reverse("jobs:employer-job-submit", args=[job.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    job.refresh_from_db()
    assert job.status == Status.DRAFT


# List


def test_employer_job_list_shows_counts_and_own_posts_only(member_client, employer, regions):
    make_job(employer=employer, title="已发布的岗位")
    make_job(employer=employer, publish=False, title="草稿岗位")
    make_job(title="别家的岗位")

    response = member_client.get(reverse("jobs:employer-job-list"))

    content = response.content.decode()
    assert "已发布的岗位" in content
    assert "草稿岗位" in content
    assert "别家的岗位" not in content
    counts = {c["value"]: c["count"] for c in response.context["status_counts"]}
    assert counts == {Status.PUBLISHED: 1, Status.DRAFT: 1}
    assert "本单位尚未纳入妈妈岗用人单位名录" not in content


def test_employer_job_list_warns_when_employer_not_listed(client, regions, employer_member):
    unlisted = EmployerFactory()
    MembershipFactory(employer=unlisted, user=employer_member)
    client.force_login(employer_member)

    response = client.get(reverse("jobs:employer-job-list"))

    assert "本单位尚未纳入妈妈岗用人单位名录" in response.content.decode()
    assert reverse("employers:workspace-registry") in response.content.decode()


def test_employer_job_list_query_count_is_constant(member_client, employer):
    make_job(employer=employer)
    url = reverse("jobs:employer-job-list")
    member_client.get(url)
    with CaptureQueriesContext(connection) as one:
        member_client.get(url)
    for index in range(14):
        make_job(employer=employer, publish=index % 2 == 0)
    with CaptureQueriesContext(connection) as fifteen:
        response = member_client.get(url)

    assert len(response.context["jobs"]) == 15
    assert len(fifteen) == len(one)


# Create with preview


def test_employer_job_new_defaults_to_employer_sector_and_district(member_client, employer):
    response = member_client.get(reverse("jobs:employer-job-new"))

    form = response.context["form"]
    assert form.initial["sector"] == employer.sector
    assert form.initial["district"] == employer.district.code
    assert form.initial["valid_until"] == timezone.localdate() + datetime.timedelta(days=60)
    assert len(response.context["formset"].forms) == 4


def test_employer_job_preview_shows_hourly_equivalent_without_saving(member_client):
    # 150 yuan a day for 6 hours a day is 25.00 an hour.
    data = _form_data(pay_unit=Job.PayUnit.DAY, pay_min="150", pay_max="180", preview="1")

    response = member_client.post(reverse("jobs:employer-job-new"), data)

    assert response.status_code == HTTPStatus.OK
    check = response.context["check"]
    assert check.hours_per_week == Decimal("30.0")
    assert check.hourly_min == Decimal("25.00")
    assert check.hourly_max == Decimal("30.00")
    content = response.content.decode()
    assert "25.00–30.00" in content
    assert "周一至周五 09:00–15:00" in content
    assert check.school_run_friendly
    assert Job.objects.count() == 0


def test_employer_job_preview_warns_part_time_over_four_hours_and_save_still_works(
    member_client, employer
):
    data = _form_data(employment_form=Job.EmploymentForm.PART_TIME_HOURLY)

    preview = member_client.post(reverse("jobs:employer-job-new"), {**data, "preview": "1"})
    saved = member_client.post(reverse("jobs:employer-job-new"), {**data, "save": "1"})

    codes = {w.code for w in preview.context["check"].warnings}
    assert {"part_time_day_hours", "part_time_week_hours"} <= codes
    assert "非全日制用工平均每日工作时间不超过4小时" in preview.content.decode()
    job = Job.objects.get()
    assert job.employer == employer
    assert job.status == Status.DRAFT
    assert saved["Location"] == reverse("jobs:employer-job-detail", args=[job.pk])
    assert any("平均每日工作时间不超过4小时" in m for m in _messages(saved))


def test_employer_job_new_saves_overnight_row_as_two_windows(member_client):
    data = _form_data(
        **{"windows-0-weekdays": ["0"], "windows-0-start": "22:00", "windows-0-end": "06:00"}
    )

    response = member_client.post(reverse("jobs:employer-job-new"), data)

    assert response.status_code == HTTPStatus.FOUND
    job = Job.objects.get()
    assert _windows(job) == [(0, 22 * 60, 24 * 60), (1, 0, 6 * 60)]
    assert job.hours_per_week == Decimal("8.0")


def test_employer_job_new_ignores_blank_rows_and_reports_half_filled_ones(member_client):
    data = _form_data(**{"windows-1-weekdays": ["5"], "windows-1-start": "09:00"})

    response = member_client.post(reverse("jobs:employer-job-new"), data)

    assert response.status_code == HTTPStatus.OK
    assert "请填写这一班次的开始和结束时间" in response.content.decode()
    assert Job.objects.count() == 0


def test_employer_job_new_shows_domain_error_on_the_form(member_client):
    # An on-site hourly post needs its weekly windows.
    data = _form_data(**{"windows-0-weekdays": None, "windows-0-start": "", "windows-0-end": ""})

    response = member_client.post(reverse("jobs:employer-job-new"), data)

    assert response.status_code == HTTPStatus.OK
    assert "请填写每周的工作时间段" in response.content.decode()
    assert Job.objects.count() == 0


def test_employer_job_new_rejects_street_outside_district(member_client, regions):
    street = next(c for c in sorted(regions) if len(c) == 9 and c.startswith("440305"))

    response = member_client.post(reverse("jobs:employer-job-new"), _form_data(street=street))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["street"]
    assert Job.objects.count() == 0


# Edit


def test_employer_job_edit_prefills_shift_rows_including_overnight(member_client, employer):
    windows = windows_for(range(5), 9 * 60, 15 * 60) + windows_for([5], 22 * 60, 6 * 60)
    job = make_job(employer=employer, windows=windows, publish=False)

    response = member_client.get(reverse("jobs:employer-job-edit", args=[job.pk]))

    rows = [f.initial for f in response.context["formset"].forms if f.initial]
    assert rows == [
        {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "15:00"},
        {"weekdays": [5], "start": "22:00", "end": "06:00"},
    ]


def test_employer_job_edit_saves_changes(member_client, employer):
    job = make_job(employer=employer, publish=False)

    response = member_client.post(
        reverse("jobs:employer-job-edit", args=[job.pk]),
        _form_data(title="改过的岗位名称", **{"windows-0-end": "14:00"}),
    )

    assert response.status_code == HTTPStatus.FOUND
    job.refresh_from_db()
    assert job.title == "改过的岗位名称"
    assert job.hours_per_week == Decimal("25.0")


def test_employer_job_edit_of_published_post_explains_re_review(member_client, employer):
    job = make_job(employer=employer)

    response = member_client.get(reverse("jobs:employer-job-edit", args=[job.pk]))

    assert "只修改招聘人数或截止日期不需要重新审核" in response.content.decode()


def test_employer_job_edit_refuses_closed_post(member_client, employer):
    job = make_job(employer=employer)
    member_client.post(reverse("jobs:employer-job-close", args=[job.pk]), {"reason": "filled"})

    response = member_client.post(
        reverse("jobs:employer-job-edit", args=[job.pk]), _form_data(title="不应保存")
    )

    assert response["Location"] == reverse("jobs:employer-job-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.title != "不应保存"


# Detail and lifecycle


def test_employer_job_detail_shows_staff_reason_but_not_staff_name(
    member_client, employer, regions, make_user
):
    JobRegionSetting.objects.create(region=regions["440306"], review_required=True)
    job = make_job(employer=employer)
    reviewer = make_user("bureau_staff", display_name="审核员张三")
    staff_scope_grant(user=reviewer, region=regions["440306"], granted_by=None)
    job_return(job=job, decided_by=reviewer, reason="请写明每天几点上班。")

    response = member_client.get(reverse("jobs:employer-job-detail", args=[job.pk]))

    content = response.content.decode()
    assert "请写明每天几点上班。" in content
    assert "区人社局的修改意见" in content
    assert "审核员张三" not in content
    assert [e["to_label"] for e in response.context["events"]] == ["待审核", "退回修改"]


def test_employer_job_detail_recomputes_labour_warnings(member_client, employer):
    job = make_job(
        employer=employer, publish=False, employment_form=Job.EmploymentForm.PART_TIME_HOURLY
    )

    response = member_client.get(reverse("jobs:employer-job-detail", args=[job.pk]))

    codes = {w.code for w in response.context["check"].warnings}
    assert "part_time_day_hours" in codes


def test_employer_job_submit_publishes_where_no_review(member_client, employer):
    job = make_job(employer=employer, publish=False)

    member_client.post(reverse("jobs:employer-job-submit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == Status.PUBLISHED


def test_employer_job_submit_waits_for_review_where_required(member_client, employer, regions):
    JobRegionSetting.objects.create(region=regions["440306"], review_required=True)
    job = make_job(employer=employer, publish=False)

    member_client.post(reverse("jobs:employer-job-submit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == Status.SUBMITTED


def test_employer_job_submit_refuses_when_employer_not_listed(client, regions, employer_member):
    unlisted = EmployerFactory()
    MembershipFactory(employer=unlisted, user=employer_member)
    job = make_job(employer=unlisted, publish=False)
    client.force_login(employer_member)

    response = client.post(reverse("jobs:employer-job-submit", args=[job.pk]))

    assert "纳入妈妈岗用人单位名录后才能发布" in " ".join(_messages(response))
    job.refresh_from_db()
    assert job.status == Status.DRAFT


def test_employer_job_close_ends_published_post(member_client, employer):
    job = make_job(employer=employer)

    member_client.post(reverse("jobs:employer-job-close", args=[job.pk]), {"reason": "withdrawn"})

    job.refresh_from_db()
    assert job.status == Status.CLOSED
    assert job.close_reason == Job.CloseReason.WITHDRAWN


def test_employer_job_close_requires_a_reason(member_client, employer):
    job = make_job(employer=employer)

    response = member_client.post(reverse("jobs:employer-job-close", args=[job.pk]), {})

    assert "请选择结束原因" in " ".join(_messages(response))
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED


def test_employer_job_expired_post_asks_whether_filled(member_client, employer):
    job = make_job(employer=employer)
    Job.objects.filter(pk=job.pk).update(status=Status.EXPIRED)
    url = reverse("jobs:employer-job-detail", args=[job.pk])

    page = member_client.get(url)
    member_client.post(reverse("jobs:employer-job-close", args=[job.pk]), {"reason": "filled"})

    content = page.content.decode()
    assert "这个岗位招到人了吗？" in content
    for label in ("已招满", "未招到", "不再招聘"):
        assert label in content
    job.refresh_from_db()
    assert job.status == Status.CLOSED
    assert job.close_reason == Job.CloseReason.FILLED


def test_employer_job_renew_extends_end_date(member_client, employer):
    job = make_job(employer=employer)
    new_end = job.valid_until + datetime.timedelta(days=30)

    member_client.post(
        reverse("jobs:employer-job-renew", args=[job.pk]), {"valid_until": new_end.isoformat()}
    )

    job.refresh_from_db()
    assert job.valid_until == new_end
    assert job.status == Status.PUBLISHED


def test_employer_job_renew_reports_a_date_not_later(member_client, employer):
    job = make_job(employer=employer)
    old_end = job.valid_until

    response = member_client.post(
        reverse("jobs:employer-job-renew", args=[job.pk]), {"valid_until": old_end.isoformat()}
    )

    assert "新的截止日期应晚于原截止日期和今天" in " ".join(_messages(response))
    job.refresh_from_db()
    assert job.valid_until == old_end


def test_employer_job_duplicate_opens_the_new_draft(member_client, employer):
    job = make_job(employer=employer)

    response = member_client.post(reverse("jobs:employer-job-duplicate", args=[job.pk]))

    copy = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("jobs:employer-job-edit", args=[copy.pk])
    assert copy.status == Status.DRAFT
    assert copy.employer == employer
    assert _windows(copy) == _windows(job)
