"""The eligibility engine: every reason code, amounts, the clock, and idempotence."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from applicants.models import Child, EligibilityPolicy
from applicants.services import employment_create, employment_end
from employers.models import ListingPeriod
from mamagang.core.crypto import keyed_hash
from subsidies.engine import lines_decide
from subsidies.models import (
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    DecisionRecord,
    RateRow,
)
from subsidies.services import claim_submit_for_employer
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

D = datetime.date
OCT = D(2026, 10, 1)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(shenzhen_guangzhou, employer_member, staff_user):
    employer = listed_employer()
    ListingPeriod.objects.filter(employer=employer).update(listed_from=D(2025, 1, 1))
    MembershipFactory(user=employer_member, employer=employer)
    number = make_ric(D(1990, 6, 15), seq=900)
    mother = make_mother(id_number=number)
    employment = employment_create(
        employer=employer,
        applicant=mother,
        registered_by=employer_member,
        start_date=D(2026, 1, 1),
        employment_form="part_time_hourly",
        has_labour_contract=True,
        contract_months=12,
    )
    return {
        "employer": employer,
        "member": employer_member,
        "mother": mother,
        "number": number,
        "employment": employment,
        "staff": staff_user,
    }


def _contribute(world, month=OCT, employer_amount="270.00", uscc=None):
    source = ContributionImport.objects.get_or_create(
        sha256=f"test-{month}",
        defaults={
            "region": world["employer"].district,
            "file_name": "t.csv",
            "row_count": 1,
            "created_count": 1,
            "imported_by": world["staff"],
        },
    )[0]
    ContributionRecord.objects.create(
        person_hash=keyed_hash(world["number"]),
        month=month,
        employer_uscc=world["employer"].uscc if uscc is None else uscc,
        insurance_types=["pension", "medical"],
        employer_amount=Decimal(employer_amount),
        person_amount=Decimal("100.00"),
        source=source,
    )


def _claim(world, months=(OCT,), now=NOW):
    claim = claim_submit_for_employer(
        employer=world["employer"], submitted_by=world["member"], months=list(months), now=now
    )
    return list(ClaimLine.objects.filter(claim=claim).order_by("month"))


def test_an_eligible_line_gets_the_rate_and_a_decision_record_with_its_inputs(world):
    policy = make_policy()
    _contribute(world)

    (line,) = _claim(world)

    assert (line.decision, line.reasons, line.amount) == ("eligible", [], Decimal("300.00"))
    assert line.rate_row == policy.rates.get()
    record = DecisionRecord.objects.get(line=line)
    assert record.inputs["reference_day"] == "2026-10-01"
    assert record.inputs["children"] == [[2019, 3, True]]
    assert record.inputs["contribution"]["employer_amount"] == 270.0
    assert record.rule_version
    assert world["number"] not in str(record.inputs)


def test_deciding_again_changes_nothing(world):
    policy = make_policy()
    _contribute(world)
    (line,) = _claim(world)

    result = lines_decide(policy=policy, month=OCT)

    assert (result.decided, result.changed) == (1, 0)
    assert DecisionRecord.objects.filter(line=line).count() == 1


def test_a_missing_contribution_record_sends_the_line_to_review_by_default(world):
    # Contribution files arrive monthly and often late (DOMAIN.md §5.4, §5.6).
    make_policy()
    (line,) = _claim(world)
    assert line.decision == "needs_review"
    assert line.reasons == ["no_contribution_record"]
    assert line.amount is None


def test_which_reasons_go_to_review_is_the_policys_data(world):
    make_policy(review_reasons=["child_not_verified"])
    (line,) = _claim(world)
    assert (line.decision, line.reasons) == ("ineligible", ["no_contribution_record"])


def test_a_missing_record_with_another_refusal_is_refused(world):
    make_policy()
    ListingPeriod.objects.filter(employer=world["employer"]).update(listed_until=D(2026, 10, 1))
    (line,) = _claim(world)
    assert line.decision == "ineligible"
    assert set(line.reasons) == {"no_contribution_record", "employer_not_listed"}


def test_a_contribution_arriving_later_makes_the_line_eligible_on_re_decision(world):
    policy = make_policy()
    (line,) = _claim(world)
    _contribute(world)

    result = lines_decide(policy=policy, month=OCT)

    line.refresh_from_db()
    assert result.changed == 1
    assert line.decision == "eligible"
    assert DecisionRecord.objects.filter(line=line).count() == 2


def test_employer_not_listed_on_the_reference_day(world):
    make_policy(requires_contribution=False)
    ListingPeriod.objects.filter(employer=world["employer"]).update(listed_until=D(2026, 10, 1))

    (line,) = _claim(world)

    assert line.reasons == ["employer_not_listed"]


def test_not_employed_on_the_reference_day_and_not_declared(world):
    # Conditions are read on the policy's reference day (here the 20th), not "in the month".
    policy = make_policy(requires_contribution=False, reference_day=20)
    employment_end(
        employment=world["employment"],
        ended_by=world["member"],
        end_date=D(2026, 10, 15),
        reason="resigned",
    )
    sept, octo = _claim(world, months=(D(2026, 9, 1), OCT))
    assert sept.decision == "eligible"
    assert octo.reasons == ["not_employed"]

    world["employment"].__class__.objects.filter(pk=world["employment"].pk).update(
        declared_mamagang=False, declared_at=None, end_date=None, end_reason=""
    )
    lines_decide(policy=policy, month=OCT)
    octo.refresh_from_db()
    assert octo.reasons == ["not_declared"]


def test_labour_contract_requirement(world):
    make_policy(requires_contribution=False, requires_labour_contract=True, min_contract_months=24)
    (line,) = _claim(world)
    assert line.reasons == ["no_labour_contract"]


def test_child_reasons_and_review(world):
    policy = make_policy(requires_contribution=False)
    Child.objects.filter(applicant=world["mother"]).update(verified_at=None, verified_by=None)

    (line,) = _claim(world)
    assert (line.decision, line.reasons) == ("needs_review", ["child_not_verified"])

    Child.objects.filter(applicant=world["mother"]).update(birth_year=2010)
    lines_decide(policy=policy, month=OCT)
    line.refresh_from_db()
    assert (line.decision, line.reasons) == ("ineligible", ["no_qualifying_child"])


def test_the_child_cutoff_follows_the_region_policy(world, shenzhen_guangzhou):
    policy = make_policy(requires_contribution=False)
    # Born 2013-10: inclusive reading qualifies until 2026-10-01 exclusive → not in October.
    Child.objects.filter(applicant=world["mother"]).update(birth_year=2013, birth_month=11)
    (line,) = _claim(world)
    assert line.decision == "eligible"  # cut-off 2026-11-01

    EligibilityPolicy.objects.create(
        region=shenzhen_guangzhou["440306"],
        valid_from=D(2020, 1, 1),
        admitted_categories=["mother"],
        child_age_inclusive=False,
    )
    lines_decide(policy=policy, month=OCT)
    line.refresh_from_db()
    assert line.reasons == ["no_qualifying_child"]  # exclusive: ended 2025-11-01


def test_not_working_age(world):
    make_policy(requires_contribution=False)
    world["mother"].__class__.objects.filter(pk=world["mother"].pk).update(
        retirement_on=D(2026, 9, 15)
    )
    (line,) = _claim(world)
    assert line.reasons == ["not_working_age"]


def test_outside_claim_window(world):
    make_policy(requires_contribution=False, claim_window_months=1)
    late = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    (line,) = _claim(world, now=late)
    assert line.reasons == ["outside_claim_window"]


def test_no_rate_in_force(world):
    policy = make_policy(requires_contribution=False)
    policy.rates.update(valid_until=D(2026, 9, 1))
    (line,) = _claim(world)
    assert line.reasons == ["no_rate_in_force"]


def test_a_late_claim_for_an_earlier_month_gets_the_earlier_rate(world):
    policy = make_policy(requires_contribution=False)
    policy.rates.update(valid_until=D(2026, 10, 1))
    RateRow.objects.create(
        policy=policy, valid_from=D(2026, 10, 1), kind="per_month", amount=Decimal("350.00")
    )

    sept, octo = _claim(world, months=(D(2026, 9, 1), OCT))

    assert (sept.amount, octo.amount) == (Decimal("300.00"), Decimal("350.00"))


def test_a_share_of_the_contribution_is_capped_but_never_raised_to_the_cap(world):
    policy = make_policy(requires_contribution=False)
    policy.rates.update(
        kind="contribution_share", amount=None, share=Decimal("0.6666666667"), cap=300
    )
    _contribute(world, employer_amount="270.00")
    _contribute(world, month=D(2026, 9, 1), employer_amount="600.00")

    sept, octo = _claim(world, months=(D(2026, 9, 1), OCT))

    assert octo.amount == Decimal("180.00")  # 2/3 of 270, never a fen more
    assert sept.amount == Decimal("300.00")


def test_the_entitlement_clock_counts_eligible_months(world):
    policy = make_policy(requires_contribution=False, max_months=2, claim_window_months=12)
    lines = _claim(world, months=(D(2026, 7, 1), D(2026, 8, 1)))
    assert [line.decision for line in lines] == ["eligible", "eligible"]

    (sept,) = _claim(world, months=(D(2026, 9, 1),))
    assert sept.reasons == ["entitlement_exhausted"]
    assert policy.max_months == 2


def test_within_five_years_of_retirement_the_clock_extends_to_retirement(world):
    make_policy(
        requires_contribution=False,
        max_months=1,
        retirement_extension_years=5,
        claim_window_months=12,
    )
    world["mother"].__class__.objects.filter(pk=world["mother"].pk).update(
        retirement_on=D(2030, 1, 1)
    )
    _claim(world, months=(D(2026, 8, 1),))
    (sept,) = _claim(world, months=(D(2026, 9, 1),))
    assert sept.decision == "eligible"


def test_a_second_claimant_for_the_same_person_month_is_refused(world, make_user):
    make_policy(requires_contribution=False)
    (first,) = _claim(world)
    other = listed_employer()
    ListingPeriod.objects.filter(employer=other).update(listed_from=D(2025, 1, 1))
    member = make_user("employer_member")
    MembershipFactory(user=member, employer=other)
    employment_create(
        employer=other,
        applicant=world["mother"],
        registered_by=member,
        start_date=D(2026, 1, 1),
        employment_form="part_time_hourly",
    )

    claim = claim_submit_for_employer(employer=other, submitted_by=member, months=[OCT], now=NOW)

    (second,) = ClaimLine.objects.filter(claim=claim)
    assert (second.status, second.reasons) == ("rejected", ["duplicate_person_month"])
    assert ClaimLine.objects.exclude(status="rejected").get() == first


def test_an_approved_line_whose_decision_changes_goes_back_to_review(world, bureau_admin):
    from mamagang.accounts.services import staff_scope_grant
    from subsidies.services import line_approve

    policy = make_policy(requires_contribution=False)
    staff_scope_grant(user=world["staff"], region=world["employer"].district, granted_by=None)
    (line,) = _claim(world)
    line_approve(line=line, by=world["staff"])
    ListingPeriod.objects.filter(employer=world["employer"]).update(listed_until=D(2026, 9, 1))

    lines_decide(policy=policy, month=OCT)

    line.refresh_from_db()
    assert (line.status, line.decision) == ("open", "ineligible")
    assert line.approved_by is None


# Issue 13: late contribution files, withdrawn consent ---------------------------------------


def test_a_later_import_of_the_months_file_makes_the_waiting_line_eligible_by_itself(
    world, django_capture_on_commit_callbacks
):
    import csv
    import io

    from mamagang.accounts.services import staff_scope_grant
    from subsidies.services import contributions_import

    # given a line waiting for review because October's file has not arrived
    make_policy()
    (line,) = _claim(world)
    assert (line.decision, line.reasons) == ("needs_review", ["no_contribution_record"])
    staff = world["staff"]
    staff_scope_grant(user=staff, region=world["employer"].district, granted_by=None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["身份证号码", "单位统一社会信用代码", "所属月份", "险种", "单位缴费", "个人缴费"]
    )
    writer.writerow(
        [world["number"], world["employer"].uscc, "2026-10", "养老、医疗", "270.00", "90.00"]
    )

    # when staff import the month's file (nobody touches the line)
    with django_capture_on_commit_callbacks(execute=True):
        result = contributions_import(
            file_name="2026-10.csv",
            data=buffer.getvalue().encode("utf-8-sig"),
            region=world["employer"].district,
            imported_by=staff,
        )

    # then the line is decided again at once: eligible, with a new decision record
    assert not result.errors
    assert result.created == 1
    line.refresh_from_db()
    assert (line.decision, line.reasons, line.amount) == ("eligible", [], Decimal("300.00"))
    assert DecisionRecord.objects.filter(line=line).count() == 2


def test_a_withdrawn_consent_keeps_decided_months_and_sends_later_ones_to_review(world):
    from applicants.models import Consent
    from applicants.services import consent_withdraw

    # given October decided eligible
    policy = make_policy()
    sep = D(2026, 9, 1)
    _contribute(world)
    _contribute(world, month=sep)
    (october,) = _claim(world)
    assert october.decision == "eligible"

    # when she withdraws the consent for her children's records
    mother = world["mother"]
    consent_withdraw(applicant=mother, kind=Consent.Kind.GUARDIAN_CHILDREN)
    assert not Child.objects.filter(applicant=mother).exists()

    # then October keeps its conclusion about the children when decided again (the first
    # record's snapshot is the evidence at the time), and a month first decided
    # afterwards waits for a person
    lines_decide(policy=policy, month=OCT)
    october.refresh_from_db()
    assert (october.decision, october.amount) == ("eligible", Decimal("300.00"))
    first, latest = DecisionRecord.objects.filter(line=october).order_by("pk")
    assert first.inputs["children"] == [[2019, 3, True]]
    assert (latest.inputs["children"], latest.inputs["child_facts_kept"]) == ([], True)
    (september,) = _claim(world, months=[sep])
    assert (september.decision, september.reasons) == ("needs_review", ["evidence_withdrawn"])


def test_a_line_waiting_for_a_file_before_a_withdrawal_still_becomes_eligible(world):
    from applicants.models import Consent
    from applicants.services import consent_withdraw

    # given October waiting for its contribution file, then her consent withdrawn
    policy = make_policy()
    (october,) = _claim(world)
    assert october.decision == "needs_review"
    consent_withdraw(applicant=world["mother"], kind=Consent.Kind.GUARDIAN_CHILDREN)

    # when the file arrives and the month is decided again
    _contribute(world)
    lines_decide(policy=policy, month=OCT)

    # then the children's evidence as it was still counts: eligible
    october.refresh_from_db()
    assert (october.decision, october.reasons) == ("eligible", [])
