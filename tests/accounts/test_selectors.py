import pytest

from mamagang.accounts.selectors import (
    district_list_for_user,
    region_list_for_user,
    region_prefixes_for_user,
    user_may_act_on_region,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.regions.models import Region

pytestmark = pytest.mark.django_db


def test_region_list_for_user_district_scope_covers_the_district_and_its_streets_only(
    staff_user, shenzhen_guangzhou
):
    baoan = shenzhen_guangzhou["440306"]
    staff_scope_grant(user=staff_user, region=baoan, granted_by=None)

    codes = set(region_list_for_user(user=staff_user).values_list("code", flat=True))

    assert "440306" in codes
    assert {f"440306{n:03d}" for n in range(17, 27)} <= codes  # Bao'an's ten streets
    assert all(code.startswith("440306") for code in codes)
    assert not user_may_act_on_region(user=staff_user, region_code="440305")


def test_region_list_for_user_city_scope_means_all_its_districts(staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440300"], granted_by=None)

    districts = set(district_list_for_user(user=staff_user).values_list("code", flat=True))
    shenzhen_districts = set(
        Region.objects.filter(level="district", parent__code="440300").values_list(
            "code", flat=True
        )
    )

    assert districts == shenzhen_districts
    assert len(districts) >= 9
    assert user_may_act_on_region(user=staff_user, region_code="440306017")
    assert not user_may_act_on_region(user=staff_user, region_code="440106")


def test_region_list_for_user_combines_several_scopes(staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440106"], granted_by=None)

    districts = set(district_list_for_user(user=staff_user).values_list("code", flat=True))

    assert districts == {"440306", "440106"}


def test_region_prefixes_for_user_drops_prefixes_a_wider_scope_covers(
    staff_user, shenzhen_guangzhou
):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440300"], granted_by=None)

    assert region_prefixes_for_user(user=staff_user) == ["4403"]


@pytest.mark.parametrize("role_fixture", ["applicant", "employer_member"])
def test_region_list_for_user_is_empty_for_non_staff_even_with_a_scope_row(
    request, role_fixture, shenzhen_guangzhou
):
    from mamagang.accounts.models import StaffRegionScope

    user = request.getfixturevalue(role_fixture)
    # A stale scope row must not grant anything without the staff permission.
    StaffRegionScope.objects.create(user=user, region=shenzhen_guangzhou["440300"])

    assert region_list_for_user(user=user).count() == 0
    assert not user_may_act_on_region(user=user, region_code="440306")


def test_region_list_for_user_is_empty_for_staff_without_scope(staff_user, shenzhen_guangzhou):
    assert region_prefixes_for_user(user=staff_user) == []
    assert region_list_for_user(user=staff_user).count() == 0


def test_region_list_for_user_is_empty_for_anonymous(shenzhen_guangzhou):
    from django.contrib.auth.models import AnonymousUser

    assert region_list_for_user(user=AnonymousUser()).count() == 0


def test_region_list_for_user_superuser_reaches_everything(make_user, shenzhen_guangzhou):
    root = make_user(is_superuser=True)

    assert region_list_for_user(user=root).count() == Region.objects.count()


def test_region_list_for_user_bureau_admin_is_scoped_too(bureau_admin, shenzhen_guangzhou):
    staff_scope_grant(user=bureau_admin, region=shenzhen_guangzhou["440106"], granted_by=None)

    assert set(district_list_for_user(user=bureau_admin).values_list("code", flat=True)) == {
        "440106"
    }


def test_district_list_for_user_counts_streets_in_one_query(
    staff_user, shenzhen_guangzhou, django_assert_num_queries
):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440300"], granted_by=None)
    region_prefixes_for_user(user=staff_user)  # warm the per-user prefix cache

    with django_assert_num_queries(1):
        districts = list(district_list_for_user(user=staff_user))

    baoan = next(d for d in districts if d.code == "440306")
    # Ten streets plus the airport, a statistical unit at street level.
    assert baoan.street_count == Region.objects.filter(parent__code="440306").count() == 11
    assert baoan.parent.code == "440300"
