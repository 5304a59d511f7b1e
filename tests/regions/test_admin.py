from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mamagang.regions.models import Region

from .factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(
        "13900000001", "a-long-password-1", display_name="管理员"
    )
    client.force_login(user)
    return client


def test_region_admin_lists_search_results(admin_client):
    city = RegionFactory(code="440300", name="深圳市", level=Region.Level.CITY)
    RegionFactory(code="440306", name="宝安区", parent=city)
    RegionFactory(code="441900", name="东莞市", level=Region.Level.CITY)

    response = admin_client.get(reverse("admin:regions_region_changelist"), {"q": "4403"})

    assert response.status_code == HTTPStatus.OK
    assert "宝安区" in response.text
    assert "东莞市" not in response.text


def test_region_admin_refuses_changes(admin_client):
    region = RegionFactory(code="440306")

    change = admin_client.post(
        reverse("admin:regions_region_change", args=[region.pk]), {"name": "改名"}
    )
    add = admin_client.get(reverse("admin:regions_region_add"))

    assert change.status_code == HTTPStatus.FORBIDDEN
    assert add.status_code == HTTPStatus.FORBIDDEN
    region.refresh_from_db()
    assert region.name != "改名"
