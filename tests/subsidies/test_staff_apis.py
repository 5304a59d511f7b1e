"""The bureau's subsidy API: claim-line queue, decisions, runs."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applicants.models import Child
from subsidies.models import ClaimLine, EligibilityRun
from subsidies.services import run_start
from tests.employers.factories import MembershipFactory
from tests.subsidies.test_staff_pages import build_world, hire, months_ago, staff_in

pytestmark = pytest.mark.django_db


def _url(name: str, *args) -> str:
    return reverse(f"api:subsidies-staff-{name}", args=args)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def baoan(shenzhen_guangzhou, make_user):
    return client_for(staff_in(make_user, "440306"))


@pytest.fixture
def world(shenzhen_guangzhou, make_user):
    return build_world(make_user)


# ---------------------------------------------------------------------------
# Permissions and scope


def _endpoints(line: ClaimLine, run: EligibilityRun) -> list[tuple[str, str, dict]]:
    month = f"{months_ago(1):%Y-%m}"
    return [
        ("get", _url("claim-line-list"), {}),
        ("get", _url("claim-line-detail", line.pk), {}),
        ("post", _url("claim-line-approve", line.pk), {}),
        ("post", _url("claim-line-reject", line.pk), {"reason": "测试"}),
        ("post", _url("claim-line-redecide", line.pk), {}),
        ("get", _url("run-list"), {}),
        ("post", _url("run-list"), {"policy": run.policy_id, "month": month}),
        ("get", _url("run-detail", run.pk), {}),
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("employer_member", HTTPStatus.FORBIDDEN),
        ("applicant", HTTPStatus.FORBIDDEN),
        (None, HTTPStatus.UNAUTHORIZED),
    ],
)
def test_staff_api_refuses_non_staff(world, make_user, role, expected):
    line = world.claim()[0]
    run = run_start(policy=world.policy, month=months_ago(1))
    client = client_for(make_user(role)) if role else APIClient()

    for method, url, data in _endpoints(line, run):
        response = getattr(client, method)(url, data, format="json" if method == "post" else None)
        assert response.status_code == expected, url

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


def test_staff_api_hides_other_regions(world, make_user):
    line = world.claim()[0]
    run = run_start(policy=world.policy, month=months_ago(1))
    tianhe = client_for(staff_in(make_user, "440106"))

    assert tianhe.get(_url("claim-line-list")).json()["count"] == 0
    assert tianhe.get(_url("run-list")).json()["count"] == 0
    for method, url, data in _endpoints(line, run):
        if f"/{line.pk}/" in url or f"/{run.pk}/" in url:
            response = getattr(tianhe, method)(url, data, format="json")
            assert response.status_code == HTTPStatus.NOT_FOUND, url
    refused = tianhe.post(
        _url("run-list"), {"policy": run.policy_id, "month": f"{months_ago(1):%Y-%m}"}
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "policy" in refused.json()["detail"]

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


# ---------------------------------------------------------------------------
# The queue


def test_staff_api_claim_line_list_filters(baoan, shenzhen_guangzhou, make_user):
    world = build_world(make_user, employer_name="宝安甲科技有限公司")
    hire(world.employer, world.member, name="赵敏", verified=False)
    world.claim([months_ago(2), months_ago(1)])
    other = build_world(
        make_user, names=("陈静",), policy=world.policy, employer_name="宝安乙贸易有限公司"
    )
    other.claim()
    url = _url("claim-line-list")

    def names(**params) -> list[str]:
        response = baoan.get(url, params)
        assert response.status_code == HTTPStatus.OK, response.json()
        return [row["person"]["full_name"] for row in response.json()["results"]]

    assert len(names()) == 7
    assert len(names(month=f"{months_ago(1):%Y-%m}")) == 4
    assert set(names(decision="needs_review")) == {"赵敏"}
    assert names(employer="乙贸易") == ["陈静"]
    assert names(subsidy_type="employer_post") == []
    assert len(names(district="440306")) == 7
    assert names(district="440106") == []
    assert len(names(status="open")) == 7
    assert names(second="awaiting") == []
    assert baoan.get(url, {"month": "2026-13"}).status_code == HTTPStatus.BAD_REQUEST
    assert baoan.get(url, {"district": "44"}).status_code == HTTPStatus.BAD_REQUEST


def test_staff_api_claim_line_list_rows_carry_masked_person_and_reason_labels(baoan, world):
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    world.claim()

    response = baoan.get(_url("claim-line-list"), {"decision": "needs_review"})

    row = response.json()["results"][0]
    assert row["person"] == {
        "id": mother.pk,
        "full_name": "赵敏",
        "id_number_masked": mother.id_number_masked,
    }
    assert row["reasons"] == [
        {"code": "child_not_verified", "label": "子女证明材料尚未经人社部门核验"}
    ]
    assert row["month"] == f"{months_ago(1):%Y-%m}"
    assert row["employer"]["name"] == world.employer.name
    assert row["amount"] is None
    assert mother.test_id_number not in response.content.decode()


def test_staff_api_claim_line_list_query_count(
    baoan, shenzhen_guangzhou, make_user, django_assert_num_queries
):
    world = build_world(make_user, names=("甲", "乙"))
    world.claim()
    url = _url("claim-line-list")
    baoan.get(url)  # the user's permissions and scope are cached on the user after this

    # count + page, for 2 rows and for 8.
    with django_assert_num_queries(2):
        assert len(baoan.get(url).json()["results"]) == 2
    for name in ("丙", "丁", "戊", "己"):
        hire(world.employer, world.member, name=name)
    world.claim([months_ago(2)])
    with django_assert_num_queries(2):
        assert len(baoan.get(url).json()["results"]) == 8


def test_staff_api_claim_line_detail_lists_decisions_newest_first(baoan, world, make_user):
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    line = next(line for line in world.claim() if line.applicant_id == mother.pk)
    Child.objects.filter(applicant=mother).update(
        verified_at=timezone.now(), verified_by=make_user("bureau_staff")
    )
    baoan.post(_url("claim-line-redecide", line.pk))

    response = baoan.get(_url("claim-line-detail", line.pk))

    body = response.json()
    assert body["decision"] == "eligible"
    assert [d["decision"] for d in body["decisions"]] == ["eligible", "needs_review"]
    newest = body["decisions"][0]
    assert newest["amount"] == "300.00"
    assert newest["rate_row"]["amount"] == "300.00"
    assert newest["inputs"]["children"] == [[2019, 3, True]]
    assert newest["inputs"]["birth_date"] == "1990-06-15"
    assert body["policy_legal_reference"] == "中府函〔2022〕226号"
    assert mother.test_id_number not in response.content.decode()


# ---------------------------------------------------------------------------
# Decisions


def test_staff_api_approve_and_reject(baoan, world):
    first, second = world.claim()

    approved = baoan.post(_url("claim-line-approve", first.pk), {"note": "齐全"}, format="json")
    no_reason = baoan.post(_url("claim-line-reject", second.pk), {"reason": ""}, format="json")
    rejected = baoan.post(
        _url("claim-line-reject", second.pk), {"reason": "重复申报"}, format="json"
    )

    assert approved.status_code == HTTPStatus.OK
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by_name"]
    assert no_reason.status_code == HTTPStatus.BAD_REQUEST
    assert rejected.status_code == HTTPStatus.OK
    assert (rejected.json()["status"], rejected.json()["status_reason"]) == ("rejected", "重复申报")


def test_staff_api_approve_refuses_a_line_that_is_not_eligible(baoan, world):
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    line = next(line for line in world.claim() if line.applicant_id == mother.pk)

    response = baoan.post(_url("claim-line-approve", line.pk))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "review_not_eligible"
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


def test_staff_api_maker_checker(shenzhen_guangzhou, make_user):
    world = build_world(make_user, names=("李晓梅", "王芳"), second_approval_above=Decimal("200"))
    member_staff = staff_in(make_user, "440306")
    MembershipFactory(user=member_staff, employer=world.employer)
    first, second = world.claim(by=member_staff)
    insider = client_for(member_staff)
    a = client_for(staff_in(make_user, "440306"))
    b = client_for(staff_in(make_user, "440300"))

    own = insider.post(_url("claim-line-approve", first.pk))
    assert (own.status_code, own.json()["code"]) == (HTTPStatus.FORBIDDEN, "review_own_claim")

    once = a.post(_url("claim-line-approve", first.pk))
    assert once.status_code == HTTPStatus.OK
    assert once.json()["status"] == "open"
    assert once.json()["needs_second_approval"] is True
    twice = a.post(_url("claim-line-approve", first.pk))
    assert (twice.status_code, twice.json()["code"]) == (HTTPStatus.FORBIDDEN, "review_same_person")
    assert [
        r["id"] for r in a.get(_url("claim-line-list"), {"second": "awaiting"}).json()["results"]
    ] == [first.pk]
    done = b.post(_url("claim-line-approve", first.pk))
    assert done.status_code == HTTPStatus.OK
    assert done.json()["status"] == "approved"
    assert done.json()["second_approved_by_name"]

    second.refresh_from_db()
    assert second.status == ClaimLine.Status.OPEN


def test_staff_api_employer_member_cannot_approve(world, make_user):
    member_staff = staff_in(make_user, "440306")
    MembershipFactory(user=member_staff, employer=world.employer)
    line = world.claim()[0]

    response = client_for(member_staff).post(_url("claim-line-approve", line.pk))

    assert (response.status_code, response.json()["code"]) == (
        HTTPStatus.FORBIDDEN,
        "review_own_employer",
    )
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


# ---------------------------------------------------------------------------
# Runs


def test_staff_api_run_start_decides_the_month(baoan, world, django_capture_on_commit_callbacks):
    world.claim()
    data = {"policy": world.policy.pk, "month": f"{months_ago(1):%Y-%m}"}

    with django_capture_on_commit_callbacks(execute=False):
        started = baoan.post(_url("run-list"), data, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        joined = baoan.post(_url("run-list"), data, format="json")
    listing = baoan.get(_url("run-list"))
    detail = baoan.get(_url("run-detail", started.json()["id"]))

    assert started.status_code == HTTPStatus.CREATED
    assert (started.json()["status"], started.json()["percent"]) == ("running", 0)
    assert joined.status_code == HTTPStatus.OK
    assert joined.json()["id"] == started.json()["id"]
    assert listing.json()["count"] == 1
    body = detail.json()
    assert (body["status"], body["percent"], body["done_chunks"], body["total_chunks"]) == (
        "done",
        100,
        1,
        1,
    )
    assert body["kind"] == "manual"
    assert body["month"] == data["month"]
    assert EligibilityRun.objects.get().started_by is not None


def test_staff_api_run_start_refuses_unfinished_months(baoan, world):
    this_month = timezone.localdate().replace(day=1)

    response = baoan.post(
        _url("run-list"), {"policy": world.policy.pk, "month": f"{this_month:%Y-%m}"}
    )
    malformed = baoan.post(_url("run-list"), {"policy": world.policy.pk, "month": "10/2026"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert malformed.status_code == HTTPStatus.BAD_REQUEST
    assert not EligibilityRun.objects.exists()


def test_staff_api_run_list_query_count(baoan, world, django_assert_num_queries):
    world.claim([months_ago(n) for n in range(1, 5)])
    run_start(policy=world.policy, month=months_ago(1))
    url = _url("run-list")
    baoan.get(url)  # the user's permissions and scope are cached on the user after this

    # count + page, for 1 run and for 4.
    with django_assert_num_queries(2):
        assert baoan.get(url).json()["count"] == 1
    for n in range(2, 5):
        run_start(policy=world.policy, month=months_ago(n))
    with django_assert_num_queries(2):
        assert baoan.get(url).json()["count"] == 4


# ---------------------------------------------------------------------------
# OpenAPI


def test_openapi_schema_lists_the_staff_subsidy_endpoints(api_client):
    response = api_client.get(reverse("api-schema"), {"format": "json"})

    paths = response.json()["paths"]
    for path, method in [
        ("/api/v1/staff/claim-lines/", "get"),
        ("/api/v1/staff/claim-lines/{line_id}/", "get"),
        ("/api/v1/staff/claim-lines/{line_id}/approve/", "post"),
        ("/api/v1/staff/claim-lines/{line_id}/reject/", "post"),
        ("/api/v1/staff/claim-lines/{line_id}/redecide/", "post"),
        ("/api/v1/staff/runs/", "get"),
        ("/api/v1/staff/runs/", "post"),
        ("/api/v1/staff/runs/{run_id}/", "get"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    person = response.json()["components"]["schemas"]["StaffSubsidyPersonRef"]["properties"]
    assert set(person) == {"id", "full_name", "id_number_masked"}


def test_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
