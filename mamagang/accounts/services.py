"""Write use-cases for accounts: registration, roles and staff scopes."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region

from .models import StaffRegionScope, User
from .roles import SELF_SERVICE_ROLES, Role


@transaction.atomic
def user_register(
    *, phone: str, password: str, display_name: str, role: str, email: str = ""
) -> User:
    """
    Create an account for a member of the public in a self-service role.

    Raise DomainError for a role the public may not choose; the manager
    raises ValidationError for a malformed or taken mobile number.
    """
    if role not in SELF_SERVICE_ROLES:
        raise DomainError(_("注册时不能选择该角色。"), code="role_not_allowed")
    user = User.objects.create_user(
        phone=phone, password=password, display_name=display_name, email=email
    )
    user.groups.add(Group.objects.get(name=role))
    audit_record(actor=user, action="user.registered", obj=user, after={"role": role})
    return user


@transaction.atomic
def user_role_grant(*, user: User, role: str, granted_by: User | None) -> User:
    """Add `user` to the group of `role` (idempotent)."""
    if role not in Role.values:
        raise DomainError(_("未知角色。"), code="role_unknown")
    group = Group.objects.get(name=role)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        audit_record(actor=granted_by, action="user.role_granted", obj=user, after={"role": role})
    # Permissions are cached per instance; drop the cache so checks see the new role.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)
    return user


@transaction.atomic
def staff_scope_grant(*, user: User, region: Region, granted_by: User | None) -> StaffRegionScope:
    """
    Let bureau user `user` act on `region` (and everything below it).

    Raise DomainError unless `user` holds the staff permission and `region`
    is a province, city or district.
    """
    if not user.has_perm("accounts.use_staff_workspace"):
        raise DomainError(_("只有人社部门工作人员可以分配辖区。"), code="scope_user_not_staff")
    if region.level == Region.Level.STREET:
        raise DomainError(_("工作人员辖区只能是区县、地市或省。"), code="scope_region_level")
    scope, created = StaffRegionScope.objects.get_or_create(
        user=user, region=region, defaults={"granted_by": granted_by}
    )
    if created:
        audit_record(
            actor=granted_by,
            action="staff_scope.granted",
            obj=scope,
            after={"user": user.pk, "region": region.code},
        )
    return scope


@transaction.atomic
def staff_scope_revoke(
    *, scope: StaffRegionScope, revoked_by: User | None, reason: str = ""
) -> None:
    """Remove one region from a bureau user's scope, with an audit event."""
    audit_record(
        actor=revoked_by,
        action="staff_scope.revoked",
        obj=scope,
        before={"user": scope.user_id, "region": scope.region.code},
        reason=reason,
    )
    scope.delete()
