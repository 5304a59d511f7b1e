"""
Read use-cases of the applicants REST API (`apis.py`): her own profile,
children and applications, and the applications and employments of the
employers a member belongs to, each fully loaded for its serializer so that
lists run a constant number of queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from employers.models import EmployerMembership
from jobs.models import JobWindow

from .models import Applicant, Application, ApplicationEvent, Child, Employment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User


def applicant_get_for_user(*, user: User | AnonymousUser) -> Applicant | None:
    """
    Return `user`'s own applicant profile with her residence, or None if she
    has none (or it was deleted at her request).
    """
    if not user.is_authenticated:
        return None
    return (
        Applicant.objects.select_related("residence_district", "residence_street")
        .filter(user=user, anonymised_at__isnull=True)
        .first()
    )


def applicant_profile_get_for_user(*, user: User | AnonymousUser) -> Applicant | None:
    """Return `user`'s own applicant profile as above, with her free windows."""
    if not user.is_authenticated:
        return None
    return (
        Applicant.objects.select_related("residence_district", "residence_street")
        .prefetch_related("free_windows")
        .filter(user=user, anonymised_at__isnull=True)
        .first()
    )


def child_list_for_applicant(*, applicant: Applicant) -> QuerySet[Child]:
    """Return her children's records, oldest first."""
    return Child.objects.filter(applicant=applicant).order_by("birth_year", "birth_month", "pk")


def _with_events(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.prefetch_related(
        Prefetch("events", queryset=ApplicationEvent.objects.order_by("occurred_at", "pk"))
    )


def application_list_for_applicant(*, applicant: Applicant) -> QuerySet[Application]:
    """Return her applications, newest first, with each post and its employer."""
    return (
        Application.objects.filter(applicant=applicant)
        .select_related("job", "job__employer", "job__district")
        .order_by("-submitted_at", "-pk")
    )


def application_get_for_applicant(*, applicant: Applicant, pk: int) -> Application:
    """
    Return one of her applications with its history; raise
    Application.DoesNotExist for anyone else's (a 404).
    """
    return _with_events(application_list_for_applicant(applicant=applicant)).get(pk=pk)


def _member_employer_ids(user: User | AnonymousUser) -> QuerySet[EmployerMembership]:
    return EmployerMembership.objects.filter(user_id=user.pk).values("employer_id")


def application_list_for_member(*, user: User | AnonymousUser) -> QuerySet[Application]:
    """
    Return the applications to the posts of every employer `user` belongs
    to, newest first, with the person (masked in the serializers), the post,
    its employer and weekly windows (for the fit).
    """
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(job__employer_id__in=_member_employer_ids(user))
        .select_related(
            "applicant",
            "applicant__residence_district",
            "job",
            "job__employer",
            "job__district",
        )
        .prefetch_related(
            Prefetch("job__windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))
        )
        .order_by("-submitted_at", "-pk")
    )


def application_get_for_member(*, user: User | AnonymousUser, pk: int) -> Application:
    """
    Return one application to a post of an employer `user` belongs to, with
    its history and employment; raise Application.DoesNotExist otherwise.
    """
    return (
        _with_events(application_list_for_member(user=user)).select_related("employment").get(pk=pk)
    )


def employment_list_for_member(*, user: User | AnonymousUser) -> QuerySet[Employment]:
    """
    Return the employments registered by every employer `user` belongs to,
    newest start first, with the employer, the person and the post.
    """
    if not user.is_authenticated:
        return Employment.objects.none()
    return (
        Employment.objects.filter(employer_id__in=_member_employer_ids(user))
        .select_related("employer", "applicant", "job")
        .order_by("-start_date", "-pk")
    )


def employment_get_for_member(*, user: User | AnonymousUser, pk: int) -> Employment:
    """Return one employment of `user`'s employers; raise Employment.DoesNotExist otherwise."""
    return employment_list_for_member(user=user).get(pk=pk)
