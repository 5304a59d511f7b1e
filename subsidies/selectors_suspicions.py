"""
Read use-cases of the bureau's suspicion pages (疑点核查): the list of
suspicions in the user's regions with counts per kind and status, one
suspicion, and the evidence it names (claim lines, employers,
employments). A suspicion outside the user's regions is invisible, the
same as one that does not exist. Each function runs a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from applicants.models import Employment
from employers.models import Employer
from mamagang.accounts.selectors import region_prefixes_for_user

from .models import ClaimLine, Suspicion
from .selectors_staff import claim_line_list_for_staff

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User


def _in_prefixes(prefixes: list[str]) -> Q:
    if "" in prefixes:
        return Q()
    return reduce(or_, (Q(region__code__startswith=p) for p in prefixes))


def suspicion_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[Suspicion]:
    """
    Return the suspicions whose region lies in `user`'s regions: open ones
    first, oldest first, with region, employer, person and decider loaded.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Suspicion.objects.none()
    return (
        Suspicion.objects.filter(_in_prefixes(prefixes))
        .select_related("region", "employer", "applicant", "decided_by")
        .annotate(
            open_rank=Case(
                When(status=Suspicion.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_rank", "created_at", "pk")
    )


def suspicion_filter(
    suspicions: QuerySet[Suspicion], *, kind: str = "", status: str = ""
) -> QuerySet[Suspicion]:
    """Narrow `suspicions` to a kind and a status (either may be empty: any)."""
    if kind:
        suspicions = suspicions.filter(kind=kind)
    if status:
        suspicions = suspicions.filter(status=status)
    return suspicions


@dataclass
class SuspicionCounts:
    """The number of suspicions per (kind, status) pair, from one grouped query."""

    cells: Counter = field(default_factory=Counter)

    def by_kind(self, *, status: str = "") -> Counter:
        """Suspicions per kind, among those with `status` (any if empty)."""
        counts: Counter = Counter()
        for (kind, cell_status), n in self.cells.items():
            if not status or cell_status == status:
                counts[kind] += n
        return counts

    def by_status(self, *, kind: str = "") -> Counter:
        """Suspicions per status, among those of `kind` (any if empty)."""
        counts: Counter = Counter()
        for (cell_kind, status), n in self.cells.items():
            if not kind or cell_kind == kind:
                counts[status] += n
        return counts


def suspicion_counts(suspicions: QuerySet[Suspicion]) -> SuspicionCounts:
    """Count `suspicions` per kind and status in one query."""
    rows = suspicions.order_by().values_list("kind", "status").annotate(n=Count("pk"))
    return SuspicionCounts(cells=Counter({(kind, status): n for kind, status, n in rows}))


def suspicion_open_count_for_staff(*, user: User | AnonymousUser) -> int:
    """Return how many suspicions in `user`'s regions await a decision (one query)."""
    return suspicion_list_for_staff(user=user).filter(status=Suspicion.Status.OPEN).count()


def suspicion_get_for_staff(*, user: User | AnonymousUser, pk: int) -> Suspicion:
    """
    Return one suspicion in `user`'s regions, with the person's residence
    district and the employer's district loaded. Raise
    Suspicion.DoesNotExist outside the scope.
    """
    return (
        suspicion_list_for_staff(user=user)
        .select_related("applicant__residence_district", "employer__district")
        .get(pk=pk)
    )


def _ids(details: dict, key: str) -> list[int]:
    return [v for v in details.get(key) or [] if isinstance(v, int)]


@dataclass
class SuspicionEvidence:
    """What a suspicion names, loaded: lines in scope, employers, employments."""

    lines: list[ClaimLine]
    hidden_lines: int  # named lines outside the user's regions (not linked)
    employers: list[Employer]
    employments: list[Employment]


def suspicion_evidence_for_staff(
    *, user: User | AnonymousUser, suspicion: Suspicion
) -> SuspicionEvidence:
    """
    Load the claim lines (only those in `user`'s regions, with person,
    employer, type and claim), employers and employments named in the
    suspicion's details: at most three queries.
    """
    details = suspicion.details or {}
    line_ids = _ids(details, "lines")
    employer_ids = _ids(details, "employers")
    employment_ids = _ids(details, "employments")
    if isinstance(details.get("employment"), int):
        employment_ids.append(details["employment"])
    lines = (
        list(claim_line_list_for_staff(user=user).filter(pk__in=line_ids).order_by("month", "pk"))
        if line_ids
        else []
    )
    employers = (
        list(Employer.objects.filter(pk__in=employer_ids).select_related("district").order_by("pk"))
        if employer_ids
        else []
    )
    employments = (
        list(
            Employment.objects.filter(pk__in=employment_ids)
            .select_related("employer")
            .order_by("start_date", "pk")
        )
        if employment_ids
        else []
    )
    return SuspicionEvidence(
        lines=lines,
        hidden_lines=len(set(line_ids)) - len(lines),
        employers=employers,
        employments=employments,
    )
