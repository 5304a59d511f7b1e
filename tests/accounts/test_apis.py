from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_obtain_then_me_with_token(api_client, applicant):
    response = api_client.post(
        reverse("api:token-obtain"), {"phone": applicant.phone, "password": PASSWORD}, format="json"
    )
    assert response.status_code == HTTPStatus.OK
    token = response.json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(reverse("api:me")).json()

    assert me["id"] == applicant.pk
    assert me["phone"] == applicant.masked_phone
    assert applicant.phone not in str(me)
    assert me["permissions"] == ["accounts.use_applicant_area"]


def test_token_obtain_wrong_password_is_400_with_code(api_client, applicant):
    response = api_client.post(
        reverse("api:token-obtain"), {"phone": applicant.phone, "password": "nope"}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_login"


def test_token_obtain_shares_the_login_lockout(api_client, applicant, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    url = reverse("api:token-obtain")
    for _ in range(2):
        api_client.post(url, {"phone": applicant.phone, "password": "nope"}, format="json")

    response = api_client.post(url, {"phone": applicant.phone, "password": PASSWORD}, format="json")

    assert response.json()["code"] == "too_many_attempts"


def test_me_requires_authentication(api_client):
    assert api_client.get(reverse("api:me")).status_code == HTTPStatus.UNAUTHORIZED
