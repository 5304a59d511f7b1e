"""
The registry lifecycle (DOMAIN.md §2.4): an employer applies to be listed,
district staff decide, and a listed employer may be suspended, removed and
reinstated. Every transition locks the entry, re-checks, writes an event and
an audit row, keeps the dated listing history, and notifies the employer's
members after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import Employer, ListingPeriod, RegistryEntry, RegistryEvent
from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError

from ._common import notify_employer_members

Status = RegistryEntry.Status

# Label used in notifications for each decision.
_DECISION_TITLES = {
    Status.APPROVED: "名录申报已通过，单位已纳入妈妈岗用人单位名录",
    Status.RETURNED: "名录申报被退回修改",
    Status.REJECTED: "名录申报未通过",
    Status.SUSPENDED: "单位在妈妈岗用人单位名录中的资格已暂停",
    Status.REMOVED: "单位已移出妈妈岗用人单位名录",
}


def _lock(entry: RegistryEntry) -> RegistryEntry:
    # Re-read under a row lock so two people cannot move the same entry at once.
    return (
        RegistryEntry.objects.select_for_update(of=("self",))
        .select_related("employer", "district")
        .get(pk=entry.pk)
    )


def _ensure_transition(
    entry: RegistryEntry, to_status: str, from_statuses: tuple[str, ...] | None = None
) -> None:
    allowed_from = from_statuses is None or entry.status in from_statuses
    if not (allowed_from and entry.can_move_to(to_status)):
        raise DomainError(
            _("当前状态为“%(from)s”，不能变为“%(to)s”。")
            % {"from": entry.get_status_display(), "to": Status(to_status).label},
            code="registry_entry_transition_not_allowed",
        )


def _ensure_may_decide(entry: RegistryEntry, user: User) -> None:
    """Defense in depth: the interface checked this already (permissions.py)."""
    if not user.has_perm("employers.decide_registryentry"):
        raise DomainError(_("您没有审核名录的权限。"), code="registry_entry_no_permission")
    if not user_may_act_on_region(user=user, region_code=entry.district.code):
        raise DomainError(_("该单位不在您的辖区内。"), code="registry_entry_out_of_scope")
    # Four-eyes rule: nobody decides on an entry they submitted themselves,
    # nor on an employer they belong to.
    if entry.submitted_by_id == user.pk or entry.employer.memberships.filter(user=user).exists():
        raise DomainError(_("不能审核自己提交或所在单位的申报。"), code="registry_entry_four_eyes")


def _record(
    entry: RegistryEntry, *, from_status: str, actor: User | None, reason: str, now: datetime
) -> None:
    RegistryEvent.objects.create(
        entry=entry,
        from_status=from_status,
        to_status=entry.status,
        actor=actor,
        reason=reason,
        occurred_at=now,
    )
    audit_record(
        actor=actor,
        action=f"registry_entry.{entry.status}",
        obj=entry,
        before={"status": from_status},
        after={"status": entry.status},
        reason=reason,
    )


def _open_listing(entry: RegistryEntry, *, now: datetime) -> None:
    ListingPeriod.objects.create(
        employer=entry.employer, entry=entry, listed_from=timezone.localdate(now)
    )


def _close_listing(entry: RegistryEntry, *, now: datetime, reason: str) -> None:
    ListingPeriod.objects.filter(employer=entry.employer, listed_until__isnull=True).update(
        listed_until=timezone.localdate(now), end_reason=reason, updated_at=now
    )


def _decide(
    *,
    entry: RegistryEntry,
    from_statuses: tuple[str, ...],
    to_status: str,
    decided_by: User,
    reason: str,
    reason_required: bool,
    now: datetime | None,
) -> RegistryEntry:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise DomainError(
            _("请填写原因，单位会看到这段说明。"), code="registry_entry_reason_required"
        )
    entry = _lock(entry)
    _ensure_transition(entry, to_status, from_statuses)
    _ensure_may_decide(entry, decided_by)

    from_status = entry.status
    entry.status = to_status
    entry.decided_by = decided_by
    entry.decided_at = now
    entry.decision_reason = reason
    entry.full_clean()
    entry.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )

    if to_status == Status.APPROVED:
        _open_listing(entry, now=now)
    elif from_status == Status.APPROVED:
        _close_listing(entry, now=now, reason=reason)
    _record(entry, from_status=from_status, actor=decided_by, reason=reason, now=now)

    title = _DECISION_TITLES[to_status]
    if from_status in (Status.SUSPENDED, Status.REMOVED) and to_status == Status.APPROVED:
        title = "单位已恢复妈妈岗用人单位名录资格"
    notify_employer_members(
        employer=entry.employer,
        kind=f"registry_entry.{to_status}",
        title=title,
        body=reason,
        link=reverse("employers:workspace-registry"),
    )
    return entry


@transaction.atomic
def registry_entry_create(*, employer: Employer, created_by: User) -> RegistryEntry:
    """
    Start a draft application for `employer` in its registered district.

    Raise DomainError if the employer already has a live application.
    """
    if RegistryEntry.objects.filter(employer=employer).live().exists():
        raise DomainError(_("该单位已有一份名录申报。"), code="registry_entry_exists")
    entry = RegistryEntry.objects.create(employer=employer, district=employer.district)
    audit_record(actor=created_by, action="registry_entry.created", obj=entry)
    return entry


@transaction.atomic
def registry_entry_update(
    *, entry: RegistryEntry, updated_by: User, declared_posts: int, declaration: str
) -> RegistryEntry:
    """Change the declaration of a draft or returned application."""
    entry = _lock(entry)
    if not entry.is_editable_by_employer:
        raise DomainError(
            _("只有草稿或退回修改的申报可以修改。"), code="registry_entry_not_editable"
        )
    before = {"declared_posts": entry.declared_posts, "declaration": entry.declaration}
    entry.declared_posts = declared_posts
    entry.declaration = declaration
    entry.full_clean()
    entry.save(update_fields=["declared_posts", "declaration", "updated_at"])
    audit_record(
        actor=updated_by,
        action="registry_entry.updated",
        obj=entry,
        before=before,
        after={"declared_posts": declared_posts, "declaration": declaration},
    )
    return entry


@transaction.atomic
def registry_entry_submit(
    *,
    entry: RegistryEntry,
    submitted_by: User,
    declaration_confirmed: bool,
    now: datetime | None = None,
) -> RegistryEntry:
    """
    Submit a draft or returned application to the district for a decision.

    The applicant must confirm the declaration. The district is taken from
    the employer's registered district at the moment of submission.
    """
    now = now or timezone.now()
    if not declaration_confirmed:
        raise DomainError(_("请确认所填信息真实后再提交。"), code="registry_entry_not_confirmed")
    entry = _lock(entry)
    _ensure_transition(entry, Status.SUBMITTED)
    if entry.declared_posts < 1:
        raise DomainError(_("请至少申报1个妈妈岗。"), code="registry_entry_no_posts")

    from_status = entry.status
    entry.status = Status.SUBMITTED
    entry.district = entry.employer.district
    entry.declaration_confirmed = True
    entry.submitted_by = submitted_by
    entry.submitted_at = now
    entry.full_clean()
    entry.save(
        update_fields=[
            "status",
            "district",
            "declaration_confirmed",
            "submitted_by",
            "submitted_at",
            "updated_at",
        ]
    )
    _record(entry, from_status=from_status, actor=submitted_by, reason="", now=now)
    return entry


@transaction.atomic
def registry_entry_apply(
    *,
    employer: Employer,
    entry: RegistryEntry | None,
    by: User,
    declared_posts: int | None = None,
    declaration: str = "",
    submit: bool = False,
    declaration_confirmed: bool = False,
) -> RegistryEntry:
    """
    The employer's one-screen application, all or nothing: start a draft
    when there is no live application (`entry` is None or was rejected; the
    declaration is then required), save the declaration when given, and
    submit when asked.
    """
    if entry is None or entry.status == Status.REJECTED:
        if declared_posts is None:
            raise DomainError(
                _("请先填写拟设妈妈岗数量和申报说明，再提交审核。"),
                code="registry_entry_no_content",
            )
        entry = registry_entry_create(employer=employer, created_by=by)
    if declared_posts is not None:
        entry = registry_entry_update(
            entry=entry, updated_by=by, declared_posts=declared_posts, declaration=declaration
        )
    if submit:
        entry = registry_entry_submit(
            entry=entry, submitted_by=by, declaration_confirmed=declaration_confirmed
        )
    return entry


@transaction.atomic
def registry_entry_approve(
    *, entry: RegistryEntry, decided_by: User, reason: str = "", now: datetime | None = None
) -> RegistryEntry:
    """List the employer from today: submitted → approved. Opens a listing period."""
    return _decide(
        entry=entry,
        from_statuses=(Status.SUBMITTED,),
        to_status=Status.APPROVED,
        decided_by=decided_by,
        reason=reason,
        reason_required=False,
        now=now,
    )


@transaction.atomic
def registry_entry_return(
    *, entry: RegistryEntry, decided_by: User, reason: str, now: datetime | None = None
) -> RegistryEntry:
    """Send a submitted application back for changes, saying what to change."""
    return _decide(
        entry=entry,
        from_statuses=(Status.SUBMITTED,),
        to_status=Status.RETURNED,
        decided_by=decided_by,
        reason=reason,
        reason_required=True,
        now=now,
    )


@transaction.atomic
def registry_entry_reject(
    *, entry: RegistryEntry, decided_by: User, reason: str, now: datetime | None = None
) -> RegistryEntry:
    """Refuse a submitted application, with the reason."""
    return _decide(
        entry=entry,
        from_statuses=(Status.SUBMITTED,),
        to_status=Status.REJECTED,
        decided_by=decided_by,
        reason=reason,
        reason_required=True,
        now=now,
    )


@transaction.atomic
def registry_entry_suspend(
    *, entry: RegistryEntry, decided_by: User, reason: str, now: datetime | None = None
) -> RegistryEntry:
    """Suspend a listed employer: approved → suspended. Closes the listing period."""
    return _decide(
        entry=entry,
        from_statuses=(Status.APPROVED,),
        to_status=Status.SUSPENDED,
        decided_by=decided_by,
        reason=reason,
        reason_required=True,
        now=now,
    )


@transaction.atomic
def registry_entry_remove(
    *, entry: RegistryEntry, decided_by: User, reason: str, now: datetime | None = None
) -> RegistryEntry:
    """Remove an employer from the registry (from approved or suspended)."""
    return _decide(
        entry=entry,
        from_statuses=(Status.APPROVED, Status.SUSPENDED),
        to_status=Status.REMOVED,
        decided_by=decided_by,
        reason=reason,
        reason_required=True,
        now=now,
    )


@transaction.atomic
def registry_entry_reinstate(
    *, entry: RegistryEntry, decided_by: User, reason: str, now: datetime | None = None
) -> RegistryEntry:
    """List a suspended or removed employer again from today (new listing period)."""
    return _decide(
        entry=entry,
        from_statuses=(Status.SUSPENDED, Status.REMOVED),
        to_status=Status.APPROVED,
        decided_by=decided_by,
        reason=reason,
        reason_required=True,
        now=now,
    )
