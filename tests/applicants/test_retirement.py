import datetime

import pytest

from applicants.retirement import RetirementCategory, earliest_retirement, statutory_retirement

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
