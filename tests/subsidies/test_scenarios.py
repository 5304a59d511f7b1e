"""The project's subsidy scenario folder, run through `manage.py subsidy_scenario`."""

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from applicants.models import Applicant
from applicants.services import employment_create
from employers.models import Employer, ListingPeriod
from mamagang.accounts.models import User
from subsidies.models import (
    Claim,
    ClaimLine,
    ContributionRecord,
    DecisionRecord,
    RateRow,
    SubsidyPolicy,
)
from subsidies.services import claim_submit_for_employer
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

SCENARIOS = Path(settings.BASE_DIR) / "subsidies" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))

KNOWN_ISSUES: dict[str, str] = {}


def _params() -> list:
    return [
        pytest.param(
            path,
            id=path.stem,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_ISSUES[path.stem])]
            if path.stem in KNOWN_ISSUES
            else [],
        )
        for path in FILES
    ]


SMALL = """
name: 小情景（测试用）
today: 2026-05-12
policies:
  - region: "440306"
    type: employer_social_insurance
    requires_contribution: false
    rates:
      - {from: 2025-01-01, per_month: 300}
employers:
  - key: a
    district: "440306"
    listings: [{from: 2025-01-01}]
people:
  - key: li
    name: 李晓梅
    born: 1990-06-15
    district: "440306"
    retirement_category: F50
    children: [{born: 2019-03, verified: true}]
employments:
  - {person: li, employer: a, start: 2026-01-05}
claims:
  - {employer: a, months: [2026-04]}
expect:
  - {person: li, type: employer_social_insurance, month: 2026-04, decision: eligible,
     amount: %(amount)s, reasons: []}
"""


def _run(*paths) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("subsidy_scenario", *map(str, paths), stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_scenario_folder_is_not_empty():
    assert len(FILES) >= 11


@pytest.mark.parametrize("path", _params())
def test_scenario_passes(shenzhen_guangzhou, path):
    out, error = _run(path)

    assert error is None, out
    assert "FAIL" not in out
    assert "PASS" in out


def test_scenario_with_a_wrong_expectation_fails(shenzhen_guangzhou, tmp_path):
    right = tmp_path / "right.yaml"
    right.write_text(SMALL % {"amount": 300}, encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(SMALL % {"amount": 350}, encoding="utf-8")

    out, error = _run(right, wrong)

    assert error is not None
    assert "FAIL 李晓梅 (li) employer_social_insurance 2026-04" in out
    assert "expected eligible 350.00元 []; got eligible 300.00元 [] (amount differ)" in out
    assert "2 file(s), 2 expectation(s): 1 passed, 1 failed" in out


def test_scenario_rolls_everything_back(shenzhen_guangzhou):
    out, error = _run(SCENARIOS / "rerun_changes_nothing.yaml", SCENARIOS / "claim_window.yaml")

    assert error is None, out
    assert out.count("PASS") == 13
    assert Claim.objects.count() == 0
    assert ContributionRecord.objects.count() == 0
    assert User.objects.count() == 0
    assert ClaimLine.objects.count() == 0
    assert DecisionRecord.objects.count() == 0
    assert SubsidyPolicy.objects.count() == 0
    assert RateRow.objects.count() == 0
    assert Applicant.objects.count() == 0
    assert Employer.objects.count() == 0


def test_scenario_names_a_missing_region(db, tmp_path):
    path = tmp_path / "no_regions.yaml"
    path.write_text(SMALL % {"amount": 300}, encoding="utf-8")

    out, error = _run(path)

    assert error is not None
    assert "ERROR region(s) 440306 not in the database" in out
    assert "python manage.py regions_load" in out


def test_scenario_refusal_expectation_passes_and_unexpected_refusal_fails(
    shenzhen_guangzhou, tmp_path
):
    path = tmp_path / "refused.yaml"
    text = SMALL % {"amount": 300}
    # A claim for the current month is refused (the month is not over).
    text = text.replace(
        "  - {employer: a, months: [2026-04]}",
        "  - {employer: a, months: [2026-04]}\n"
        "  - {employer: a, months: [2026-05], name: early}\n"
        "  - {employer: a, months: [2026-05], name: early_again}",
    )
    text += "  - {claim: early, refused: claim_month_not_over}\n"
    path.write_text(text, encoding="utf-8")

    out, error = _run(path)

    assert "PASS claim early refused claim_month_not_over" in out
    assert "FAIL claim early_again" in out
    assert "refused unexpectedly: claim_month_not_over" in out
    assert error is not None


def test_scenario_reports_an_unknown_key(shenzhen_guangzhou, tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        (SMALL % {"amount": 300}).replace("requires_contribution", "requires_contributions"),
        encoding="utf-8",
    )

    out, error = _run(path)

    assert error is not None
    assert "policies[1]: unknown key(s) requires_contributions" in out


def test_scenario_replaces_a_live_policy_for_the_run_only(
    shenzhen_guangzhou, employer_member, tmp_path
):
    # given a live 宝安 policy at 250 whose rate row a decided line uses
    live = make_policy(amount="250.00", requires_contribution=False, max_months=12)
    employer = listed_employer()
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2025, 1, 1))
    MembershipFactory(user=employer_member, employer=employer)
    employment_create(
        employer=employer,
        applicant=make_mother(),
        registered_by=employer_member,
        start_date=datetime.date(2026, 1, 1),
        employment_form="part_time_hourly",
    )
    claim_submit_for_employer(
        employer=employer, submitted_by=employer_member, months=[datetime.date(2026, 4, 1)]
    )
    live_line = ClaimLine.objects.get()
    assert live_line.rate_row is not None
    path = tmp_path / "trial.yaml"
    path.write_text(SMALL % {"amount": 300}, encoding="utf-8")

    # when the scenario tries the same region and type at 300
    out, error = _run(path)

    # then its lines get 300, and the live policy, rate and line are untouched
    assert error is None, out
    live.refresh_from_db()
    assert (live.requires_contribution, live.max_months) == (False, 12)
    assert list(live.rates.values_list("amount", flat=True)) == [Decimal("250.00")]
    assert list(ClaimLine.objects.values_list("pk", "rate_row_id")) == [
        (live_line.pk, live_line.rate_row_id)
    ]
