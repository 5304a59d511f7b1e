import datetime
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.services import employment_create
from employers.models import ListingPeriod
from subsidies.engine import add_months
from subsidies.models import Claim, ClaimLine
from subsidies.services import claim_submit_for_employer, claim_submit_for_person
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)
# The last six completed months, the latest first (what the claim forms offer).
MONTHS = [add_months(THIS_MONTH, -n) for n in range(1, 7)]
LAST_MONTH = MONTHS[0]
EMPLOYER_PAGES = ["employer-claim-list", "employer-claim-new"]


def _listed_since_long_ago(employer):
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2024, 1, 1))
    return employer


def _employ(employer, member, mother, start=datetime.date(2025, 1, 1)):
    return employment_create(
        employer=employer,
        applicant=mother,
        registered_by=member,
        start_date=start,
        employment_form="part_time_hourly",
    )


def _month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


@pytest.fixture
def policy(shenzhen_guangzhou):
    return make_policy(requires_contribution=False, max_months=36, claim_window_months=6)


@pytest.fixture
def employer(policy):
    return _listed_since_long_ago(listed_employer())


@pytest.fixture
def member(employer, employer_member):
    MembershipFactory(user=employer_member, employer=employer)
    return employer_member


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def mother(shenzhen_guangzhou):
    # A child born November 2017: its birth month must never reach the employer.
    return make_mother(full_name="陈美玲", children=[(2017, 11, True)])


@pytest.fixture
def employed(employer, member, mother):
    return _employ(employer, member, mother)


def _claim(employer, member, months=(LAST_MONTH,)):
    return claim_submit_for_employer(employer=employer, submitted_by=member, months=list(months))


def _second_employer(mother, make_user):
    other = _listed_since_long_ago(listed_employer())
    other_member = make_user("employer_member")
    MembershipFactory(user=other_member, employer=other)
    _employ(other, other_member, mother)
    return other, other_member


def _queries(client, url: str) -> int:
    client.get(url)  # the first visit stores the current employer in the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


# Submitting --------------------------------------------------------------------------


def test_employer_claim_new_page_shows_subsidies_rates_and_people(member_client, employed, mother):
    response = member_client.get(reverse("subsidies:employer-claim-new"))

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "每人每月 300.00 元" in html
    assert "所属月份结束后 6 个月内申报" in html
    assert _month_label(LAST_MONTH) in html
    assert _month_label(THIS_MONTH) not in html  # the current month is not over
    assert f"陈美玲（{mother.id_number_masked}）" in html


def test_employer_claim_submit_through_page_decides_lines(member_client, employed, mother):
    response = member_client.post(
        reverse("subsidies:employer-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}
    )

    claim = Claim.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("subsidies:employer-claim-detail", args=[claim.pk])
    line = ClaimLine.objects.get(claim=claim)
    assert (line.applicant, line.month, line.decision) == (mother, LAST_MONTH, "eligible")
    assert line.amount == Decimal("300.00")

    html = member_client.get(response.url).content.decode()
    assert "陈美玲" in html
    assert mother.id_number_masked in html
    assert "300.00 元" in html
    assert _month_label(LAST_MONTH) in html


def test_employer_claim_submit_for_chosen_people_only(
    member_client, employer, member, employed, shenzhen_guangzhou
):
    other = make_mother(full_name="周小红", children=[(2020, 5, True)])
    _employ(employer, member, other)

    member_client.post(
        reverse("subsidies:employer-claim-new"),
        {"months": [f"{LAST_MONTH:%Y-%m}"], "applicants": [other.pk]},
    )

    assert list(ClaimLine.objects.values_list("applicant_id", flat=True)) == [other.pk]


def test_employer_claim_submit_shows_domain_error(member_client, employer):
    response = member_client.post(
        reverse("subsidies:employer-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}
    )

    assert response.status_code == HTTPStatus.OK
    assert "所选月份没有在本单位就业登记的人员" in response.content.decode()
    assert not Claim.objects.exists()


def test_employer_claim_new_explains_when_no_policy(client, employer_member, shenzhen_guangzhou):
    employer = _listed_since_long_ago(listed_employer())
    MembershipFactory(user=employer_member, employer=employer)
    client.force_login(employer_member)

    html = client.get(reverse("subsidies:employer-claim-new")).content.decode()

    assert "暂无可由用人单位申领的妈妈岗补贴政策" in html
    assert 'name="months"' not in html


# Decisions and reasons ------------------------------------------------------------------


def test_claim_detail_shows_reasons_as_labels(member_client, employer, member, employed):
    # Suspended from the registry since before the claimed month.
    ListingPeriod.objects.filter(employer=employer).update(listed_from=THIS_MONTH)
    claim = _claim(employer, member)

    html = member_client.get(reverse("subsidies:employer-claim-detail", args=[claim.pk]))
    html = html.content.decode()

    assert "不符合" in html
    assert "判定日用人单位不在妈妈岗名录内" in html
    assert "employer_not_listed" not in html


def test_duplicate_across_employers_shows_refusal_reason(
    member_client, employer, member, employed, mother, make_user
):
    other, other_member = _second_employer(mother, make_user)
    _claim(other, other_member)

    claim = _claim(employer, member)

    line = ClaimLine.objects.get(claim=claim)
    assert line.status == ClaimLine.Status.REJECTED
    html = member_client.get(reverse("subsidies:employer-claim-detail", args=[claim.pk]))
    html = html.content.decode()
    assert "该人员当月的同类补贴已由其他申报提出" in html
    assert "不予受理" in html
    assert other.name not in html  # which employer claimed her is not this one's business
    line_html = member_client.get(reverse("subsidies:employer-claim-line", args=[line.pk]))
    line_html = line_html.content.decode()
    assert "这条明细未进入判定" in line_html
    assert "判定日单位在妈妈岗名录内" not in line_html  # no facts about a refused line


def test_line_page_shows_decision_inputs_in_plain_words(member_client, employer, member, employed):
    claim = _claim(employer, member)
    line = ClaimLine.objects.get(claim=claim)

    html = member_client.get(reverse("subsidies:employer-claim-line", args=[line.pk]))
    html = html.content.decode()

    assert f"{LAST_MONTH.year}年{LAST_MONTH.month}月1日" in html  # the reference day
    assert "判定日单位在妈妈岗名录内" in html
    assert "2025年1月1日 – 至今；已申明妈妈岗" in html
    assert "没有当月缴费记录" in html
    assert "此前已享受 0 个月（本政策每人最长 36 个月，跨单位累计）" in html
    assert "每人每月 300.00 元（2022年1月1日起执行）" in html
    assert "有符合条件的子女" in html


@pytest.mark.parametrize(
    ("verified", "statement"), [(True, "有符合条件的子女"), (False, "子女材料待核验")]
)
def test_employer_never_sees_children_birth_months(
    member_client, employer, member, shenzhen_guangzhou, verified, statement
):
    mother = make_mother(full_name="林静", children=[(2017, 11, verified)])
    _employ(employer, member, mother)
    claim = _claim(employer, member)
    line = ClaimLine.objects.get(claim=claim)
    assert line.decisions.get().inputs["children"] == [[2017, 11, verified]]  # it is in the record

    html = member_client.get(reverse("subsidies:employer-claim-line", args=[line.pk]))
    html = html.content.decode()

    assert statement in html
    # As dates are written (a bare "2017" may occur in a CSRF token or an id).
    assert not re.search(r"2017\s*[-年/.]\s*0?11", html)
    assert not re.search(r"1990\s*[-年/.]", html)  # nor her own birth date


# Scope and permissions ----------------------------------------------------------------------


def test_another_employers_claim_and_line_are_404(
    client, employer, member, employed, mother, make_user
):
    claim = _claim(employer, member)
    line = ClaimLine.objects.get(claim=claim)
    _other, other_member = _second_employer(mother, make_user)
    client.force_login(other_member)

    detail = client.get(reverse("subsidies:employer-claim-detail", args=[claim.pk]))
    line_page = client.get(reverse("subsidies:employer-claim-line", args=[line.pk]))
    listing = client.get(reverse("subsidies:employer-claim-list"))

    assert detail.status_code == HTTPStatus.NOT_FOUND
    assert line_page.status_code == HTTPStatus.NOT_FOUND
    assert f'data-claim="{claim.pk}"' not in listing.content.decode()


@pytest.mark.parametrize("role", ["bureau_staff", "applicant"])
@pytest.mark.parametrize("name", EMPLOYER_PAGES)
def test_employer_pages_refuse_other_roles(client, make_user, member_client, employed, role, name):
    assert member_client.get(reverse(f"subsidies:{name}")).status_code == HTTPStatus.OK
    client.force_login(make_user(role))

    assert client.get(reverse(f"subsidies:{name}")).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("role", ["bureau_staff", "applicant"])
def test_employer_claim_pages_refuse_other_roles(
    client, make_user, employer, member, employed, role
):
    claim = _claim(employer, member)
    line = ClaimLine.objects.get(claim=claim)
    client.force_login(make_user(role))

    for url in (
        reverse("subsidies:employer-claim-detail", args=[claim.pk]),
        reverse("subsidies:employer-claim-line", args=[line.pk]),
    ):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    response = client.post(
        reverse("subsidies:employer-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("name", ["me-claim-list", "me-claim-new"])
def test_me_pages_refuse_employer_members(member_client, name):
    assert member_client.get(reverse(f"subsidies:{name}")).status_code == HTTPStatus.FORBIDDEN


# Lists and query counts ----------------------------------------------------------------------


def test_claim_list_shows_counts_and_total(
    member_client, employer, member, employed, mother, make_user
):
    other, other_member = _second_employer(mother, make_user)
    _claim(other, other_member, months=[MONTHS[1]])
    _claim(employer, member, months=[LAST_MONTH, MONTHS[1]])

    html = member_client.get(reverse("subsidies:employer-claim-list")).content.decode()

    # One eligible line (300.00) and one refused as a duplicate.
    assert "300.00 元" in html
    assert '<li data-decision="eligible"><span>符合</span> <strong>1</strong></li>' in html
    assert '<li data-decision="ineligible"><span>不符合</span> <strong>1</strong></li>' in html
    assert '<li data-status="rejected"><span>已驳回</span> <strong>1</strong></li>' in html


def test_claim_list_query_count_is_independent_of_row_count(
    member_client, employer, member, employed
):
    url = reverse("subsidies:employer-claim-list")
    for month in MONTHS[:2]:
        _claim(employer, member, months=[month])
    two = _queries(member_client, url)

    for month in MONTHS[2:]:
        _claim(employer, member, months=[month])

    assert _queries(member_client, url) == two


def test_claim_detail_query_count_is_independent_of_line_count(
    member_client, employer, member, employed
):
    small = _claim(employer, member, months=MONTHS[:2])
    # Its own months again are not claimed twice: only the 4 new lines.
    large = _claim(employer, member, months=MONTHS)
    assert large.lines.count() == 4

    small_queries = _queries(
        member_client, reverse("subsidies:employer-claim-detail", args=[small.pk])
    )
    large_queries = _queries(
        member_client, reverse("subsidies:employer-claim-detail", args=[large.pk])
    )

    assert large_queries == small_queries


# Her side --------------------------------------------------------------------------------------


@pytest.fixture
def flexible_policy(shenzhen_guangzhou):
    return make_policy(type_code="flexible_social_insurance", requires_contribution=False)


@pytest.fixture
def her_client(client, mother):
    client.force_login(mother.user)
    return client


def test_mother_flexible_worker_claim_through_page(her_client, mother, flexible_policy):
    form = her_client.get(reverse("subsidies:me-claim-new")).content.decode()
    assert "每人每月 300.00 元" in form

    response = her_client.post(
        reverse("subsidies:me-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("subsidies:me-claim-list")
    claim = Claim.objects.get()
    assert (claim.source, claim.applicant) == (Claim.Source.PERSON, mother)
    line = claim.lines.get()
    assert (line.decision, line.amount) == ("eligible", Decimal("300.00"))
    html = her_client.get(response.url).content.decode()
    assert "300.00 元" in html
    assert _month_label(LAST_MONTH) in html


def test_mother_claim_refuses_month_not_offered(her_client, flexible_policy):
    response = her_client.post(reverse("subsidies:me-claim-new"), {"months": ["1999-01"]})

    assert response.status_code == HTTPStatus.OK
    assert 'class="errorlist' in response.content.decode()
    assert not Claim.objects.exists()


def test_mother_pages_explain_when_no_person_policy(her_client, policy):
    html = her_client.get(reverse("subsidies:me-claim-list")).content.decode()
    assert "data-no-policy" in html

    response = her_client.post(
        reverse("subsidies:me-claim-new"), {"months": [f"{LAST_MONTH:%Y-%m}"]}
    )

    html = response.content.decode()
    assert "data-no-policy" in html
    assert "您居住的地区暂无可由个人申领的补贴政策" in html  # the service's refusal
    assert not Claim.objects.exists()


def test_mother_sees_lines_employers_claimed_for_her(her_client, employer, member, employed):
    _claim(employer, member)

    html = her_client.get(reverse("subsidies:me-claim-list")).content.decode()

    assert "用人单位为我申报的补贴" in html
    assert "用人单位社会保险补贴" in html
    assert _month_label(LAST_MONTH) in html
    assert "300.00 元" in html
    assert employer.name in html


def test_mother_does_not_see_other_peoples_claims(
    her_client, employer, member, employed, flexible_policy, shenzhen_guangzhou
):
    other = make_mother(full_name="王芳", children=[(2020, 5, True)])
    theirs = claim_submit_for_person(applicant=other, submitted_by=other.user, months=[LAST_MONTH])
    _employ(employer, member, other)
    _claim(employer, member)

    html = her_client.get(reverse("subsidies:me-claim-list")).content.decode()

    assert f'data-claim="{theirs.pk}"' not in html
    mine = ClaimLine.objects.exclude(applicant=other).get()
    assert f'data-line="{mine.pk}"' in html
    for pk in ClaimLine.objects.filter(applicant=other).values_list("pk", flat=True):
        assert f'data-line="{pk}"' not in html


def test_me_claim_list_query_count_is_independent_of_row_count(
    her_client, mother, flexible_policy, employer, member, employed
):
    url = reverse("subsidies:me-claim-list")
    for month in MONTHS[:2]:
        claim_submit_for_person(applicant=mother, submitted_by=mother.user, months=[month])
        _claim(employer, member, months=[month])
    two = _queries(her_client, url)

    for month in MONTHS[2:]:
        claim_submit_for_person(applicant=mother, submitted_by=mother.user, months=[month])
        _claim(employer, member, months=[month])

    assert _queries(her_client, url) == two
