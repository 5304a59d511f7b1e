from http import HTTPStatus

import pytest
from django.urls import reverse

from mamagang.regions.models import Region

pytestmark = pytest.mark.django_db


def test_region_list_filters_children_of_a_parent(api_client, shenzhen_guangzhou):
    response = api_client.get(reverse("api:region-list"), {"parent": "440306", "page_size": 50})

    assert response.status_code == HTTPStatus.OK
    codes = [row["code"] for row in response.json()["results"]]
    assert codes[:10] == [f"440306{n:03d}" for n in range(17, 27)]
    assert all(row["parent"] == "440306" for row in response.json()["results"])


def test_region_list_filters_by_level_and_prefix(api_client, shenzhen_guangzhou):
    response = api_client.get(reverse("api:region-list"), {"level": "district", "within": "4403"})

    codes = {row["code"] for row in response.json()["results"]}
    assert "440306" in codes
    assert all(code.startswith("4403") and len(code) == 6 for code in codes)


def test_region_list_hides_retired_codes_unless_asked(api_client, shenzhen_guangzhou):
    Region.objects.filter(code="440306400").update(valid_to="2023-06-30")
    url = reverse("api:region-list")

    current = {r["code"] for r in api_client.get(url, {"parent": "440306"}).json()["results"]}
    everything = {
        r["code"]
        for r in api_client.get(url, {"parent": "440306", "include_retired": "true"}).json()[
            "results"
        ]
    }

    assert "440306400" not in current
    assert "440306400" in everything


def test_region_list_rejects_an_invalid_level_with_400(api_client, shenzhen_guangzhou):
    response = api_client.get(reverse("api:region-list"), {"level": "planet"})

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_region_list_query_count_is_constant(
    api_client, shenzhen_guangzhou, django_assert_num_queries
):
    with django_assert_num_queries(2):  # count + page (parent joined)
        response = api_client.get(reverse("api:region-list"), {"within": "4403", "page_size": 100})
    assert len(response.json()["results"]) > 20


def test_region_detail_by_code(api_client, shenzhen_guangzhou):
    response = api_client.get(reverse("api:region-detail", args=["440306"]))

    assert response.json()["name"] == shenzhen_guangzhou["440306"].name
    assert response.json()["parent"] == "440300"
    assert api_client.get(reverse("api:region-detail", args=["999999"])).status_code == 404
