import pytest
from django.core.exceptions import ValidationError

from mamagang.accounts.models import StaffRegionScope, User
from mamagang.accounts.roles import Role
from mamagang.accounts.services import (
    staff_scope_grant,
    staff_scope_revoke,
    user_register,
    user_role_grant,
)
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "perm"),
    [
        (Role.APPLICANT, "accounts.use_applicant_area"),
        (Role.EMPLOYER_MEMBER, "accounts.use_employer_workspace"),
    ],
)
def test_user_register_creates_user_in_role_and_audits(role, perm):
    user = user_register(
        phone="+86 138 0013 8000", password="a-long-pass-phrase", display_name="李女士", role=role
    )

    user = User.objects.get(pk=user.pk)
    assert user.phone == "13800138000"
    assert user.check_password("a-long-pass-phrase")
    assert user.has_perm(perm)
    assert not user.has_perm("accounts.use_staff_workspace")
    event = AuditEvent.objects.get(action="user.registered")
    assert event.object_id == str(user.pk)
    assert event.after == {"role": role}
    assert "13800138000" not in str(event.after)


@pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.BUREAU_ADMIN, "superuser"])
def test_user_register_refuses_roles_the_public_may_not_choose(role):
    with pytest.raises(DomainError) as excinfo:
        user_register(
            phone="13800138000", password="a-long-pass-phrase", display_name="x", role=role
        )

    assert excinfo.value.code == "role_not_allowed"
    assert not User.objects.exists()


def test_user_register_refuses_malformed_phone():
    with pytest.raises(ValidationError):
        user_register(
            phone="12345", password="a-long-pass-phrase", display_name="x", role=Role.APPLICANT
        )

    assert not User.objects.exists()


def test_user_register_refuses_taken_phone(applicant):
    with pytest.raises(ValidationError):
        user_register(
            phone=applicant.phone,
            password="a-long-pass-phrase",
            display_name="x",
            role=Role.APPLICANT,
        )


def test_user_phone_check_constraint_holds_in_the_database():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(phone="12345678901", display_name="x")])


def test_user_email_is_unique_ignoring_case(make_user):
    make_user(email="Mother@Example.cn")

    with pytest.raises(ValidationError):
        make_user(email="mother@example.cn")


def test_user_role_grant_adds_permissions_and_is_idempotent(make_user):
    user = make_user()

    user_role_grant(user=user, role=Role.BUREAU_STAFF, granted_by=None)
    user_role_grant(user=user, role=Role.BUREAU_STAFF, granted_by=None)

    assert user.has_perm("accounts.use_staff_workspace")
    assert AuditEvent.objects.filter(action="user.role_granted").count() == 1


def test_staff_scope_grant_refuses_non_staff(applicant, shenzhen_guangzhou):
    with pytest.raises(DomainError) as excinfo:
        staff_scope_grant(user=applicant, region=shenzhen_guangzhou["440306"], granted_by=None)

    assert excinfo.value.code == "scope_user_not_staff"
    assert not StaffRegionScope.objects.exists()


def test_staff_scope_grant_refuses_a_street(staff_user, shenzhen_guangzhou):
    with pytest.raises(DomainError) as excinfo:
        staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306017"], granted_by=None)

    assert excinfo.value.code == "scope_region_level"


def test_staff_scope_grant_and_revoke_are_audited(staff_user, bureau_admin, shenzhen_guangzhou):
    scope = staff_scope_grant(
        user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=bureau_admin
    )
    again = staff_scope_grant(
        user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=bureau_admin
    )
    assert again.pk == scope.pk

    staff_scope_revoke(scope=scope, revoked_by=bureau_admin, reason="调岗")

    assert not StaffRegionScope.objects.exists()
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_id", "reason"))
    assert actions == [
        ("staff_scope.granted", bureau_admin.pk, ""),
        ("staff_scope.revoked", bureau_admin.pk, "调岗"),
    ]
