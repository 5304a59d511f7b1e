"""
Read use-cases of the claimant side: an employer's claims and their lines,
a flexible worker's own claims, and the lines about her in employers'
claims. Every read is scoped to the claimant, so another employer's claim
or line is a DoesNotExist (a 404), the same as one that does not exist.
Lists carry their counts as one annotate(), so pages and APIs run a
constant number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from applicants.models import Applicant
from employers.models import EmployerMembership

from .models import Claim, ClaimLine, DecisionRecord, RateRow, SubsidyPolicy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from employers.models import Employer
    from mamagang.accounts.models import User

Decision = ClaimLine.Decision
Status = ClaimLine.Status

# A line counts towards the money only while it is eligible and not rejected.
_PAYABLE = Q(lines__decision=Decision.ELIGIBLE) & ~Q(lines__status=Status.REJECTED)


def _claim_summary(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotate each claim with its line counts by decision and status, months and total."""
    counts = {
        f"{value}_count": Count("lines", filter=Q(lines__decision=value))
        for value in Decision.values
    }
    counts.update(
        {f"{value}_count": Count("lines", filter=Q(lines__status=value)) for value in Status.values}
    )
    return claims.annotate(
        line_count=Count("lines"),
        eligible_amount=Sum("lines__amount", filter=_PAYABLE),
        months=ArrayAgg("lines__month", distinct=True, order_by="lines__month", default=[]),
        type_names=ArrayAgg(
            "lines__subsidy_type__name",
            distinct=True,
            order_by="lines__subsidy_type__name",
            default=[],
        ),
        **counts,
    )


def _lines() -> QuerySet[ClaimLine]:
    return ClaimLine.objects.select_related(
        "applicant", "subsidy_type", "employer", "rate_row"
    ).order_by("month", "applicant__full_name", "applicant_id", "subsidy_type_id", "pk")


# Employer -----------------------------------------------------------------------


def claim_list_for_employer(*, employer: Employer) -> QuerySet[Claim]:
    """Return `employer`'s claims, newest first, each with its counts and eligible total."""
    claims = Claim.objects.filter(source=Claim.Source.EMPLOYER, employer=employer)
    return _claim_summary(claims).select_related("submitted_by").order_by("-submitted_at", "-pk")


def claim_get_for_employer(*, employer: Employer, pk: int) -> Claim:
    """Return one of `employer`'s claims with its summary; raise Claim.DoesNotExist otherwise."""
    return claim_list_for_employer(employer=employer).get(pk=pk)


def claim_line_list_for_claim(*, claim: Claim) -> QuerySet[ClaimLine]:
    """Return the claim's lines with the person, subsidy type and rate row, by month and name."""
    return _lines().filter(claim=claim)


def claim_line_get_for_employer(*, employer: Employer, pk: int) -> ClaimLine:
    """
    Return a line of one of `employer`'s own claims with its claim, person,
    type, policy and rate row; raise ClaimLine.DoesNotExist otherwise.
    """
    return (
        _lines()
        .select_related("claim", "policy", "policy__region")
        .get(pk=pk, claim__source=Claim.Source.EMPLOYER, claim__employer=employer)
    )


def decision_latest_for_line(*, line: ClaimLine) -> DecisionRecord | None:
    """Return the line's latest decision record with its rate row, or None if never decided."""
    return (
        DecisionRecord.objects.filter(line=line)
        .select_related("rate_row")
        .order_by("-decided_at", "-pk")
        .first()
    )


def claim_people_for_employer(*, employer: Employer) -> QuerySet[Applicant]:
    """Return the people with an employment registered by `employer`, by name."""
    return (
        Applicant.objects.filter(employments__employer=employer)
        .distinct()
        .order_by("full_name", "pk")
    )


# Policies shown before claiming ----------------------------------------------------


def rates_in_force(
    *, policies: list[SubsidyPolicy], day: datetime.date
) -> dict[int, RateRow | None]:
    """Return each policy's rate row in force on `day` (None if none), in one query."""
    rows = RateRow.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=day),
        policy__in=[p.pk for p in policies],
        valid_from__lte=day,
    )
    found = {row.policy_id: row for row in rows}
    return {p.pk: found.get(p.pk) for p in policies}


# Her own claims ----------------------------------------------------------------------


def claim_list_for_applicant(*, applicant: Applicant) -> QuerySet[Claim]:
    """Return her own (flexible-worker) claims, newest first, with their lines and summary."""
    claims = Claim.objects.filter(source=Claim.Source.PERSON, applicant=applicant)
    return (
        _claim_summary(claims)
        .prefetch_related(Prefetch("lines", queryset=_lines()))
        .order_by("-submitted_at", "-pk")
    )


def claim_line_list_about_applicant(*, applicant: Applicant) -> QuerySet[ClaimLine]:
    """
    Return the lines about her in claims made by others (her employers, or
    the bureau's 免申即享 lines), newest month first: her data, read-only.
    """
    return (
        _lines()
        .filter(applicant=applicant)
        .exclude(claim__source=Claim.Source.PERSON)
        .order_by("-month", "subsidy_type__name", "-pk")
    )


# API: the employers a member belongs to ---------------------------------------------


def claim_list_for_member(*, user: User | AnonymousUser) -> QuerySet[Claim]:
    """Return the claims of every employer `user` belongs to, newest first, with summaries."""
    if not user.is_authenticated:
        return Claim.objects.none()
    employer_ids = EmployerMembership.objects.filter(user=user).values("employer_id")
    claims = Claim.objects.filter(source=Claim.Source.EMPLOYER, employer_id__in=employer_ids)
    return _claim_summary(claims).select_related("employer").order_by("-submitted_at", "-pk")


def claim_get_for_member(*, user: User | AnonymousUser, pk: int) -> Claim:
    """Return one claim of `user`'s employers with its lines; raise Claim.DoesNotExist otherwise."""
    return (
        claim_list_for_member(user=user)
        .prefetch_related(Prefetch("lines", queryset=_lines()))
        .get(pk=pk)
    )


# Summaries -----------------------------------------------------------------------------


def claim_counts(claim: Claim) -> dict[str, dict[str, int]]:
    """Return an annotated claim's counts as {"decision": {...}, "status": {...}}."""
    return {
        "decision": {value: getattr(claim, f"{value}_count") for value in Decision.values},
        "status": {value: getattr(claim, f"{value}_count") for value in Status.values},
    }


def line_counts(lines: list[ClaimLine]) -> tuple[Counter[str], Counter[str], Decimal]:
    """Count loaded lines by decision and status and add up the payable amounts."""
    decisions = Counter(line.decision for line in lines)
    statuses = Counter(line.status for line in lines)
    total = sum(
        (
            line.amount
            for line in lines
            if line.decision == Decision.ELIGIBLE
            and line.status != Status.REJECTED
            and line.amount is not None
        ),
        Decimal("0.00"),
    )
    return decisions, statuses, total
