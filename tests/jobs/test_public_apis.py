"""The public jobs API: search with facets, one post, errors and query counts."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers.models import RegistryEntry
from jobs.models import Job
from jobs.schedule import Window, windows_for
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

LIST = "/api/v1/jobs/"


def test_job_api_routes_have_their_names():
    assert reverse("api:job-list") == LIST
    assert reverse("api:job-detail", kwargs={"pk": 3}) == "/api/v1/jobs/3/"


def test_job_list_api_is_public_and_returns_results_with_facets(api_client, shenzhen_guangzhou):
    job = make_job(title="电商直播主播招聘")
    make_job(
        title="手工",
        occupation="串珠",
        description="在家串珠。",
        post_modes=[Job.PostMode.TAKE_HOME],
        location_mode=Job.LocationMode.AT_HOME,
        pay_unit=Job.PayUnit.PIECE,
        pay_min=Decimal("1"),
        pay_max=Decimal("1"),
        pieces_per_hour=Decimal("25"),
        windows=[],
    )

    response = api_client.get(LIST, {"q": "直播"})

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["count"] == 1
    [item] = data["results"]
    assert item["id"] == job.pk
    assert item["url"] == f"/jobs/{job.pk}/"
    assert item["employer"] == {
        "id": job.employer.pk,
        "name": job.employer.name,
        "district": {"code": "440306", "name": "宝安区"},
    }
    assert item["pay"]["summary"] == "25–30元/小时"
    assert item["windows_summary"] == ["周一至周五 09:00–15:00"]
    assert data["facets"]["total"] == 1
    modes = {o["value"]: o["count"] for o in data["facets"]["post_modes"]}
    assert modes["self_chosen_slots"] == 1
    assert modes["take_home_piecework"] == 0
    assert data["facets"]["districts"] == [{"value": "440306", "label": "宝安区", "count": 1}]


def test_job_list_api_facets_count_the_whole_result_set_not_the_page(
    api_client, shenzhen_guangzhou
):
    employer = listed_employer()
    for n in range(3):
        make_job(employer=employer, title=f"保洁{n}")

    data = api_client.get(LIST, {"page_size": 1}).json()

    assert len(data["results"]) == 1
    assert data["count"] == 3
    assert data["facets"]["total"] == 3
    assert data["facets"]["school_run_friendly"] == 3


def test_job_list_api_filters_fits_my_time_and_sorts(api_client, shenzhen_guangzhou):
    morning = make_job(title="上午", pay_min=Decimal("20"), pay_max=Decimal("40"))
    evening = make_job(title="晚上", windows=windows_for(range(5), 18 * 60, 21 * 60))
    home = make_job(title="在家", location_mode=Job.LocationMode.AT_HOME, windows=[])

    fits = api_client.get(LIST, {"free": ["1-5@08:00-16:00", "6-7@10:00-12:00"]}).json()
    by_pay = api_client.get(LIST, {"sort": "pay"}).json()

    assert {r["id"] for r in fits["results"]} == {morning.pk, home.pk}
    assert evening.pk not in {r["id"] for r in fits["results"]}
    assert by_pay["results"][0]["id"] == morning.pk


@pytest.mark.parametrize(
    "params",
    [
        {"free": "1-5@09:00"},
        {"city": "4403"},
        {"min_hourly": "x"},
        {"mode": "nope"},
        {"school_run": "maybe"},
        {"sort": "cheap"},
    ],
)
def test_job_list_api_answers_400_for_invalid_filters(api_client, shenzhen_guangzhou, params):
    make_job()

    response = api_client.get(LIST, params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(params) <= set(response.json()["detail"])


def test_job_list_api_hides_posts_that_are_not_public(api_client, shenzhen_guangzhou):
    public = make_job(title="公开")
    make_job(title="草稿", publish=False)
    taken_down = make_job(title="下架")
    Job.objects.filter(pk=taken_down.pk).update(status=Job.Status.TAKEN_DOWN)
    suspended = make_job(title="暂停")
    RegistryEntry.objects.filter(employer=suspended.employer).update(
        status=RegistryEntry.Status.SUSPENDED
    )
    expired = make_job(title="过期")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Job.objects.filter(pk=expired.pk).update(
        status=Job.Status.EXPIRED, valid_from=yesterday, valid_until=yesterday
    )

    data = api_client.get(LIST).json()

    assert [r["id"] for r in data["results"]] == [public.pk]
    for hidden in (taken_down, suspended, expired):
        detail = api_client.get(reverse("api:job-detail", kwargs={"pk": hidden.pk}))
        assert detail.status_code == HTTPStatus.NOT_FOUND


def test_job_detail_api_returns_windows_pay_terms_and_employer(api_client, shenzhen_guangzhou):
    job = make_job(
        pay_unit=Job.PayUnit.MONTH,
        pay_min=Decimal("3000"),
        pay_max=Decimal("3600"),
        windows=[Window(0, 9 * 60, 12 * 60), *windows_for([4], 22 * 60, 2 * 60)],
    )

    response = api_client.get(reverse("api:job-detail", kwargs={"pk": job.pk}))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["windows"] == [
        {"weekday": 0, "start": "09:00", "end": "12:00", "start_minute": 540, "end_minute": 720},
        {"weekday": 4, "start": "22:00", "end": "24:00", "start_minute": 1320, "end_minute": 1440},
        {"weekday": 5, "start": "00:00", "end": "02:00", "start_minute": 0, "end_minute": 120},
    ]
    assert data["pay"]["unit"] == "month"
    assert Decimal(data["pay"]["min"]) == Decimal("3000")
    assert Decimal(data["pay"]["hourly_min"]) == job.hourly_min
    assert Decimal(data["pay"]["hourly_max"]) == job.hourly_max
    assert data["pay"]["cycle_days"] == 30
    assert data["terms"] == {
        "has_labour_contract": True,
        "contract_months": 12,
        "social_insurance": True,
        "work_injury_insurance": True,
        "training_provided": True,
        "promotion_path": "",
    }
    assert data["employer"]["id"] == job.employer.pk
    assert data["employer"]["district"]["code"] == "440306"
    assert "contact_phone" not in str(data)
    assert job.employer.contact_phone not in str(data)


def _api_queries(api_client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api_client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_job_list_api_query_count_is_independent_of_row_count(api_client, shenzhen_guangzhou):
    url = LIST + "?free=1-5@08:00-16:00&sort=pay"
    make_job()
    one_row = _api_queries(api_client, url)

    nanshan = shenzhen_guangzhou["440305"]
    for n in range(14):
        make_job(
            district=nanshan,
            employer=listed_employer(employer__district=nanshan),
            windows=[Window(n % 5, 9 * 60, 11 * 60), Window(n % 5, 12 * 60, 15 * 60)],
        )

    assert _api_queries(api_client, url) == one_row
    # facets + count + page + windows
    assert one_row == 4


def test_job_list_api_facets_match_independent_counts(api_client, shenzhen_guangzhou):
    make_job(post_modes=[Job.PostMode.TAKE_HOME, Job.PostMode.NEW_BUSINESS])
    make_job(employment_form=Job.EmploymentForm.PART_TIME_HOURLY)
    make_job(
        district=shenzhen_guangzhou["440106"],
        employer=listed_employer(employer__district=shenzhen_guangzhou["440106"]),
        location_mode=Job.LocationMode.COMMUNITY,
    )
    jobs = list(Job.objects.public(today=timezone.localdate()).select_related("district"))

    facets = api_client.get(LIST).json()["facets"]

    modes = Counter(m for job in jobs for m in job.post_modes)
    assert {o["value"]: o["count"] for o in facets["post_modes"]} == {
        m: modes[m] for m in Job.PostMode.values
    }
    assert {o["value"]: o["count"] for o in facets["employment_forms"]} == {
        f: sum(j.employment_form == f for j in jobs) for f in Job.EmploymentForm.values
    }
    assert {o["value"]: o["count"] for o in facets["location_modes"]} == {
        m: sum(j.location_mode == m for j in jobs) for m in Job.LocationMode.values
    }
    assert {o["value"]: o["count"] for o in facets["districts"]} == dict(
        Counter(j.district.code for j in jobs)
    )


def test_openapi_schema_describes_the_public_job_api(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    schema = response.json()
    operation = schema["paths"]["/api/v1/jobs/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "free", "city", "district", "mode", "min_hourly", "sort", "page"} <= names
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/JobsPublicJobSearch"}
    assert "facets" in schema["components"]["schemas"]["JobsPublicJobSearch"]["properties"]
