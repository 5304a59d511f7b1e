import datetime

import pytest
from django.utils import timezone

from mamagang.regions.models import Region

from .factories import RegionFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def tree() -> dict[str, Region]:
    province = RegionFactory(code="440000", level=Region.Level.PROVINCE)
    city = RegionFactory(code="440300", level=Region.Level.CITY, parent=province)
    district = RegionFactory(code="440306", level=Region.Level.DISTRICT, parent=city)
    street = RegionFactory(code="440306017", level=Region.Level.STREET, parent=district)
    other = RegionFactory(code="441900", level=Region.Level.CITY, parent=province)
    return {r.code: r for r in (province, city, district, street, other)}


def _codes(qs) -> list[str]:
    return list(qs.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "on", "current"),
    [
        (D(2023, 1, 1), None, D(2023, 1, 1), True),
        (D(2023, 1, 1), None, D(2022, 12, 31), False),
        (D(2023, 1, 1), D(2023, 12, 31), D(2023, 12, 31), True),
        (D(2023, 1, 1), D(2023, 12, 31), D(2024, 1, 1), False),
    ],
)
def test_region_queryset_current_keeps_regions_valid_on_date(valid_from, valid_to, on, current):
    RegionFactory(code="440306", valid_from=valid_from, valid_to=valid_to)

    assert Region.objects.current(on=on).exists() is current


def test_region_queryset_current_defaults_to_local_today():
    today = timezone.localdate()
    RegionFactory(code="440306", valid_from=today)
    RegionFactory(code="440307", valid_from=today + datetime.timedelta(days=1))
    RegionFactory(code="440308", valid_from=D(2023, 1, 1), valid_to=today - datetime.timedelta(1))

    assert _codes(Region.objects.current()) == ["440306"]


def test_region_queryset_filters_by_level(tree):
    assert _codes(Region.objects.provinces()) == ["440000"]
    assert _codes(Region.objects.cities()) == ["440300", "441900"]
    assert _codes(Region.objects.districts()) == ["440306"]
    assert _codes(Region.objects.streets()) == ["440306017"]


def test_region_queryset_within_keeps_codes_under_prefix(tree):
    assert _codes(Region.objects.within("4403")) == ["440300", "440306", "440306017"]
    assert _codes(Region.objects.within("4403").streets()) == ["440306017"]
