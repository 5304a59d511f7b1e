from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from applicants.models import Applicant, Employment
from mamagang.core.models import AuditEvent
from subsidies.demo import DEMO_REFERENCE
from subsidies.engine import add_months
from subsidies.models import (
    BaseAward,
    Claim,
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    DecisionRecord,
    EligibilityRun,
    EmploymentBase,
    RateRow,
    SubsidyPolicy,
)
from tests.conftest import load_shipped_regions
from tests.jobs.test_minimum_wages import load_wage_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_regions():
    # Shenzhen, Tianhe, 中山 and 珠海 (the shipped policies' cities).
    load_shipped_regions("4403", "440106", "4420", "4404")
    load_wage_regions()


def _demo_load() -> list[str]:
    """Run every demo step in order, as `manage.py demo_load` does."""
    return [str(import_string(step)()) for step in settings.MAMAGANG_DEMO_STEPS]


def _counts() -> dict[str, int]:
    models = (
        SubsidyPolicy,
        RateRow,
        ContributionImport,
        ContributionRecord,
        Claim,
        ClaimLine,
        DecisionRecord,
        EligibilityRun,
        Employment,
        AuditEvent,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_demo_subsidies_step_runs_after_the_mothers():
    steps = settings.MAMAGANG_DEMO_STEPS

    assert steps.index("subsidies.demo.demo_subsidies_load") > steps.index(
        "applicants.demo.demo_applicants_load"
    )


def test_demo_claim_lines_are_decided_reviewed_and_load_twice_unchanged(
    demo_regions, django_capture_on_commit_callbacks
):
    # given: the run's chunks are Celery tasks, queued when the demo commits
    with django_capture_on_commit_callbacks(execute=True):
        _demo_load()
    counts = _counts()

    # when
    messages = _demo_load()

    # then: nothing new the second time
    assert "already there" in messages[-1]
    assert _counts() == counts

    # Policies: the shipped ones and the marked demo policy for Shenzhen.
    assert SubsidyPolicy.objects.filter(region__code="442000").count() == 3
    # Zhuhai's base awards are read by the base pages, never decided as claim lines.
    assert SubsidyPolicy.objects.get(region__code="440400").active
    demo = SubsidyPolicy.objects.filter(region__code="440300")
    assert demo.count() == 4
    assert set(demo.values_list("legal_reference", flat=True)) == {DEMO_REFERENCE}
    assert set(
        RateRow.objects.filter(policy__in=demo).values_list("legal_reference", flat=True)
    ) == {DEMO_REFERENCE}

    # 暖心家政 is a city employment base in its first year, an award awaiting a second person.
    base = EmploymentBase.objects.get()
    assert base.employer.name == "深圳市宝安区暖心家政服务有限公司"
    assert (base.year, base.region.code) == (1, "440300")
    award = base.awards.get()
    assert award.status == BaseAward.Status.PROPOSED
    assert award.proposed_by.phone == "13800000004"
    assert award.cap == Decimal("200000.00")

    # Contributions for the last three completed months, the middle one missing.
    today = timezone.localdate()
    last = add_months(today.replace(day=1), -1)
    months = [add_months(last, -2), add_months(last, -1), last]
    hire = Employment.objects.get(source=Employment.Source.OFFLINE)
    assert hire.start_date <= months[0]
    assert hire.employer.listing_periods.order_by("listed_from").first().listed_from <= months[0]
    mother = Applicant.objects.get(pk=hire.applicant_id)
    assert sorted(
        ContributionRecord.objects.filter(person_hash=mother.id_number_hash).values_list(
            "month", flat=True
        )
    ) == [months[0], months[2]]

    # 王建华's claim for the last two months: lines with different decisions.
    claim = Claim.objects.get(source=Claim.Source.EMPLOYER)
    assert claim.employer == hire.employer
    assert claim.submitted_by.phone == "13800000002"
    lines = {
        (line.month, line.subsidy_type.code): line
        for line in claim.lines.select_related("subsidy_type", "approved_by")
    }
    assert {month for month, _code in lines} == {months[1], months[2]}
    missing = lines[(months[1], "employer_social_insurance")]
    assert (missing.decision, missing.reasons) == ("needs_review", ["no_contribution_record"])
    paid = lines[(months[2], "employer_social_insurance")]
    assert (paid.decision, str(paid.amount)) == ("eligible", "300.00")
    assert {line.decision for line in lines.values()} >= {"eligible", "needs_review"}

    # 陈思远 approved one line (he neither submitted it nor belongs to the employer).
    approved = [line for line in lines.values() if line.status == ClaimLine.Status.APPROVED]
    assert len(approved) == 1
    assert approved[0].approved_by.phone == "13800000003"
    assert approved[0].month == months[2]

    # One line paid in a batch past its notice (made by 陈思远, approved by 赵丽华); its
    # employee then withdrew her children's records: no recovery is proposed for it.
    from subsidies.models import PaymentBatch, Recovery

    batch = PaymentBatch.objects.get()
    assert batch.status == PaymentBatch.Status.PAID
    assert (batch.created_by.phone, batch.approved_by.phone) == ("13800000003", "13800000004")
    [paid_line] = batch.lines.all()
    assert paid_line.status == ClaimLine.Status.PAID
    assert paid_line.applicant.evidence_withdrawn_at is not None
    assert not paid_line.applicant.children.exists()
    assert not Recovery.objects.exists()

    # A run of the last month, finished.
    run = EligibilityRun.objects.get()
    assert (run.month, run.status) == (last, EligibilityRun.Status.DONE)
    assert run.policy.region.code == "440300"

    # The missing month's late file is left for staff to import; once imported, the line
    # waiting for it is eligible without anyone clicking.
    from pathlib import Path

    from mamagang.accounts.models import User
    from subsidies.demo import LATE_FILE_DIR
    from subsidies.services import contributions_import

    late = Path(settings.BASE_DIR) / LATE_FILE_DIR / f"contributions-{months[1]:%Y-%m}.csv"
    with django_capture_on_commit_callbacks(execute=True):
        result = contributions_import(
            file_name=late.name,
            data=late.read_bytes(),
            region=hire.employer.district,
            imported_by=User.objects.get(phone="13800000003"),
        )
    assert not result.errors
    missing.refresh_from_db()
    assert (missing.decision, missing.reasons) == ("eligible", [])
