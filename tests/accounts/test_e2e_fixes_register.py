"""Fixes the browser journeys exposed in accounts and the base template."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _register(client, kind, query="", **overrides):
    data = {
        "display_name": "李女士",
        "phone": "13800138000",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
        "agree": "on",
        **overrides,
    }
    return client.post(reverse("accounts:register", kwargs={"kind": kind}) + query, data)


def test_register_as_mother_leads_to_her_profile_form(client):
    response = _register(client, "mother")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("applicants:me-profile-create")
    page = client.get(response.url)
    assert page.status_code == HTTPStatus.OK
    assert "李女士，欢迎您！账户已创建。" in page.content.decode()


def test_register_as_mother_follows_next_back_to_the_post(client):
    response = _register(client, "mother", query="?next=/jobs/12/")

    assert response.url == "/jobs/12/"


def test_register_as_employer_leads_to_registering_the_employer(client):
    response = _register(client, "employer")

    assert response.url == reverse("employers:workspace")
    page = client.get(response.url, follow=True)
    assert page.status_code == 200
    assert "统一社会信用代码" in page.content.decode()


def test_messages_sit_in_a_status_region_around_a_real_list(client):
    _register(client, "mother")

    html = client.get(reverse("home")).content.decode()

    # role="status" on the <ul> itself stripped its items of their list (axe: listitem).
    assert re.search(r'<div role="status">\s*<ul class="messages">\s*<li class="message', html)
    assert '<ul class="messages" role=' not in html


def test_desktop_menu_undoes_the_closed_details_content_visibility():
    # Chromium 131+ hides a closed <details>' content with content-visibility in
    # ::details-content; `display: flex` on the <nav> alone left desktop without a menu.
    css = (Path(settings.BASE_DIR) / "static/css/mamagang.css").read_text(encoding="utf-8")

    rule = re.search(
        r"@media \(min-width: 860px\) \{ details\.nav-menu::details-content \{([^}]*)\}", css
    )
    assert rule, "the wide-screen ::details-content rule is missing"
    assert "content-visibility: visible" in rule.group(1)
