import datetime

import pytest

from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix, region_list_within

from .factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> dict[str, Region]:
    """Two provinces; Shenzhen with Bao'an and Futian; Dongguan with a street of its own."""
    regions: dict[str, Region] = {}
    for code, level, parent in [
        ("440000", Region.Level.PROVINCE, None),
        ("440300", Region.Level.CITY, "440000"),
        ("440306", Region.Level.DISTRICT, "440300"),
        ("440306017", Region.Level.STREET, "440306"),
        ("440306018", Region.Level.STREET, "440306"),
        ("440304", Region.Level.DISTRICT, "440300"),
        ("440304001", Region.Level.STREET, "440304"),
        ("441900", Region.Level.CITY, "440000"),
        ("441900003", Region.Level.STREET, "441900"),
        ("450000", Region.Level.PROVINCE, None),
        ("450100", Region.Level.CITY, "450000"),
    ]:
        regions[code] = RegionFactory(code=code, level=level, parent=regions.get(parent))
    return regions


def _codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("440000", "44"),
        ("440300", "4403"),
        ("441900", "4419"),
        ("440306", "440306"),
        ("440306017", "440306017"),
    ],
)
def test_region_code_prefix_covers_region_and_below(tree, code, prefix):
    assert region_code_prefix(tree[code]) == prefix


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "440000",
            {
                "440000",
                "440300",
                "440306",
                "440306017",
                "440306018",
                "440304",
                "440304001",
                "441900",
                "441900003",
            },
        ),
        ("440300", {"440300", "440306", "440306017", "440306018", "440304", "440304001"}),
        ("441900", {"441900", "441900003"}),
        ("440306", {"440306", "440306017", "440306018"}),
        ("440306017", {"440306017"}),
    ],
)
def test_region_list_within_returns_region_and_everything_below(tree, code, expected):
    assert _codes(region_list_within(prefixes=[region_code_prefix(tree[code])])) == expected


def test_region_list_within_unites_prefixes_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = _codes(region_list_within(prefixes=["440306", "441900003", "4501"]))

    assert codes == {"440306", "440306017", "440306018", "441900003", "450100"}


def test_region_list_within_returns_nothing_when_no_prefixes(tree):
    assert not region_list_within(prefixes=[]).exists()


def test_region_list_within_returns_everything_when_prefix_is_empty(tree):
    assert region_list_within(prefixes=[""]).count() == len(tree)


def test_region_list_within_includes_retired_until_current_is_chained(tree):
    Region.objects.filter(code="440306018").update(valid_to=datetime.date(2023, 12, 31))
    within = region_list_within(prefixes=["440306"])

    assert "440306018" in _codes(within)
    assert "440306018" not in _codes(within.current(on=datetime.date(2024, 1, 1)))
