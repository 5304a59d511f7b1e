"""Payment batches (公示, approval, export with control totals, paid) and recoveries."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, Child
from applicants.services import employment_create
from employers.models import Employer, ListingPeriod
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import ClaimLine, PaymentBatch, Recovery, SubsidyPolicy
from subsidies.services import (
    claim_submit_for_employer,
    claim_submit_for_person,
    line_approve,
    line_redecide,
    line_reject,
)
from subsidies.services.payments import (
    batch_approve,
    batch_create,
    batch_export,
    batch_mark_paid,
    recoveries_propose,
    recovery_decide,
)
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

LISTED_SINCE = datetime.date(2025, 1, 1)
EMPLOYED_SINCE = datetime.date(2025, 1, 1)


def months_ago(n: int) -> datetime.date:
    """The 1st of the month `n` months before the current one."""
    return add_months(timezone.localdate().replace(day=1), -n)


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def staff_in(make_user, code: str):
    """A bureau staff member whose scope is the region `code`."""
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


def employer_in(code: str, name: str) -> Employer:
    employer = listed_employer(
        employer=EmployerFactory(district=Region.objects.get(code=code), name=name)
    )
    ListingPeriod.objects.filter(employer=employer).update(listed_from=LISTED_SINCE)
    return employer


def mother(name: str, code: str = "440306") -> Applicant:
    """A mother (child born 2019-03, verified); her full ID is kept on `.test_id_number`."""
    id_number = make_ric(datetime.date(1990, 6, 15), code)
    person = make_mother(full_name=name, id_number=id_number, district=code)
    person.test_id_number = id_number
    return person


@dataclass
class World:
    """
    A district's policy, listed employers with their members and mothers,
    and three bureau staff of the district: `reviewer` approves lines,
    `maker` makes batches, `checker` approves them.
    """

    region: str
    policy: SubsidyPolicy
    make_user: object
    reviewer: object
    maker: object
    checker: object
    employers: dict[str, tuple[Employer, object]] = field(default_factory=dict)
    mothers: dict[str, Applicant] = field(default_factory=dict)

    def hire(self, employer_name: str, *names: str) -> None:
        if employer_name not in self.employers:
            employer = employer_in(self.region, employer_name)
            member = self.make_user("employer_member")
            MembershipFactory(user=member, employer=employer)
            self.employers[employer_name] = (employer, member)
        employer, member = self.employers[employer_name]
        for name in names:
            person = self.mothers.get(name) or mother(name, self.region)
            self.mothers[name] = person
            employment_create(
                employer=employer,
                applicant=person,
                registered_by=member,
                start_date=EMPLOYED_SINCE,
                employment_form="part_time_hourly",
            )

    def approved_lines(self, employer_name: str, month: datetime.date | None = None):
        """Claim `month` (default last month) for the employer's people and approve the lines."""
        employer, member = self.employers[employer_name]
        claim = claim_submit_for_employer(
            employer=employer, submitted_by=member, months=[month or months_ago(1)]
        )
        return [
            line_approve(line=line, by=self.reviewer)
            for line in ClaimLine.objects.filter(claim=claim).order_by("pk")
        ]

    def approved_person_line(self, name: str, month: datetime.date | None = None) -> ClaimLine:
        """A flexible worker's own claim for `month`, approved."""
        person = self.mothers.get(name) or mother(name, self.region)
        self.mothers[name] = person
        claim = claim_submit_for_person(
            applicant=person, submitted_by=person.user, months=[month or months_ago(1)]
        )
        return line_approve(line=claim.lines.get(), by=self.reviewer)


def build_world(make_user, region: str = "440306", **policy_fields) -> World:
    policy_fields.setdefault("requires_contribution", False)
    policy_fields.setdefault("max_months", 12)
    policy_fields.setdefault("publicity_days", 5)
    policy = make_policy(region=region, **policy_fields)
    return World(
        region=region,
        policy=policy,
        make_user=make_user,
        reviewer=staff_in(make_user, region),
        maker=staff_in(make_user, region),
        checker=staff_in(make_user, region),
    )


@pytest.fixture
def world(shenzhen_guangzhou, make_user) -> World:
    world = build_world(make_user)
    world.hire("宝安甲科技有限公司", "李晓梅", "王芳")
    return world


@pytest.fixture
def person_policy(world) -> SubsidyPolicy:
    return make_policy(
        region="440306",
        type_code="flexible_social_insurance",
        requires_contribution=False,
        max_months=12,
        publicity_days=3,
    )


def approved_batch(world: World, **kwargs) -> PaymentBatch:
    """A batch made 10 days ago (its notice is over) and approved by the checker."""
    batch = batch_create(
        region=Region.objects.get(code=world.region), by=world.maker, today=today() - days(10)
    )
    return batch_approve(batch=batch, by=world.checker, **kwargs)


# ---------------------------------------------------------------------------
# Making a batch


def test_batch_create_declares_the_lines_count_and_sum(world, shenzhen_guangzhou, make_user):
    lines = world.approved_lines("宝安甲科技有限公司")
    world.hire("宝安乙贸易有限公司", "赵敏")
    claim_submit_for_employer(  # open, not approved: stays out
        employer=world.employers["宝安乙贸易有限公司"][0],
        submitted_by=world.employers["宝安乙贸易有限公司"][1],
        months=[months_ago(1)],
    )
    tianhe = build_world(make_user, region="440106")
    tianhe.hire("天河丙有限公司", "陈静")
    elsewhere = tianhe.approved_lines("天河丙有限公司")

    batch = batch_create(region=Region.objects.get(code="440306"), by=world.maker)

    assert batch.number == 1
    assert batch.declared_count == 2
    assert batch.declared_amount == Decimal("600.00")
    assert isinstance(batch.declared_amount, Decimal)
    assert batch.status == PaymentBatch.Status.PUBLICITY
    assert (batch.publicity_from, batch.publicity_until) == (today() + days(1), today() + days(5))
    assert set(ClaimLine.objects.filter(batch=batch).values_list("pk", flat=True)) == {
        line.pk for line in lines
    }
    assert ClaimLine.objects.get(pk=elsewhere[0].pk).batch_id is None
    assert ClaimLine.objects.filter(batch__isnull=True, status="open").count() == 1
    event = AuditEvent.objects.get(action="paymentbatch.created")
    assert event.after["count"] == 2
    assert event.after["amount"] == "600.00"


def test_batch_create_numbers_per_region_and_takes_a_city_s_districts(
    world, shenzhen_guangzhou, make_user
):
    world.approved_lines("宝安甲科技有限公司", months_ago(2))
    first = batch_create(region=Region.objects.get(code="440306"), by=world.maker)
    world.approved_lines("宝安甲科技有限公司", months_ago(1))
    city_staff = staff_in(make_user, "440300")

    city = batch_create(region=Region.objects.get(code="440300"), by=city_staff)

    assert first.number == 1
    assert city.number == 1  # numbers are per region
    assert city.declared_count == 2
    with pytest.raises(DomainError) as excinfo:
        batch_create(region=Region.objects.get(code="440306"), by=world.maker)
    assert excinfo.value.code == "batch_empty"


def test_batch_create_publicity_days_come_from_the_longest_policy_or_the_argument(
    world, person_policy
):
    SubsidyPolicy.objects.filter(pk=world.policy.pk).update(publicity_days=7)
    world.approved_lines("宝安甲科技有限公司")
    person_line = world.approved_person_line("陈静")
    district = Region.objects.get(code="440306")

    chosen = batch_create(
        region=district, by=world.maker, line_ids=[person_line.pk], publicity_days=10
    )
    longest = batch_create(region=district, by=world.maker, today=datetime.date(2026, 3, 1))

    assert (chosen.number, chosen.declared_count) == (1, 1)
    assert chosen.publicity_until - chosen.publicity_from == days(9)
    assert (longest.number, longest.declared_count) == (2, 2)
    assert longest.publicity_from == datetime.date(2026, 3, 2)
    assert longest.publicity_until == datetime.date(2026, 3, 8)  # 7 days, inclusive


def test_batch_create_refuses_lines_it_may_not_take(world, shenzhen_guangzhou, make_user):
    line = world.approved_lines("宝安甲科技有限公司")[0]
    district = Region.objects.get(code="440306")
    tianhe_staff = staff_in(make_user, "440106")

    with pytest.raises(DomainError) as out_of_scope:
        batch_create(region=district, by=tianhe_staff)
    with pytest.raises(DomainError) as unknown:
        batch_create(region=district, by=world.maker, line_ids=[line.pk, 10**9])
    with pytest.raises(DomainError) as no_days:
        batch_create(region=district, by=world.maker, publicity_days=0)

    assert out_of_scope.value.code == "payment_out_of_scope"
    assert unknown.value.code == "batch_lines_unavailable"
    assert no_days.value.code == "batch_publicity_days"
    assert not PaymentBatch.objects.exists()


# ---------------------------------------------------------------------------
# Approving a batch


def test_batch_approve_waits_for_the_end_of_publicity_and_another_person(world):
    world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(region=Region.objects.get(code="440306"), by=world.maker)

    with pytest.raises(DomainError) as running:
        batch_approve(batch=batch, by=world.checker, today=batch.publicity_until)
    with pytest.raises(DomainError) as own:
        batch_approve(batch=batch, by=world.maker, today=batch.publicity_until + days(1))
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PUBLICITY

    batch = batch_approve(batch=batch, by=world.checker, today=batch.publicity_until + days(1))

    assert running.value.code == "batch_publicity_running"
    assert own.value.code == "batch_own"
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.APPROVED
    assert batch.approved_by == world.checker
    assert batch.approved_at is not None
    assert (batch.declared_count, batch.declared_amount) == (2, Decimal("600.00"))
    with pytest.raises(DomainError) as again:
        batch_approve(batch=batch, by=world.checker, today=batch.publicity_until + days(1))
    assert again.value.code == "batch_not_in_publicity"


def test_batch_maker_cannot_approve_even_in_the_database(world):
    world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(region=Region.objects.get(code="440306"), by=world.maker)

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(
            status="approved", approved_by=world.maker, approved_at=timezone.now()
        )


def test_batch_approve_drops_lines_rejected_or_reopened_during_publicity(world):
    world.hire("宝安甲科技有限公司", "赵敏")
    rejected, reopened, kept = world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(
        region=Region.objects.get(code="440306"), by=world.maker, today=today() - days(10)
    )
    assert (batch.declared_count, batch.declared_amount) == (3, Decimal("900.00"))
    # During the notice: one line is rejected; another is re-opened when her
    # child's record is corrected, then decided and approved again.
    line_reject(line=rejected, by=world.reviewer, reason="举报核实：未实际到岗")
    child = Child.objects.get(applicant=reopened.applicant)
    Child.objects.filter(pk=child.pk).update(birth_year=2009)
    assert line_redecide(line=reopened, by=world.reviewer).status == ClaimLine.Status.OPEN
    Child.objects.filter(pk=child.pk).update(birth_year=2019)
    line_approve(line=line_redecide(line=reopened, by=world.reviewer), by=world.reviewer)
    assert ClaimLine.objects.get(pk=reopened.pk).status == ClaimLine.Status.APPROVED

    batch = batch_approve(batch=batch, by=world.checker)

    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.APPROVED
    assert (batch.declared_count, batch.declared_amount) == (1, Decimal("300.00"))
    assert list(ClaimLine.objects.filter(batch=batch).values_list("pk", flat=True)) == [kept.pk]
    assert ClaimLine.objects.get(pk=rejected.pk).batch_id is None
    assert ClaimLine.objects.get(pk=reopened.pk).batch_id is None
    event = AuditEvent.objects.get(action="paymentbatch.approved")
    assert event.before == {"count": 3, "amount": "900.00"}
    assert event.after["count"] == 1
    assert {d["line"] for d in event.after["dropped"]} == {rejected.pk, reopened.pk}
    assert "已移出本批次" in event.reason
    # The re-approved line is free for the next batch.
    later = batch_create(region=Region.objects.get(code="440306"), by=world.maker)
    assert list(later.lines.values_list("pk", flat=True)) == [reopened.pk]


def test_batch_approve_releases_the_lines_when_none_is_left(world):
    lines = world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(
        region=Region.objects.get(code="440306"), by=world.maker, today=today() - days(10)
    )
    for line in lines:
        line_reject(line=line, by=world.reviewer, reason="单位已注销")

    with pytest.raises(DomainError) as excinfo:
        batch_approve(batch=batch, by=world.checker)

    assert excinfo.value.code == "batch_nothing_left"
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PUBLICITY
    assert (batch.declared_count, batch.declared_amount) == (0, Decimal("0.00"))
    assert not ClaimLine.objects.filter(batch=batch).exists()


def test_batch_approve_refuses_lines_that_do_not_match_the_totals(world):
    line = world.approved_lines("宝安甲科技有限公司")[0]
    batch = batch_create(
        region=Region.objects.get(code="440306"), by=world.maker, today=today() - days(10)
    )
    ClaimLine.objects.filter(pk=line.pk).update(amount=Decimal("3000.00"))

    with pytest.raises(DomainError) as excinfo:
        batch_approve(batch=batch, by=world.checker)

    assert excinfo.value.code == "batch_totals_mismatch"
    assert "600.00" in excinfo.value.message
    assert "3300.00" in excinfo.value.message
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PUBLICITY


# ---------------------------------------------------------------------------
# Export and payment


def _xlsx_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]


def _table(rows: list[tuple]) -> list[tuple]:
    """The payee table of an export: from the header row to the totals row."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    return rows[start:]


def test_batch_export_xlsx_has_payees_and_control_totals(world, person_policy):
    world.hire("宝安乙贸易有限公司", "赵敏")
    world.approved_lines("宝安甲科技有限公司")
    world.approved_lines("宝安乙贸易有限公司")
    person_line = world.approved_person_line("陈静")
    batch = approved_batch(world)

    name, content = batch_export(batch=batch, by=world.checker, fmt="xlsx")

    assert name == f"payment-batch-440306-{batch.number}.xlsx"
    rows = _xlsx_rows(content)
    header = {row[0]: row[1] for row in rows[:6] if row}
    assert header["控制笔数（明细）"] == 4
    assert Decimal(str(header["控制金额（元）"])) == Decimal("1200.00")
    table = _table(rows)
    a, _ = world.employers["宝安甲科技有限公司"]
    b, _ = world.employers["宝安乙贸易有限公司"]
    chen = world.mothers["陈静"]
    body = [(r[1], r[2], r[3], r[4], Decimal(str(r[5]))) for r in table[1:-1]]
    assert [r[0] for r in table[1:-1]] == [1, 2, 3]
    assert sorted(body[:2]) == sorted(
        [
            ("用人单位", a.name, a.uscc, 2, Decimal("600.00")),
            ("用人单位", b.name, b.uscc, 1, Decimal("300.00")),
        ]
    )
    assert body[2] == ("个人", "陈静", chen.id_number_masked, 1, Decimal("300.00"))
    assert table[-1][0] == "合计"
    assert (table[-1][4], Decimal(str(table[-1][5]))) == (4, Decimal("1200.00"))
    flat = " ".join(str(cell) for row in rows for cell in row if cell is not None)
    assert chen.test_id_number not in flat
    assert "完整身份证号不在本文件中" in flat
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED
    assert batch.exported_at is not None
    assert person_line.amount == Decimal("300.00")


def test_batch_export_csv_is_utf8_with_bom_and_adds_up(world):
    world.approved_lines("宝安甲科技有限公司")
    batch = approved_batch(world)
    batch_export(batch=batch, by=world.checker, fmt="xlsx")
    first_export = PaymentBatch.objects.get(pk=batch.pk).exported_at

    name, content = batch_export(batch=batch, by=world.checker, fmt="csv")

    assert name.endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header = {row[0]: row[1] for row in rows[:6] if row}
    assert (header["控制笔数（明细）"], header["控制金额（元）"]) == ("2", "600.00")
    table = _table([tuple(row) for row in rows])
    employer, _ = world.employers["宝安甲科技有限公司"]
    assert table[1][1:] == ("用人单位", employer.name, employer.uscc, "2", "600.00")
    assert table[-1] == ("合计", "", "", "", "2", "600.00")
    batch.refresh_from_db()
    assert batch.exported_at == first_export  # the first export's time stays
    assert AuditEvent.objects.filter(action="paymentbatch.exported").count() == 2


def test_batch_export_refuses_before_approval_and_on_mismatch(world):
    lines = world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(
        region=Region.objects.get(code="440306"), by=world.maker, today=today() - days(10)
    )
    with pytest.raises(DomainError) as early:
        batch_export(batch=batch, by=world.checker, fmt="csv")
    batch = batch_approve(batch=batch, by=world.checker)
    ClaimLine.objects.filter(pk=lines[0].pk).update(amount=Decimal("299.99"))

    with pytest.raises(DomainError) as mismatch:
        batch_export(batch=batch, by=world.checker, fmt="xlsx")
    with pytest.raises(DomainError) as fmt:
        batch_export(batch=batch, by=world.checker, fmt="pdf")

    assert early.value.code == "batch_not_approved"
    assert mismatch.value.code == "batch_totals_mismatch"
    assert fmt.value.code == "batch_export_format"
    batch.refresh_from_db()
    assert (batch.status, batch.exported_at) == (PaymentBatch.Status.APPROVED, None)


def test_batch_mark_paid_pays_every_line_once_exported(world):
    lines = world.approved_lines("宝安甲科技有限公司")
    batch = approved_batch(world)
    with pytest.raises(DomainError) as not_exported:
        batch_mark_paid(batch=batch, by=world.checker, paid_on=today())
    batch_export(batch=batch, by=world.checker, fmt="csv")
    with pytest.raises(DomainError) as future:
        batch_mark_paid(batch=batch, by=world.checker, paid_on=today() + days(1))

    batch = batch_mark_paid(batch=batch, by=world.checker, paid_on=today())

    assert not_exported.value.code == "batch_not_exported"
    assert future.value.code == "batch_paid_on"
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PAID
    assert batch.paid_at is not None
    paid = ClaimLine.objects.filter(pk__in=[line.pk for line in lines])
    assert set(paid.values_list("status", flat=True)) == {"paid"}
    assert set(paid.values_list("paid_at", flat=True)) == {batch.paid_at}
    assert AuditEvent.objects.filter(action="paymentbatch.paid").count() == 1


def paid_batch(world: World) -> PaymentBatch:
    batch = approved_batch(world)
    batch_export(batch=batch, by=world.checker, fmt="csv")
    return batch_mark_paid(batch=batch, by=world.checker, paid_on=today())


# ---------------------------------------------------------------------------
# Recoveries


def test_recoveries_propose_for_paid_lines_of_an_employer_delisted_on_the_day(world):
    lines = world.approved_lines("宝安甲科技有限公司")
    assert recoveries_propose(today=today()) == 0
    paid_batch(world)
    assert recoveries_propose(today=today()) == 0
    # The listing is corrected: the employer was listed only from this month on.
    employer, _ = world.employers["宝安甲科技有限公司"]
    ListingPeriod.objects.filter(employer=employer).update(listed_from=months_ago(0))

    proposed = recoveries_propose(today=today())
    again = recoveries_propose(today=today())

    assert (proposed, again) == (2, 0)
    recoveries = Recovery.objects.order_by("line_id")
    assert [r.line_id for r in recoveries] == [line.pk for line in lines]
    assert {tuple(r.reasons) for r in recoveries} == {("employer_not_listed",)}
    assert {r.amount for r in recoveries} == {Decimal("300.00")}
    assert {r.status for r in recoveries} == {Recovery.Status.PROPOSED}


def test_recoveries_propose_when_no_child_qualifies_any_more(world):
    lines = world.approved_lines("宝安甲科技有限公司")
    paid_batch(world)
    # Her child's record is corrected: born 2009, over the age limit in the claimed month.
    Child.objects.filter(applicant=lines[1].applicant).update(birth_year=2009)

    assert recoveries_propose(today=today()) == 1

    recovery = Recovery.objects.get()
    assert recovery.line_id == lines[1].pk
    assert recovery.reasons == ["no_qualifying_child"]


def test_recoveries_propose_stacked_social_insurance_subsidies(world, person_policy):
    """Her employer's and her own social-insurance subsidy for one month: the later one."""
    employer_line = world.approved_lines("宝安甲科技有限公司")[0]
    person_line = world.approved_person_line(employer_line.applicant.full_name)
    paid_batch(world)

    assert recoveries_propose(today=today()) == 1

    recovery = Recovery.objects.get()
    assert recovery.line_id == max(employer_line.pk, person_line.pk)
    assert recovery.reasons == ["duplicate_person_month"]


def test_recoveries_propose_ignores_lines_paid_after_today(world):
    world.approved_lines("宝安甲科技有限公司")
    paid_batch(world)
    employer, _ = world.employers["宝安甲科技有限公司"]
    ListingPeriod.objects.filter(employer=employer).update(listed_from=months_ago(0))

    assert recoveries_propose(today=today() - days(1)) == 0


def test_recovery_decide_confirms_recovers_or_waives_with_a_note(world, make_user):
    world.approved_lines("宝安甲科技有限公司")
    paid_batch(world)
    employer, _ = world.employers["宝安甲科技有限公司"]
    ListingPeriod.objects.filter(employer=employer).update(listed_from=months_ago(0))
    recoveries_propose(today=today())
    first, second = Recovery.objects.order_by("pk")

    with pytest.raises(DomainError) as no_note:
        recovery_decide(recovery=first, by=world.checker, status="confirmed", note="  ")
    with pytest.raises(DomainError) as skipped:
        recovery_decide(recovery=first, by=world.checker, status="recovered", note="已退回")
    with pytest.raises(DomainError) as out_of_scope:
        recovery_decide(
            recovery=first, by=staff_in(make_user, "440106"), status="confirmed", note="核实"
        )
    recovery_decide(recovery=first, by=world.checker, status="confirmed", note="名录核实有误")
    recovery_decide(recovery=first, by=world.checker, status="recovered", note="单位已退回")
    recovery_decide(recovery=second, by=world.checker, status="waived", note="经复核不予追回")

    assert no_note.value.code == "recovery_note_required"
    assert skipped.value.code == "recovery_transition"
    assert out_of_scope.value.code == "payment_out_of_scope"
    first.refresh_from_db()
    assert (first.status, first.note, first.decided_by) == (
        "recovered",
        "单位已退回",
        world.checker,
    )
    assert AuditEvent.objects.filter(action__startswith="recovery.").count() == 3
    # A waived recovery is not proposed again.
    assert recoveries_propose(today=today()) == 0


# ---------------------------------------------------------------------------
# Staff pages


def _page_urls(batch: PaymentBatch, recovery: Recovery | None = None) -> list[tuple[str, str]]:
    urls = [
        ("get", reverse("subsidies:staff-batch-list")),
        ("post", reverse("subsidies:staff-batch-list")),
        ("get", reverse("subsidies:staff-batch-detail", args=[batch.pk])),
        ("post", reverse("subsidies:staff-batch-approve", args=[batch.pk])),
        ("post", reverse("subsidies:staff-batch-export", args=[batch.pk]) + "?format=csv"),
        ("post", reverse("subsidies:staff-batch-mark-paid", args=[batch.pk])),
        ("get", reverse("subsidies:staff-recovery-list")),
    ]
    if recovery is not None:
        urls.append(("post", reverse("subsidies:staff-recovery-decide", args=[recovery.pk])))
    return urls


def _recovery(world: World) -> Recovery:
    world.approved_lines("宝安甲科技有限公司", months_ago(2))
    paid_batch(world)
    employer, _ = world.employers["宝安甲科技有限公司"]
    ListingPeriod.objects.filter(employer=employer).update(listed_from=months_ago(0))
    recoveries_propose(today=today())
    # Listed again (the proposals stay), so later claims are eligible.
    ListingPeriod.objects.filter(employer=employer).update(listed_from=LISTED_SINCE)
    return Recovery.objects.order_by("pk").first()


@pytest.mark.parametrize("role", ["employer_member", "applicant"])
def test_payment_pages_refuse_employer_and_applicant_users(client, world, make_user, role):
    recovery = _recovery(world)
    world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(region=Region.objects.get(code="440306"), by=world.maker)
    client.force_login(make_user(role))

    for method, url in _page_urls(batch, recovery):
        assert getattr(client, method)(url).status_code == HTTPStatus.FORBIDDEN, url

    assert PaymentBatch.objects.count() == 2


def test_payment_pages_redirect_anonymous_to_login(client, world):
    response = client.get(reverse("subsidies:staff-batch-list"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


def test_payment_pages_hide_batches_and_recoveries_of_other_regions(client, world, make_user):
    recovery = _recovery(world)
    batch = recovery.line.batch
    client.force_login(staff_in(make_user, "440106"))

    listing = client.get(reverse("subsidies:staff-batch-list"))
    assert list(listing.context["batches"]) == []
    recoveries = client.get(reverse("subsidies:staff-recovery-list"), {"status": "all"})
    assert list(recoveries.context["recoveries"]) == []
    object_urls = [
        (method, url)
        for method, url in _page_urls(batch, recovery)
        if f"/{batch.pk}/" in url or f"/{recovery.pk}/" in url
    ]
    assert len(object_urls) == 5
    for method, url in object_urls:
        assert getattr(client, method)(url).status_code == HTTPStatus.NOT_FOUND, url
    recovery.refresh_from_db()
    assert recovery.status == Recovery.Status.PROPOSED


def test_batch_list_shows_the_unbatched_lines_and_makes_a_batch(client, world):
    world.approved_lines("宝安甲科技有限公司")
    client.force_login(world.maker)
    url = reverse("subsidies:staff-batch-list")

    page = client.get(url)
    html = page.content.decode()
    assert [(u.region.code, u.count, u.amount) for u in page.context["unbatched"]] == [
        ("440306", 2, Decimal("600.00"))
    ]
    assert "合计 600.00 元" in html

    response = client.post(url, {"region": "440306", "publicity_days": "7"}, follow=True)

    batch = PaymentBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "subsidies:staff-batch-detail", args=[batch.pk]
    )
    assert batch.publicity_until - batch.publicity_from == days(6)
    content = response.content.decode()
    assert "已编制宝安区第1批：2 笔，合计 600.00 元" in content
    assert "您是本批次的制单人" in content
    assert "公示期满后" in content
    assert not response.context["may_approve"]
    empty = client.post(url, {"region": "440306"}, follow=True)
    assert "没有已审核通过、尚未编入批次的明细" in empty.content.decode()


def test_batch_detail_approve_export_and_mark_paid(client, world):
    world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(
        region=Region.objects.get(code="440306"), by=world.maker, today=today() - days(10)
    )
    client.force_login(world.checker)
    detail = reverse("subsidies:staff-batch-detail", args=[batch.pk])

    page = client.get(detail)
    assert page.context["may_approve"]
    assert not page.context["may_export"]
    assert "李晓梅" in page.content.decode()

    approved = client.post(reverse("subsidies:staff-batch-approve", args=[batch.pk]), follow=True)
    assert "已审批：2 笔，合计 600.00 元。" in approved.content.decode()
    assert approved.context["may_export"]

    export = client.post(
        reverse("subsidies:staff-batch-export", args=[batch.pk]), {"format": "xlsx"}
    )
    assert export.status_code == HTTPStatus.OK
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in export["Content-Disposition"]
    assert _table(_xlsx_rows(export.content))[-1][4] == 2

    paid = client.post(
        reverse("subsidies:staff-batch-mark-paid", args=[batch.pk]),
        {"paid_on": today().isoformat()},
        follow=True,
    )
    assert "已登记发放：2 笔，合计 600.00 元。" in paid.content.decode()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PAID


def test_batch_export_page_shows_a_refusal(client, world):
    lines = world.approved_lines("宝安甲科技有限公司")
    batch = approved_batch(world)
    ClaimLine.objects.filter(pk=lines[0].pk).update(amount=Decimal("1.00"))
    client.force_login(world.checker)

    response = client.post(
        reverse("subsidies:staff-batch-export", args=[batch.pk]) + "?format=csv", follow=True
    )

    assert "批次明细与控制数不符" in response.content.decode()
    assert "与控制数不符" in response.content.decode()


def test_batch_approve_page_refuses_during_publicity(client, world):
    world.approved_lines("宝安甲科技有限公司")
    batch = batch_create(region=Region.objects.get(code="440306"), by=world.maker)
    client.force_login(world.checker)

    response = client.post(reverse("subsidies:staff-batch-approve", args=[batch.pk]), follow=True)

    assert "公示期满后才能审批" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.PUBLICITY


def test_recovery_list_and_decide_form(client, world):
    recovery = _recovery(world)
    client.force_login(world.checker)
    url = reverse("subsidies:staff-recovery-list")

    page = client.get(url)
    html = page.content.decode()
    assert len(page.context["recoveries"]) == 2
    assert page.context["recoveries"][0].pk == recovery.pk
    assert "判定日用人单位不在妈妈岗名录内" in html
    assert recovery.line.applicant.id_number_masked in html
    assert {t["value"]: t["count"] for t in page.context["tabs"]}["proposed"] == 2

    blank = client.post(
        reverse("subsidies:staff-recovery-decide", args=[recovery.pk]),
        {"status": "confirmed", "note": ""},
        follow=True,
    )
    assert "请填写处理说明" in blank.content.decode()
    done = client.post(
        reverse("subsidies:staff-recovery-decide", args=[recovery.pk]),
        {"status": "confirmed", "note": "名录核实有误", "query": "status=proposed"},
        follow=True,
    )
    assert "已确认追回" in done.content.decode()
    recovery.refresh_from_db()
    assert recovery.status == Recovery.Status.CONFIRMED
    assert [r.pk for r in done.context["recoveries"]] != [recovery.pk]


def _queries_for(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_payment_pages_query_counts_do_not_grow_with_rows(client, world):
    world.hire("宝安甲科技有限公司", "赵敏", "孙丽", "周红", "吴静")
    district = Region.objects.get(code="440306")
    lines = world.approved_lines("宝安甲科技有限公司", months_ago(3))
    small = batch_create(region=district, by=world.maker, line_ids=[lines[0].pk, lines[1].pk])
    batch_create(region=district, by=world.maker, line_ids=[lines[2].pk])
    client.force_login(world.checker)
    list_url = reverse("subsidies:staff-batch-list")
    recovery_url = reverse("subsidies:staff-recovery-list")
    two_batches = _queries_for(client, list_url)
    two_lines = _queries_for(client, reverse("subsidies:staff-batch-detail", args=[small.pk]))

    big = batch_create(region=district, by=world.maker, line_ids=[lines[3].pk])
    batch_create(region=district, by=world.maker, line_ids=[lines[4].pk])
    world.approved_lines("宝安甲科技有限公司", months_ago(2))
    six = batch_create(region=district, by=world.maker, today=today() - days(10))
    batch_approve(batch=six, by=world.checker)
    batch_export(batch=six, by=world.checker, fmt="csv")
    batch_mark_paid(batch=six, by=world.checker, paid_on=today())
    employer, _ = world.employers["宝安甲科技有限公司"]
    ListingPeriod.objects.filter(employer=employer).update(listed_from=months_ago(0))
    assert recoveries_propose(today=today()) == 7
    ListingPeriod.objects.filter(employer=employer).update(listed_from=LISTED_SINCE)
    world.approved_lines("宝安甲科技有限公司", months_ago(1))
    assert PaymentBatch.objects.count() == 5
    assert big.declared_count == 1

    assert _queries_for(client, list_url) == two_batches
    assert _queries_for(client, reverse("subsidies:staff-batch-detail", args=[six.pk])) == (
        two_lines
    )
    recoveries = list(Recovery.objects.order_by("pk"))
    recovery_decide(recovery=recoveries[0], by=world.checker, status="confirmed", note="核实")
    one_recovery = _queries_for(client, recovery_url, {"status": "confirmed"})
    for recovery in recoveries[1:5]:
        recovery_decide(recovery=recovery, by=world.checker, status="confirmed", note="核实")
    five = client.get(recovery_url, {"status": "confirmed"})
    assert len(five.context["recoveries"]) == 5
    assert _queries_for(client, recovery_url, {"status": "confirmed"}) == one_recovery


def test_a_withdrawn_consent_never_proposes_a_recovery(world):
    from applicants.models import Consent
    from applicants.services import consent_withdraw

    # given paid lines, one of a mother who then withdraws her children's records
    lines = world.approved_lines("宝安甲科技有限公司")
    paid_batch(world)
    mother = lines[1].applicant
    consent_withdraw(applicant=mother, kind=Consent.Kind.GUARDIAN_CHILDREN)
    assert not Child.objects.filter(applicant=mother).exists()

    # when the nightly recovery check runs, then a privacy action is not a clawback
    assert recoveries_propose(today=today()) == 0
    assert not Recovery.objects.exists()


def test_a_removed_child_record_never_proposes_a_recovery(world):
    from applicants.services import child_remove

    lines = world.approved_lines("宝安甲科技有限公司")
    paid_batch(world)
    mother = lines[1].applicant
    for child in Child.objects.filter(applicant=mother):
        child_remove(child=child, removed_by=mother.user)

    assert recoveries_propose(today=today()) == 0
