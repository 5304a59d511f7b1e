"""Fraud signals: the nightly scan, staff decisions, and the suspicion pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant
from applicants.services import employment_create
from employers.models import Employer, ListingPeriod, RegistryEntry
from employers.services.registry import registry_entry_remove, registry_entry_suspend
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import (
    Claim,
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    RateRow,
    SubsidyPolicy,
    Suspicion,
)
from subsidies.services import claim_submit_for_employer
from subsidies.services.suspicions import suspicion_decide, suspicions_scan
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

Kind = Suspicion.Kind
LONG_AGO = datetime.date(2024, 1, 1)


def today() -> datetime.date:
    return timezone.localdate()


def months_ago(n: int) -> datetime.date:
    """The 1st of the month `n` months before the current one."""
    return add_months(today().replace(day=1), -n)


def scan(**kwargs) -> dict[str, int]:
    return suspicions_scan(today=today(), **kwargs)


def of_kind(kind: str) -> list[Suspicion]:
    return list(Suspicion.objects.filter(kind=kind).order_by("pk"))


def staff_in(make_user, code: str):
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


class Employers:
    """Listed employers in Bao'an with a member each, and their mothers."""

    def __init__(self, make_user, *, policy: SubsidyPolicy):
        self.make_user = make_user
        self.policy = policy
        self.members: dict[int, object] = {}

    def employer(self, *, listed: bool = True, code: str = "440306") -> Employer:
        district = Region.objects.get(code=code)
        if listed:
            employer = listed_employer(employer=EmployerFactory(district=district))
            ListingPeriod.objects.filter(employer=employer).update(listed_from=LONG_AGO)
        else:
            employer = EmployerFactory(district=district)
        member = self.make_user("employer_member")
        MembershipFactory(user=member, employer=employer)
        self.members[employer.pk] = member
        return employer

    def mother(self, name: str = "李晓梅", *, district: str = "440306") -> Applicant:
        id_number = make_ric(datetime.date(1990, 6, 15), district)
        mother = make_mother(full_name=name, id_number=id_number, district=district)
        mother.test_id_number = id_number
        return mother

    def hire(self, employer: Employer, mother: Applicant, *, start=LONG_AGO, **fields) -> None:
        employment_create(
            employer=employer,
            applicant=mother,
            registered_by=self.members[employer.pk],
            start_date=start,
            employment_form="part_time_hourly",
            **fields,
        )

    def claim(self, employer: Employer, months: list[datetime.date], **kwargs) -> list[ClaimLine]:
        claim = claim_submit_for_employer(
            employer=employer, submitted_by=self.members[employer.pk], months=months, **kwargs
        )
        return list(claim.lines.order_by("pk"))


@pytest.fixture
def world(shenzhen_guangzhou, make_user) -> Employers:
    policy = make_policy(requires_contribution=False, valid_from=datetime.date(2022, 1, 1))
    return Employers(make_user, policy=policy)


@pytest.fixture
def baoan_staff(shenzhen_guangzhou, make_user):
    return staff_in(make_user, "440306")


@pytest.fixture
def tianhe_staff(shenzhen_guangzhou, make_user):
    return staff_in(make_user, "440106")


def two_employers_claim_one_mother(world: Employers) -> tuple[Applicant, list[ClaimLine]]:
    first, second = world.employer(), world.employer()
    mother = world.mother()
    world.hire(first, mother)
    world.hire(second, mother, start=datetime.date(2024, 2, 1))
    lines = world.claim(first, [months_ago(1)]) + world.claim(second, [months_ago(1)])
    return mother, lines


# ---------------------------------------------------------------------------
# The scan, kind by kind


def test_scan_raises_multi_employer_claims_for_a_rejected_duplicate(world):
    mother, lines = two_employers_claim_one_mother(world)
    assert [line.status for line in lines] == ["open", "rejected"]

    created = scan()

    assert created[Kind.MULTI_EMPLOYER_CLAIMS] == 1
    (suspicion,) = of_kind(Kind.MULTI_EMPLOYER_CLAIMS)
    assert suspicion.key == f"a{mother.pk}:m{months_ago(1):%Y-%m}"
    assert suspicion.applicant == mother
    assert suspicion.month == months_ago(1)
    assert suspicion.region.code == "440306"
    assert suspicion.status == Suspicion.Status.OPEN
    assert sorted(suspicion.details["employers"]) == sorted({line.employer_id for line in lines})
    assert suspicion.details["lines"] == [line.pk for line in lines]


def test_scan_raises_no_multi_employer_claims_for_one_employer(world):
    employer = world.employer()
    mother = world.mother()
    world.hire(employer, mother)
    world.claim(employer, [months_ago(2), months_ago(1)])

    assert scan()[Kind.MULTI_EMPLOYER_CLAIMS] == 0
    assert of_kind(Kind.MULTI_EMPLOYER_CLAIMS) == []


def test_scan_ignores_multi_employer_claims_older_than_twelve_months(world):
    first, second = world.employer(), world.employer()
    mother = world.mother()
    world.hire(first, mother)
    world.hire(second, mother, start=datetime.date(2024, 2, 1))
    old = months_ago(13)
    world.claim(first, [old])
    world.claim(second, [old])

    assert scan()[Kind.MULTI_EMPLOYER_CLAIMS] == 0


def _headcount(world: Employers, *, joiners: int) -> Employer:
    """One person claimed for three months, then `joiners` more in the last month."""
    employer = world.employer()
    regular = world.mother("老员工")
    world.hire(employer, regular)
    world.claim(employer, [months_ago(4), months_ago(3), months_ago(2)])
    for i in range(joiners):
        world.hire(employer, world.mother(f"新员工{i}"))
    world.claim(employer, [months_ago(1)])
    return employer


def test_scan_raises_headcount_jump_at_three_times_and_five_more(world):
    employer = _headcount(world, joiners=6)  # 7 people against an average of 1

    created = scan()

    assert created[Kind.HEADCOUNT_JUMP] == 1
    (suspicion,) = of_kind(Kind.HEADCOUNT_JUMP)
    assert suspicion.key == f"e{employer.pk}:m{months_ago(1):%Y-%m}"
    assert suspicion.employer == employer
    assert suspicion.region == employer.district
    assert suspicion.details["count"] == 7
    assert suspicion.details["previous"] == [1, 1, 1]
    assert len(suspicion.details["lines"]) == 7


def test_scan_raises_no_headcount_jump_below_five_more(world):
    _headcount(world, joiners=4)  # 5 people: three times the average but only 4 more

    assert scan()[Kind.HEADCOUNT_JUMP] == 0


def test_scan_raises_no_headcount_jump_for_an_employers_first_month(world):
    employer = world.employer()
    for i in range(8):
        world.hire(employer, world.mother(f"员工{i}"))
    world.claim(employer, [months_ago(1)])

    assert scan()[Kind.HEADCOUNT_JUMP] == 0


def test_scan_raises_no_headcount_jump_when_a_second_month_matches_the_first(world):
    employer = world.employer()
    for i in range(8):
        world.hire(employer, world.mother(f"员工{i}"))
    world.claim(employer, [months_ago(2)])
    world.claim(employer, [months_ago(1)])

    assert scan()[Kind.HEADCOUNT_JUMP] == 0


def test_scan_raises_headcount_jump_against_the_months_since_the_first(world):
    employer = world.employer()
    regular = world.mother("老员工")
    world.hire(employer, regular)
    world.claim(employer, [months_ago(2)])
    for i in range(5):
        world.hire(employer, world.mother(f"新员工{i}"))
    world.claim(employer, [months_ago(1)])  # 6 against 1 (one month of history)

    assert scan()[Kind.HEADCOUNT_JUMP] == 1
    (suspicion,) = of_kind(Kind.HEADCOUNT_JUMP)
    assert (suspicion.details["months"], suspicion.details["previous"]) == (1, [1])


def test_scan_raises_headcount_jump_after_months_without_lines(world):
    employer = world.employer()
    regular = world.mother("老员工")
    world.hire(employer, regular)
    world.claim(employer, [months_ago(8)])
    for i in range(4):
        world.hire(employer, world.mother(f"新员工{i}"))
    world.claim(employer, [months_ago(1)])  # 5 against an average of 0

    assert scan()[Kind.HEADCOUNT_JUMP] == 1
    (suspicion,) = of_kind(Kind.HEADCOUNT_JUMP)
    assert (suspicion.details["previous"], suspicion.details["average"]) == ([0, 0, 0], 0)


def test_scan_raises_headcount_jump_after_lines_older_than_the_window(world):
    employer = world.employer()
    world.hire(employer, world.mother("老员工"))
    world.claim(employer, [months_ago(16)])
    for i in range(4):
        world.hire(employer, world.mother(f"新员工{i}"))
    world.claim(employer, [months_ago(1)])  # not its first month: it claimed long ago

    assert scan()[Kind.HEADCOUNT_JUMP] == 1
    (suspicion,) = of_kind(Kind.HEADCOUNT_JUMP)
    assert suspicion.details["months"] == 3


def test_scan_raises_hire_before_claim_within_thirty_days(world):
    employer = world.employer()
    mother, veteran = world.mother("新入职"), world.mother("老员工")
    start = months_ago(1) + datetime.timedelta(days=19)
    world.hire(employer, mother, start=start)
    world.hire(employer, veteran)
    submitted = datetime.datetime.combine(
        months_ago(0) + datetime.timedelta(days=4),
        datetime.time(10),
        tzinfo=timezone.get_current_timezone(),
    )
    lines = world.claim(employer, [months_ago(1)], now=submitted)
    employment = mother.employments.get()

    created = scan()

    assert created[Kind.HIRE_BEFORE_CLAIM] == 1
    (suspicion,) = of_kind(Kind.HIRE_BEFORE_CLAIM)
    assert suspicion.key == f"emp{employment.pk}:c{lines[0].claim_id}"
    assert (suspicion.applicant, suspicion.employer) == (mother, employer)
    assert suspicion.details["days"] == (submitted.date() - start).days
    assert suspicion.details["lines"] == [line.pk for line in lines if line.applicant == mother]


def test_scan_raises_no_hire_before_claim_for_long_employed_people(world):
    employer = world.employer()
    world.hire(employer, world.mother())
    world.claim(employer, [months_ago(1)])

    assert scan()[Kind.HIRE_BEFORE_CLAIM] == 0


def _contribution(mother: Applicant, employer: Employer, month: datetime.date, by) -> None:
    source = ContributionImport.objects.create(
        region=employer.district,
        file_name="2026.csv",
        sha256=f"{mother.pk:064d}",
        row_count=1,
        created_count=1,
        imported_by=by,
    )
    ContributionRecord.objects.create(
        person_hash=mother.id_number_hash,
        month=month,
        employer_uscc=employer.uscc,
        insurance_types=["pension"],
        employer_amount=Decimal("800.00"),
        person_amount=Decimal("300.00"),
        source=source,
    )


def test_scan_raises_no_contribution_per_employer_and_month(shenzhen_guangzhou, make_user):
    world = Employers(make_user, policy=make_policy(requires_contribution=True))
    employer = world.employer()
    paid, unpaid = world.mother("有缴费"), world.mother("无缴费")
    for mother in (paid, unpaid):
        world.hire(employer, mother)
    _contribution(paid, employer, months_ago(1), make_user("bureau_staff"))
    lines = world.claim(employer, [months_ago(1)])
    assert {line.applicant_id: "no_contribution_record" in line.reasons for line in lines} == {
        paid.pk: False,
        unpaid.pk: True,
    }

    created = scan()

    assert created[Kind.NO_CONTRIBUTION] == 1
    (suspicion,) = of_kind(Kind.NO_CONTRIBUTION)
    assert suspicion.key == f"e{employer.pk}:m{months_ago(1):%Y-%m}"
    assert suspicion.details["count"] == 1
    assert suspicion.details["lines"] == [line.pk for line in lines if line.applicant == unpaid]


def test_scan_raises_no_no_contribution_when_the_policy_does_not_require_it(world):
    employer = world.employer()
    world.hire(employer, world.mother())
    world.claim(employer, [months_ago(1)])

    assert scan()[Kind.NO_CONTRIBUTION] == 0


def test_scan_raises_no_no_contribution_for_a_share_rate_without_the_requirement(
    shenzhen_guangzhou, make_user
):
    # A share of the actual contribution needs a record to compute an amount, so such lines
    # carry the reason too; only a policy that requires the record makes it a signal.
    policy = make_policy(requires_contribution=False)
    policy.rates.update(
        kind=RateRow.Kind.CONTRIBUTION_SHARE, amount=None, share=Decimal("0.5"), cap=Decimal("500")
    )
    world = Employers(make_user, policy=policy)
    employer = world.employer()
    world.hire(employer, world.mother())
    (line,) = world.claim(employer, [months_ago(1)])
    assert "no_contribution_record" in line.reasons

    assert scan()[Kind.NO_CONTRIBUTION] == 0


def test_scan_raises_delisted_pending_when_the_listing_ended(world, baoan_staff):
    employer = world.employer()
    world.hire(employer, world.mother())
    lines = world.claim(employer, [months_ago(1)])
    entry = RegistryEntry.objects.get(employer=employer)
    registry_entry_suspend(entry=entry, decided_by=baoan_staff, reason="经营异常")

    created = scan()

    assert created[Kind.DELISTED_PENDING] == 1
    (suspicion,) = of_kind(Kind.DELISTED_PENDING)
    assert suspicion.key == f"e{employer.pk}:until{today():%Y-%m-%d}"
    assert suspicion.details["count"] == 1
    assert suspicion.details["lines"] == [lines[0].pk]
    assert suspicion.details["listed_until"] == today().isoformat()


def test_scan_raises_delisted_pending_when_removed_from_the_registry(world, baoan_staff):
    employer = world.employer()
    world.hire(employer, world.mother())
    world.claim(employer, [months_ago(1)])
    entry = RegistryEntry.objects.get(employer=employer)
    registry_entry_remove(entry=entry, decided_by=baoan_staff, reason="不再符合条件")
    # Even were its listing still open, the removal alone is the signal.
    ListingPeriod.objects.filter(employer=employer).update(listed_until=None)

    assert scan()[Kind.DELISTED_PENDING] == 1
    (suspicion,) = of_kind(Kind.DELISTED_PENDING)
    assert suspicion.key == f"e{employer.pk}:untilnone"
    assert suspicion.details["registry_status"] == "removed"


def test_scan_raises_no_delisted_pending_while_listed_or_ending_later(world):
    listed, ending = world.employer(), world.employer()
    for employer in (listed, ending):
        world.hire(employer, world.mother())
        world.claim(employer, [months_ago(1)])
    ListingPeriod.objects.filter(employer=ending).update(
        listed_until=today() + datetime.timedelta(days=10)
    )

    assert scan()[Kind.DELISTED_PENDING] == 0


def test_scan_raises_no_delisted_pending_without_unpaid_lines(world, baoan_staff):
    employer = world.employer()
    world.hire(employer, world.mother())
    (line,) = world.claim(employer, [months_ago(1)])
    ClaimLine.objects.filter(pk=line.pk).update(status=ClaimLine.Status.REJECTED)
    entry = RegistryEntry.objects.get(employer=employer)
    registry_entry_suspend(entry=entry, decided_by=baoan_staff, reason="经营异常")

    assert scan()[Kind.DELISTED_PENDING] == 0


def test_scan_raises_many_employers_for_three_current_employments(world):
    mother = world.mother(district="440106")
    employers = [world.employer(listed=False) for _ in range(3)]
    for employer in employers:
        world.hire(employer, mother)

    created = scan()

    assert created[Kind.MANY_EMPLOYERS] == 1
    (suspicion,) = of_kind(Kind.MANY_EMPLOYERS)
    assert suspicion.key == f"a{mother.pk}:d{today():%Y-%m}"
    assert suspicion.region.code == "440106"  # where she lives
    assert sorted(suspicion.details["employers"]) == [e.pk for e in employers]
    assert suspicion.details["count"] == 3


def test_scan_raises_no_many_employers_when_one_employment_ended(world):
    mother = world.mother()
    employers = [world.employer(listed=False) for _ in range(3)]
    for employer in employers[:2]:
        world.hire(employer, mother)
    world.hire(employers[2], mother, end_date=today() - datetime.timedelta(days=1))

    assert scan()[Kind.MANY_EMPLOYERS] == 0


# ---------------------------------------------------------------------------
# The scan as a whole


def _every_kind(world: Employers, staff) -> None:
    two_employers_claim_one_mother(world)
    _headcount(world, joiners=6)
    busy = world.mother("多处就业")
    for _ in range(3):
        world.hire(world.employer(listed=False), busy)
    delisted = world.employer()
    world.hire(delisted, world.mother("待审"))
    world.claim(delisted, [months_ago(1)])
    entry = RegistryEntry.objects.get(employer=delisted)
    registry_entry_suspend(entry=entry, decided_by=staff, reason="经营异常")


def test_scan_twice_creates_nothing_new(world, baoan_staff):
    _every_kind(world, baoan_staff)
    first = scan()
    assert first[Kind.MULTI_EMPLOYER_CLAIMS] == 1
    assert first[Kind.HEADCOUNT_JUMP] == 1
    assert first[Kind.MANY_EMPLOYERS] == 1
    assert first[Kind.DELISTED_PENDING] == 1
    count = Suspicion.objects.count()

    second = scan()

    assert second == dict.fromkeys(first, 0)
    assert Suspicion.objects.count() == count


def test_scan_never_raises_a_dismissed_suspicion_again(world, baoan_staff):
    mother, _lines = two_employers_claim_one_mother(world)
    scan()
    (suspicion,) = of_kind(Kind.MULTI_EMPLOYER_CLAIMS)
    suspicion_decide(
        suspicion=suspicion, by=baoan_staff, status="dismissed", note="已核实：前单位已离职"
    )
    # The data still matches, and a new month matches too.
    employers = Employer.objects.filter(employments__applicant=mother).order_by("pk")
    world.claim(employers[0], [months_ago(2)])
    world.claim(employers[1], [months_ago(2)])

    created = scan()

    assert created[Kind.MULTI_EMPLOYER_CLAIMS] == 1
    suspicions = of_kind(Kind.MULTI_EMPLOYER_CLAIMS)
    assert [(s.month, s.status) for s in suspicions] == [
        (months_ago(1), Suspicion.Status.DISMISSED),
        (months_ago(2), Suspicion.Status.OPEN),
    ]


def test_scan_limited_to_a_region(world, baoan_staff):
    _every_kind(world, baoan_staff)

    tianhe = scan(region=Region.objects.get(code="440106"))
    assert sum(tianhe.values()) == 0
    assert Suspicion.objects.count() == 0

    shenzhen = scan(region=Region.objects.get(code="440300"))
    assert shenzhen[Kind.MULTI_EMPLOYER_CLAIMS] == 1
    assert {s.region.code[:4] for s in Suspicion.objects.all()} == {"4403"}


def _scan_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        scan()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("people", [2, 8])
def test_scan_runs_a_fixed_number_of_queries(world, baoan_staff, people, django_assert_num_queries):
    first, second = world.employer(), world.employer()
    for i in range(people):
        mother = world.mother(f"员工{i}")
        world.hire(first, mother)
        world.hire(second, mother)
        world.hire(world.employer(listed=False), mother)
    world.claim(first, [months_ago(2), months_ago(1)])
    world.claim(second, [months_ago(1)])

    # A savepoint pair around one INSERT ... SELECT per kind, however many people.
    with django_assert_num_queries(len(Kind.choices) + 2):
        created = scan()

    assert created[Kind.MULTI_EMPLOYER_CLAIMS] == people
    assert created[Kind.MANY_EMPLOYERS] == people


# ---------------------------------------------------------------------------
# Deciding


@pytest.fixture
def raised(world) -> Suspicion:
    two_employers_claim_one_mother(world)
    scan()
    return Suspicion.objects.get(kind=Kind.MULTI_EMPLOYER_CLAIMS)


@pytest.mark.parametrize("status", ["confirmed", "dismissed"])
def test_suspicion_decide_records_who_why_and_audits(raised, baoan_staff, status):
    suspicion = suspicion_decide(
        suspicion=raised, by=baoan_staff, status=status, note="  电话核实，确有挂名  "
    )

    suspicion.refresh_from_db()
    assert suspicion.status == status
    assert suspicion.note == "电话核实，确有挂名"
    assert suspicion.decided_by == baoan_staff
    assert suspicion.decided_at is not None
    event = AuditEvent.objects.get(action=f"suspicion.{status}")
    assert event.actor == baoan_staff


def _refused(suspicion: Suspicion, **kwargs) -> str:
    with pytest.raises(DomainError) as excinfo:
        suspicion_decide(suspicion=suspicion, **kwargs)
    suspicion.refresh_from_db()
    assert suspicion.status == Suspicion.Status.OPEN
    assert not AuditEvent.objects.filter(action__startswith="suspicion.").exists()
    return excinfo.value.code


def test_suspicion_decide_needs_a_note(raised, baoan_staff):
    assert _refused(raised, by=baoan_staff, status="dismissed", note=" ") == (
        "suspicion_note_required"
    )


def test_suspicion_decide_refuses_staff_of_other_regions(raised, tianhe_staff):
    assert _refused(raised, by=tianhe_staff, status="dismissed", note="无") == (
        "suspicion_out_of_scope"
    )


def test_suspicion_decide_needs_the_review_permission(raised, make_user):
    user = make_user()
    user.user_permissions.add(
        Permission.objects.get(codename="use_staff_workspace", content_type__app_label="accounts")
    )
    staff_scope_grant(user=user, region=Region.objects.get(code="440306"), granted_by=None)

    assert _refused(raised, by=user, status="dismissed", note="无") == "suspicion_no_permission"


def test_suspicion_decide_refuses_open_as_a_decision(raised, baoan_staff):
    assert _refused(raised, by=baoan_staff, status="open", note="无") == "suspicion_bad_status"


def test_suspicion_decide_refuses_a_decided_one(raised, baoan_staff, make_user):
    suspicion_decide(suspicion=raised, by=baoan_staff, status="confirmed", note="确认")
    colleague = staff_in(make_user, "440300")

    with pytest.raises(DomainError) as excinfo:
        suspicion_decide(suspicion=raised, by=colleague, status="dismissed", note="改为排除")

    assert excinfo.value.code == "suspicion_not_open"
    raised.refresh_from_db()
    assert (raised.status, raised.decided_by) == ("confirmed", baoan_staff)


# ---------------------------------------------------------------------------
# Pages


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _urls(suspicion: Suspicion) -> list[tuple[str, str]]:
    return [
        ("get", reverse("subsidies:staff-suspicion-list")),
        ("get", reverse("subsidies:staff-suspicion-detail", args=[suspicion.pk])),
        ("post", reverse("subsidies:staff-suspicion-decide", args=[suspicion.pk])),
    ]


@pytest.mark.parametrize("role", ["employer_member", "applicant"])
def test_suspicion_pages_refuse_employer_and_applicant_users(client, raised, make_user, role):
    client.force_login(make_user(role))

    for method, url in _urls(raised):
        response = getattr(client, method)(url, {"status": "dismissed", "note": "x"})
        assert response.status_code == HTTPStatus.FORBIDDEN, url

    raised.refresh_from_db()
    assert raised.status == Suspicion.Status.OPEN


def test_suspicion_pages_hide_suspicions_of_other_regions(client, raised, tianhe_staff):
    client.force_login(tianhe_staff)

    listing = client.get(reverse("subsidies:staff-suspicion-list"))
    assert list(listing.context["suspicions"]) == []
    assert raised.applicant.full_name not in listing.content.decode()
    for method, url in _urls(raised)[1:]:
        response = getattr(client, method)(url, {"status": "dismissed", "note": "x"})
        assert response.status_code == HTTPStatus.NOT_FOUND, url

    raised.refresh_from_db()
    assert raised.status == Suspicion.Status.OPEN


def test_suspicion_list_shows_open_oldest_first_masked_with_counts(
    client, world, baoan_staff, make_user
):
    _every_kind(world, baoan_staff)
    scan()
    decided = Suspicion.objects.get(kind=Kind.HEADCOUNT_JUMP)
    suspicion_decide(suspicion=decided, by=baoan_staff, status="dismissed", note="季节性招工")
    oldest = Suspicion.objects.get(kind=Kind.DELISTED_PENDING)
    Suspicion.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-suspicion-list")

    response = client.get(url)

    shown = list(response.context["suspicions"])
    assert shown[0].pk == oldest.pk
    assert shown[-1].pk == decided.pk  # decided ones after every open one
    assert [s.status for s in shown].count("open") == len(shown) - 1
    html = response.content.decode()
    multi = Suspicion.objects.get(kind=Kind.MULTI_EMPLOYER_CLAIMS)
    assert multi.applicant.id_number_masked in html
    assert not re.search(r"\d{17}[\dX]", html)  # no full ID number anywhere
    assert "被 2 家单位同时申报" in html
    kinds = {t["value"]: t["count"] for t in response.context["kind_tabs"]}
    assert kinds[None] == Suspicion.objects.filter(region__code__startswith="440306").count()
    assert kinds[Kind.HEADCOUNT_JUMP] == 1

    open_only = client.get(url, {"status": "open"})
    assert decided.pk not in {s.pk for s in open_only.context["suspicions"]}
    kinds = {t["value"]: t["count"] for t in open_only.context["kind_tabs"]}
    assert kinds[Kind.HEADCOUNT_JUMP] == 0

    one_kind = client.get(url, {"kind": Kind.MULTI_EMPLOYER_CLAIMS})
    assert [s.pk for s in one_kind.context["suspicions"]] == [multi.pk]
    statuses = {t["value"]: t["count"] for t in one_kind.context["status_tabs"]}
    assert statuses == {None: 1, "open": 1, "confirmed": 0, "dismissed": 0}

    bad = client.get(url, {"kind": "nonsense"})
    assert bad.status_code == HTTPStatus.OK
    assert list(bad.context["suspicions"]) == []


def test_suspicion_list_query_count_is_independent_of_row_count(client, world, baoan_staff):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("subsidies:staff-suspicion-list")).status_code == 200
        return len(ctx.captured_queries)

    two_employers_claim_one_mother(world)
    busy = world.mother("多处就业")
    for _ in range(3):
        world.hire(world.employer(listed=False), busy)
    scan()
    assert Suspicion.objects.count() == 2
    client.force_login(baoan_staff)
    two = queries()

    for i in range(6):
        mother = world.mother(f"员工{i}")
        for _ in range(3):
            world.hire(world.employer(listed=False), mother)
    scan()
    assert Suspicion.objects.count() == 8

    assert queries() == two


def test_suspicion_detail_explains_and_links_the_lines(client, world, baoan_staff):
    mother, lines = two_employers_claim_one_mother(world)
    scan()
    suspicion = Suspicion.objects.get(kind=Kind.MULTI_EMPLOYER_CLAIMS)
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-suspicion-detail", args=[suspicion.pk]))

    html = response.content.decode()
    assert "同一人员同月被多家单位申报" in html
    assert "被 2 家单位同时申报" in html
    assert "被驳回的重复申报也计算在内" in html
    for line in lines:
        assert reverse("subsidies:staff-line-detail", args=[line.pk]) in html
        assert line.employer.name in html
    assert mother.id_number_masked in html
    assert mother.test_id_number not in html
    assert "确认疑点" in html
    assert "排除疑点" in html


def test_suspicion_detail_notes_lines_outside_the_scope(client, world, make_user):
    _mother, lines = two_employers_claim_one_mother(world)
    scan()
    suspicion = Suspicion.objects.get(kind=Kind.MULTI_EMPLOYER_CLAIMS)
    # One of the claims was filed in another district (moved there since).
    Claim.objects.filter(pk=lines[1].claim_id).update(region=Region.objects.get(code="440106"))
    client.force_login(staff_in(make_user, "440306"))

    response = client.get(reverse("subsidies:staff-suspicion-detail", args=[suspicion.pk]))

    assert [line.pk for line in response.context["evidence"].lines] == [lines[0].pk]
    assert "另有 1 条明细不在您的辖区内" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.HEADCOUNT_JUMP, "此前 3 个月平均 1.0 人"),
        (Kind.MANY_EMPLOYERS, "目前同时在 3 家单位有就业登记"),
        (Kind.DELISTED_PENDING, "仍有 1 条待审核或待发放的明细"),
        (Kind.DELISTED_PENDING, "暂停"),
    ],
)
def test_suspicion_detail_describes_each_kind(client, world, baoan_staff, kind, text):
    _every_kind(world, baoan_staff)
    scan()
    suspicion = Suspicion.objects.get(kind=kind)
    client.force_login(staff_in(world.make_user, "440300"))

    response = client.get(reverse("subsidies:staff-suspicion-detail", args=[suspicion.pk]))

    assert response.status_code == HTTPStatus.OK
    assert text in response.content.decode()


def _detail_queries(client, suspicion: Suspicion) -> int:
    with CaptureQueriesContext(connection) as ctx:
        url = reverse("subsidies:staff-suspicion-detail", args=[suspicion.pk])
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_suspicion_detail_query_count_is_independent_of_line_count(client, world, baoan_staff):
    small = _headcount(world, joiners=6)
    big = world.employer()
    regular = world.mother("老员工乙")
    world.hire(big, regular)
    world.claim(big, [months_ago(4), months_ago(3), months_ago(2)])
    for i in range(12):
        world.hire(big, world.mother(f"乙{i}"))
    world.claim(big, [months_ago(1)])
    scan()
    client.force_login(baoan_staff)
    few = Suspicion.objects.get(kind=Kind.HEADCOUNT_JUMP, employer=small)
    many = Suspicion.objects.get(kind=Kind.HEADCOUNT_JUMP, employer=big)
    assert (len(few.details["lines"]), len(many.details["lines"])) == (7, 13)

    assert _detail_queries(client, few) == _detail_queries(client, many)


def test_suspicion_decide_page_dismisses_with_a_note(client, raised, baoan_staff):
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-suspicion-decide", args=[raised.pk])

    response = client.post(url, {"status": "dismissed", "note": "已核实为离职交接"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("subsidies:staff-suspicion-detail", args=[raised.pk])
    raised.refresh_from_db()
    assert (raised.status, raised.note, raised.decided_by) == (
        "dismissed",
        "已核实为离职交接",
        baoan_staff,
    )
    assert "已排除该疑点，以后不会再次提示。" in _messages(response)
    page = client.get(response["Location"]).content.decode()
    assert "已核实为离职交接" in page
    assert "确认疑点" not in page


def test_suspicion_decide_page_refuses_without_a_note(client, raised, baoan_staff):
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-suspicion-decide", args=[raised.pk])

    response = client.post(url, {"status": "confirmed", "note": ""})

    assert response.status_code == HTTPStatus.FOUND
    assert "请选择确认或排除，并填写核查意见。" in _messages(response)
    raised.refresh_from_db()
    assert raised.status == Suspicion.Status.OPEN


def test_suspicion_decide_page_shows_a_refusal(client, raised, baoan_staff, make_user):
    suspicion_decide(suspicion=raised, by=baoan_staff, status="confirmed", note="确认")
    client.force_login(staff_in(make_user, "440306"))
    url = reverse("subsidies:staff-suspicion-decide", args=[raised.pk])

    response = client.post(url, {"status": "dismissed", "note": "改为排除"})

    assert "该疑点已核查。" in _messages(response)
    raised.refresh_from_db()
    assert raised.status == Suspicion.Status.CONFIRMED


def test_staff_nav_links_the_suspicions(client, raised, baoan_staff):
    client.force_login(baoan_staff)

    html = client.get(reverse("subsidies:staff-line-queue")).content.decode()

    assert f'href="{reverse("subsidies:staff-suspicion-list")}"' in html
