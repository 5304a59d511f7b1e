"""Cities without districts (东莞 441900, 中山 442000): the city is the county-level unit."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from employers.models import Employer
from employers.services import (
    employer_register,
    registry_entry_approve,
    registry_entry_create,
    registry_entry_submit,
)
from employers.services.editions import registry_edition_publish, registry_regions_due
from mamagang.accounts.services import staff_scope_grant
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q, region_is_county_level
from tests.conftest import load_shipped_regions
from tests.employers.factories import make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def dongguan(shenzhen_guangzhou):
    return load_shipped_regions("4419")


def test_region_is_county_level_for_districts_and_district_less_cities(dongguan):
    shenzhen = Region.objects.get(code="440300")

    assert region_is_county_level(dongguan["441900"])
    assert region_is_county_level(Region.objects.get(code="440306"))
    assert not region_is_county_level(shenzhen)
    assert not region_is_county_level(Region.objects.get(code="440000"))
    codes = set(Region.objects.filter(county_level_q()).values_list("code", flat=True))
    assert "441900" in codes
    assert "440300" not in codes
    assert "440306" in codes


def test_dongguan_employer_registers_is_decided_and_published(
    dongguan, employer_member, staff_user
):
    street = Region.objects.filter(parent__code="441900", level="street").order_by("code").first()
    employer = employer_register(
        registered_by=employer_member,
        uscc=make_uscc(5, division="441900"),
        name="东莞市示例电子有限公司",
        sector=Employer.Sector.MANUFACTURING,
        district=dongguan["441900"],
        street=street,
        address="示例路1号",
        contact_name="李女士",
        contact_phone="076922000000",
        size=Employer.Size.MEDIUM,
    )
    entry = registry_entry_create(employer=employer, created_by=employer_member)
    registry_entry_submit(entry=entry, submitted_by=employer_member, declaration_confirmed=True)
    staff_scope_grant(user=staff_user, region=dongguan["441900"], granted_by=None)

    registry_entry_approve(entry=entry, decided_by=staff_user)
    edition = registry_edition_publish(region=dongguan["441900"], published_by=staff_user)

    assert edition.number == 1
    assert [row["uscc"] for row in edition.content] == [employer.uscc]
    due = registry_regions_due(now=datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert [r.code for r in due].count("441900") == 1
