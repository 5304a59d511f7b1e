import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.services import employment_create
from employers.models import ListingPeriod
from subsidies.engine import add_months
from subsidies.models import Claim, ClaimLine, DecisionRecord
from subsidies.services import claim_submit_for_employer, claim_submit_for_person
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)
MONTHS = [add_months(THIS_MONTH, -n) for n in range(1, 7)]
LAST_MONTH = MONTHS[0]
LIST_URL = reverse("api:subsidies-employer-claim-list")
ME_URL = reverse("api:subsidies-me-claim-list")


def _detail_url(claim) -> str:
    return reverse("api:subsidies-employer-claim-detail", args=[claim.pk])


def _listed_since_long_ago():
    employer = listed_employer()
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2024, 1, 1))
    return employer


def _employ(employer, member, mother):
    return employment_create(
        employer=employer,
        applicant=mother,
        registered_by=member,
        start_date=datetime.date(2025, 1, 1),
        employment_form="part_time_hourly",
    )


@pytest.fixture
def policy(shenzhen_guangzhou):
    return make_policy(requires_contribution=False, claim_window_months=6)


@pytest.fixture
def employer(policy):
    return _listed_since_long_ago()


@pytest.fixture
def member(employer, employer_member):
    MembershipFactory(user=employer_member, employer=employer)
    return employer_member


@pytest.fixture
def mother(shenzhen_guangzhou):
    return make_mother(full_name="陈美玲", children=[(2017, 11, True)])


@pytest.fixture
def employed(employer, member, mother):
    return _employ(employer, member, mother)


@pytest.fixture
def member_api(api_client, member):
    api_client.force_authenticate(member)
    return api_client


@pytest.fixture
def other(mother, make_user):
    """A second listed employer that also employs her, and its member."""
    employer = _listed_since_long_ago()
    user = make_user("employer_member")
    MembershipFactory(user=user, employer=employer)
    _employ(employer, user, mother)
    return employer, user


def _claim(employer, member, months=(LAST_MONTH,)):
    return claim_submit_for_employer(employer=employer, submitted_by=member, months=list(months))


# Employer claims ---------------------------------------------------------------------------


def test_employer_claim_submit_returns_decided_lines(
    member_api, employer, member, employed, mother
):
    response = member_api.post(
        LIST_URL, {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["employer"] == {"id": employer.pk, "name": employer.name}
    assert body["months"] == [f"{LAST_MONTH:%Y-%m}"]
    assert body["counts"]["decision"]["eligible"] == 1
    assert body["eligible_amount"] == "300.00"
    [line] = body["lines"]
    assert line["person"] == {
        "id": mother.pk,
        "full_name": "陈美玲",
        "id_number_masked": mother.id_number_masked,
    }
    assert (line["subsidy_type"], line["month"], line["decision"], line["amount"]) == (
        "employer_social_insurance",
        f"{LAST_MONTH:%Y-%m}",
        "eligible",
        "300.00",
    )
    assert line["reasons"] == []
    # Nothing about her children (her child was born 2017-11; timestamps may hold "2017"
    # in their microseconds, so look for the month as dates are written).
    body = response.content.decode()
    assert "2017-11" not in body
    assert "2017年" not in body
    assert "child" not in body
    assert Claim.objects.get().submitted_by == member


def test_employer_claim_submit_for_chosen_people(
    member_api, employer, member, employed, shenzhen_guangzhou
):
    second = make_mother(full_name="周小红", children=[(2020, 5, True)])
    _employ(employer, member, second)

    response = member_api.post(
        LIST_URL,
        {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"], "applicants": [second.pk]},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    assert [line["person"]["id"] for line in response.json()["lines"]] == [second.pk]


def test_employer_claim_detail_gives_reasons_with_labels(member_api, employer, member, employed):
    ListingPeriod.objects.filter(employer=employer).update(listed_from=THIS_MONTH)
    claim = _claim(employer, member)

    response = member_api.get(_detail_url(claim))

    [line] = response.json()["lines"]
    assert line["decision"] == "ineligible"
    assert line["amount"] is None
    assert {
        "code": "employer_not_listed",
        "label": "判定日用人单位不在妈妈岗名录内",
        "next_step": "请用人单位先申请进入妈妈岗名录；名录审核通过后可再次申报。",
    } in line["reasons"]


def test_duplicate_across_employers_gives_refusal_reason(member_api, employer, employed, other):
    other_employer, other_member = other
    _claim(other_employer, other_member)

    response = member_api.post(
        LIST_URL, {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    [line] = response.json()["lines"]
    assert (line["decision"], line["status"]) == ("ineligible", "rejected")
    assert line["reasons"] == [
        {
            "code": "duplicate_person_month",
            "label": "该人员当月的同类补贴已由其他申报提出",
            "next_step": "如有疑问，请联系辖区人社部门核实。",
        }
    ]
    assert "不予受理" in line["status_reason"]
    assert ClaimLine.objects.exclude(status=ClaimLine.Status.REJECTED).count() == 1


def test_the_same_claim_submitted_again_changes_nothing_and_says_so(member_api, employer, employed):
    body = {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]}
    first = member_api.post(LIST_URL, body, format="json")
    lines = ClaimLine.objects.count()
    decisions = DecisionRecord.objects.count()

    again = member_api.post(LIST_URL, body, format="json")

    # the earlier claim comes back (200, not 201): no new claim, line or refusal
    assert (first.status_code, again.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert again.json()["id"] == first.json()["id"]
    assert Claim.objects.count() == 1
    assert (ClaimLine.objects.count(), DecisionRecord.objects.count()) == (lines, decisions)
    assert not ClaimLine.objects.filter(reasons__contains=["duplicate_person_month"]).exists()


def test_the_same_claim_again_on_the_page_says_nothing_was_added(
    member_api, client, employer, member, employed
):
    body = {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]}
    first = member_api.post(LIST_URL, body, format="json").json()
    client.force_login(member)

    response = client.post(
        reverse("subsidies:employer-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}, follow=True
    )

    assert response.redirect_chain[-1][0].endswith(f"/employer/subsidies/{first['id']}/")
    assert "已经申报过，本次没有新增明细" in response.content.decode()
    assert Claim.objects.count() == 1


def test_employer_claim_submit_refuses_current_month(member_api, employer, employed):
    response = member_api.post(
        LIST_URL, {"employer": employer.pk, "months": [f"{THIS_MONTH:%Y-%m}"]}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "claim_month_not_over"
    assert not Claim.objects.exists()


@pytest.mark.parametrize("months", [["2026-13"], ["202609"], []])
def test_employer_claim_submit_validates_months(member_api, employer, employed, months):
    response = member_api.post(LIST_URL, {"employer": employer.pk, "months": months}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "months" in response.json()["detail"]


def test_employer_claim_submit_for_another_employer_is_404(member_api, employed, other):
    other_employer, _user = other

    response = member_api.post(
        LIST_URL,
        {"employer": other_employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Claim.objects.exists()


def test_another_employers_claim_is_404_and_not_listed(
    member_api, employer, member, employed, other
):
    other_employer, other_member = other
    theirs = _claim(other_employer, other_member)
    mine = _claim(employer, member, months=[MONTHS[1]])

    assert member_api.get(_detail_url(theirs)).status_code == HTTPStatus.NOT_FOUND
    assert [c["id"] for c in member_api.get(LIST_URL).json()["results"]] == [mine.pk]
    filtered = member_api.get(LIST_URL, {"employer": other_employer.pk}).json()
    assert filtered["results"] == []
    own = member_api.get(LIST_URL, {"employer": employer.pk}).json()
    assert [c["id"] for c in own["results"]] == [mine.pk]


@pytest.mark.parametrize("role", ["applicant", "bureau_staff"])
def test_employer_claim_apis_refuse_other_roles(
    api_client, make_user, employer, member, employed, role
):
    claim = _claim(employer, member)
    api_client.force_authenticate(make_user(role))

    assert api_client.get(LIST_URL).status_code == HTTPStatus.FORBIDDEN
    assert api_client.get(_detail_url(claim)).status_code == HTTPStatus.FORBIDDEN
    response = api_client.post(
        LIST_URL, {"employer": employer.pk, "months": [f"{LAST_MONTH:%Y-%m}"]}, format="json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_claim_apis_need_login(api_client):
    assert api_client.get(LIST_URL).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.get(ME_URL).status_code == HTTPStatus.UNAUTHORIZED


def test_employer_claim_list_counts_and_total(member_api, employer, member, employed, other):
    other_employer, other_member = other
    _claim(other_employer, other_member, months=[MONTHS[1]])
    _claim(employer, member, months=[LAST_MONTH, MONTHS[1]])

    [claim] = member_api.get(LIST_URL).json()["results"]

    assert claim["line_count"] == 2
    assert claim["counts"] == {
        "decision": {"pending": 0, "eligible": 1, "ineligible": 1, "needs_review": 0},
        "status": {"open": 1, "approved": 0, "rejected": 1, "paid": 0},
    }
    assert claim["eligible_amount"] == "300.00"
    assert claim["months"] == [f"{MONTHS[1]:%Y-%m}", f"{LAST_MONTH:%Y-%m}"]
    assert "lines" not in claim


def test_employer_claim_list_query_count(
    member_api, employer, member, employed, django_assert_num_queries
):
    for month in MONTHS[:2]:
        _claim(employer, member, months=[month])
    member_api.get(LIST_URL)  # loads the user's permissions, cached for the next requests
    # count, page
    with django_assert_num_queries(2):
        assert len(member_api.get(LIST_URL).json()["results"]) == 2

    for month in MONTHS[2:]:
        _claim(employer, member, months=[month])

    with django_assert_num_queries(2):
        assert len(member_api.get(LIST_URL).json()["results"]) == 6


def test_employer_claim_detail_query_count(
    member_api, employer, member, employed, django_assert_num_queries
):
    small = _claim(employer, member, months=MONTHS[:2])
    large = _claim(employer, member, months=MONTHS[2:] + MONTHS[:2])  # its own 2 are not new
    member_api.get(LIST_URL)  # loads the user's permissions, cached for the next requests
    # the claim with its summary, its lines
    with django_assert_num_queries(2):
        assert len(member_api.get(_detail_url(small)).json()["lines"]) == 2
    with django_assert_num_queries(2):
        assert len(member_api.get(_detail_url(large)).json()["lines"]) == 4


# Her own claims ------------------------------------------------------------------------------


@pytest.fixture
def flexible_policy(shenzhen_guangzhou):
    return make_policy(type_code="flexible_social_insurance", requires_contribution=False)


@pytest.fixture
def her_api(api_client, mother):
    api_client.force_authenticate(mother.user)
    return api_client


def test_mother_flexible_worker_claim_through_api(her_api, mother, flexible_policy):
    response = her_api.post(ME_URL, {"months": [f"{LAST_MONTH:%Y-%m}"]}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert (body["source"], body["employer"]) == ("person", None)
    [line] = body["lines"]
    assert (line["subsidy_type"], line["decision"], line["amount"]) == (
        "flexible_social_insurance",
        "eligible",
        "300.00",
    )
    listed = her_api.get(ME_URL).json()["results"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert Claim.objects.get().applicant == mother


def test_mother_claim_refused_without_person_policy(her_api, policy):
    response = her_api.post(ME_URL, {"months": [f"{LAST_MONTH:%Y-%m}"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "claim_no_policy"


def test_mother_claims_list_only_her_own(her_api, mother, flexible_policy, shenzhen_guangzhou):
    someone = make_mother(full_name="王芳", children=[(2020, 5, True)])
    claim_submit_for_person(applicant=someone, submitted_by=someone.user, months=[LAST_MONTH])
    mine = claim_submit_for_person(applicant=mother, submitted_by=mother.user, months=[LAST_MONTH])

    assert [c["id"] for c in her_api.get(ME_URL).json()["results"]] == [mine.pk]


def test_me_claims_refuse_employer_members(member_api):
    assert member_api.get(ME_URL).status_code == HTTPStatus.FORBIDDEN


def test_me_claims_without_profile_is_404(api_client, applicant):
    api_client.force_authenticate(applicant)

    assert api_client.get(ME_URL).status_code == HTTPStatus.NOT_FOUND


def test_me_claim_list_query_count(her_api, mother, flexible_policy, django_assert_num_queries):
    for month in MONTHS[:2]:
        claim_submit_for_person(applicant=mother, submitted_by=mother.user, months=[month])
    her_api.get(ME_URL)  # loads her permissions, cached for the next requests
    # her profile, count, page, lines
    with django_assert_num_queries(4):
        assert len(her_api.get(ME_URL).json()["results"]) == 2

    for month in MONTHS[2:]:
        claim_submit_for_person(applicant=mother, submitted_by=mother.user, months=[month])

    with django_assert_num_queries(4):
        assert len(her_api.get(ME_URL).json()["results"]) == 6


def test_an_employer_is_told_what_its_employee_can_do_about_her_reason(
    member_api, member, employer, employed
):
    # given her child's papers not yet verified
    from applicants.models import Child

    Child.objects.filter(applicant__employments__employer=employer).update(
        verified_at=None, verified_by=None
    )
    claim = _claim(employer, member)

    # when the employer reads the claim, then the step is about its employee, not "you"
    [line] = member_api.get(_detail_url(claim)).json()["lines"]
    [reason] = [r for r in line["reasons"] if r["code"] == "child_not_verified"]
    assert reason["next_step"].startswith("请提醒该员工")
