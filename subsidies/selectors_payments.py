"""
Read use-cases of payment batches, recoveries and the public notice (公示).

Staff reads start from the batches (or recoveries) whose region lies in
the user's regions, so one outside them is invisible, the same as one that
does not exist. The public notice never returns a person's name or ID
number: person lines are only counted and summed per batch. Each function
runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from .models import ClaimLine, PaymentBatch, Recovery, SubsidyType
from .selectors_staff import _scope_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

ZERO = Decimal("0.00")
# Lines that a batch pays: dropped lines leave the batch when it is approved.
PAYABLE = (ClaimLine.Status.APPROVED, ClaimLine.Status.PAID)
# The public notice also lists batches whose period ended this many days ago.
RECENTLY_ENDED_DAYS = 30


# ---------------------------------------------------------------------------
# Staff: batches


def batch_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[PaymentBatch]:
    """Return the batches whose region lies in `user`'s regions, newest first."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return PaymentBatch.objects.none()
    return (
        PaymentBatch.objects.filter(_scope_q(prefixes, "region__code"))
        .select_related("region", "created_by", "approved_by")
        .order_by("-created_at", "-pk")
    )


def batch_get_for_staff(*, user: User | AnonymousUser, pk: int) -> PaymentBatch:
    """Return one batch in `user`'s regions; raise PaymentBatch.DoesNotExist otherwise."""
    return batch_list_for_staff(user=user).get(pk=pk)


def batch_line_list(*, batch: PaymentBatch) -> QuerySet[ClaimLine]:
    """Return the lines of `batch` with the person, employer, type and claim region."""
    return (
        ClaimLine.objects.filter(batch=batch)
        .select_related("applicant", "employer", "subsidy_type", "claim__region")
        .order_by("employer__name", "applicant__full_name", "month", "pk")
    )


@dataclass(frozen=True)
class StatusTotal:
    count: int
    amount: Decimal


def batch_status_totals(*, batch: PaymentBatch) -> dict[str, StatusTotal]:
    """Return {line status: (count, amount)} of `batch`'s lines, in one query."""
    rows = (
        ClaimLine.objects.filter(batch=batch)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    return {status: StatusTotal(n, amount or ZERO) for status, n, amount in rows}


@dataclass
class PayeeRow:
    """One payee of a batch: an employer (name, USCC) or a person (name, masked ID)."""

    payee: str  # SubsidyType.Payee value
    name: str
    identifier: str
    lines: int
    amount: Decimal


def batch_payee_rows(*, batch: PaymentBatch) -> list[PayeeRow]:
    """
    Return the payees of `batch`'s payable (approved or paid) lines: lines
    of employer subsidies grouped per employer, lines of person subsidies
    per person; employers first, each group by name. Two queries. A person
    appears with her masked ID number only; the full number never leaves
    the profile.
    """
    lines = ClaimLine.objects.filter(batch=batch, status__in=PAYABLE).order_by()
    employers = (
        lines.filter(subsidy_type__payee=SubsidyType.Payee.EMPLOYER)
        .values_list("employer_id", "employer__name", "employer__uscc")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("employer__name", "employer_id")
    )
    people = (
        lines.filter(subsidy_type__payee=SubsidyType.Payee.PERSON)
        .values_list("applicant_id", "applicant__full_name", "applicant__id_number_masked")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("applicant__full_name", "applicant_id")
    )
    return [
        *(
            PayeeRow(SubsidyType.Payee.EMPLOYER, name or "", uscc or "", n, amount or ZERO)
            for _, name, uscc, n, amount in employers
        ),
        *(
            PayeeRow(SubsidyType.Payee.PERSON, name, masked, n, amount or ZERO)
            for _, name, masked, n, amount in people
        ),
    ]


@dataclass
class Unbatched:
    """Approved lines not yet in a batch, in a city or district in scope."""

    region: Region
    count: int = 0
    amount: Decimal = ZERO


def unbatched_totals_for_staff(
    *, user: User | AnonymousUser, regions: list[Region]
) -> list[Unbatched]:
    """
    Return, for each of `regions` (cities and districts in `user`'s scope),
    the count and sum of approved lines not yet in a batch whose claim lies
    in it (a city counts its districts' lines); regions without any are
    left out. One grouped query.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes or not regions:
        return []
    rows = (
        ClaimLine.objects.filter(
            _scope_q(prefixes, "claim__region__code"),
            status=ClaimLine.Status.APPROVED,
            batch__isnull=True,
        )
        .order_by()
        .values_list("claim__region__code")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    by_code = list(rows)
    result = []
    for region in regions:
        prefix = region_code_prefix(region)
        item = Unbatched(region=region)
        for code, n, amount in by_code:
            if code.startswith(prefix):
                item.count += n
                item.amount += amount or ZERO
        if item.count:
            result.append(item)
    return result


# ---------------------------------------------------------------------------
# Staff: recoveries


def _recoveries_in_scope(user: User | AnonymousUser) -> QuerySet[Recovery]:
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Recovery.objects.none()
    return Recovery.objects.filter(_scope_q(prefixes, "line__claim__region__code"))


def recovery_list_for_staff(*, user: User | AnonymousUser, status: str = "") -> QuerySet[Recovery]:
    """
    Return the recoveries of lines whose claim lies in `user`'s regions,
    oldest first, optionally of one `status`, with the line, its person,
    employer, type, batch and who decided loaded.
    """
    recoveries = _recoveries_in_scope(user)
    if status:
        recoveries = recoveries.filter(status=status)
    return recoveries.select_related(
        "line__applicant",
        "line__employer",
        "line__subsidy_type",
        "line__claim__region",
        "line__batch",
        "decided_by",
    ).order_by("created_at", "pk")


def recovery_status_counts_for_staff(*, user: User | AnonymousUser) -> dict[str, int]:
    """Return {status: number of recoveries} in `user`'s regions, in one query."""
    rows = _recoveries_in_scope(user).order_by().values_list("status").annotate(n=Count("pk"))
    return dict(rows)


def recovery_get_for_staff(*, user: User | AnonymousUser, pk: int) -> Recovery:
    """Return one recovery in `user`'s regions; raise Recovery.DoesNotExist otherwise."""
    return recovery_list_for_staff(user=user).get(pk=pk)


# ---------------------------------------------------------------------------
# The public notice (公示)


@dataclass
class NoticeEmployer:
    name: str
    people: int
    amount: Decimal


@dataclass
class NoticeBatch:
    """One batch as the public sees it: no names or ID numbers of people."""

    batch: PaymentBatch
    current: bool
    employers: list[NoticeEmployer] = field(default_factory=list)
    person_lines: int = 0
    person_people: int = 0
    person_amount: Decimal = ZERO


@dataclass
class PublicNotice:
    current: list[NoticeBatch]
    ended: list[NoticeBatch]
    regions: list[Region]  # cities and districts with a batch on the notice, by code
    region: Region | None  # the chosen filter, if any


def publicity_notice(*, region_code: str = "", today: datetime.date | None = None) -> PublicNotice:
    """
    Return the batches whose 公示 period is running on `today` (default:
    today in Beijing) and those whose period ended in the last
    RECENTLY_ENDED_DAYS days, for the region with `region_code` (a city
    covers its districts) or everywhere; for each, per employer the
    employer's name, number of people and amount, and the person lines only
    as a count and a total. Batches not yet in publicity are left out. The
    figures are those of the lines in the batch now: a line rejected during
    the notice still counts until the batch is approved (the declared
    totals, which the notice shows, are lowered then). Three queries.
    """
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=RECENTLY_ENDED_DAYS)
    batches = list(
        PaymentBatch.objects.filter(publicity_from__lte=today, publicity_until__gte=since)
        .select_related("region__parent")
        .order_by("-publicity_from", "region__code", "number")
    )
    # The filter choices come from every batch on the notice, so they do not
    # shrink when one is chosen.
    regions: dict[str, Region] = {}
    for batch in batches:
        regions[batch.region.code] = batch.region
        parent = batch.region.parent
        if batch.region.level == Region.Level.DISTRICT and parent is not None:
            regions[parent.code] = parent
    chosen = regions.get(region_code)
    if region_code and chosen is None:
        batches = []
    elif chosen is not None:
        prefix = region_code_prefix(chosen)
        batches = [b for b in batches if b.region.code.startswith(prefix)]
    items = {b.pk: NoticeBatch(batch=b, current=b.publicity_until >= today) for b in batches}
    if items:
        lines = ClaimLine.objects.filter(batch_id__in=list(items)).order_by()
        employer_rows = (
            lines.filter(subsidy_type__payee=SubsidyType.Payee.EMPLOYER)
            .values_list("batch_id", "employer__name")
            .annotate(people=Count("applicant_id", distinct=True), amount=Sum("amount"))
            .order_by("batch_id", "employer__name")
        )
        for batch_id, name, people, amount in employer_rows:
            items[batch_id].employers.append(NoticeEmployer(name or "", people, amount or ZERO))
        person_rows = (
            lines.filter(subsidy_type__payee=SubsidyType.Payee.PERSON)
            .values_list("batch_id")
            .annotate(
                n=Count("pk"), people=Count("applicant_id", distinct=True), amount=Sum("amount")
            )
        )
        for batch_id, n, people, amount in person_rows:
            item = items[batch_id]
            item.person_lines, item.person_people = n, people
            item.person_amount = amount or ZERO
    grouped: dict[bool, list[NoticeBatch]] = defaultdict(list)
    for item in items.values():
        grouped[item.current].append(item)
    return PublicNotice(
        current=grouped[True],
        ended=grouped[False],
        regions=[regions[code] for code in sorted(regions)],
        region=chosen,
    )
