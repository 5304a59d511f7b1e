from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from employers.models import Employer, EmployerMembership
from employers.services import (
    employer_register,
    employer_specialist_assign,
    employer_update,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from tests.employers.factories import EmployerFactory, MembershipFactory, make_uscc

pytestmark = pytest.mark.django_db


def _fields(shenzhen_guangzhou, **overrides):
    fields = {
        "name": "深圳市宝安区暖心家政服务有限公司",
        "sector": Employer.Sector.HOUSEKEEPING,
        "district": shenzhen_guangzhou["440306"],
        "street": shenzhen_guangzhou["440306017"],
        "address": "新安街道建安一路8号",
        "contact_name": "陈女士",
        "contact_phone": "075527000000",
        "size": Employer.Size.SMALL,
    }
    fields.update(overrides)
    return fields


def test_employer_register_makes_the_user_admin_and_derives_entity_type(
    employer_member, shenzhen_guangzhou
):
    uscc = make_uscc(77, prefix="92")

    employer = employer_register(
        registered_by=employer_member, uscc=f" {uscc.lower()} ", **_fields(shenzhen_guangzhou)
    )

    assert employer.uscc == uscc
    assert employer.entity_type == Employer.EntityType.INDIVIDUAL_BUSINESS
    membership = EmployerMembership.objects.get(employer=employer)
    assert (membership.user, membership.role) == (employer_member, "admin")
    assert AuditEvent.objects.filter(action="employer.registered", object_id=str(employer.pk))


@pytest.mark.parametrize(
    ("uscc", "field"),
    [("91110000600037341M", "uscc"), ("91110000600037341", "uscc")],
)
def test_employer_register_rejects_bad_uscc_and_creates_nothing(
    employer_member, shenzhen_guangzhou, uscc, field
):
    with pytest.raises(ValidationError) as excinfo:
        employer_register(registered_by=employer_member, uscc=uscc, **_fields(shenzhen_guangzhou))

    assert field in excinfo.value.message_dict
    assert not Employer.objects.exists()


def test_employer_register_rejects_a_registered_uscc(employer_member, shenzhen_guangzhou):
    existing = EmployerFactory()

    with pytest.raises(ValidationError) as excinfo:
        employer_register(
            registered_by=employer_member, uscc=existing.uscc, **_fields(shenzhen_guangzhou)
        )

    assert "uscc" in excinfo.value.message_dict


def test_employer_register_rejects_a_street_outside_the_district(
    employer_member, shenzhen_guangzhou
):
    fields = _fields(shenzhen_guangzhou, street=shenzhen_guangzhou["440106001"])

    with pytest.raises(ValidationError) as excinfo:
        employer_register(registered_by=employer_member, uscc=make_uscc(5), **fields)

    assert "street" in excinfo.value.message_dict


def test_employer_update_audits_changed_fields_only(employer_member, shenzhen_guangzhou):
    employer = MembershipFactory(user=employer_member).employer

    employer_update(
        employer=employer, updated_by=employer_member, name="新名称", size=employer.size
    )

    event = AuditEvent.objects.get(action="employer.updated")
    assert event.before == {"name": employer.name}
    assert event.after == {"name": "新名称"}


def test_employer_update_refuses_the_uscc(employer_member, shenzhen_guangzhou):
    employer = MembershipFactory(user=employer_member).employer

    with pytest.raises(DomainError) as excinfo:
        employer_update(employer=employer, updated_by=employer_member, uscc=make_uscc(9))

    assert excinfo.value.code == "employer_field_not_editable"


def test_invitation_is_single_use(make_user, shenzhen_guangzhou):
    admin = MembershipFactory().user
    employer = admin.employer_memberships.get().employer
    invitation, token = invitation_create(employer=employer, invited_by=admin)
    newcomer, latecomer = make_user(), make_user()

    membership = invitation_accept(token=token, user=newcomer)

    assert membership.role == "member"
    assert newcomer.has_perm("accounts.use_employer_workspace")
    assert token not in invitation.token_hash
    with pytest.raises(DomainError) as excinfo:
        invitation_accept(token=token, user=latecomer)
    assert excinfo.value.code == "invitation_not_usable"


def test_invitation_expired_or_revoked_cannot_be_used(make_user, shenzhen_guangzhou):
    admin = MembershipFactory().user
    employer = admin.employer_memberships.get().employer
    _, old_token = invitation_create(
        employer=employer, invited_by=admin, now=timezone.now() - timedelta(days=8)
    )
    revoked, revoked_token = invitation_create(employer=employer, invited_by=admin)
    invitation_revoke(invitation=revoked, revoked_by=admin)

    for token in (old_token, revoked_token, "made-up-token"):
        with pytest.raises(DomainError):
            invitation_accept(token=token, user=make_user())


def test_only_admins_invite(make_user, shenzhen_guangzhou):
    membership = MembershipFactory(role="member")

    with pytest.raises(DomainError) as excinfo:
        invitation_create(employer=membership.employer, invited_by=membership.user)

    assert excinfo.value.code == "employer_not_admin"


def test_membership_remove_keeps_at_least_one_admin(shenzhen_guangzhou):
    admin = MembershipFactory()
    member = MembershipFactory(employer=admin.employer, role="member")

    with pytest.raises(DomainError) as excinfo:
        membership_remove(membership=admin, removed_by=admin.user)
    assert excinfo.value.code == "membership_last_admin"

    membership_remove(membership=member, removed_by=admin.user)
    assert list(EmployerMembership.objects.all()) == [admin]


def test_a_member_may_leave_but_not_remove_others(shenzhen_guangzhou):
    admin = MembershipFactory()
    member = MembershipFactory(employer=admin.employer, role="member")

    with pytest.raises(DomainError):
        membership_remove(membership=admin, removed_by=member.user)
    membership_remove(membership=member, removed_by=member.user)

    assert not EmployerMembership.objects.filter(pk=member.pk).exists()


def test_specialist_must_be_staff_covering_the_district(staff_user, make_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    outsider = make_user("bureau_staff")
    staff_scope_grant(user=outsider, region=shenzhen_guangzhou["440106"], granted_by=None)
    employer = EmployerFactory()

    with pytest.raises(DomainError) as excinfo:
        employer_specialist_assign(employer=employer, specialist=outsider, assigned_by=staff_user)
    assert excinfo.value.code == "specialist_not_in_scope"

    employer = employer_specialist_assign(
        employer=employer, specialist=staff_user, assigned_by=staff_user
    )
    assert employer.specialist == staff_user
