"""
Eligibility rules as pure functions (no database), DOMAIN.md §1 and §3.

Statutory retirement age under the gradual reform in force from 2025-01-01
(全国人大常委会关于实施渐进式延迟法定退休年龄的决定, 2024-09-13; State
Council measures Art. 1; DOMAIN.md §3). Pure functions, no database.

The annex tables give year and month; the day of the month is the
birthday's, clamped to the month's length (DOMAIN.md §3.4).
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from enum import StrEnum

from . import rules


class RetirementCategory(StrEnum):
    MEN_60 = "M60"
    WOMEN_55 = "F55"  # cadre / management and technical posts
    WOMEN_50 = "F50"  # worker / production and service posts


# category -> (original age, first affected birth year, birth months per +1
# month, maximum delay in months). 1 month per 4 months of birth cohort for
# men and 55-year women (up to 63 and 58); 1 per 2 for 50-year women (up to 55).
_RULES: dict[RetirementCategory, tuple[int, int, int, int]] = {
    RetirementCategory.MEN_60: (60, 1965, 4, 36),
    RetirementCategory.WOMEN_55: (55, 1970, 4, 36),
    RetirementCategory.WOMEN_50: (50, 1975, 2, 60),
}


@dataclass(frozen=True)
class Retirement:
    age_years: int
    age_months: int
    delay_months: int
    date: datetime.date

    @property
    def year_month(self) -> tuple[int, int]:
        return self.date.year, self.date.month


@functools.lru_cache(maxsize=65536)
def statutory_retirement(birth: datetime.date, category: RetirementCategory | str) -> Retirement:
    """Return the statutory retirement age and date of someone born on `birth`."""
    original, first_year, step, max_delay = _RULES[RetirementCategory(category)]
    index = (birth.year - first_year) * 12 + (birth.month - 1)
    delay = 0 if index < 0 else min(max_delay, index // step + 1)
    age_months = original * 12 + delay
    total = birth.year * 12 + (birth.month - 1) + age_months
    year, month = divmod(total, 12)
    month += 1
    day = min(birth.day, calendar.monthrange(year, month)[1])
    return Retirement(age_months // 12, age_months % 12, delay, datetime.date(year, month, day))


def earliest_retirement(
    birth: datetime.date, category: RetirementCategory | str | None
) -> datetime.date:
    """
    Return the retirement date for `category`; when it is unknown for a
    woman, the earlier (50-year) date, for "approaching retirement" warnings
    (DOMAIN.md §3.5).
    """
    if category:
        return statutory_retirement(birth, category).date
    return statutory_retirement(birth, RetirementCategory.WOMEN_50).date


MINIMUM_WORKING_AGE = 16  # 劳动法 Art. 15 (DOMAIN.md §3.8)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    """Return `day` moved by `years`; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retirement_date(birth_date: datetime.date, category: RetirementCategory | str) -> datetime.date:
    """Return the statutory retirement date for `category` ("F50", "F55", "M60")."""
    return statutory_retirement(birth_date, category).date


def is_working_age(
    birth_date: datetime.date, category: RetirementCategory | str | None, on: datetime.date
) -> bool:
    """
    Return True if on `on` the person is of statutory working age: on or
    after the 16th birthday and before the retirement date (the earlier,
    50-year date when a woman's category is unknown).
    """
    return (
        _add_years(birth_date, MINIMUM_WORKING_AGE)
        <= on
        < earliest_retirement(birth_date, category)
    )


def child_cutoff(
    birth_year: int, birth_month: int, *, limit_years: int = 12, inclusive: bool = True
) -> datetime.date:
    """
    Return the first day on which a child no longer qualifies. With only the
    birth year and month known, the birthday is taken as the 1st of the
    month. "12周岁以下" includes age 12 (民法典 Art. 1259, DOMAIN.md §1.3): by
    default the child qualifies until the 1st of the birth month 13 years
    later; with `inclusive=False`, 12 years later.
    """
    years = rules.child_cutoff_years(limit_years, inclusive)
    return datetime.date(birth_year + years, birth_month, 1)


def child_qualifies(
    birth_year: int,
    birth_month: int,
    on: datetime.date,
    *,
    limit_years: int = 12,
    inclusive: bool = True,
) -> bool:
    """Return True if a child born in `birth_year`-`birth_month` qualifies on `on`."""
    born = datetime.date(birth_year, birth_month, 1)
    cutoff = child_cutoff(birth_year, birth_month, limit_years=limit_years, inclusive=inclusive)
    return born <= on < cutoff


# ---------------------------------------------------------------------------
# The combined check: a person on a day under a region's policy.


# The rules and reason codes are declared once, in applicants.rules; this check
# evaluates the person-scope ones in Python, the subsidy engine renders them to SQL.
Reason = rules.Reason
REASON_LABELS = rules.REASON_LABELS
CHILD_CATEGORIES = rules.CHILD_CATEGORIES
CATEGORY_CARE_DUTIES = rules.CATEGORY_CARE_DUTIES


@dataclass(frozen=True)
class PolicyFacts:
    """The policy in force for a region on a day (applicants.models.EligibilityPolicy)."""

    child_age_limit: int = 12
    child_age_inclusive: bool = True
    admitted_categories: frozenset[str] = frozenset({"mother"})
    require_verified_evidence: bool = True
    policy_id: int | None = None


NATIONAL_DEFAULT_POLICY = PolicyFacts()


@dataclass(frozen=True)
class ChildFacts:
    birth_year: int
    birth_month: int
    verified: bool


@dataclass(frozen=True)
class PersonFacts:
    birth_date: datetime.date
    retirement_category: str  # "F50", "F55", "M60" or "" (unknown)
    category: str
    children: tuple[ChildFacts, ...] = ()
    care_duties: frozenset[str] = frozenset()
    # She withdrew the consent for her children's records (or removed them).
    evidence_withdrawn: bool = False


@dataclass(frozen=True)
class EligibilityResult:
    eligible: bool
    reasons: tuple[str, ...]
    # The first day on which she stops qualifying, if she qualifies and nothing changes.
    until: datetime.date | None

    @property
    def reason_labels(self) -> list[str]:
        return [REASON_LABELS.get(code, code) for code in self.reasons]


def person_rule_facts(person: PersonFacts, on: datetime.date, policy: PolicyFacts) -> dict:
    """The facts the person-scope rules read, named as the engine's SQL names them."""
    qualifying = [
        child
        for child in person.children
        if child_qualifies(
            child.birth_year,
            child.birth_month,
            on,
            limit_years=policy.child_age_limit,
            inclusive=policy.child_age_inclusive,
        )
    ]
    return {
        "working_age": is_working_age(person.birth_date, person.retirement_category or None, on),
        "admitted": person.category in policy.admitted_categories,
        "needs_child": person.category in CHILD_CATEGORIES,
        "has_care_duty": bool(
            CATEGORY_CARE_DUTIES.get(person.category, frozenset()) & person.care_duties
        ),
        "evidence_withdrawn": person.evidence_withdrawn,
        "qualifying": bool(qualifying),
        "qualifying_verified": any(child.verified for child in qualifying),
        "require_verified": policy.require_verified_evidence,
    }


def evaluate(person: PersonFacts, on: datetime.date, policy: PolicyFacts) -> EligibilityResult:
    """
    Decide whether `person` qualifies on `on` under `policy`, with every
    reason that fails (not only the first, in the rules' order) and, when she
    qualifies, the day she stops: the earlier of her retirement date and the
    cut-off of her last qualifying child.
    """
    facts = person_rule_facts(person, on, policy)
    reasons = tuple(rule.reason for rule in rules.PERSON_RULES if rule.failed(facts))
    if reasons:
        return EligibilityResult(False, reasons, None)
    until = earliest_retirement(person.birth_date, person.retirement_category or None)
    if facts["needs_child"]:
        limits = {"limit_years": policy.child_age_limit, "inclusive": policy.child_age_inclusive}
        usable = [
            c
            for c in person.children
            if (c.verified or not policy.require_verified_evidence)
            and child_qualifies(c.birth_year, c.birth_month, on, **limits)
        ]
        until = min(until, max(child_cutoff(c.birth_year, c.birth_month, **limits) for c in usable))
    return EligibilityResult(True, (), until)
