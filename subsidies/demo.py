"""
Demo subsidies for `make run`: the shipped policies (中山, 珠海), a DEMO policy
for Shenzhen so that the demo employers can claim (its legal reference says it
is not a real policy), social-insurance contributions for the last three
completed months with one month missing, 暖心家政's claim for the last two
months made by 王建华 (lines eligible and ineligible), a run of the last month,
and one line approved by 陈思远 (宝安 staff; maker-checker allows it: he did
not submit the claim and is no member of the employer).

The demo hires are recent, so this step moves demo data back where needed:
the offline hire (吴春燕 at 暖心家政) starts on the 1st of the first of the three
months, and the employer's listing starts by then too. Only demo rows are
touched. Runs after applicants.demo. Idempotent: once 暖心家政 has a claim,
nothing is created.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applicants.models import Applicant, Consent, Employment
from applicants.services import consent_withdraw
from employers.models import Employer, ListingPeriod
from jobs.demo import _employers as demo_employers
from mamagang.accounts.models import User
from mamagang.core.crypto import decrypt_text
from mamagang.regions.models import Region

from .engine import add_months
from .management.commands.subsidies_policies_load import LoadResult, policies_load
from .models import Claim, ClaimLine, EligibilityRun, EmploymentBase, SubsidyPolicy
from .services import (
    batch_approve,
    batch_create,
    batch_export,
    batch_mark_paid,
    claim_submit_for_employer,
    line_approve,
    recoveries_propose,
    run_start,
)
from .services.bases import base_award_propose, base_recognise
from .services.contributions import COLUMNS, contributions_import

WANG = "13800000002"  # 王建华, member of 暖心家政
BAOAN_STAFF = "13800000003"  # 陈思远
SHENZHEN = "440300"
DEMO_REFERENCE = "演示数据，非真实政策"

# Not a real policy: it lets the demo employers in Shenzhen claim. Never in
# subsidies/data/policies.yaml, so a real system never loads it.
DEMO_POLICIES = {
    "policies": [
        {
            "region": SHENZHEN,
            "subsidy_type": code,
            "legal_reference": DEMO_REFERENCE,
            "max_months": 12,
            "requires_contribution": contribution,
            "requires_listing": payee == "employer",
            "requires_declaration": payee == "employer",
            # Above this a second reviewer must approve (maker-checker in the demo).
            "second_approval_above": "200.00",
            "rates": [
                {
                    "valid_from": datetime.date(2022, 1, 1),
                    "kind": "per_month",
                    "amount": amount,
                    "legal_reference": DEMO_REFERENCE,
                }
            ],
        }
        for code, payee, amount, contribution in [
            ("employer_social_insurance", "employer", "300.00", True),
            ("employer_post", "employer", "100.00", False),
            ("flexible_social_insurance", "person", "300.00", True),
        ]
    ]
    + [
        {
            # A city's employment-base awards by year of recognition (Zhuhai's shape).
            "region": SHENZHEN,
            "subsidy_type": "employment_base_award",
            "legal_reference": DEMO_REFERENCE,
            "retirement_extension_years": None,
            "requires_contribution": False,
            "requires_declaration": False,
            "rates": [
                {
                    "valid_from": datetime.date(2022, 1, 1),
                    "kind": "per_year",
                    "amount": amount,
                    "recognition_year": year,
                    "legal_reference": DEMO_REFERENCE,
                }
                for year, amount in ((1, "200000.00"), (2, "100000.00"))
            ],
        }
    ]
}
CITY_ADMIN = "13800000004"  # 赵丽华, Shenzhen


def demo_subsidies_load() -> str:
    """Load the policies, the demo contributions, a claim, a run and an approval (once)."""
    return _demo_subsidies_load()


def _month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def _policies_summary(shipped: LoadResult, demo: LoadResult) -> str:
    created = shipped.created + demo.created
    text = f"{created} policies created"
    skipped = sorted(set(shipped.skipped_regions) | set(demo.skipped_regions))
    if skipped:
        text += f" (regions not loaded, skipped: {', '.join(skipped)})"
    return text


@transaction.atomic
def _demo_subsidies_load() -> str:
    # Create-only: a policy a bureau admin edited in the admin stays as edited.
    policies = _policies_summary(
        policies_load(update=False), policies_load(data=DEMO_POLICIES, update=False)
    )
    employer = demo_employers().get("nuanxin")
    users = {u.phone: u for u in User.objects.filter(phone__in=[WANG, BAOAN_STAFF])}
    if employer is None or len(users) < 2:
        return f"Demo subsidies: {policies}; claims skipped (load the demo employers first)."
    if Claim.objects.filter(employer=employer, source=Claim.Source.EMPLOYER).exists():
        return "Demo subsidies: already there."
    bases = _demo_base(employer, today=timezone.localdate())
    wang, chen = users[WANG], users[BAOAN_STAFF]

    today = timezone.localdate()
    last = add_months(today.replace(day=1), -1)
    months = [add_months(last, -2), add_months(last, -1), last]
    employments = _cover(employer, months[0])
    if not employments:
        return f"Demo subsidies: {policies}; claims skipped (load the demo mothers first)."
    missing = months[1]
    contributions = _contributions(employer, employments, months, missing, chen, today)

    claim = claim_submit_for_employer(employer=employer, submitted_by=wang, months=months[1:])
    lines = list(
        claim.lines.select_related("subsidy_type", "policy").order_by("month", "subsidy_type_id")
    )
    policy = SubsidyPolicy.objects.get(
        region__code=SHENZHEN, subsidy_type__code="employer_social_insurance"
    )
    # The beat task does this on the 1st; run here so the staff's run list has one.
    run = run_start(policy=policy, month=last, kind=EligibilityRun.Kind.MONTHLY)
    approved = _approve_one(lines, chen)
    payment = _demo_payment_and_withdrawal(lines, employer, chen, today)
    decisions = ", ".join(
        f"{_month_label(line.month)} {line.subsidy_type.name} {line.get_decision_display()}"
        for line in lines
    )
    return (
        f"Demo subsidies: {policies}; {contributions} contribution records "
        f"({_month_label(missing)} missing: its late file is "
        f"{LATE_FILE_DIR}/contributions-{missing:%Y-%m}.csv, to import by hand); "
        f"a claim of {len(lines)} lines ({decisions}); "
        f"a run of {_month_label(run.month)}; {approved} line approved by 陈思远; {payment}; "
        f"{bases}."
    )


def _demo_base(employer: Employer, *, today: datetime.date) -> str:
    """暖心家政 recognised by Shenzhen as a city base, with an award awaiting 陈思远's approval."""
    admin = User.objects.filter(phone=CITY_ADMIN).first()
    if admin is None or EmploymentBase.objects.filter(employer=employer).exists():
        return "no employment base"
    start = add_months(today.replace(day=1), -3)
    ListingPeriod.objects.filter(employer=employer, listed_from__gt=start).update(listed_from=start)
    base = base_recognise(
        employer=employer,
        region=Region.objects.get(code=SHENZHEN),
        valid_from=start,
        document_number="深人社（演示）〔2026〕1号",
        by=admin,
    )
    base_award_propose(
        base=base,
        amount=Decimal("50000.00"),
        basis="认定年度内吸纳12名妈妈稳定就业，开展育儿友好排班（演示数据）。",
        by=admin,
    )
    return "暖心家政 recognised as a city employment base, a 50,000 award awaiting approval"


def _cover(employer: Employer, first_month: datetime.date) -> list[Employment]:
    """
    Let the employer's demo employments and its listing reach back to
    `first_month`: the offline hire starts then (the application hires keep
    their dates, they are days old), and the first listing period starts by
    then. Return the employments that cover `first_month`.
    """
    Employment.objects.filter(
        employer=employer, source=Employment.Source.OFFLINE, start_date__gt=first_month
    ).update(start_date=first_month)
    period = employer.listing_periods.order_by("listed_from").first()
    if period is not None and period.listed_from > first_month:
        ListingPeriod.objects.filter(pk=period.pk).update(listed_from=first_month)
    return list(
        Employment.objects.filter(employer=employer, start_date__lte=first_month)
        .select_related("applicant")
        .order_by("pk")
    )


def _contributions(
    employer: Employer,
    employments: list[Employment],
    months: list[datetime.date],
    missing: datetime.date,
    imported_by: User,
    today: datetime.date,
) -> int:
    """
    Import, as staff do, the social-insurance file of the employer's
    employees for `months` except `missing`, through the real import service.
    """
    result = contributions_import(
        file_name=f"社保缴费_{employer.district.name}_{today:%Y%m}（演示数据）.csv",
        data=_contribution_file(employer, employments, [m for m in months if m != missing]),
        region=employer.district,
        imported_by=imported_by,
    )
    if result.errors:
        raise RuntimeError(f"demo contributions did not import: {result.errors}")
    # The late file of the missing month, for staff to import by hand: the line waiting
    # for it (needs_review, no_contribution_record) then becomes eligible by itself.
    late = Path(settings.BASE_DIR) / LATE_FILE_DIR / f"contributions-{missing:%Y-%m}.csv"
    late.parent.mkdir(parents=True, exist_ok=True)
    late.write_bytes(_contribution_file(employer, employments, [missing]))
    return result.created


# Where the demo leaves the missing month's late contribution file (README).
LATE_FILE_DIR = "var/demo"


def _contribution_file(
    employer: Employer, employments: list[Employment], months: list[datetime.date]
) -> bytes:
    """A contribution file (UTF-8 CSV) of the employer's employees for `months`."""
    # The agency's file carries clear ID numbers; the demo writes it from the
    # demo mothers' encrypted numbers (only the keyed hash is stored).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in COLUMNS])
    values = {
        "insurance_types": "养老、医疗、失业、工伤、生育",
        "employer_amount": "862.40",
        "person_amount": "318.60",
        "employer_uscc": employer.uscc,
    }
    for employment in employments:
        id_number = decrypt_text(employment.applicant.id_number_encrypted)
        for month in months:
            row = {**values, "id_number": id_number, "month": f"{month:%Y-%m}"}
            writer.writerow([row.get(column.key, "") for column in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def _demo_payment_and_withdrawal(
    lines: list[ClaimLine], employer: Employer, chen: User, today: datetime.date
) -> str:
    """
    One more eligible line approved by 陈思远, put in a batch whose public notice is
    over, approved by 赵丽华, exported and paid. Then the employee withdraws the consent
    for her children's records: a privacy action, so the nightly recovery check
    proposes no recovery of her paid month (issue 13).
    """
    admin = User.objects.filter(phone=CITY_ADMIN).first()
    approved = {line.pk for line in lines if line.status == ClaimLine.Status.APPROVED}
    line = next(
        (
            line
            for line in lines
            if line.decision == ClaimLine.Decision.ELIGIBLE
            and line.pk not in approved
            and (
                line.policy.second_approval_above is None
                or line.amount <= line.policy.second_approval_above
            )
        ),
        None,
    )
    if admin is None or line is None:
        return "no payment batch"
    line_approve(line=line, by=chen, note="已核对就业登记、名录和缴费记录，同意。")
    days = max(line.policy.publicity_days, 1)
    batch = batch_create(
        region=employer.district,
        by=chen,
        line_ids=[line.pk],
        today=today - datetime.timedelta(days=days + 1),
    )
    batch_approve(batch=batch, by=admin, today=today)
    batch_export(batch=batch, by=admin, fmt="csv")
    batch_mark_paid(batch=batch, by=admin, paid_on=today)
    mother = Applicant.objects.get(pk=line.applicant_id)
    consent_withdraw(applicant=mother, kind=Consent.Kind.GUARDIAN_CHILDREN)
    proposed = recoveries_propose(today=today)
    return (
        f"a paid batch ({line.amount} 元 for {mother.full_name}, "
        f"{_month_label(line.month)}); she then withdrew consent for her children's records: "
        f"{proposed} recoveries proposed"
    )


def _approve_one(lines: list[ClaimLine], reviewer: User) -> int:
    """陈思远 approves the last month's eligible line that needs no second approver."""
    for line in reversed(lines):
        threshold = line.policy.second_approval_above
        if line.decision != ClaimLine.Decision.ELIGIBLE or line.amount is None:
            continue
        if threshold is not None and line.amount > threshold:
            continue
        line_approve(line=line, by=reviewer, note="已核对就业登记和名录，同意。")
        return 1
    return 0
