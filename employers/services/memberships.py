"""Employer members: invitations by single-use links, removal, roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import Employer, EmployerInvitation, EmployerMembership
from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError

INVITATION_LIFETIME = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    """Return the stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _ensure_admin(employer: Employer, user: User) -> None:
    if not EmployerMembership.objects.filter(
        employer=employer, user=user, role=EmployerMembership.Role.ADMIN
    ).exists():
        raise DomainError(_("只有单位管理员可以管理成员。"), code="employer_not_admin")


@transaction.atomic
def invitation_create(
    *,
    employer: Employer,
    invited_by: User,
    role: str = EmployerMembership.Role.MEMBER,
    note: str = "",
    now: datetime | None = None,
) -> tuple[EmployerInvitation, str]:
    """
    Create a single-use invitation valid for 7 days; return it and its token.

    The token is shown once (in the link); only its hash is stored.
    """
    now = now or timezone.now()
    _ensure_admin(employer, invited_by)
    token = secrets.token_urlsafe(32)
    invitation = EmployerInvitation.objects.create(
        employer=employer,
        token_hash=invitation_token_hash(token),
        role=role,
        note=note,
        invited_by=invited_by,
        expires_at=now + INVITATION_LIFETIME,
    )
    audit_record(
        actor=invited_by, action="employer_invitation.created", obj=invitation, after={"role": role}
    )
    return invitation, token


@transaction.atomic
def invitation_accept(*, token: str, user: User, now: datetime | None = None) -> EmployerMembership:
    """
    Join the invitation's employer. Raise DomainError if the link is unknown,
    used, revoked or expired, or if `user` is already a member.
    """
    now = now or timezone.now()
    invitation = (
        EmployerInvitation.objects.select_for_update()
        .select_related("employer")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_usable(now):
        raise DomainError(
            _("邀请链接无效、已使用或已过期，请向单位管理员重新索取。"),
            code="invitation_not_usable",
        )
    if EmployerMembership.objects.filter(employer=invitation.employer, user=user).exists():
        raise DomainError(_("您已经是该单位的成员。"), code="invitation_already_member")
    membership = EmployerMembership.objects.create(
        employer=invitation.employer, user=user, role=invitation.role
    )
    invitation.accepted_by = user
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_by", "accepted_at", "updated_at"])
    # Joining an employer gives the employer workspace.
    user.groups.add(Group.objects.get(name=Role.EMPLOYER_MEMBER))
    audit_record(
        actor=user,
        action="employer_membership.joined",
        obj=membership,
        after={"employer": invitation.employer_id, "role": invitation.role},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: EmployerInvitation, revoked_by: User) -> EmployerInvitation:
    """Make an unused invitation link stop working."""
    _ensure_admin(invitation.employer, revoked_by)
    invitation = EmployerInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise DomainError(_("邀请已被接受，不能撤销。"), code="invitation_already_accepted")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=revoked_by, action="employer_invitation.revoked", obj=invitation)
    return invitation


@transaction.atomic
def membership_remove(*, membership: EmployerMembership, removed_by: User) -> None:
    """
    Remove a member from an employer. Admins may remove anyone, members only
    themselves; the last admin cannot leave.
    """
    membership = (
        EmployerMembership.objects.select_for_update()
        .select_related("employer")
        .get(pk=membership.pk)
    )
    if membership.user_id != removed_by.pk:
        _ensure_admin(membership.employer, removed_by)
    if membership.is_admin:
        # Lock all admins of the employer so two removals cannot leave none.
        admins = list(
            EmployerMembership.objects.select_for_update()
            .filter(employer=membership.employer, role=EmployerMembership.Role.ADMIN)
            .values_list("pk", flat=True)
        )
        if len(admins) <= 1:
            raise DomainError(_("单位至少要有一名管理员。"), code="membership_last_admin")
    audit_record(
        actor=removed_by,
        action="employer_membership.removed",
        obj=membership,
        before={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()
