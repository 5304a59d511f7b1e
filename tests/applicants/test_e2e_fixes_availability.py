"""Fixes the mother's browser journey exposed in her area: the one-tap usual free time."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from mamagang.core.models import AuditEvent
from tests.applicants.factories import WEEKDAYS_9_TO_3, make_mother

pytestmark = pytest.mark.django_db

URL = reverse("applicants:me-availability")


@pytest.fixture
def mother(shenzhen_guangzhou, applicant):
    return make_mother(user=applicant, windows=[])


@pytest.fixture
def mother_client(client, mother):
    client.force_login(mother.user)
    return client


def _windows(mother) -> list[tuple[int, int, int]]:
    return list(
        mother.free_windows.order_by("weekday", "start_minute").values_list(
            "weekday", "start_minute", "end_minute"
        )
    )


def test_availability_page_offers_the_usual_spans_as_one_tap_buttons(mother_client):
    html = mother_client.get(URL).content.decode()

    assert "常用时间，点一下就添加" in html
    assert 'name="preset" value="1-5@09:00-15:00"' in html
    assert "工作日 9:00–15:00" in html


def test_availability_preset_saves_weekdays_nine_to_three_at_once(mother_client, mother):
    response = mother_client.post(URL, {"preset": "1-5@09:00-15:00"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == URL
    assert _windows(mother) == WEEKDAYS_9_TO_3
    assert AuditEvent.objects.filter(action="applicant.free_windows_set").exists()
    page = mother_client.get(URL).content.decode()
    assert "已添加空闲时间：周一至周五 09:00–15:00。" in page


def test_availability_preset_keeps_the_windows_she_had(mother_client, mother):
    mother_client.post(URL, {"preset": "6-7@08:00-20:00"})

    mother_client.post(URL, {"preset": "1-5@09:00-15:00"})

    weekend = [(day, 8 * 60, 20 * 60) for day in (5, 6)]
    assert _windows(mother) == [*WEEKDAYS_9_TO_3, *weekend]


def test_availability_preset_merges_with_an_overlapping_window(mother_client, mother):
    mother_client.post(URL, {"preset": "1-5@08:00-12:00"})

    mother_client.post(URL, {"preset": "1-5@09:00-15:00"})

    assert _windows(mother) == [(day, 8 * 60, 15 * 60) for day in range(5)]


def test_availability_refuses_a_value_that_is_not_a_listed_preset(mother_client, mother):
    response = mother_client.post(URL, {"preset": "1-7@00:00-24:00"}, follow=True)

    assert _windows(mother) == []
    assert "请选择页面上列出的常用时间。" in response.content.decode()
