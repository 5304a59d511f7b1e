"""Action policy of the employers app: pure predicates, and DRF classes calling them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from mamagang.accounts.selectors import user_may_act_on_region

from .models import Employer, EmployerMembership, RegistryEntry

if TYPE_CHECKING:
    from mamagang.accounts.models import User


def can_manage_employer(user: User, employer: Employer) -> bool:
    """Return True if `user` is a member (admin or not) of `employer`."""
    return user.is_authenticated and employer.memberships.filter(user=user).exists()


def can_admin_employer(user: User, employer: Employer) -> bool:
    """Return True if `user` is an admin of `employer` (invites and removes members)."""
    return (
        user.is_authenticated
        and employer.memberships.filter(user=user, role=EmployerMembership.Role.ADMIN).exists()
    )


def can_decide_registry_entry(user: User, entry: RegistryEntry) -> bool:
    """
    Return True if `user` may decide on `entry`: the permission, the entry's
    district in scope, and the four-eyes rule (not its submitter, not a member).
    """
    if not user.is_authenticated or not user.has_perm("employers.decide_registryentry"):
        return False
    if not user_may_act_on_region(user=user, region_code=entry.district.code):
        return False
    if entry.submitted_by_id == user.pk:
        return False
    return not entry.employer.memberships.filter(user=user).exists()


def can_assign_specialist(user: User, employer: Employer) -> bool:
    """Return True if `user` may assign `employer`'s employment-service specialist."""
    return (
        user.is_authenticated
        and user.has_perm("employers.assign_specialist_employer")
        and user_may_act_on_region(user=user, region_code=employer.district.code)
    )


class CanManageEmployer(BasePermission):
    def has_object_permission(self, request, view, obj):
        return can_manage_employer(request.user, obj)


class CanDecideRegistryEntry(BasePermission):
    def has_object_permission(self, request, view, obj):
        return can_decide_registry_entry(request.user, obj)
