"""Action policy of the jobs app: pure predicates, and DRF classes calling them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from employers.permissions import can_manage_employer
from mamagang.accounts.selectors import user_may_act_on_region

if TYPE_CHECKING:
    from mamagang.accounts.models import User

    from .models import Job


def can_manage_job(user: User, job: Job) -> bool:
    """Return True if `user` belongs to the employer of `job`."""
    return can_manage_employer(user, job.employer)


def can_moderate_job(user: User, job: Job) -> bool:
    """
    Return True if `user` may approve, return or take down `job`: the
    permission, the post's district in scope, and not a member of its
    employer (four-eyes).
    """
    if not user.is_authenticated or not user.has_perm("jobs.moderate_job"):
        return False
    if not user_may_act_on_region(user=user, region_code=job.district.code):
        return False
    return not job.employer.memberships.filter(user=user).exists()


class CanModerateJob(BasePermission):
    def has_object_permission(self, request, view, obj):
        return can_moderate_job(request.user, obj)
