import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from mamagang.accounts.models import User
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _register(client, kind, **overrides):
    data = {
        "display_name": "李女士",
        "phone": "138 0013 8000",
        "email": "li@example.cn",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
        "agree": "on",
        **overrides,
    }
    return client.post(reverse("accounts:register", kwargs={"kind": kind}), data)


@pytest.mark.parametrize(
    ("kind", "perm"),
    [("mother", "accounts.use_applicant_area"), ("employer", "accounts.use_employer_workspace")],
)
def test_register_creates_account_in_role_and_logs_in(client, kind, perm):
    response = _register(client, kind)

    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(phone="13800138000")
    assert user.has_perm(perm)
    assert client.get(reverse("accounts:account")).status_code == HTTPStatus.OK


def test_register_unknown_kind_is_404(client):
    assert client.get(reverse("accounts:register", kwargs={"kind": "staff"})).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "1234"}, "phone"),
        ({"password2": "something-else-1"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"agree": ""}, "agree"),
    ],
)
def test_register_shows_field_errors_and_creates_nothing(client, overrides, field):
    response = _register(client, "mother", **overrides)

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert not User.objects.exists()


def test_register_refuses_taken_phone(client, applicant):
    response = _register(client, "mother", phone=applicant.phone, email="")

    assert "phone" in response.context["form"].errors
    assert User.objects.count() == 1


def test_login_by_phone_and_logout(client, applicant):
    response = client.post(
        reverse("accounts:login"), {"username": applicant.phone, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("accounts:account")).status_code == HTTPStatus.OK

    # Logout is a POST (a GET must not change state).
    assert client.get(reverse("accounts:logout")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:account")).status_code == HTTPStatus.FOUND


def test_login_accepts_phone_with_country_code_and_spaces(client, applicant):
    phone = f"+86 {applicant.phone[:3]} {applicant.phone[3:7]} {applicant.phone[7:]}"
    response = client.post(reverse("accounts:login"), {"username": phone, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_login_is_refused_after_repeated_failures_even_with_right_password(
    client, applicant, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    url = reverse("accounts:login")
    for _ in range(3):
        response = client.post(url, {"username": applicant.phone, "password": "wrong-password"})
        assert response.status_code == HTTPStatus.OK

    response = client.post(url, {"username": applicant.phone, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session
    codes = [e.code for e in response.context["form"].non_field_errors().as_data()]
    assert codes == ["too_many_attempts"]


def test_login_lockout_is_per_phone_number(client, make_user, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    locked, other = make_user(), make_user()
    url = reverse("accounts:login")
    for _ in range(2):
        client.post(url, {"username": locked.phone, "password": "wrong-password"})

    response = client.post(url, {"username": other.phone, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_login_success_clears_earlier_failures(client, applicant, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    url = reverse("accounts:login")
    for _ in range(2):
        client.post(url, {"username": applicant.phone, "password": "wrong-password"})
    client.post(url, {"username": applicant.phone, "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    for _ in range(2):
        client.post(url, {"username": applicant.phone, "password": "wrong-password"})

    response = client.post(url, {"username": applicant.phone, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_password_reset_by_email_sets_a_new_password(client, applicant):
    response = client.post(reverse("accounts:password-reset"), {"email": applicant.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [applicant.email]
    assert "重置密码" in message.subject
    link = re.search(r"https?://[^/]+(/\S+)", message.body).group(1)

    response = client.get(link, follow=True)
    assert response.context["validlink"]
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"},
    )

    assert response.status_code == HTTPStatus.FOUND
    applicant.refresh_from_db()
    assert applicant.check_password("brand-new-pass-77")


def test_password_reset_for_unknown_email_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.cn"})

    assert response.status_code == HTTPStatus.FOUND
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("fixture", "status"),
    [("applicant", 403), ("employer_member", 403), ("staff_user", 200), ("bureau_admin", 200)],
)
def test_staff_workspace_permission_matrix(client, request, fixture, status):
    client.force_login(request.getfixturevalue(fixture))

    assert client.get(reverse("accounts:staff-workspace")).status_code == status


def test_staff_workspace_lists_the_districts_in_scope(client, staff_user, shenzhen_guangzhou):
    from mamagang.accounts.services import staff_scope_grant

    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    client.force_login(staff_user)

    response = client.get(reverse("accounts:staff-workspace"))

    body = response.content.decode()
    assert shenzhen_guangzhou["440306"].name in body
    assert shenzhen_guangzhou["440106"].name not in body


def test_staff_workspace_query_count_is_independent_of_scope_size(
    client, staff_user, shenzhen_guangzhou, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mamagang.accounts.services import staff_scope_grant

    client.force_login(staff_user)
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("accounts:staff-workspace"))
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440300"], granted_by=None)
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440106"], granted_by=None)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:staff-workspace"))

    assert len(many) == len(one)


def test_account_page_requires_login(client):
    response = client.get(reverse("accounts:account"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("accounts:login"))


def test_register_returns_to_a_safe_next_url(client):
    response = _register(client, "employer", next="/employer/invitations/abc/")

    assert response["Location"] == "/employer/invitations/abc/"


def test_register_ignores_an_off_site_next_url(client):
    response = _register(client, "employer", next="https://evil.example.com/")

    assert response["Location"] == reverse("employers:workspace")


def test_login_page_carries_next_to_the_register_links(client):
    body = client.get(reverse("accounts:login"), {"next": "/employer/invitations/abc/"}).content

    assert b"/accounts/register/employer/?next=/employer/invitations/abc/" in body
