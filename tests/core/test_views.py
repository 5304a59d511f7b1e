from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_is_in_simplified_chinese_by_default(client):
    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert "妈妈岗" in body
    assert "12周岁以下" in body
    assert response["Content-Language"] == "zh-hans"


def test_home_page_in_english_after_switching_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND

    body = client.get("/").content.decode()

    assert '<html lang="en">' in body
    assert "Log in" in body
    assert "under 12" in body


def test_home_page_in_english_from_accept_language(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Log in" in body


@pytest.mark.parametrize(
    ("fixture", "links"),
    [
        (None, {"/accounts/login/": True, "/staff/": False, "/account/": False}),
        ("applicant", {"/accounts/login/": False, "/staff/": False, "/account/": True}),
        ("staff_user", {"/accounts/login/": False, "/staff/": True, "/account/": True}),
    ],
)
def test_navigation_depends_on_role(client, request, fixture, links):
    if fixture:
        client.force_login(request.getfixturevalue(fixture))

    nav = client.get("/").content.decode().split("</nav>")[0]

    assert {href: f'href="{href}"' in nav for href in links} == links


def test_home_page_uses_no_external_assets(client):
    body = client.get("/").content.decode()

    assert "http://" not in body.replace('xmlns="http://www.w3.org', "")
    assert "https://" not in body
    assert "//cdn" not in body


def test_health_reports_database_ok(client, settings):
    settings.REDIS_URL = ""

    response = client.get(reverse("health"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not_configured"},
    }


def test_health_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("health"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["redis"] == "error"


def test_health_is_503_when_the_database_fails(client, mocker):
    mocker.patch("mamagang.core.views._check_database", side_effect=RuntimeError("down"))

    response = client.get(reverse("health"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["database"] == "error"


def test_api_schema_and_docs_are_served_without_cdn(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == HTTPStatus.OK
    assert "/api/v1/me/" in schema.json()["paths"]

    docs = client.get(reverse("api-docs"))
    assert docs.status_code == HTTPStatus.OK
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    asset = next(part.split('"')[0] for part in html.split('src="')[1:] if "swagger" in part)
    assert client.get(asset).status_code == HTTPStatus.OK


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_switch_names_each_language_in_itself(client, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})

    body = client.get("/").content.decode()

    assert ">简体中文</button>" in body
    assert ">English</button>" in body
