import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers.context import SESSION_KEY
from employers.models import (
    Employer,
    EmployerInvitation,
    EmployerMembership,
    ListingPeriod,
    RegistryEntry,
)
from employers.services import (
    invitation_create,
    registry_entry_reject,
    registry_entry_return,
)
from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.identifiers import USCC_ALPHABET
from mamagang.core.models import AuditEvent
from tests.employers.factories import (
    EmployerFactory,
    MembershipFactory,
    RegistryEntryFactory,
    make_uscc,
)

pytestmark = pytest.mark.django_db

Status = RegistryEntry.Status

GET_PAGES = [
    "employers:workspace",
    "employers:workspace-employer-new",
    "employers:workspace-profile",
    "employers:workspace-members",
    "employers:workspace-registry",
]
POST_ACTIONS = [
    ("employers:workspace-switch", []),
    ("employers:workspace-invite", []),
    ("employers:workspace-member-remove", [1]),
    ("employers:workspace-invitation-revoke", [1]),
    ("employers:workspace-registry-start", []),
    ("employers:workspace-registry-save", []),
    ("employers:workspace-registry-submit", []),
]


def _street_of(regions, district_code: str) -> str:
    return next(c for c in sorted(regions) if len(c) == 9 and c.startswith(district_code))


def _employer_data(regions, **overrides):
    data = {
        "uscc": make_uscc(900001),
        "name": "深圳宝安妈妈岗服饰有限公司",
        "sector": Employer.Sector.MANUFACTURING,
        "size": Employer.Size.SMALL,
        "description": "服装加工，可带回家做的计件活。",
        "district": "440306",
        "street": _street_of(regions, "440306"),
        "address": "宝安大道1号",
        "contact_name": "陈主管",
        "contact_phone": "13812345678",
        "has_nursing_room": "on",
        "has_school_run_arrangement": "on",
        "facilities_note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def admin_membership(regions, employer_member):
    return MembershipFactory(user=employer_member, role=EmployerMembership.Role.ADMIN)


@pytest.fixture
def employer(admin_membership):
    return admin_membership.employer


@pytest.fixture
def workspace_client(client, employer_member, admin_membership):
    client.force_login(employer_member)
    return client


def _member(make_user, employer, role=EmployerMembership.Role.MEMBER):
    user = make_user(Role.EMPLOYER_MEMBER)
    return MembershipFactory(user=user, employer=employer, role=role)


def _login(client, user):
    client.force_login(user)
    return client


# --- permission matrix -------------------------------------------------------


@pytest.mark.parametrize("url_name", GET_PAGES)
def test_workspace_page_redirects_anonymous_to_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:login"))
    assert f"next={url}" in response.url


@pytest.mark.parametrize(("url_name", "args"), POST_ACTIONS)
def test_workspace_action_redirects_anonymous_to_login(client, url_name, args):
    response = client.post(reverse(url_name, args=args))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url_name", GET_PAGES)
def test_workspace_page_is_forbidden_without_workspace_permission(client, applicant, url_name):
    response = _login(client, applicant).get(reverse(url_name))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(("url_name", "args"), POST_ACTIONS)
def test_workspace_action_is_forbidden_without_workspace_permission(
    client, regions, applicant, url_name, args
):
    # Even a membership does not open the workspace without the role's permission.
    MembershipFactory(user=applicant)

    response = _login(client, applicant).post(reverse(url_name, args=args))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_workspace_explains_and_links_registration_when_user_has_no_employer(
    client, employer_member
):
    response = _login(client, employer_member).get(reverse("employers:workspace"))

    assert response.status_code == HTTPStatus.OK
    assert "您还没有加入任何用人单位" in response.text
    assert reverse("employers:workspace-employer-new") in response.text


@pytest.mark.parametrize(
    "url_name",
    ["employers:workspace-profile", "employers:workspace-members", "employers:workspace-registry"],
)
def test_workspace_page_redirects_to_start_when_user_has_no_employer(
    client, employer_member, url_name
):
    response = _login(client, employer_member).get(reverse(url_name))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("employers:workspace")


def test_workspace_summary_shows_current_employer(
    workspace_client, make_user, regions, employer, staff_user
):
    _member(make_user, employer)
    staff_user.display_name = "张专员"
    staff_user.save(update_fields=["display_name"])
    Employer.objects.filter(pk=employer.pk).update(specialist=staff_user)

    response = workspace_client.get(reverse("employers:workspace"))

    assert response.status_code == HTTPStatus.OK
    text = response.text
    assert employer.name in text
    assert employer.uscc in text
    assert regions["440306"].name in text
    assert response.context["member_count"] == 2
    assert "张专员" in text
    assert "本单位还没有申报妈妈岗用人单位名录" in text


def test_workspace_summary_explains_submitted_status(workspace_client, employer):
    RegistryEntryFactory(employer=employer, submitted=True)

    response = workspace_client.get(reverse("employers:workspace"))

    assert "待审核" in response.text
    assert "正在等待区人社局审核" in response.text


def test_member_remove_is_404_for_membership_of_another_employer(
    workspace_client, make_user, regions
):
    other = EmployerFactory()
    foreign = _member(make_user, other)

    response = workspace_client.post(
        reverse("employers:workspace-member-remove", args=[foreign.pk])
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert EmployerMembership.objects.filter(pk=foreign.pk).exists()


def test_invitation_revoke_is_404_for_invitation_of_another_employer(
    workspace_client, make_user, regions
):
    other = EmployerFactory()
    other_admin = _member(make_user, other, role=EmployerMembership.Role.ADMIN)
    invitation, _token = invitation_create(employer=other, invited_by=other_admin.user)

    response = workspace_client.post(
        reverse("employers:workspace-invitation-revoke", args=[invitation.pk])
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_member_remove_is_404_for_another_employer_even_when_user_belongs_to_both(
    workspace_client, employer_member, make_user, regions
):
    # The URL id is looked up inside the *current* employer only.
    other = EmployerFactory(name="乙单位")
    MembershipFactory(user=employer_member, employer=other)
    colleague = _member(make_user, other)
    workspace_client.post(reverse("employers:workspace-switch"), {"employer": other.pk})
    first = Employer.objects.exclude(pk=other.pk).get()
    workspace_client.post(reverse("employers:workspace-switch"), {"employer": first.pk})

    response = workspace_client.post(
        reverse("employers:workspace-member-remove", args=[colleague.pk])
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- registering an employer ---------------------------------------------------


@pytest.mark.parametrize(
    "transform",
    [
        lambda code: code,
        lambda code: f" {code[:6]} {code[6:12]} {code[12:]} ".lower(),
        lambda code: "".join(chr(ord(ch) + 0xFEE0) for ch in code),  # full-width
    ],
    ids=["plain", "lower-case-with-spaces", "full-width"],
)
def test_employer_register_creates_employer_with_user_as_admin(
    client, employer_member, regions, transform
):
    code = make_uscc(900001)
    data = _employer_data(regions, uscc=transform(code))

    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"), data
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("employers:workspace")
    employer = Employer.objects.get()
    assert employer.uscc == code
    assert employer.district.code == "440306"
    assert employer.street.code == data["street"]
    assert employer.has_nursing_room
    assert not employer.has_childcare
    membership = EmployerMembership.objects.get(employer=employer)
    assert membership.user == employer_member
    assert membership.role == EmployerMembership.Role.ADMIN
    assert client.get(reverse("employers:workspace")).context["employer"] == employer


def test_employer_register_form_renders_region_picker_with_plain_code_inputs(
    client, employer_member
):
    response = _login(client, employer_member).get(reverse("employers:workspace-employer-new"))

    assert response.status_code == HTTPStatus.OK
    text = response.text
    assert "data-region-picker" in text
    assert 'src="/static/js/region-picker.js"' in text
    assert re.search(r'<input type="text" name="district"[^>]*maxlength="6"', text)
    assert re.search(r'<input type="text" name="street"[^>]*maxlength="9"', text)
    assert "<option" not in text.split('name="district"')[1].split("</div>")[0]


def test_employer_register_shows_uscc_error_when_check_character_is_wrong(
    client, employer_member, regions
):
    code = make_uscc(900001)
    wrong = code[:17] + next(ch for ch in USCC_ALPHABET if ch != code[17])

    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"), _employer_data(regions, uscc=wrong)
    )

    assert response.status_code == HTTPStatus.OK
    assert "校验位不正确" in response.context["form"].errors["uscc"][0]
    assert not Employer.objects.exists()
    assert not EmployerMembership.objects.exists()


def test_employer_register_shows_uscc_error_when_already_registered(
    client, employer_member, regions
):
    existing = EmployerFactory(uscc=make_uscc(900001))

    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"), _employer_data(regions, uscc=existing.uscc)
    )

    assert response.status_code == HTTPStatus.OK
    assert "已登记" in response.context["form"].errors["uscc"][0]
    assert Employer.objects.count() == 1
    assert not EmployerMembership.objects.filter(user=employer_member).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"district": "440300"}, "district"),  # a city, not a district
        ({"district": "4403"}, "district"),
        ({"district": ""}, "district"),
        ({"street": "440306"}, "street"),
    ],
)
def test_employer_register_rejects_bad_region_codes(
    client, employer_member, regions, overrides, field
):
    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"), _employer_data(regions, **overrides)
    )

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert not Employer.objects.exists()


def test_employer_register_rejects_street_of_another_district(client, employer_member, regions):
    data = _employer_data(regions, street=_street_of(regions, "440303"))

    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"), data
    )

    assert response.status_code == HTTPStatus.OK
    assert "不属于该区县" in response.context["form"].errors["street"][0]
    assert not Employer.objects.exists()


def test_employer_register_rejects_retired_district(client, employer_member, regions):
    regions["440303"].valid_to = timezone.localdate() - timedelta(days=1)
    regions["440303"].save(update_fields=["valid_to"])

    response = _login(client, employer_member).post(
        reverse("employers:workspace-employer-new"),
        _employer_data(regions, district="440303", street=None),
    )

    assert "district" in response.context["form"].errors
    assert not Employer.objects.exists()


# --- profile --------------------------------------------------------------------


def test_employer_profile_shows_current_values_and_read_only_uscc(workspace_client, employer):
    response = workspace_client.get(reverse("employers:workspace-profile"))

    assert response.status_code == HTTPStatus.OK
    assert employer.uscc in response.text
    assert 'name="uscc"' not in response.text
    assert 'name="district" value="440306"' in response.text
    assert response.context["form"]["name"].value() == employer.name


def test_employer_profile_update_changes_data_and_writes_audit_event(
    workspace_client, employer_member, employer, regions
):
    data = _employer_data(
        regions,
        uscc=None,
        name="新名称有限公司",
        district="440303",
        street=_street_of(regions, "440303"),
        contact_phone="13700000000",
    )

    response = workspace_client.post(reverse("employers:workspace-profile"), data)

    assert response.status_code == HTTPStatus.FOUND
    employer.refresh_from_db()
    assert employer.name == "新名称有限公司"
    assert employer.district.code == "440303"
    assert employer.contact_phone == "13700000000"
    event = AuditEvent.objects.get(action="employer.updated", object_id=str(employer.pk))
    assert event.actor == employer_member
    assert event.after["name"] == "新名称有限公司"


def test_employer_profile_update_ignores_submitted_uscc(workspace_client, employer, regions):
    original = employer.uscc

    workspace_client.post(
        reverse("employers:workspace-profile"), _employer_data(regions, uscc=make_uscc(900099))
    )

    employer.refresh_from_db()
    assert employer.uscc == original


def test_employer_profile_update_shows_field_error_and_keeps_data(
    workspace_client, employer, regions
):
    response = workspace_client.post(
        reverse("employers:workspace-profile"),
        _employer_data(regions, uscc=None, name="", district="440303"),
    )

    assert response.status_code == HTTPStatus.OK
    assert "name" in response.context["form"].errors
    employer.refresh_from_db()
    assert employer.district.code == "440306"


def test_employer_profile_is_editable_by_plain_member(client, make_user, employer, regions):
    member = _member(make_user, employer)

    response = _login(client, member.user).post(
        reverse("employers:workspace-profile"), _employer_data(regions, name="成员改的名字")
    )

    assert response.status_code == HTTPStatus.FOUND
    employer.refresh_from_db()
    assert employer.name == "成员改的名字"


# --- switching employers -----------------------------------------------------------


def test_workspace_switch_changes_current_employer(workspace_client, employer_member, employer):
    second = EmployerFactory(name="乙单位")
    MembershipFactory(user=employer_member, employer=second)
    first = workspace_client.get(reverse("employers:workspace")).context["employer"]

    response = workspace_client.post(
        reverse("employers:workspace-switch"),
        {"employer": second.pk if first != second else employer.pk},
    )

    assert response.status_code == HTTPStatus.FOUND
    page = workspace_client.get(reverse("employers:workspace"))
    assert page.context["employer"] != first
    assert {e.pk for e in page.context["employers"]} == {employer.pk, second.pk}
    assert 'action="/employer/switch/"' in page.text


def test_workspace_switch_to_employer_user_does_not_belong_to_is_404(workspace_client, employer):
    other = EmployerFactory()

    response = workspace_client.post(reverse("employers:workspace-switch"), {"employer": other.pk})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert workspace_client.get(reverse("employers:workspace")).context["employer"] == employer


@pytest.mark.parametrize("value", ["", "abc", "0"])
def test_workspace_switch_with_invalid_id_is_404(workspace_client, value):
    response = workspace_client.post(reverse("employers:workspace-switch"), {"employer": value})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_current_employer_ignores_stale_session_id(workspace_client, employer_member, employer):
    second = EmployerFactory(name="乙单位")
    membership = MembershipFactory(user=employer_member, employer=second)
    workspace_client.post(reverse("employers:workspace-switch"), {"employer": second.pk})
    membership.delete()  # removed from the employer kept in the session

    response = workspace_client.get(reverse("employers:workspace-profile"))

    assert response.context["employer"] == employer
    assert workspace_client.session[SESSION_KEY] == employer.pk


# --- invitations ------------------------------------------------------------------


def _invitation_link(client) -> str:
    text = client.get(reverse("employers:workspace-members")).text
    match = re.search(r'>(http://testserver/employer/invitations/[^<"/]+/)</textarea>', text)
    assert match, "invitation link not shown"
    return match.group(1)


def test_invitation_create_shows_full_link_once(workspace_client, employer):
    response = workspace_client.post(
        reverse("employers:workspace-invite"),
        {"role": EmployerMembership.Role.MEMBER, "note": "财务小李"},
    )

    assert response.status_code == HTTPStatus.FOUND
    link = _invitation_link(workspace_client)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = EmployerInvitation.objects.get(employer=employer)
    assert invitation.note == "财务小李"
    assert token not in invitation.token_hash
    second = workspace_client.get(reverse("employers:workspace-members"))
    assert token not in second.text
    assert "财务小李" in second.text


def test_invitation_create_is_forbidden_for_plain_member(client, make_user, employer):
    member = _member(make_user, employer)

    response = _login(client, member.user).post(
        reverse("employers:workspace-invite"), {"role": EmployerMembership.Role.ADMIN}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not EmployerInvitation.objects.exists()


def test_invitation_create_shows_form_error_for_unknown_role(workspace_client):
    response = workspace_client.post(reverse("employers:workspace-invite"), {"role": "owner"})

    assert response.status_code == HTTPStatus.OK
    assert "role" in response.context["invite_form"].errors
    assert not EmployerInvitation.objects.exists()


def test_invitation_accept_makes_user_a_member_with_workspace_permission(
    workspace_client, applicant, employer
):
    workspace_client.post(
        reverse("employers:workspace-invite"), {"role": EmployerMembership.Role.MEMBER}
    )
    link = _invitation_link(workspace_client)
    other = _login(Client(), applicant)

    page = other.get(link)
    assert page.status_code == HTTPStatus.OK
    assert employer.name in page.text
    assert "成员" in page.text
    response = other.post(link)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("employers:workspace")
    membership = EmployerMembership.objects.get(employer=employer, user=applicant)
    assert membership.role == EmployerMembership.Role.MEMBER
    assert User.objects.get(pk=applicant.pk).has_perm("accounts.use_employer_workspace")
    assert other.get(reverse("employers:workspace")).context["employer"] == employer


def test_invitation_link_works_only_once(workspace_client, make_user, applicant, employer):
    workspace_client.post(reverse("employers:workspace-invite"), {"role": "member"})
    link = _invitation_link(workspace_client)
    _login(Client(), applicant).post(link)
    latecomer = _login(Client(), make_user(Role.APPLICANT))

    page = latecomer.get(link)
    response = latecomer.post(link)

    assert page.status_code == HTTPStatus.NOT_FOUND
    assert "邀请链接不可用" in page.text
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert employer.memberships.count() == 2


def test_invitation_link_is_invalid_when_expired(workspace_client, applicant, employer):
    workspace_client.post(reverse("employers:workspace-invite"), {"role": "member"})
    link = _invitation_link(workspace_client)
    EmployerInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    other = _login(Client(), applicant)

    assert other.get(link).status_code == HTTPStatus.NOT_FOUND
    assert other.post(link).status_code == HTTPStatus.NOT_FOUND
    assert not EmployerMembership.objects.filter(user=applicant).exists()


def test_invitation_link_is_invalid_when_revoked(workspace_client, applicant, employer):
    workspace_client.post(reverse("employers:workspace-invite"), {"role": "member"})
    link = _invitation_link(workspace_client)
    invitation = EmployerInvitation.objects.get()

    revoke = workspace_client.post(
        reverse("employers:workspace-invitation-revoke", args=[invitation.pk])
    )
    other = _login(Client(), applicant)

    assert revoke.status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert other.get(link).status_code == HTTPStatus.NOT_FOUND
    assert other.post(link).status_code == HTTPStatus.NOT_FOUND
    assert not EmployerMembership.objects.filter(user=applicant).exists()


def _main(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


def test_invitation_invalid_page_does_not_reveal_why(
    workspace_client, make_user, applicant, employer
):
    workspace_client.post(reverse("employers:workspace-invite"), {"role": "member"})
    link = _invitation_link(workspace_client)
    _login(Client(), applicant).post(link)
    other = _login(Client(), make_user(Role.APPLICANT))

    used = other.get(link)
    unknown = other.get(reverse("employers:invitation-accept", args=["no-such-token"]))

    assert used.status_code == unknown.status_code == HTTPStatus.NOT_FOUND
    assert _main(used.text) == _main(unknown.text)


def test_invitation_revoke_is_forbidden_for_plain_member(client, make_user, employer):
    admin = employer.memberships.get()
    invitation, _token = invitation_create(employer=employer, invited_by=admin.user)
    member = _member(make_user, employer)

    response = _login(client, member.user).post(
        reverse("employers:workspace-invitation-revoke", args=[invitation.pk])
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitation_accept_redirects_anonymous_to_login(client):
    url = reverse("employers:invitation-accept", args=["some-token"])

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:login"))
    login_page = client.get(response.url)
    assert reverse("accounts:register", kwargs={"kind": "employer"}) in login_page.text


def test_invitation_accept_page_keeps_token_out_of_referer(workspace_client, employer):
    workspace_client.post(reverse("employers:workspace-invite"), {"role": "member"})
    link = _invitation_link(workspace_client)

    response = workspace_client.get(link)

    assert response["Referrer-Policy"] == "no-referrer"
    assert "您已经是该单位的成员" in response.text


# --- removing members ---------------------------------------------------------------


def test_member_remove_by_admin_removes_member(workspace_client, make_user, employer):
    member = _member(make_user, employer)

    response = workspace_client.post(reverse("employers:workspace-member-remove", args=[member.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert not EmployerMembership.objects.filter(pk=member.pk).exists()


def test_member_remove_of_someone_else_is_forbidden_for_plain_member(
    client, make_user, employer, admin_membership
):
    member = _member(make_user, employer)
    colleague = _member(make_user, employer)

    response = _login(client, member.user).post(
        reverse("employers:workspace-member-remove", args=[colleague.pk])
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert EmployerMembership.objects.filter(pk=colleague.pk).exists()


def test_member_can_leave_employer(client, make_user, employer):
    member = _member(make_user, employer)
    _login(client, member.user)

    response = client.post(reverse("employers:workspace-member-remove", args=[member.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("employers:workspace")
    assert not EmployerMembership.objects.filter(pk=member.pk).exists()
    assert client.get(reverse("employers:workspace")).context["employer"] is None


def test_member_remove_refuses_last_admin_leaving(workspace_client, admin_membership):
    response = workspace_client.post(
        reverse("employers:workspace-member-remove", args=[admin_membership.pk]), follow=True
    )

    assert EmployerMembership.objects.filter(pk=admin_membership.pk).exists()
    assert "单位至少要有一名管理员" in response.text


# --- registry application ------------------------------------------------------------


def test_registry_start_creates_draft(workspace_client, employer):
    page = workspace_client.get(reverse("employers:workspace-registry"))
    assert page.context["can_start"]

    response = workspace_client.post(reverse("employers:workspace-registry-start"))

    assert response.status_code == HTTPStatus.FOUND
    entry = RegistryEntry.objects.get(employer=employer)
    assert entry.status == Status.DRAFT
    assert entry.district == employer.district


def test_registry_start_twice_shows_error(workspace_client, employer):
    RegistryEntryFactory(employer=employer)

    response = workspace_client.post(reverse("employers:workspace-registry-start"), follow=True)

    assert RegistryEntry.objects.filter(employer=employer).count() == 1
    assert "已有一份名录申报" in response.text


def test_registry_save_updates_declaration(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer, declared_posts=1, declaration="")

    response = workspace_client.post(
        reverse("employers:workspace-registry-save"),
        {"declared_posts": "5", "declaration": "上午9点到下午3点。"},
    )

    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.declared_posts == 5
    assert entry.declaration == "上午9点到下午3点。"


def test_registry_save_shows_form_error_for_zero_posts(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer, declared_posts=2)

    response = workspace_client.post(
        reverse("employers:workspace-registry-save"), {"declared_posts": "0"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "declared_posts" in response.context["declaration_form"].errors
    entry.refresh_from_db()
    assert entry.declared_posts == 2


def test_registry_submit_without_confirmation_shows_error(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer)

    response = workspace_client.post(reverse("employers:workspace-registry-submit"), {})

    assert response.status_code == HTTPStatus.OK
    assert "declaration_confirmed" in response.context["submit_form"].errors
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_registry_submit_with_confirmation_submits(workspace_client, employer_member, employer):
    entry = RegistryEntryFactory(employer=employer)

    response = workspace_client.post(
        reverse("employers:workspace-registry-submit"), {"declaration_confirmed": "on"}
    )

    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert entry.submitted_by == employer_member
    page = workspace_client.get(reverse("employers:workspace-registry"))
    assert not page.context["editable"]
    assert "正在等待区人社局审核" in page.text


def test_registry_save_refuses_submitted_entry(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer, submitted=True, declared_posts=3)

    response = workspace_client.post(
        reverse("employers:workspace-registry-save"), {"declared_posts": "9"}, follow=True
    )

    entry.refresh_from_db()
    assert entry.declared_posts == 3
    assert "只有草稿或退回修改的申报可以修改或提交" in response.text


@pytest.fixture
def reviewer(staff_user, regions):
    staff_user.display_name = "审核员赵某某"
    staff_user.save(update_fields=["display_name"])
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    return User.objects.get(pk=staff_user.pk)


def test_registry_returned_entry_shows_reason_and_can_be_resubmitted(
    workspace_client, employer, reviewer
):
    entry = RegistryEntryFactory(employer=employer, submitted=True)
    registry_entry_return(entry=entry, decided_by=reviewer, reason="请补充母婴室的照片说明。")

    page = workspace_client.get(reverse("employers:workspace-registry"))

    assert page.context["show_reason"]
    assert "请补充母婴室的照片说明。" in page.text
    assert "区人社局" in page.text
    assert reviewer.display_name not in page.text
    assert reviewer.masked_phone not in page.text
    assert page.context["editable"]
    response = workspace_client.post(
        reverse("employers:workspace-registry-submit"), {"declaration_confirmed": "on"}
    )
    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    history = workspace_client.get(reverse("employers:workspace-registry"))
    assert [e["to_label"] for e in history.context["events"]] == ["退回修改", "待审核"]
    assert reviewer.display_name not in history.text


def test_registry_rejected_entry_shows_reason_and_allows_new_application(
    workspace_client, employer, reviewer
):
    entry = RegistryEntryFactory(employer=employer, submitted=True)
    registry_entry_reject(entry=entry, decided_by=reviewer, reason="未提供弹性岗位。")

    page = workspace_client.get(reverse("employers:workspace-registry"))
    assert "未提供弹性岗位。" in page.text
    assert page.context["can_start"]
    workspace_client.post(reverse("employers:workspace-registry-start"))

    assert RegistryEntry.objects.filter(employer=employer, status=Status.DRAFT).exists()


def test_registry_page_shows_listing_periods(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer, approved=True)
    period = ListingPeriod.objects.get(entry=entry)

    page = workspace_client.get(reverse("employers:workspace-registry"))

    assert page.context["listing_periods"] == [period]
    assert period.listed_from.isoformat() in page.text
    assert "至今" in page.text


def test_registry_page_shows_only_current_employers_entry(workspace_client, employer, regions):
    RegistryEntryFactory(declaration="别家单位的申报说明", submitted=True)

    page = workspace_client.get(reverse("employers:workspace-registry"))

    assert page.context["entry"] is None
    assert "别家单位的申报说明" not in page.text


# --- query counts ------------------------------------------------------------------


def _queries_for(client, url: str) -> int:
    client.get(url)  # settle the session (current employer, one-off messages) first
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_members_page_query_count_is_independent_of_member_count(
    workspace_client, employer_member, make_user, employer
):
    url = reverse("employers:workspace-members")
    invitation_create(employer=employer, invited_by=employer_member)
    one_member = _queries_for(workspace_client, url)

    for _ in range(14):
        _member(make_user, employer)
        invitation_create(employer=employer, invited_by=employer_member)

    assert _queries_for(workspace_client, url) == one_member


def test_registry_page_query_count_is_independent_of_history_length(
    workspace_client, employer, reviewer
):
    url = reverse("employers:workspace-registry")
    entry = RegistryEntryFactory(employer=employer, submitted=True)
    registry_entry_return(entry=entry, decided_by=reviewer, reason="补充材料")
    short = _queries_for(workspace_client, url)

    for n in range(5):
        workspace_client.post(
            reverse("employers:workspace-registry-submit"), {"declaration_confirmed": "on"}
        )
        registry_entry_return(entry=entry, decided_by=reviewer, reason=f"第{n}次补充")

    assert _queries_for(workspace_client, url) == short


def test_members_page_lists_open_invitations_without_revoke_for_plain_member(
    client, make_user, employer, employer_member
):
    invitation_create(employer=employer, invited_by=employer_member, note="财务小李")
    member = _member(make_user, employer)

    response = _login(client, member.user).get(reverse("employers:workspace-members"))

    assert "财务小李" in response.text
    assert member.user.masked_phone in response.text
    assert "/revoke/" not in response.text
    assert 'action="/employer/members/invite/"' not in response.text
