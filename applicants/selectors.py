"""Read use-cases of the applicants app."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import QuerySet

from mamagang.core.crypto import keyed_hash
from mamagang.core.identifiers import normalize_ric

from .eligibility import (
    NATIONAL_DEFAULT_POLICY,
    ChildFacts,
    EligibilityResult,
    PersonFacts,
    PolicyFacts,
    evaluate,
)
from .models import Applicant, EligibilityPolicy


def applicant_get_by_id_number(*, id_number: str) -> Applicant | None:
    """Return the applicant with `id_number`, found through its keyed hash."""
    return (
        Applicant.objects.select_related("user", "residence_district")
        .filter(id_number_hash=keyed_hash(normalize_ric(id_number)), anonymised_at__isnull=True)
        .first()
    )


def region_code_chain(code: str) -> list[str]:
    """Return `code`'s county, city and province codes, most specific first."""
    county = code[:6]
    chain = [county, county[:4] + "00", county[:2] + "0000"]
    return list(dict.fromkeys(chain))


class PolicyBook:
    """
    Every eligibility policy in memory (a handful of rows), to resolve the
    policy of many people's regions with one query: the latest row valid on
    the day for the district, else its city, else its province, else the
    national default.
    """

    def __init__(self, rows: QuerySet[EligibilityPolicy] | None = None) -> None:
        rows = rows if rows is not None else EligibilityPolicy.objects.select_related("region")
        self._by_code: dict[str, list[tuple[datetime.date, PolicyFacts]]] = defaultdict(list)
        for row in rows:
            self._by_code[row.region.code].append(
                (
                    row.valid_from,
                    PolicyFacts(
                        child_age_limit=row.child_age_limit,
                        child_age_inclusive=row.child_age_inclusive,
                        admitted_categories=frozenset(row.admitted_categories),
                        require_verified_evidence=row.require_verified_evidence,
                        policy_id=row.pk,
                    ),
                )
            )
        for versions in self._by_code.values():
            versions.sort(key=lambda item: item[0], reverse=True)

    def policy_for(self, region_code: str, on: datetime.date) -> PolicyFacts:
        for code in region_code_chain(region_code):
            for valid_from, facts in self._by_code.get(code, ()):
                if valid_from <= on:
                    return facts
        return NATIONAL_DEFAULT_POLICY


def eligibility_policy_for(*, region_code: str, on: datetime.date) -> PolicyFacts:
    """Return the eligibility policy in force for `region_code` on `on`."""
    chain = region_code_chain(region_code)
    rows = EligibilityPolicy.objects.select_related("region").filter(
        region__code__in=chain, valid_from__lte=on
    )
    return PolicyBook(rows).policy_for(region_code, on)


def person_facts(applicant: Applicant) -> PersonFacts:
    """Return the facts the eligibility rules read (one query for the children)."""
    return PersonFacts(
        birth_date=applicant.birth_date,
        retirement_category=applicant.retirement_category,
        category=applicant.category,
        children=tuple(
            ChildFacts(c.birth_year, c.birth_month, c.verified_at is not None)
            for c in applicant.children.all()
        ),
        care_duties=frozenset(applicant.care_duties),
        evidence_withdrawn=applicant.evidence_withdrawn_at is not None,
    )


def applicant_eligibility(*, applicant: Applicant, on: datetime.date) -> EligibilityResult:
    """Decide `applicant`'s eligibility on `on` under her district's policy."""
    policy = eligibility_policy_for(region_code=applicant.residence_district.code, on=on)
    return evaluate(person_facts(applicant), on, policy)
