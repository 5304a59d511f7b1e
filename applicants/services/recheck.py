"""
The daily eligibility re-check (ARCHITECTURE.md "Periodic work"): every
applicant is re-evaluated as of a day under her district's policy, in
id-ordered chunks of one read and one bulk UPDATE each (no query per
person); who stops qualifying within 60 days is told once per cut-off date,
with the employers of her current employments. Nothing is deleted. Safe to
run twice: a second run for the same day changes nothing and sends nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from employers.models import EmployerMembership
from mamagang.accounts.models import User
from mamagang.core.services import notifications_bulk_send

from ..eligibility import REASON_LABELS, ChildFacts, PersonFacts, evaluate
from ..models import Applicant, Child, Employment
from ..selectors import PolicyBook

WARNING_DAYS = 60
CHUNK = 2000


@dataclass
class RecheckStats:
    checked: int = 0
    changed: int = 0
    eligible: int = 0
    warned: int = 0
    chunks: int = 0
    skipped: bool = False
    reasons: dict[str, int] = field(default_factory=dict)


# pg advisory lock key: overlapping runs (beat and a manual one) must not both warn.
RECHECK_LOCK_KEY = 0x6D616D61_0001


def applicants_recheck(*, on: datetime.date, chunk_size: int = CHUNK) -> RecheckStats:
    """
    Re-evaluate every active applicant as of `on`; return counts. Another
    run in progress makes this one return at once with `skipped` set.
    """
    stats = RecheckStats()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RECHECK_LOCK_KEY])
        if not cursor.fetchone()[0]:
            stats.skipped = True
            return stats
    try:
        _recheck_all(on=on, chunk_size=chunk_size, stats=stats)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RECHECK_LOCK_KEY])
    return stats


def _recheck_all(*, on: datetime.date, chunk_size: int, stats: RecheckStats) -> None:
    book = PolicyBook()
    last_id = 0
    while True:
        rows = list(
            Applicant.objects.filter(pk__gt=last_id, anonymised_at__isnull=True)
            .order_by("pk")
            .values(
                "pk",
                "user_id",
                "birth_date",
                "retirement_category",
                "category",
                "care_duties",
                "residence_district__code",
                "eligibility",
                "eligibility_reasons",
                "eligible_until",
                "eligibility_warned_until",
                "evidence_withdrawn_at",
            )[:chunk_size]
        )
        if not rows:
            return
        # The chunk's children in one indexed range read (not a join over all children).
        children: dict[int, list[ChildFacts]] = {}
        for applicant_id, year, month, verified_at in Child.objects.filter(
            applicant_id__gt=last_id, applicant_id__lte=rows[-1]["pk"]
        ).values_list("applicant_id", "birth_year", "birth_month", "verified_at"):
            children.setdefault(applicant_id, []).append(
                ChildFacts(year, month, verified_at is not None)
            )
        last_id = rows[-1]["pk"]
        _recheck_chunk(rows, children, on=on, book=book, stats=stats)
        stats.chunks += 1


@transaction.atomic
def _recheck_chunk(
    rows: list[dict],
    children_of: dict[int, list[ChildFacts]],
    *,
    on: datetime.date,
    book: PolicyBook,
    stats: RecheckStats,
) -> None:
    updates: list[tuple[int, str, list[str], datetime.date | None, datetime.date | None]] = []
    to_warn: list[tuple[dict, datetime.date]] = []
    horizon = on + datetime.timedelta(days=WARNING_DAYS)
    for row in rows:
        children = tuple(children_of.get(row["pk"], ()))
        person = PersonFacts(
            birth_date=row["birth_date"],
            retirement_category=row["retirement_category"],
            category=row["category"],
            children=children,
            care_duties=frozenset(row["care_duties"]),
            evidence_withdrawn=row["evidence_withdrawn_at"] is not None,
        )
        result = evaluate(person, on, book.policy_for(row["residence_district__code"], on))
        status = Applicant.Eligibility.ELIGIBLE if result.eligible else "ineligible"
        warned = row["eligibility_warned_until"]
        if result.eligible and result.until and result.until <= horizon and warned != result.until:
            to_warn.append((row, result.until))
            warned = result.until
        stats.checked += 1
        stats.eligible += result.eligible
        for code in result.reasons:
            stats.reasons[code] = stats.reasons.get(code, 0) + 1
        new = (status, list(result.reasons), result.until, warned)
        old = (
            row["eligibility"],
            row["eligibility_reasons"],
            row["eligible_until"],
            row["eligibility_warned_until"],
        )
        if new != old:
            updates.append((row["pk"], *new))
    if updates:
        _bulk_update(updates, on=on)
        stats.changed += len(updates)
    if to_warn:
        _warn(to_warn, on=on)
        stats.warned += len(to_warn)


def _bulk_update(updates, *, on: datetime.date) -> None:
    """One UPDATE ... FROM (VALUES ...) for the chunk."""
    values_sql = ", ".join(["(%s, %s, %s::varchar[], %s::date, %s::date)"] * len(updates))
    params: list = []
    for pk, status, reasons, until, warned in updates:
        params += [pk, status, reasons, until, warned]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE applicants_applicant AS a
               SET eligibility = v.status,
                   eligibility_reasons = v.reasons,
                   eligible_until = v.until,
                   eligibility_warned_until = v.warned,
                   eligibility_checked_on = %s,
                   updated_at = now()
              FROM (VALUES {values_sql}) AS v(id, status, reasons, until, warned)
             WHERE a.id = v.id
            """,  # noqa: S608 - placeholders only
            [on, *params],
        )


def _warn(to_warn: list[tuple[dict, datetime.date]], *, on: datetime.date) -> None:
    """Tell each person, and the members of her current employers, once per cut-off date."""
    applicant_ids = [row["pk"] for row, _until in to_warn]
    employers_of: dict[int, set[int]] = {}
    for applicant_id, employer_id in Employment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on), applicant_id__in=applicant_ids
    ).values_list("applicant_id", "employer_id"):
        employers_of.setdefault(applicant_id, set()).add(employer_id)
    members_of: dict[int, set[int]] = {}
    employer_ids = {e for ids in employers_of.values() for e in ids}
    for employer_id, user_id in EmployerMembership.objects.filter(
        employer_id__in=employer_ids
    ).values_list("employer_id", "user_id"):
        members_of.setdefault(employer_id, set()).add(user_id)
    user_ids = {row["user_id"] for row, _until in to_warn} | {
        u for ids in members_of.values() for u in ids
    }
    users = User.objects.in_bulk(user_ids)
    items = []
    me_link = reverse("applicants:me-home")
    for row, until in to_warn:
        last_day = until - datetime.timedelta(days=1)
        her = users.get(row["user_id"])
        if her is not None and her.is_active:
            items.append(
                (
                    her,
                    "eligibility.ending",
                    _("您的妈妈岗人员资格将于 %(day)s 后到期") % {"day": last_day.isoformat()},
                    _(
                        "到期原因：子女将超过年龄上限或将达到法定退休年龄。如有新情况，请更新个人资料。"
                    ),
                    me_link,
                )
            )
        for employer_id in employers_of.get(row["pk"], ()):
            for user_id in members_of.get(employer_id, ()):
                member = users.get(user_id)
                if member is not None and member.is_active:
                    items.append(
                        (
                            member,
                            "eligibility.ending.employer",
                            _("一名妈妈岗员工的人员资格将于 %(day)s 后到期")
                            % {"day": last_day.isoformat()},
                            _("请在就业登记中查看；到期后的月份不能再申领妈妈岗补贴。"),
                            reverse("applicants:employer-employment-list"),
                        )
                    )
    notifications_bulk_send(items=items, email=True)


def reason_labels(codes: list[str]) -> list[str]:
    return [str(REASON_LABELS.get(code, code)) for code in codes]
