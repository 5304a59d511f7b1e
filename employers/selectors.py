"""Read use-cases of the employers app: who may see what, fully loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, F, Prefetch, QuerySet

from mamagang.accounts.selectors import region_prefixes_for_user

from .models import (
    Employer,
    EmployerInvitation,
    EmployerMembership,
    ListingPeriod,
    RegistryEntry,
    RegistryEvent,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User


def employer_list_for_member(*, user: User | AnonymousUser) -> QuerySet[Employer]:
    """Return the employers `user` belongs to, with their districts."""
    if not user.is_authenticated:
        return Employer.objects.none()
    return (
        Employer.objects.filter(memberships__user=user)
        .select_related("district", "district__parent", "street", "specialist")
        .order_by("name", "pk")
    )


def membership_get(*, user: User, employer: Employer) -> EmployerMembership | None:
    """Return `user`'s membership of `employer`, or None."""
    return EmployerMembership.objects.filter(user=user, employer=employer).first()


def membership_list_for_employer(*, employer: Employer) -> QuerySet[EmployerMembership]:
    """Return the members of `employer` with their users."""
    return (
        EmployerMembership.objects.filter(employer=employer)
        .select_related("user")
        .order_by("-role", "created_at")
    )


def invitation_list_open(*, employer: Employer) -> QuerySet[EmployerInvitation]:
    """Return the employer's invitations that were neither accepted nor revoked."""
    return EmployerInvitation.objects.filter(
        employer=employer, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def registry_entry_get_for_employer(*, employer: Employer) -> RegistryEntry | None:
    """Return the employer's live registry entry (or its latest rejected one)."""
    entries = (
        RegistryEntry.objects.filter(employer=employer)
        .select_related("district", "decided_by")
        .prefetch_related(
            Prefetch("events", queryset=RegistryEvent.objects.select_related("actor"))
        )
        .order_by("-created_at", "-pk")
    )
    # The live entry if any; otherwise the newest rejected one.
    return entries.live().first() or entries.first()


def registry_entry_list_for_staff(*, user: User) -> QuerySet[RegistryEntry]:
    """Return the entries in the regions `user` may act on, with what lists render."""
    return (
        RegistryEntry.objects.in_regions(region_prefixes_for_user(user=user))
        .select_related("employer", "district", "district__parent", "submitted_by", "decided_by")
        .order_by(F("submitted_at").desc(nulls_last=True), "-pk")
    )


def registry_entry_counts_for_staff(*, user: User) -> dict[str, int]:
    """Return {status: count} of the entries `user` may act on, in one query."""
    rows = (
        RegistryEntry.objects.in_regions(region_prefixes_for_user(user=user))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(RegistryEntry.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def registry_entry_get_for_staff(*, user: User, pk: int) -> RegistryEntry:
    """
    Return one entry in `user`'s regions with its history and listing
    periods; raise RegistryEntry.DoesNotExist otherwise (a 404 to callers).
    """
    return (
        registry_entry_list_for_staff(user=user)
        .select_related("employer__street", "employer__specialist", "employer__district")
        .prefetch_related(
            Prefetch("events", queryset=RegistryEvent.objects.select_related("actor")),
            Prefetch(
                "employer__listing_periods",
                queryset=ListingPeriod.objects.order_by("listed_from", "pk"),
            ),
        )
        .get(pk=pk)
    )


def employer_list_for_staff(*, user: User) -> QuerySet[Employer]:
    """Return the employers registered in `user`'s regions."""
    return (
        Employer.objects.in_regions(region_prefixes_for_user(user=user))
        .select_related("district", "street", "specialist")
        .order_by("name", "pk")
    )


def employer_list_public() -> QuerySet[Employer]:
    """Return the employers currently listed in the registry (public fields only)."""
    return (
        Employer.objects.filter(registry_entries__status=RegistryEntry.Status.APPROVED)
        .select_related("district", "district__parent", "street")
        .prefetch_related(
            Prefetch(
                "listing_periods",
                queryset=ListingPeriod.objects.order_by("listed_from", "pk"),
            )
        )
        .order_by("name", "pk")
    )
