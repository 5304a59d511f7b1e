import datetime
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobRegionSetting
from mamagang.accounts.services import staff_scope_grant
from mamagang.regions.models import Region
from tests.employers.factories import MembershipFactory, RegistryEntryFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db
Status = Job.Status


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def employer(regions):
    return listed_employer()


@pytest.fixture
def member_client(api_client, employer_member, employer):
    """An API client logged in as a member of `employer`."""
    MembershipFactory(user=employer_member, employer=employer)
    api_client.force_authenticate(employer_member)
    return api_client


@pytest.fixture
def staff_client(api_client, staff_user, regions):
    """An API client logged in as staff of 宝安区 (440306)."""
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    api_client.force_authenticate(staff_user)
    return api_client


def _payload(**overrides):
    today = timezone.localdate()
    data = {
        "title": "电商直播助理",
        "description": "协助主播上架商品、回复评论，上午班，方便接送孩子。",
        "sector": "ecommerce",
        "occupation": "直播助理",
        "post_modes": ["self_chosen_slots"],
        "employment_form": "full_time_flexible",
        "location_mode": "on_site",
        "district": "440306",
        "street": None,
        "address": "新安街道创业路1号",
        "pay_unit": "hour",
        "pay_min": "25.00",
        "pay_max": "30.00",
        "pay_cycle_days": 30,
        "headcount": 3,
        "education": "none",
        "has_labour_contract": True,
        "contract_months": 12,
        "social_insurance": True,
        "work_injury_insurance": True,
        "training_provided": True,
        "valid_from": (today - datetime.timedelta(days=1)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=60)).isoformat(),
        "windows": [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "15:00"}],
    }
    data.update(overrides)
    return data


def _create_url(employer):
    return reverse("api:my-job-create", kwargs={"employer_id": employer.pk})


def _codes(warnings):
    return {warning["code"] for warning in warnings}


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def _queries_for(client, url):
    # A first request warms the cached staff region scope (one query per user).
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK, response.content
    return len(ctx.captured_queries)


# ---------------------------------------------------------------------------
# Employer members: create, preview, input validation
# ---------------------------------------------------------------------------


def test_job_create_returns_the_draft_with_the_hourly_equivalent_of_monthly_pay(
    member_client, employer
):
    payload = _payload(pay_unit="month", pay_min="3000.00", pay_max="3900.00")

    response = member_client.post(_create_url(employer), payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    # 30 hours a week × 52/12 weeks = 130 hours a month.
    assert body["hours_per_week"] == "30.0"
    assert body["hourly_min"] == "23.08"
    assert body["hourly_max"] == "30.00"
    assert body["school_run_friendly"] is True
    assert body["status"] == "draft"
    assert body["warnings"] == []
    assert body["district"] == {"code": "440306", "name": "宝安区"}
    assert body["windows"][0] == {"weekday": 1, "start": "09:00", "end": "15:00"}
    assert len(body["windows"]) == 5
    job = Job.objects.get(pk=body["id"])
    assert job.employer == employer
    assert job.pay_unit == "month"


def test_job_create_warns_but_still_creates_a_part_time_post_over_the_limits(
    member_client, employer
):
    payload = _payload(
        employment_form="part_time_hourly",
        windows=[{"weekdays": [1, 2, 3, 4, 5, 6], "start": "09:00", "end": "15:00"}],
    )

    response = member_client.post(_create_url(employer), payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert {"part_time_week_hours", "part_time_day_hours", "part_time_pay_cycle"} <= _codes(
        response.json()["warnings"]
    )
    assert Job.objects.filter(employer=employer).count() == 1


def test_job_create_splits_an_overnight_shift_and_counts_weekdays_from_monday_as_1(
    member_client, employer
):
    payload = _payload(windows=[{"weekdays": [7], "start": "22:00", "end": "02:00"}])

    response = member_client.post(_create_url(employer), payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["windows"] == [
        {"weekday": 1, "start": "00:00", "end": "02:00"},
        {"weekday": 7, "start": "22:00", "end": "24:00"},
    ]
    assert response.json()["hours_per_week"] == "4.0"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"district": "999999"}, "district"),
        ({"windows": [{"weekdays": [1], "start": "09:00", "end": "09:00"}]}, "windows"),
        ({"windows": [{"weekdays": [8], "start": "09:00", "end": "12:00"}]}, "windows"),
        ({"windows": [{"weekdays": [1], "start": "9点", "end": "12:00"}]}, "windows"),
        ({"pay_min": "30.00", "pay_max": "25.00"}, "pay_max"),
        ({"post_modes": []}, "post_modes"),
        ({"pay_unit": "piece"}, "pieces_per_hour"),
    ],
)
def test_job_create_rejects_invalid_input_with_field_errors(
    member_client, employer, overrides, field
):
    response = member_client.post(_create_url(employer), _payload(**overrides), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["detail"]
    assert not Job.objects.exists()


def test_job_create_reports_the_empty_window_on_its_end(member_client, employer):
    payload = _payload(windows=[{"weekdays": [1], "start": "09:00", "end": "09:00"}])

    response = member_client.post(_create_url(employer), payload, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    # DRF keys the errors of a list of objects by the item's index.
    assert "end" in response.json()["detail"]["windows"]["0"]


def test_job_create_rejects_a_street_of_another_district(member_client, employer):
    nanshan_street = Region.objects.filter(code__startswith="440305", level="street").first()

    response = member_client.post(
        _create_url(employer), _payload(street=nanshan_street.code), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "street" in response.json()["detail"]


def test_job_preview_returns_figures_and_warnings_and_saves_nothing(member_client, employer):
    payload = _payload(
        employment_form="part_time_hourly",
        windows=[{"weekdays": [1, 2, 3, 4, 5, 6], "start": "09:00", "end": "15:00"}],
    )
    url = reverse("api:my-job-preview", kwargs={"employer_id": employer.pk})

    response = member_client.post(url, payload, format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["hours_per_week"] == "36.0"
    assert body["hourly_min"] == "25.00"
    assert "part_time_week_hours" in _codes(body["warnings"])
    assert not Job.objects.exists()


# ---------------------------------------------------------------------------
# Employer members: access
# ---------------------------------------------------------------------------


def _member_requests(employer, job):
    """Every member endpoint with a valid body, as (method, url, body)."""
    by_employer = {"employer_id": employer.pk}
    by_job = {"job_id": job.pk}
    return [
        ("get", reverse("api:my-job-list", kwargs=by_employer), None),
        ("post", reverse("api:my-job-create", kwargs=by_employer), _payload()),
        ("post", reverse("api:my-job-preview", kwargs=by_employer), _payload()),
        ("get", reverse("api:my-job-detail", kwargs=by_job), None),
        ("post", reverse("api:my-job-update", kwargs=by_job), _payload()),
        ("post", reverse("api:my-job-submit", kwargs=by_job), {}),
        ("post", reverse("api:my-job-close", kwargs=by_job), {"reason": "filled"}),
        ("post", reverse("api:my-job-renew", kwargs=by_job), {"valid_until": "2099-01-01"}),
        ("post", reverse("api:my-job-duplicate", kwargs=by_job), {}),
    ]


def test_member_endpoints_answer_404_to_members_of_another_employer(
    api_client, make_user, employer
):
    job = make_job(employer=employer)
    outsider = make_user("employer_member")
    MembershipFactory(user=outsider, employer=listed_employer())
    api_client.force_authenticate(outsider)

    for method, url, body in _member_requests(employer, job):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert Job.objects.count() == 1


def test_member_endpoints_serve_members_of_the_employer(member_client, employer):
    job = make_job(employer=employer)

    for method, url, body in _member_requests(employer, job)[:4]:
        response = getattr(member_client, method)(url, body, format="json")
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), url


def test_member_endpoints_answer_401_to_anonymous_users(api_client, employer):
    job = make_job(employer=employer)

    for method, url, body in _member_requests(employer, job):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == HTTPStatus.UNAUTHORIZED, url


def test_my_job_list_shows_the_employer_posts_in_every_status_and_filters(member_client, employer):
    published = make_job(employer=employer)
    draft = make_job(employer=employer, publish=False)
    make_job()  # another employer's
    url = reverse("api:my-job-list", kwargs={"employer_id": employer.pk})

    response = member_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == {published.pk, draft.pk}
    row = next(r for r in response.json()["results"] if r["id"] == published.pk)
    assert row["status"] == "published"
    assert row["window_count"] == 5
    assert row["published_at"] is not None
    assert _ids(member_client.get(url, {"status": "draft"})) == {draft.pk}


def test_my_job_list_query_count_does_not_grow_with_rows(member_client, employer):
    url = reverse("api:my-job-list", kwargs={"employer_id": employer.pk})
    make_job(employer=employer)
    one = _queries_for(member_client, url)
    for _ in range(14):
        make_job(employer=employer)

    fifteen = _queries_for(member_client, url)

    assert len(member_client.get(url).json()["results"]) == 15
    assert fifteen == one


def test_my_job_detail_shows_history_without_staff_names(member_client, employer):
    job = make_job(employer=employer)

    response = member_client.get(reverse("api:my-job-detail", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["events"][0]["to_status"] == "published"
    assert "actor_name" not in response.json()["events"][0]


# ---------------------------------------------------------------------------
# Employer members: lifecycle
# ---------------------------------------------------------------------------


def test_job_update_sends_a_published_post_back_to_review_where_the_region_reviews(
    member_client, employer, regions
):
    job = make_job(employer=employer)
    JobRegionSetting.objects.create(region=regions["440306"], review_required=True)
    url = reverse("api:my-job-update", kwargs={"job_id": job.pk})

    response = member_client.post(url, _payload(title="直播运营助理"), format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["title"] == "直播运营助理"
    job.refresh_from_db()
    assert job.status == Status.SUBMITTED


def test_job_update_replaces_the_windows_and_returns_warnings(member_client, employer):
    job = make_job(employer=employer, publish=False)
    payload = _payload(
        employment_form="part_time_hourly",
        pay_cycle_days=15,
        windows=[{"weekdays": [1, 3], "start": "09:00", "end": "11:00"}],
    )

    response = member_client.post(
        reverse("api:my-job-update", kwargs={"job_id": job.pk}), payload, format="json"
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["hours_per_week"] == "4.0"
    assert _codes(response.json()["warnings"]) == {"minimum_wage_unknown"}
    assert job.windows.count() == 2


def test_job_submit_publishes_a_listed_employer_draft(member_client, employer):
    job = make_job(employer=employer, publish=False)

    response = member_client.post(reverse("api:my-job-submit", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "published"


def test_job_submit_refuses_an_employer_not_in_the_registry(api_client, employer_member, regions):
    unlisted = RegistryEntryFactory(submitted=True).employer
    MembershipFactory(user=employer_member, employer=unlisted)
    job = make_job(employer=unlisted, publish=False)
    api_client.force_authenticate(employer_member)

    response = api_client.post(reverse("api:my-job-submit", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "job_employer_not_listed"
    job.refresh_from_db()
    assert job.status == Status.DRAFT


def test_job_close_records_the_reason(member_client, employer):
    job = make_job(employer=employer)
    url = reverse("api:my-job-close", kwargs={"job_id": job.pk})

    assert member_client.post(url, {"reason": "maybe"}).status_code == HTTPStatus.BAD_REQUEST
    response = member_client.post(url, {"reason": "filled"})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "closed"
    assert response.json()["close_reason"] == "filled"


def test_job_close_refuses_a_draft(member_client, employer):
    job = make_job(employer=employer, publish=False)

    response = member_client.post(
        reverse("api:my-job-close", kwargs={"job_id": job.pk}), {"reason": "filled"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "job_not_closable"


def test_job_renew_moves_the_end_date(member_client, employer):
    job = make_job(employer=employer)
    new_end = job.valid_until + datetime.timedelta(days=30)
    url = reverse("api:my-job-renew", kwargs={"job_id": job.pk})

    earlier = member_client.post(url, {"valid_until": job.valid_until.isoformat()})
    response = member_client.post(url, {"valid_until": new_end.isoformat()})

    assert earlier.status_code == HTTPStatus.BAD_REQUEST
    assert earlier.json()["code"] == "job_renew_date"
    assert response.status_code == HTTPStatus.OK
    assert response.json()["valid_until"] == new_end.isoformat()


def test_job_duplicate_creates_a_new_draft(member_client, employer):
    job = make_job(employer=employer)

    response = member_client.post(reverse("api:my-job-duplicate", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["id"] != job.pk
    assert body["status"] == "draft"
    assert body["title"].startswith(job.title)
    assert len(body["windows"]) == 5
    assert Job.objects.filter(employer=employer).count() == 2


# ---------------------------------------------------------------------------
# District staff
# ---------------------------------------------------------------------------


def test_staff_job_list_is_scoped_to_the_staff_districts_and_filters(staff_client, regions):
    employer = listed_employer()
    baoan = make_job(employer=employer, title="电商直播助理")
    baoan_draft = make_job(employer=employer, publish=False, title="仓库打包员")
    make_job(employer=employer, district=regions["440305"])  # 南山区: out of scope
    url = reverse("api:staff-job-list")

    response = staff_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == {baoan.pk, baoan_draft.pk}
    assert _ids(staff_client.get(url, {"status": "draft"})) == {baoan_draft.pk}
    assert _ids(staff_client.get(url, {"q": "直播"})) == {baoan.pk}
    assert _ids(staff_client.get(url, {"district": "440305"})) == set()
    assert _ids(staff_client.get(url, {"district": "440300"})) == {baoan.pk, baoan_draft.pk}
    assert staff_client.get(url, {"district": "4403x"}).status_code == HTTPStatus.BAD_REQUEST


def test_staff_job_list_query_count_does_not_grow_with_rows(staff_client, regions):
    employer = listed_employer()
    url = reverse("api:staff-job-list")
    make_job(employer=employer)
    one = _queries_for(staff_client, url)
    for _ in range(14):
        make_job(employer=employer)

    fifteen = _queries_for(staff_client, url)

    assert len(staff_client.get(url).json()["results"]) == 15
    assert fifteen == one


def test_staff_job_detail_shows_history_with_names_and_recomputed_warnings(staff_client, regions):
    job = make_job(employment_form="part_time_hourly")

    response = staff_client.get(reverse("api:staff-job-detail", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["events"][0]["to_status"] == "published"
    assert "actor_name" in body["events"][0]
    # Mon–Fri 09:00–15:00 is 6 hours a day: over the non-full-time limits.
    assert {"part_time_week_hours", "part_time_day_hours"} <= _codes(body["warnings"])


def test_staff_job_endpoints_answer_404_out_of_scope(staff_client, regions):
    job = make_job(district=regions["440305"])

    for method, name, body in [
        ("get", "staff-job-detail", None),
        ("post", "staff-job-approve", {}),
        ("post", "staff-job-take-down", {"reason": "虚假信息"}),
    ]:
        url = reverse(f"api:{name}", kwargs={"job_id": job.pk})
        response = getattr(staff_client, method)(url, body)
        assert response.status_code == HTTPStatus.NOT_FOUND, name
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED


@pytest.mark.parametrize(
    ("method", "name", "with_job"),
    [
        ("get", "staff-job-list", False),
        ("get", "staff-job-detail", True),
        ("post", "staff-job-approve", True),
        ("post", "staff-job-return", True),
        ("post", "staff-job-take-down", True),
    ],
)
def test_staff_job_endpoints_refuse_applicants_and_anonymous_users(
    api_client, applicant, regions, method, name, with_job
):
    kwargs = {"job_id": make_job().pk} if with_job else {}
    url = reverse(f"api:{name}", kwargs=kwargs)

    anonymous = getattr(api_client, method)(url)
    api_client.force_authenticate(applicant)
    as_applicant = getattr(api_client, method)(url, {"reason": "x"})

    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert as_applicant.status_code == HTTPStatus.FORBIDDEN


@pytest.fixture
def reviewing_baoan(regions):
    JobRegionSetting.objects.create(region=regions["440306"], review_required=True)


def test_staff_job_approve_publishes_a_submitted_post(staff_client, reviewing_baoan):
    job = make_job()
    assert job.status == Status.SUBMITTED

    response = staff_client.post(reverse("api:staff-job-approve", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "published"
    assert response.json()["events"][-1]["to_status"] == "published"


def test_staff_job_approve_refuses_a_draft(staff_client, regions):
    job = make_job(publish=False)

    response = staff_client.post(reverse("api:staff-job-approve", kwargs={"job_id": job.pk}))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "job_transition_not_allowed"


def test_staff_job_return_sends_the_post_back_with_the_reason(staff_client, reviewing_baoan):
    job = make_job()

    response = staff_client.post(
        reverse("api:staff-job-return", kwargs={"job_id": job.pk}), {"reason": "请写明工作地点。"}
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "returned"
    assert response.json()["status_reason"] == "请写明工作地点。"


def test_staff_job_take_down_removes_a_published_post(staff_client, regions):
    job = make_job()

    response = staff_client.post(
        reverse("api:staff-job-take-down", kwargs={"job_id": job.pk}), {"reason": "虚假信息"}
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "taken_down"
    job.refresh_from_db()
    assert job.status == Status.TAKEN_DOWN


@pytest.mark.parametrize(
    ("name", "body"),
    [("staff-job-return", {}), ("staff-job-take-down", {"reason": "   "})],
)
def test_staff_job_return_and_take_down_require_a_reason(staff_client, reviewing_baoan, name, body):
    job = make_job()
    if name == "staff-job-take-down":
        job.status = Status.PUBLISHED
        job.published_at = timezone.now()
        job.save(update_fields=["status", "published_at"])

    response = staff_client.post(reverse(f"api:{name}", kwargs={"job_id": job.pk}), body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "job_reason_required"
    status_before = job.status
    job.refresh_from_db()
    assert job.status == status_before


# ---------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------


def test_openapi_schema_lists_the_job_management_endpoints(api_client):
    response = api_client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == HTTPStatus.OK
    paths = response.json()["paths"]
    expected = [
        ("/api/v1/me/employers/{employer_id}/jobs/", "get"),
        ("/api/v1/me/employers/{employer_id}/jobs/create/", "post"),
        ("/api/v1/me/employers/{employer_id}/jobs/preview/", "post"),
        ("/api/v1/me/jobs/{job_id}/", "get"),
        *(
            (f"/api/v1/me/jobs/{{job_id}}/{action}/", "post")
            for action in ("update", "submit", "close", "renew", "duplicate")
        ),
        ("/api/v1/staff/jobs/", "get"),
        ("/api/v1/staff/jobs/{job_id}/", "get"),
        *(
            (f"/api/v1/staff/jobs/{{job_id}}/{action}/", "post")
            for action in ("approve", "return", "take-down")
        ),
    ]
    for path, method in expected:
        assert method in paths.get(path, {}), path


def test_staff_api_member_of_the_employer_gets_403(api_client, shenzhen_guangzhou, make_user):
    from django.urls import reverse

    from jobs.models import Job
    from mamagang.accounts.services import staff_scope_grant
    from tests.employers.factories import MembershipFactory
    from tests.jobs.factories import make_job

    staff = make_user("bureau_staff")
    staff_scope_grant(user=staff, region=shenzhen_guangzhou["440306"], granted_by=None)
    job = make_job()
    MembershipFactory(employer=job.employer, user=staff, role="member")
    api_client.force_authenticate(staff)

    response = api_client.post(
        reverse("api:staff-job-take-down", args=[job.pk]), {"reason": "x"}, format="json"
    )

    assert response.status_code == 403
    assert api_client.get(reverse("api:staff-job-detail", args=[job.pk])).status_code == 200
    job.refresh_from_db()
    assert job.status == Job.Status.PUBLISHED
