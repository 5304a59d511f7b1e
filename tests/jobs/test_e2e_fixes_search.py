"""Fixes the mother's browser journey exposed on the public search and post pages."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.jobs.factories import make_job

pytestmark = pytest.mark.django_db

LIST_URL = reverse("jobs:job-list")


def test_search_form_submission_redirects_to_a_tidy_address(client, shenzhen_guangzhou):
    # What the form sends after tapping a preset and typing a keyword.
    response = client.get(
        LIST_URL,
        {
            "free": "1-5@09:00-15:00",
            "q": "直播",
            "ff": "09:00",
            "ft": "15:00",
            "city": "",
            "district": "",
            "min_hourly": "",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    query = parse_qs(urlsplit(response.url).query)
    assert query == {"free": ["1-5@09:00-15:00"], "q": ["直播"]}


def test_search_with_only_blank_fields_redirects_to_the_bare_list(client, shenzhen_guangzhou):
    response = client.get(LIST_URL, {"q": "", "ff": "09:00", "ft": "15:00"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == LIST_URL


def test_tidy_search_address_is_served_and_shared_as_is(client, shenzhen_guangzhou):
    make_job(title="电商直播助理")

    response = client.get(LIST_URL, {"free": "1-5@09:00-15:00", "q": "直播"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["share_url"].endswith(
        "?free=1-5%4009%3A00-15%3A00&q=%E7%9B%B4%E6%92%AD"
    )


def test_picker_without_a_day_still_shows_its_error_instead_of_redirecting(
    client, shenzhen_guangzhou
):
    response = client.get(LIST_URL, {"add_free": "1", "ff": "09:00", "ft": "15:00", "city": ""})

    assert response.status_code == HTTPStatus.OK
    assert "请至少选择一天。" in response.content.decode()


def test_keyword_alone_leaves_the_filter_panel_closed(client, shenzhen_guangzhou):
    make_job(title="电商直播助理")

    response = client.get(LIST_URL, {"q": "直播"})

    assert response.context["filters_open"] is False
    assert '<details class="job-filters card">' in response.content.decode()


@pytest.mark.parametrize(
    "params", [{"sector": "ecommerce"}, {"min_hourly": "20"}, {"school_run": "1"}]
)
def test_a_filter_inside_the_panel_opens_it(client, shenzhen_guangzhou, params):
    make_job(title="电商直播助理")

    response = client.get(LIST_URL, params)

    assert response.context["filters_open"] is True
    assert '<details class="job-filters card" open>' in response.content.decode()


def test_post_page_register_link_comes_back_to_the_post(client, shenzhen_guangzhou):
    job = make_job(title="电商直播助理")

    html = client.get(reverse("jobs:job-detail", kwargs={"pk": job.pk})).content.decode()

    register = reverse("accounts:register", kwargs={"kind": "mother"})
    assert f'href="{register}?next=/jobs/{job.pk}/"' in html
