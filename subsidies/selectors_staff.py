"""
Read use-cases of the bureau's subsidy pages and API: the claim-line
review queue, one line with its decision history, and the eligibility
runs. Every read starts from the lines (or runs) whose claim (or policy)
region lies in the user's regions, so one outside them is invisible, the
same as one that does not exist. Each function runs a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Count, F, Prefetch, Q, QuerySet

from mamagang.accounts.selectors import region_prefixes_for_user, user_may_act_on_region

from .models import ClaimLine, DecisionRecord, EligibilityRun, SubsidyPolicy, SubsidyType

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

# Values of the "second approval" filter.
SECOND_NEEDED = "needed"  # above the policy's threshold, not yet approved
SECOND_AWAITING = "awaiting"  # first approval recorded, a second reviewer must complete it


def _scope_q(prefixes: list[str], lookup: str) -> Q:
    """Return a Q matching `lookup` (a region code) against any of `prefixes`."""
    if "" in prefixes:
        return Q()
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in prefixes))


def claim_line_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[ClaimLine]:
    """
    Return the claim lines whose claim lies in `user`'s regions, waiting
    longest first, with the person, employer, type, policy, claim and
    reviewers loaded.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return ClaimLine.objects.none()
    return (
        ClaimLine.objects.filter(_scope_q(prefixes, "claim__region__code"))
        .select_related(
            "applicant",
            "employer",
            "subsidy_type",
            "policy",
            "claim__region",
            "claim__submitted_by",
            "approved_by",
            "second_approved_by",
        )
        .order_by("created_at", "pk")
    )


def claim_line_filter(
    lines: QuerySet[ClaimLine],
    *,
    month: datetime.date | None = None,
    subsidy_type: SubsidyType | None = None,
    decision: str = "",
    status: str = "",
    district_code: str = "",
    employer_name: str = "",
    second: str = "",
) -> QuerySet[ClaimLine]:
    """
    Narrow `lines` by the queue's filters. `district_code` matches the
    claim's region or the employer's district; `second` is SECOND_NEEDED (open,
    above the policy's threshold) or SECOND_AWAITING (first approval given).
    """
    if month is not None:
        lines = lines.filter(month=month.replace(day=1))
    if subsidy_type is not None:
        lines = lines.filter(subsidy_type=subsidy_type)
    if decision:
        lines = lines.filter(decision=decision)
    if status:
        lines = lines.filter(status=status)
    if district_code:
        lines = lines.filter(
            Q(claim__region__code=district_code) | Q(employer__district__code=district_code)
        )
    if employer_name.strip():
        lines = lines.filter(employer__name__icontains=employer_name.strip())
    if second == SECOND_NEEDED:
        lines = lines.filter(
            status=ClaimLine.Status.OPEN,
            policy__second_approval_above__isnull=False,
            amount__gt=F("policy__second_approval_above"),
        )
    elif second == SECOND_AWAITING:
        lines = lines.filter(status=ClaimLine.Status.OPEN, approved_by__isnull=False)
    return lines


@dataclass
class LineCounts:
    """The number of lines per (decision, status) pair, from one grouped query."""

    cells: Counter = field(default_factory=Counter)

    def by_decision(self, *, status: str = "") -> Counter:
        """Lines per decision, among those with `status` (any if empty)."""
        counts: Counter = Counter()
        for (decision, line_status), n in self.cells.items():
            if not status or line_status == status:
                counts[decision] += n
        return counts

    def by_status(self, *, decision: str = "") -> Counter:
        """Lines per status, among those with `decision` (any if empty)."""
        counts: Counter = Counter()
        for (line_decision, status), n in self.cells.items():
            if not decision or line_decision == decision:
                counts[status] += n
        return counts


def claim_line_counts(lines: QuerySet[ClaimLine]) -> LineCounts:
    """Count `lines` per decision and status in one query."""
    rows = lines.order_by().values_list("decision", "status").annotate(n=Count("pk"))
    return LineCounts(cells=Counter({(decision, status): n for decision, status, n in rows}))


def claim_line_open_count_for_staff(*, user: User | AnonymousUser) -> int:
    """Return how many lines in `user`'s regions await review (one query)."""
    return claim_line_list_for_staff(user=user).filter(status=ClaimLine.Status.OPEN).count()


def claim_line_get_for_staff(*, user: User | AnonymousUser, pk: int) -> ClaimLine:
    """
    Return one line in `user`'s regions with its claim (and who submitted
    it), the person's children and the decision records newest first, each
    with its rate row. Raise ClaimLine.DoesNotExist outside the scope.
    """
    decisions = DecisionRecord.objects.select_related("rate_row").order_by("-decided_at", "-pk")
    return (
        claim_line_list_for_staff(user=user)
        .select_related(
            "claim__employer",
            "claim__applicant",
            "employer__district",
            "applicant__residence_district",
            "policy__region",
            "rate_row",
        )
        .prefetch_related(Prefetch("decisions", queryset=decisions, to_attr="decision_list"))
        .get(pk=pk)
    )


def subsidy_type_choice_list() -> QuerySet[SubsidyType]:
    """Return every subsidy type, for filter selects."""
    return SubsidyType.objects.order_by("code")


def policy_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[SubsidyPolicy]:
    """
    Return the policies whose region lies in `user`'s regions and that runs
    decide (employment-base awards are per base and year, never claim lines).
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return SubsidyPolicy.objects.none()
    return (
        SubsidyPolicy.objects.filter(_scope_q(prefixes, "region__code"))
        .exclude(subsidy_type__code=SubsidyType.BASE_AWARD)
        .select_related("region", "subsidy_type")
        .order_by("region__code", "subsidy_type__code")
    )


def run_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[EligibilityRun]:
    """
    Return the runs of the policies that apply to `user`'s regions, newest first:
    those of her regions and those of the city and province above (a city policy's
    run decides her district's lines; she follows it read-only, see run_may_act).
    """
    from .selectors_policies import subsidy_policy_view_q

    scope = subsidy_policy_view_q(user=user, field="policy__region")
    if scope is None:
        return EligibilityRun.objects.none()
    return (
        EligibilityRun.objects.filter(scope)
        .select_related("policy__region", "policy__subsidy_type", "started_by")
        .order_by("-created_at", "-pk")
    )


def run_may_act(*, user: User | AnonymousUser, run: EligibilityRun) -> bool:
    """Whether `user` may resume `run`: its policy's region is one of hers (not above)."""
    return user_may_act_on_region(user=user, region_code=run.policy.region.code)


def run_get_for_staff(
    *, user: User | AnonymousUser, pk: int, with_chunks: bool = False
) -> EligibilityRun:
    """
    Return one run of a policy in `user`'s regions (with its chunks in id
    order when `with_chunks`). Raise EligibilityRun.DoesNotExist otherwise.
    """
    runs = run_list_for_staff(user=user)
    if with_chunks:
        runs = runs.prefetch_related("chunks")
    return runs.get(pk=pk)
