"""Employment bases (就业基地): recognition by year, awards capped by year of recognition."""

from __future__ import annotations

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers.models import ListingPeriod
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.models import BaseAward, EmploymentBase, RateRow, SubsidyPolicy, SubsidyType
from subsidies.services.bases import (
    base_award_cap,
    base_award_decide,
    base_award_mark_paid,
    base_award_propose,
    base_recognise,
    base_revoke,
)
from tests.conftest import load_shipped_regions
from tests.jobs.factories import listed_employer

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 3, 1)


@pytest.fixture
def regions(db):
    return load_shipped_regions("4403", "4404")


@pytest.fixture
def zhuhai_policy(regions):
    """Zhuhai's base awards: year 1 at most 200,000, year 2 at most 100,000."""
    policy = SubsidyPolicy.objects.create(
        region=Region.objects.get(code="440400"),
        subsidy_type=SubsidyType.objects.get(code="employment_base_award"),
        legal_reference="珠海市妈妈岗就业基地奖补",
        retirement_extension_years=None,
        requires_contribution=False,
        requires_declaration=False,
    )
    for year, amount in ((1, "200000.00"), (2, "100000.00")):
        RateRow.objects.create(
            policy=policy,
            valid_from=datetime.date(2024, 1, 1),
            kind=RateRow.Kind.PER_YEAR,
            amount=Decimal(amount),
            recognition_year=year,
        )
    return policy


def staff_in(make_user, code: str, role: str = "bureau_staff"):
    user = make_user(role)
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


@pytest.fixture
def zhuhai_employer(regions):
    employer = listed_employer(employer__district=Region.objects.get(code="440402"))
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2024, 1, 1))
    return employer


@pytest.fixture
def city_staff(make_user, regions):
    return staff_in(make_user, "440400")


@pytest.fixture
def checker(make_user, regions):
    return staff_in(make_user, "440400")


def recognise(employer, by, valid_from=START, region="440400"):
    return base_recognise(
        employer=employer,
        region=Region.objects.get(code=region),
        valid_from=valid_from,
        document_number="珠人社〔2025〕1号",
        by=by,
    )


# ---------------------------------------------------------------------------
# Recognition


def test_recognition_lasts_a_year_and_a_renewal_is_the_next_year(zhuhai_employer, city_staff):
    first = recognise(zhuhai_employer, city_staff)
    assert (first.year, first.level) == (1, EmploymentBase.Level.CITY)
    assert first.valid_until == datetime.date(2026, 3, 1)
    assert first.name == f"{zhuhai_employer.name}妈妈岗就业基地"

    second = recognise(zhuhai_employer, city_staff, valid_from=first.valid_until)
    assert second.year == 2
    assert AuditEvent.objects.filter(action="employment_base.recognised").count() == 2


def test_a_recognition_after_a_gap_starts_again_at_year_one(zhuhai_employer, city_staff):
    recognise(zhuhai_employer, city_staff)
    later = recognise(zhuhai_employer, city_staff, valid_from=datetime.date(2027, 1, 1))
    assert later.year == 1


def test_overlapping_recognitions_are_refused(zhuhai_employer, city_staff):
    recognise(zhuhai_employer, city_staff)
    with pytest.raises(DomainError) as exc:
        recognise(zhuhai_employer, city_staff, valid_from=datetime.date(2025, 9, 1))
    assert exc.value.code == "base_overlap"


def test_the_database_refuses_overlapping_active_recognitions(zhuhai_employer, city_staff):
    base = recognise(zhuhai_employer, city_staff)
    with pytest.raises(IntegrityError):
        EmploymentBase.objects.create(
            employer=base.employer,
            region=base.region,
            level=base.level,
            year=2,
            name="x",
            document_number="y",
            valid_from=datetime.date(2025, 6, 1),
            valid_until=datetime.date(2026, 6, 1),
            recognised_by=city_staff,
        )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("district", "base_region_level"),
        ("outside", "base_employer_outside_region"),
        ("scope", "base_out_of_scope"),
        ("unlisted", "base_employer_not_listed"),
    ],
)
def test_recognition_refusals(case, code, zhuhai_employer, city_staff, make_user):
    by, region, employer, day = city_staff, "440400", zhuhai_employer, START
    if case == "district":
        region = "440402"
    elif case == "outside":
        employer = listed_employer()  # Bao'an, Shenzhen
    elif case == "scope":
        by = staff_in(make_user, "440402")  # a district cannot recognise for the city
    elif case == "unlisted":
        day = datetime.date(2023, 6, 1)  # before the employer was listed
    with pytest.raises(DomainError) as exc:
        recognise(employer, by, valid_from=day, region=region)
    assert exc.value.code == code
    assert not EmploymentBase.objects.exists()


# ---------------------------------------------------------------------------
# Awards capped by year of recognition


def test_the_first_year_is_capped_at_200000_and_the_second_at_100000(
    zhuhai_policy, zhuhai_employer, city_staff
):
    first = recognise(zhuhai_employer, city_staff)
    second = recognise(zhuhai_employer, city_staff, valid_from=first.valid_until)
    assert base_award_cap(base=first).cap == Decimal("200000.00")
    assert base_award_cap(base=second).cap == Decimal("100000.00")

    base_award_propose(
        base=second, amount=Decimal("100000.00"), basis="吸纳30名妈妈", by=city_staff
    )
    with pytest.raises(DomainError) as exc:
        base_award_propose(base=second, amount=Decimal("0.01"), basis="追加", by=city_staff)
    assert exc.value.code == "award_over_cap"
    assert "本次最多0.00元" in exc.value.message


def test_a_maximum_is_a_maximum_not_a_floor(zhuhai_policy, zhuhai_employer, city_staff):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(
        base=base, amount=Decimal("35000.00"), basis="吸纳8名妈妈", by=city_staff
    )
    assert award.amount == Decimal("35000.00")
    assert award.cap == Decimal("200000.00")
    cap = base_award_cap(base=base)
    assert (cap.used, cap.remaining) == (Decimal("35000.00"), Decimal("165000.00"))


def test_proposals_count_against_the_cap_and_a_rejection_frees_it(
    zhuhai_policy, zhuhai_employer, city_staff, checker
):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(base=base, amount=Decimal("150000.00"), basis="a", by=city_staff)
    with pytest.raises(DomainError):
        base_award_propose(base=base, amount=Decimal("60000.00"), basis="b", by=city_staff)

    base_award_decide(award=award, approve=False, note="材料不全", by=checker)
    base_award_propose(base=base, amount=Decimal("200000.00"), basis="c", by=city_staff)
    assert base_award_cap(base=base).remaining == Decimal("0.00")


def test_no_rate_row_for_the_year_means_no_award(zhuhai_policy, zhuhai_employer, city_staff):
    base = recognise(zhuhai_employer, city_staff)
    RateRow.objects.filter(policy=zhuhai_policy, recognition_year=1).update(
        valid_from=datetime.date(2026, 1, 1)
    )
    with pytest.raises(DomainError) as exc:
        base_award_propose(base=base, amount=Decimal("1.00"), basis="a", by=city_staff)
    assert exc.value.code == "no_rate_in_force"


def test_rate_rows_of_different_years_may_share_dates_but_not_overlap_within_a_year(
    zhuhai_policy,
):
    with pytest.raises(IntegrityError):
        RateRow.objects.create(
            policy=zhuhai_policy,
            valid_from=datetime.date(2025, 1, 1),
            kind=RateRow.Kind.PER_YEAR,
            amount=Decimal("1.00"),
            recognition_year=1,
        )


def test_the_proposer_cannot_approve_and_approval_then_payment(
    zhuhai_policy, zhuhai_employer, city_staff, checker
):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(base=base, amount=Decimal("5000.00"), basis="a", by=city_staff)
    with pytest.raises(DomainError) as exc:
        base_award_decide(award=award, approve=True, note="", by=city_staff)
    assert exc.value.code == "four_eyes"

    base_award_decide(award=award, approve=True, note="", by=checker)
    base_award_mark_paid(award=award, by=checker)
    award.refresh_from_db()
    assert award.status == BaseAward.Status.PAID
    assert award.paid_at is not None
    assert list(
        AuditEvent.objects.filter(object_id=str(award.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["base_award.proposed", "base_award.approved", "base_award.paid"]


def test_the_database_keeps_four_eyes_and_the_cap(zhuhai_policy, zhuhai_employer, city_staff):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(base=base, amount=Decimal("5000.00"), basis="a", by=city_staff)
    with pytest.raises(IntegrityError):
        BaseAward.objects.filter(pk=award.pk).update(
            status="approved", decided_by=city_staff, decided_at=timezone.now()
        )


def test_the_database_refuses_an_award_above_its_cap(zhuhai_policy, zhuhai_employer, city_staff):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(base=base, amount=Decimal("5000.00"), basis="a", by=city_staff)
    with pytest.raises(IntegrityError):
        BaseAward.objects.filter(pk=award.pk).update(amount=Decimal("200000.01"))


def test_a_revoked_base_gets_no_new_awards_nor_approvals(
    zhuhai_policy, zhuhai_employer, city_staff, checker
):
    base = recognise(zhuhai_employer, city_staff)
    award = base_award_propose(base=base, amount=Decimal("5000.00"), basis="a", by=city_staff)
    base_revoke(base=base, reason="弄虚作假", by=checker)
    with pytest.raises(DomainError):
        base_award_propose(base=base, amount=Decimal("1.00"), basis="a", by=city_staff)
    with pytest.raises(DomainError) as exc:
        base_award_decide(award=award, approve=True, note="", by=checker)
    assert exc.value.code == "base_not_active"
    base_award_decide(award=award, approve=False, note="认定已撤销", by=checker)


# ---------------------------------------------------------------------------
# Pages


def test_staff_recognise_propose_and_approve_through_the_pages(
    client, zhuhai_policy, zhuhai_employer, city_staff, checker
):
    client.force_login(city_staff)
    response = client.post(
        reverse("subsidies:staff-base-create"),
        {
            "uscc": zhuhai_employer.uscc.lower(),
            "region": Region.objects.get(code="440400").pk,
            "valid_from": START.isoformat(),
            "document_number": "珠人社〔2025〕1号",
        },
    )
    base = EmploymentBase.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("subsidies:staff-base-detail", args=[base.pk])

    response = client.post(
        reverse("subsidies:staff-base-award-propose", args=[base.pk]),
        {"amount": "250000.00", "basis": "吸纳50名妈妈"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "本次最多200,000.00元" in response.content.decode()
    client.post(
        reverse("subsidies:staff-base-award-propose", args=[base.pk]),
        {"amount": "180000.00", "basis": "吸纳50名妈妈"},
    )
    award = BaseAward.objects.get()

    page = client.get(reverse("subsidies:staff-base-detail", args=[base.pk])).content.decode()
    assert "等待另一位工作人员审批" in page
    assert reverse("subsidies:staff-base-award-decide", args=[award.pk]) not in page

    client.force_login(checker)
    page = client.get(reverse("subsidies:staff-base-detail", args=[base.pk])).content.decode()
    assert reverse("subsidies:staff-base-award-decide", args=[award.pk]) in page
    client.post(
        reverse("subsidies:staff-base-award-decide", args=[award.pk]), {"decision": "approve"}
    )
    award.refresh_from_db()
    assert (award.status, award.decided_by) == (BaseAward.Status.APPROVED, checker)


def test_the_create_form_names_a_wrong_credit_code(client, zhuhai_policy, city_staff, regions):
    other = listed_employer()  # in Shenzhen, outside her city
    client.force_login(city_staff)
    response = client.post(
        reverse("subsidies:staff-base-create"),
        {
            "uscc": other.uscc,
            "region": Region.objects.get(code="440400").pk,
            "valid_from": START.isoformat(),
            "document_number": "x",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "您辖区内没有这个统一社会信用代码的单位" in response.content.decode()


def test_district_staff_are_told_bases_are_recognised_by_cities(client, make_user, regions):
    client.force_login(staff_in(make_user, "440402"))
    page = client.get(reverse("subsidies:staff-base-create")).content.decode()
    assert "您的工作范围只到区县" in page


def test_staff_of_another_city_see_nothing(
    client, zhuhai_policy, zhuhai_employer, city_staff, make_user
):
    base = recognise(zhuhai_employer, city_staff)
    client.force_login(staff_in(make_user, "440300"))
    assert client.get(reverse("subsidies:staff-base-list")).context["bases"].count() == 0
    assert (
        client.get(reverse("subsidies:staff-base-detail", args=[base.pk])).status_code
        == HTTPStatus.NOT_FOUND
    )


def test_district_staff_see_the_bases_of_their_employers(
    client, zhuhai_policy, zhuhai_employer, city_staff, make_user
):
    base = recognise(zhuhai_employer, city_staff)
    client.force_login(staff_in(make_user, "440402"))
    response = client.get(reverse("subsidies:staff-base-detail", args=[base.pk]))
    assert response.status_code == HTTPStatus.OK


def test_employers_may_not_open_the_staff_pages(client, employer_member):
    client.force_login(employer_member)
    assert client.get(reverse("subsidies:staff-base-list")).status_code == HTTPStatus.FORBIDDEN


def test_the_list_takes_a_constant_number_of_queries(
    client, zhuhai_policy, city_staff, checker, regions
):
    def add(n):
        for _ in range(n):
            employer = listed_employer(employer__district=Region.objects.get(code="440402"))
            ListingPeriod.objects.filter(employer=employer).update(
                listed_from=datetime.date(2024, 1, 1)
            )
            base = recognise(employer, city_staff)
            base_award_propose(base=base, amount=Decimal("10.00"), basis="a", by=city_staff)

    client.force_login(checker)
    url = reverse("subsidies:staff-base-list")
    add(1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == HTTPStatus.OK
    add(4)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["bases"]) == 5
    assert len(large) == len(small)
    assert response.context["bases"][0].awarded == Decimal("10.00")
    assert response.context["bases"][0].cap == Decimal("200000.00")


def test_the_public_notice_lists_bases_in_force_without_personal_data(
    client, zhuhai_policy, zhuhai_employer, city_staff, checker
):
    base = recognise(zhuhai_employer, city_staff, valid_from=timezone.localdate())
    page = client.get(reverse("subsidies:publicity")).content.decode()
    assert base.name in page
    assert "第1年" in page
    assert (
        client.get(reverse("subsidies:publicity"), {"region": "440400"}).context["bases"].count()
        == 1
    )
    assert (
        client.get(reverse("subsidies:publicity"), {"region": "440300"}).context["bases"].count()
        == 0
    )
    base_revoke(base=base, reason="x", by=checker)
    assert base.name not in client.get(reverse("subsidies:publicity")).content.decode()


def test_an_employer_sees_its_own_bases_and_awards_only(
    client, zhuhai_policy, zhuhai_employer, city_staff, make_user
):
    from tests.employers.factories import MembershipFactory

    base = recognise(zhuhai_employer, city_staff)
    base_award_propose(base=base, amount=Decimal("12345.00"), basis="a", by=city_staff)
    member = make_user("employer_member")
    MembershipFactory(user=member, employer=zhuhai_employer)
    client.force_login(member)
    page = client.get(reverse("subsidies:employer-base-list")).content.decode()
    assert base.name in page
    assert "12,345.00" in page

    other = make_user("employer_member")
    MembershipFactory(user=other, employer=listed_employer())
    client.force_login(other)
    page = client.get(reverse("subsidies:employer-base-list")).content.decode()
    assert base.name not in page
    assert "还没有被认定" in page


def test_base_award_policies_are_never_run_as_claim_lines(zhuhai_policy):
    from subsidies.services import run_start

    with pytest.raises(DomainError) as exc:
        run_start(policy=zhuhai_policy, month=datetime.date(2025, 3, 1))
    assert exc.value.code == "base_award_not_run"
