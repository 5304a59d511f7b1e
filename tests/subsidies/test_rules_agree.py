"""
The per-person check and the engine agree (issue 13): one rule set, two deciders.

Hypothesis generates eligibility policies (age limit, inclusive or not, admitted
categories, evidence rule), reference days and, for each, a crowd of people (birth
dates near the 16th birthday and near retirement, every category and retirement
category, any care duties, children near the age cut-off with and without
verification, a withdrawn consent now and then). The people are written to the
database as an engine would find them; the engine decides their claim lines in
one statement; every line's decision and reason set must equal what the
per-person check says of the same person on the same day.

Only person-scope rules can fail here (a flexible worker's own subsidy with no
contribution, clock, window or rate condition in the way), so the two reason
sets must be identical, and each `ineligible`/`needs_review` follows from them.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applicants.eligibility import earliest_retirement
from applicants.models import Applicant, Child, EligibilityPolicy
from applicants.rules import ALWAYS_REVIEW_REASONS
from applicants.selectors import applicant_eligibility
from mamagang.regions.models import Region
from subsidies.engine import lines_decide
from subsidies.models import Claim, ClaimLine, SubsidyType
from tests.applicants.factories import make_mother
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

PEOPLE = 100  # per generated policy and day
EXAMPLES = 25  # 2,500 generated people per run
CATEGORIES = [c.value for c in Applicant.Category]
DUTIES = [d.value for d in Applicant.CareDuty]
RETIREMENT = ["F50", "F55", "M60", ""]
D = datetime.date


def _shift_years(day: datetime.date, years: int, days: int) -> datetime.date:
    try:
        moved = day.replace(year=day.year - years)
    except ValueError:
        moved = day.replace(year=day.year - years, day=28)
    return moved + datetime.timedelta(days=days)


@st.composite
def person(draw, day: datetime.date, limit: int):
    near = draw(st.sampled_from([16, 50, 55, 58, 60, 63, None]))
    if near is None:
        birth = draw(st.dates(D(1950, 1, 1), D(2012, 12, 31)))
    else:
        birth = _shift_years(day, near, draw(st.integers(-400, 400)))
    children = draw(
        st.lists(
            st.tuples(
                st.integers(day.year - limit - 2, day.year + 1),
                st.integers(1, 12),
                st.booleans(),
            ),
            max_size=3,
        )
    )
    return {
        "birth_date": birth,
        "retirement_category": draw(st.sampled_from(RETIREMENT)),
        "category": draw(st.sampled_from(CATEGORIES)),
        "care_duties": sorted(draw(st.sets(st.sampled_from(DUTIES)))),
        # Rarely: she withdrew the consent for her children's records.
        "evidence_withdrawn": draw(st.integers(0, 9)) == 0,
        "children": children,
    }


@st.composite
def case(draw):
    month = draw(st.dates(D(2018, 1, 1), D(2032, 12, 1))).replace(day=1)
    reference_day = draw(st.integers(1, 28))
    limit = draw(st.sampled_from([6, 10, 12, 12, 12, 14, 16, 18]))
    policy = {
        "child_age_limit": limit,
        "child_age_inclusive": draw(st.booleans()),
        "admitted_categories": sorted(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1))),
        "require_verified_evidence": draw(st.booleans()),
    }
    day = month.replace(day=reference_day)
    people = draw(st.lists(person(day, limit), min_size=PEOPLE, max_size=PEOPLE))
    return month, reference_day, policy, people


@pytest.fixture
def crowd(shenzhen_guangzhou, staff_user):
    """PEOPLE applicants, each with a line of one flexible-worker policy's month."""
    policy = make_policy(
        type_code="flexible_social_insurance",
        requires_contribution=False,
        requires_listing=False,
        requires_declaration=False,
        claim_window_months=600,
        valid_from=D(2000, 1, 1),
    )
    applicants = [make_mother(children=[]) for _ in range(PEOPLE)]
    claim = Claim.objects.create(
        source=Claim.Source.PERSON,
        region=Region.objects.get(code="440306"),
        applicant=applicants[0],
        submitted_by=applicants[0].user,
        submitted_at=datetime.datetime(2000, 1, 2, 12, tzinfo=datetime.UTC),
    )
    lines = ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            applicant=a,
            subsidy_type=SubsidyType.objects.get(code="flexible_social_insurance"),
            month=D(2018, 1, 1),
            policy=policy,
            decision="pending",
            reasons=[],
            status="open",
            status_reason="",
            inputs_digest="",
        )
        for a in applicants
    )
    eligibility = EligibilityPolicy.objects.create(
        region=Region.objects.get(code="440306"),
        valid_from=D(2000, 1, 1),
        admitted_categories=["mother"],
    )
    return {
        "policy": policy,
        "applicants": applicants,
        "lines": lines,
        "eligibility": eligibility,
        "verifier": staff_user,
    }


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=case())
def test_the_engine_and_the_per_person_check_decide_every_person_alike(crowd, generated):
    month, reference_day, facts, people = generated
    with transaction.atomic():
        # given the generated policy, day and people, written as the engine reads them
        policy = crowd["policy"]
        policy.reference_day = reference_day
        policy.save(update_fields=["reference_day"])
        EligibilityPolicy.objects.filter(pk=crowd["eligibility"].pk).update(**facts)
        now = timezone.now()
        applicants = crowd["applicants"]
        for applicant, p in zip(applicants, people, strict=True):
            applicant.birth_date = p["birth_date"]
            applicant.retirement_category = p["retirement_category"]
            applicant.retirement_on = earliest_retirement(
                p["birth_date"], p["retirement_category"] or None
            )
            applicant.category = p["category"]
            applicant.care_duties = p["care_duties"]
            applicant.evidence_withdrawn_at = now if p["evidence_withdrawn"] else None
        Applicant.objects.bulk_update(
            applicants,
            [
                "birth_date",
                "retirement_category",
                "retirement_on",
                "category",
                "care_duties",
                "evidence_withdrawn_at",
            ],
        )
        Child.objects.filter(applicant__in=applicants).delete()
        Child.objects.bulk_create(
            Child(
                applicant=applicant,
                birth_year=year,
                birth_month=birth_month,
                relationship=Child.Relationship.PARENT,
                evidence=Child.Evidence.BIRTH_CERTIFICATE,
                verified_by=crowd["verifier"] if verified else None,
                verified_at=now if verified else None,
            )
            for applicant, p in zip(applicants, people, strict=True)
            for year, birth_month, verified in p["children"]
        )
        ClaimLine.objects.filter(pk__in=[line.pk for line in crowd["lines"]]).update(
            month=month, decision="pending", reasons=[], inputs_digest="", decided_at=None
        )

        # when the engine decides the month and the per-person check looks at each person
        lines_decide(policy=policy, month=month)
        day = month.replace(day=reference_day)
        decided = {
            applicant_id: (set(reasons), decision)
            for applicant_id, reasons, decision in ClaimLine.objects.filter(
                pk__in=[line.pk for line in crowd["lines"]]
            ).values_list("applicant_id", "reasons", "decision")
        }
        review = {*policy.review_reasons, *ALWAYS_REVIEW_REASONS}

        # then both say the same of every person
        for applicant, p in zip(applicants, people, strict=True):
            applicant.refresh_from_db()
            result = applicant_eligibility(applicant=applicant, on=day)
            expected = (
                "eligible"
                if result.eligible
                else "needs_review"
                if set(result.reasons) <= review
                else "ineligible"
            )
            assert decided[applicant.pk] == (set(result.reasons), expected), (p, facts, day)
        transaction.set_rollback(True)
