import datetime

import pytest

from applicants.eligibility import (
    RetirementCategory,
    child_cutoff,
    child_qualifies,
    earliest_retirement,
    is_working_age,
    retirement_date,
    statutory_retirement,
)

# DOMAIN.md §3.4: the first four rows are confirmed by independent public sources;
# the others are derived from the rule and still to be checked against annex 3.
VECTORS = [
    ((1971, 4), "F55", (55, 4), (2026, 8), 4),
    ((1967, 5), "M60", (60, 8), (2028, 1), 8),
    ((1974, 10), "F55", (56, 3), (2031, 1), 15),
    ((1983, 2), "M60", (63, 0), (2046, 2), 36),
    ((1974, 12), "F50", (50, 0), (2024, 12), 0),
    ((1975, 1), "F50", (50, 1), (2025, 2), 1),
    ((1975, 2), "F50", (50, 1), (2025, 3), 1),
    ((1980, 6), "F50", (52, 9), (2033, 3), 33),
    ((1984, 12), "F50", (55, 0), (2039, 12), 60),
    ((1970, 1), "F55", (55, 1), (2025, 2), 1),
    ((1981, 12), "F55", (58, 0), (2039, 12), 36),
]


@pytest.mark.parametrize(("born", "category", "age", "retires", "delay"), VECTORS)
def test_statutory_retirement_matches_the_annex_vectors(born, category, age, retires, delay):
    result = statutory_retirement(datetime.date(*born, 15), category)

    assert (result.age_years, result.age_months) == age
    assert result.year_month == retires
    assert result.delay_months == delay


def test_statutory_retirement_day_is_the_birthday_clamped_to_the_month():
    # Born 1967-05-12 → retires 2028-01-12 (a public case library).
    assert statutory_retirement(datetime.date(1967, 5, 12), "M60").date == datetime.date(
        2028, 1, 12
    )
    # Born on the 31st; the retirement month (June 2026: 1975-12 + 50 y 6 m) has 30 days.
    result = statutory_retirement(datetime.date(1975, 12, 31), RetirementCategory.WOMEN_50)
    assert result.date == datetime.date(2026, 6, 30)


def test_delay_is_capped_after_the_last_affected_cohort():
    assert statutory_retirement(datetime.date(1990, 1, 1), "F50").delay_months == 60
    assert statutory_retirement(datetime.date(1960, 1, 1), "M60").delay_months == 0


def test_earliest_retirement_uses_the_50_year_rule_when_the_category_is_unknown():
    born = datetime.date(1978, 3, 3)

    assert earliest_retirement(born, None) == statutory_retirement(born, "F50").date
    assert earliest_retirement(born, "F55") == statutory_retirement(born, "F55").date
    assert earliest_retirement(born, None) < earliest_retirement(born, "F55")


def test_retirement_date_is_the_statutory_date():
    assert retirement_date(datetime.date(1967, 5, 12), "M60") == datetime.date(2028, 1, 12)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (datetime.date(2026, 2, 28), False),  # the day before the 16th birthday
        (datetime.date(2026, 3, 1), True),  # the 16th birthday
    ],
)
def test_is_working_age_starts_on_the_16th_birthday(on, expected):
    assert is_working_age(datetime.date(2010, 3, 1), "F55", on) is expected


def test_is_working_age_ends_on_the_retirement_date():
    born = datetime.date(1971, 4, 10)  # F55: retires 2026-08-10
    retires = retirement_date(born, "F55")

    assert is_working_age(born, "F55", retires - datetime.timedelta(days=1))
    assert not is_working_age(born, "F55", retires)
    # Category unknown: the earlier 50-year date decides.
    assert not is_working_age(born, None, datetime.date(2025, 1, 1))


@pytest.mark.parametrize(
    ("inclusive", "on", "expected"),
    [
        # Born 2014-03: "12周岁以下" read inclusively qualifies until 2027-03-01.
        (True, datetime.date(2027, 2, 28), True),
        (True, datetime.date(2027, 3, 1), False),
        # Read exclusively, until 2026-03-01.
        (False, datetime.date(2026, 2, 28), True),
        (False, datetime.date(2026, 3, 1), False),
        # Not yet born.
        (True, datetime.date(2014, 2, 28), False),
        (True, datetime.date(2014, 3, 1), True),
    ],
)
def test_child_qualifies_at_the_cut_off_edges(inclusive, on, expected):
    assert child_qualifies(2014, 3, on, inclusive=inclusive) is expected


def test_child_cutoff_honours_a_regional_age_limit():
    assert child_cutoff(2014, 3, limit_years=14, inclusive=False) == datetime.date(2028, 3, 1)


# ---------------------------------------------------------------------------
# The combined check with reason codes, under a region's policy.

from applicants.eligibility import (  # noqa: E402
    ChildFacts,
    PersonFacts,
    PolicyFacts,
    Reason,
    evaluate,
)

TODAY = datetime.date(2026, 11, 28)
MOTHER = PersonFacts(
    birth_date=datetime.date(1990, 6, 15),
    retirement_category="F50",
    category="mother",
    children=(ChildFacts(2019, 3, True),),
)


def test_a_working_age_mother_with_a_verified_young_child_is_eligible_until_its_cutoff():
    result = evaluate(MOTHER, TODAY, PolicyFacts())

    assert result.eligible
    assert result.reasons == ()
    assert result.until == datetime.date(2032, 3, 1)


def test_the_retirement_date_ends_eligibility_when_it_comes_first():
    person = PersonFacts(
        birth_date=datetime.date(1977, 1, 10),
        retirement_category="F50",
        category="mother",
        children=(ChildFacts(2020, 1, True),),
    )

    result = evaluate(person, TODAY, PolicyFacts())

    assert result.eligible
    assert result.until == retirement_date(datetime.date(1977, 1, 10), "F50")


def test_every_failing_condition_is_reported_not_only_the_first():
    person = PersonFacts(
        birth_date=datetime.date(1960, 1, 1),
        retirement_category="F50",
        category="caregiver_disabled",
        children=(),
    )

    result = evaluate(person, TODAY, PolicyFacts())

    assert not result.eligible
    assert result.until is None
    assert set(result.reasons) == {
        Reason.NOT_WORKING_AGE,
        Reason.CATEGORY_NOT_ADMITTED,
        Reason.NO_CARE_DUTY,
    }
    assert all(isinstance(str(label), str) for label in result.reason_labels)


def test_a_qualifying_child_not_yet_verified_gives_child_not_verified():
    person = PersonFacts(**{**MOTHER.__dict__, "children": (ChildFacts(2019, 3, False),)})

    assert evaluate(person, TODAY, PolicyFacts()).reasons == (Reason.CHILD_NOT_VERIFIED,)
    relaxed = PolicyFacts(require_verified_evidence=False)
    assert evaluate(person, TODAY, relaxed).eligible


def test_the_child_cutoff_follows_the_policy_reading_on_its_edges():
    person = PersonFacts(**{**MOTHER.__dict__, "children": (ChildFacts(2013, 12, True),)})
    inclusive, exclusive = PolicyFacts(), PolicyFacts(child_age_inclusive=False)

    # Inclusive ("12周岁以下" includes 12): until 2026-12-01, not on it.
    assert evaluate(person, datetime.date(2026, 11, 30), inclusive).eligible
    assert evaluate(person, datetime.date(2026, 12, 1), inclusive).reasons == (
        Reason.NO_QUALIFYING_CHILD,
    )
    # Exclusive: a year earlier.
    assert evaluate(person, datetime.date(2025, 11, 30), exclusive).eligible
    assert not evaluate(person, datetime.date(2025, 12, 1), exclusive).eligible


def test_other_categories_count_only_where_the_region_admits_them():
    father = PersonFacts(**{**MOTHER.__dict__, "category": "other_caregiver_child"})
    zhongshan = PolicyFacts(admitted_categories=frozenset({"mother", "other_caregiver_child"}))

    assert evaluate(father, TODAY, PolicyFacts()).reasons == (Reason.CATEGORY_NOT_ADMITTED,)
    assert evaluate(father, TODAY, zhongshan).eligible


def test_a_carer_of_a_disabled_elder_needs_that_duty_declared_not_a_child():
    carer = PersonFacts(
        birth_date=datetime.date(1985, 1, 1),
        retirement_category="F50",
        category="caregiver_disabled_elderly",
        children=(),
        care_duties=frozenset({"disabled_elderly"}),
    )
    policy = PolicyFacts(admitted_categories=frozenset({"caregiver_disabled_elderly"}))

    result = evaluate(carer, TODAY, policy)

    assert result.eligible
    assert result.until == earliest_retirement(datetime.date(1985, 1, 1), "F50")
