"""
Write use-cases for job posts: create and edit (deriving hours, hourly
equivalents, school-run fit and search tokens), the moderation lifecycle,
and the periodic expiry work. Every transition locks the row, re-checks,
writes an event and an audit row, and notifies after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import Employer, RegistryEntry
from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.core.tasks import notification_fanout as notification_fanout_task
from mamagang.regions.selectors import region_is_county_level

from . import schedule
from .models import Job, JobEvent, JobWindow
from .schedule import LabourWarning, Window
from .search import segment
from .selectors import job_region_setting, minimum_hourly_wage

Status = Job.Status
EXPIRY_WARNING_DAYS = 7

# Fields an employer sets; the rest are derived or belong to the lifecycle.
INPUT_FIELDS = (
    "title",
    "description",
    "sector",
    "occupation",
    "post_modes",
    "employment_form",
    "location_mode",
    "district",
    "street",
    "address",
    "pay_unit",
    "pay_min",
    "pay_max",
    "pieces_per_hour",
    "pay_cycle_days",
    "headcount",
    "education",
    "certificates",
    "other_requirements",
    "has_labour_contract",
    "contract_months",
    "social_insurance",
    "work_injury_insurance",
    "training_provided",
    "promotion_path",
    "valid_from",
    "valid_until",
)
# Edits of a published post that need no new review in regions that review posts.
EDITS_WITHOUT_REVIEW = frozenset({"headcount", "valid_until"})


@dataclass(frozen=True)
class JobCheck:
    """What the derived values and the labour-law rules say about a post."""

    hours_per_week: Any
    hourly_min: Any
    hourly_max: Any
    school_run_friendly: bool
    warnings: list[LabourWarning]


def job_check(
    *, fields: dict[str, Any], windows: Sequence[Window], today: datetime.date
) -> JobCheck:
    """
    Derive a post's weekly hours, hourly equivalents and school-run fit, and
    the labour-law warnings for non-full-time posts. Raise DomainError when
    the pay cannot be compared (e.g. piece rate without pieces per hour).
    """
    windows = schedule.normalise(windows)
    hours = schedule.hours_per_week(windows)
    days = schedule.working_days(windows)
    try:
        hourly = [
            schedule.hourly_equivalent(
                pay_unit=fields["pay_unit"],
                amount=fields[key],
                hours_week=hours,
                days_week=days,
                pieces_per_hour=fields.get("pieces_per_hour"),
            )
            for key in ("pay_min", "pay_max")
        ]
    except ValueError as exc:
        raise DomainError(str(exc), code="job_pay_not_comparable") from exc
    _review, day_start, day_end = job_region_setting(district=fields["district"])
    friendly = schedule.school_run_friendly(windows, day_start=day_start, day_end=day_end)
    warnings: list[LabourWarning] = []
    if fields["employment_form"] == Job.EmploymentForm.PART_TIME_HOURLY:
        warnings = schedule.part_time_warnings(
            windows=windows,
            hourly_min=hourly[0],
            pay_cycle_days=fields["pay_cycle_days"],
            minimum_hourly=minimum_hourly_wage(district=fields["district"], on=today),
        )
    return JobCheck(hours, hourly[0], hourly[1], friendly, warnings)


def _validate(fields: dict[str, Any], windows: Sequence[Window]) -> None:
    unknown = set(fields) - set(INPUT_FIELDS)
    if unknown:
        raise DomainError(
            _("不能设置这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))},
            code="job_field_not_editable",
        )
    district, street = fields["district"], fields.get("street")
    if not region_is_county_level(district):
        raise DomainError(_("请选择工作所在的区县。"), code="job_district_level")
    if street is not None and street.parent_id != district.pk:
        raise DomainError(_("所选街道/乡镇不属于该区县。"), code="job_street_not_in_district")
    needs_windows = fields["location_mode"] != Job.LocationMode.AT_HOME and fields["pay_unit"] in (
        "hour",
        "day",
        "month",
    )
    if needs_windows and not windows:
        raise DomainError(
            _("请填写每周的工作时间段，妈妈们据此判断能否兼顾接送孩子。"),
            code="job_windows_required",
        )
    if not fields.get("post_modes"):
        raise DomainError(_("请至少选择一种妈妈岗类型。"), code="job_post_mode_required")


def _apply(job: Job, fields: dict[str, Any], windows: Sequence[Window], check: JobCheck) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.post_modes = sorted(set(job.post_modes))
    job.hours_per_week = check.hours_per_week or schedule.hours_per_week(windows) or 1
    job.hourly_min, job.hourly_max = check.hourly_min, check.hourly_max
    job.school_run_friendly = check.school_run_friendly
    job.search_tokens = segment(
        " ".join([job.title, job.occupation, job.employer.name, job.description])
    )


def _save_windows(job: Job, windows: Sequence[Window]) -> None:
    job.windows.all().delete()
    JobWindow.objects.bulk_create(
        JobWindow(job=job, weekday=w.weekday, start_minute=w.start, end_minute=w.end)
        for w in schedule.normalise(windows)
    )


def _event(
    job: Job, *, from_status: str, actor: User | None, reason: str, now: datetime.datetime
) -> None:
    JobEvent.objects.create(
        job=job,
        from_status=from_status,
        to_status=job.status,
        actor=actor,
        reason=reason,
        occurred_at=now,
    )
    audit_record(
        actor=actor,
        action=f"job.{job.status}",
        obj=job,
        before={"status": from_status},
        after={"status": job.status},
        reason=reason,
    )


def _notify_employer(job: Job, *, kind: str, title: str, body: str = "") -> None:
    user_ids = list(job.employer.memberships.values_list("user_id", flat=True))
    if user_ids:
        transaction.on_commit(
            partial(
                notification_fanout_task.delay,
                user_ids=user_ids,
                kind=kind,
                title=title,
                body=body,
                link=reverse("jobs:employer-job-detail", kwargs={"pk": job.pk}),
                email=True,
            )
        )


def _employer_listed(employer: Employer) -> bool:
    return RegistryEntry.objects.filter(
        employer=employer, status=RegistryEntry.Status.APPROVED
    ).exists()


@transaction.atomic
def job_create(
    *,
    employer: Employer,
    created_by: User,
    fields: dict[str, Any],
    windows: Sequence[Window],
    now: datetime.datetime | None = None,
) -> tuple[Job, list[LabourWarning]]:
    """
    Create a draft post; return it and the labour-law warnings to show.
    Raise DomainError for rule violations and ValidationError for bad fields.
    """
    now = now or timezone.now()
    _validate(fields, windows)
    check = job_check(fields=fields, windows=windows, today=timezone.localdate(now))
    job = Job(employer=employer, created_by=created_by)
    _apply(job, fields, windows, check)
    job.full_clean(exclude=["search_vector"])
    job.save()
    _save_windows(job, windows)
    audit_record(
        actor=created_by,
        action="job.created",
        obj=job,
        after=snapshot(job, ["title", "employer", "district", "status"]),
    )
    return job, check.warnings


@transaction.atomic
def job_update(
    *,
    job: Job,
    updated_by: User,
    fields: dict[str, Any],
    windows: Sequence[Window],
    now: datetime.datetime | None = None,
) -> tuple[Job, list[LabourWarning]]:
    """
    Change a post. Drafts and returned posts change freely. A published post
    in a region that reviews posts goes back to review (submitted) unless
    only the headcount or the end date changed; elsewhere it stays published.
    Closed, expired and taken-down posts cannot be edited (renew or duplicate).
    """
    now = now or timezone.now()
    job = Job.objects.select_for_update().select_related("employer").get(pk=job.pk)
    if job.status not in (Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.PUBLISHED):
        raise DomainError(_("该岗位已结束，不能修改；可以复制为新岗位。"), code="job_not_editable")
    _validate(fields, windows)
    check = job_check(fields=fields, windows=windows, today=timezone.localdate(now))
    old_windows = [Window(w.weekday, w.start_minute, w.end_minute) for w in job.windows.all()]
    changed = [name for name, value in fields.items() if getattr(job, name) != value]
    if schedule.normalise(windows) != schedule.normalise(old_windows):
        changed.append("windows")
    before = snapshot(job, [c for c in changed if c != "windows"])
    _apply(job, fields, windows, check)
    job.full_clean(exclude=["search_vector"])
    from_status = job.status
    review_required, _s, _e = job_region_setting(district=job.district)
    if job.status == Status.PUBLISHED and review_required and set(changed) - EDITS_WITHOUT_REVIEW:
        job.status = Status.SUBMITTED
        job.submitted_at = now
    job.save()
    _save_windows(job, windows)
    audit_record(
        actor=updated_by,
        action="job.updated",
        obj=job,
        before=before,
        after={"changed": sorted(changed)},
    )
    if job.status != from_status:
        _event(job, from_status=from_status, actor=updated_by, reason=_("修改后重新审核"), now=now)
    return job, check.warnings


@transaction.atomic
def job_submit(*, job: Job, submitted_by: User, now: datetime.datetime | None = None) -> Job:
    """
    Submit a draft or returned post. Only employers listed in the registry
    post 妈妈岗 posts. Where the region reviews posts it waits for staff;
    elsewhere it is published at once.
    """
    now = now or timezone.now()
    job = Job.objects.select_for_update().select_related("employer", "district").get(pk=job.pk)
    if job.status not in (Status.DRAFT, Status.RETURNED):
        raise DomainError(_("只有草稿或退回修改的岗位可以提交。"), code="job_not_submittable")
    if not _employer_listed(job.employer):
        raise DomainError(
            _("单位纳入妈妈岗用人单位名录后才能发布妈妈岗岗位。"), code="job_employer_not_listed"
        )
    if job.valid_until < timezone.localdate(now):
        raise DomainError(_("截止日期已过，请修改后再提交。"), code="job_already_ended")
    from_status = job.status
    review_required, _s, _e = job_region_setting(district=job.district)
    job.submitted_at = now
    if review_required:
        job.status = Status.SUBMITTED
    else:
        job.status = Status.PUBLISHED
        job.published_at = now
    job.status_reason = ""
    job.save(
        update_fields=["status", "submitted_at", "published_at", "status_reason", "updated_at"]
    )
    _event(job, from_status=from_status, actor=submitted_by, reason="", now=now)
    return job


def _moderate(job: Job, user: User, *, allowed: tuple[str, ...]) -> Job:
    job = Job.objects.select_for_update().select_related("employer", "district").get(pk=job.pk)
    if job.status not in allowed:
        raise DomainError(
            _("当前状态为“%(s)s”，不能进行此操作。") % {"s": job.get_status_display()},
            code="job_transition_not_allowed",
        )
    if not user.has_perm("jobs.moderate_job"):
        raise DomainError(_("您没有审核岗位的权限。"), code="job_no_permission")
    if not user_may_act_on_region(user=user, region_code=job.district.code):
        raise DomainError(_("该岗位不在您的辖区内。"), code="job_out_of_scope")
    if job.employer.memberships.filter(user=user).exists():
        raise DomainError(_("不能审核本人所在单位的岗位。"), code="job_four_eyes")
    return job


@transaction.atomic
def job_approve(*, job: Job, decided_by: User, now: datetime.datetime | None = None) -> Job:
    """Publish a post waiting for review."""
    now = now or timezone.now()
    job = _moderate(job, decided_by, allowed=(Status.SUBMITTED,))
    if not _employer_listed(job.employer):
        raise DomainError(_("该单位目前不在名录中。"), code="job_employer_not_listed")
    job.status, job.published_at, job.decided_by, job.status_reason = (
        Status.PUBLISHED,
        now,
        decided_by,
        "",
    )
    job.save(update_fields=["status", "published_at", "decided_by", "status_reason", "updated_at"])
    _event(job, from_status=Status.SUBMITTED, actor=decided_by, reason="", now=now)
    _notify_employer(job, kind="job.published", title=_("岗位“%(t)s”已发布") % {"t": job.title})
    return job


@transaction.atomic
def job_return(
    *, job: Job, decided_by: User, reason: str, now: datetime.datetime | None = None
) -> Job:
    """Send a post waiting for review back for changes, saying what to change."""
    return _with_reason(
        job,
        decided_by,
        reason,
        (Status.SUBMITTED,),
        Status.RETURNED,
        now,
        _("岗位“%(t)s”被退回修改"),
    )


@transaction.atomic
def job_take_down(
    *, job: Job, decided_by: User, reason: str, now: datetime.datetime | None = None
) -> Job:
    """Take a published post out of search, with the reason the employer sees."""
    return _with_reason(
        job,
        decided_by,
        reason,
        (Status.PUBLISHED,),
        Status.TAKEN_DOWN,
        now,
        _("岗位“%(t)s”已被下架"),
    )


def _with_reason(job, user, reason, allowed, to_status, now, title) -> Job:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写原因，单位会看到这段说明。"), code="job_reason_required")
    job = _moderate(job, user, allowed=allowed)
    from_status = job.status
    job.status, job.decided_by, job.status_reason = to_status, user, reason
    job.save(update_fields=["status", "decided_by", "status_reason", "updated_at"])
    _event(job, from_status=from_status, actor=user, reason=reason, now=now)
    _notify_employer(job, kind=f"job.{to_status}", title=title % {"t": job.title}, body=reason)
    return job


@transaction.atomic
def job_close(
    *, job: Job, closed_by: User, reason: str, now: datetime.datetime | None = None
) -> Job:
    """
    End a published or expired post: filled, not filled, or withdrawn. After
    expiry this is how the employer answers whether the post was filled.
    """
    now = now or timezone.now()
    if reason not in Job.CloseReason.values:
        raise DomainError(_("请选择结束原因。"), code="job_close_reason_required")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status not in (Status.PUBLISHED, Status.EXPIRED) and not (
        job.status == Status.CLOSED and not job.close_reason
    ):
        raise DomainError(_("只有招聘中或已过期的岗位可以结束。"), code="job_not_closable")
    from_status = job.status
    job.status, job.closed_at, job.close_reason = Status.CLOSED, now, reason
    job.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    _event(
        job,
        from_status=from_status,
        actor=closed_by,
        reason=job.get_close_reason_display(),
        now=now,
    )
    return job


@transaction.atomic
def job_renew(
    *, job: Job, renewed_by: User, valid_until: datetime.date, now: datetime.datetime | None = None
) -> Job:
    """Extend a published or expired post to `valid_until` (published again if expired)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    job = Job.objects.select_for_update().select_related("employer").get(pk=job.pk)
    if job.status not in (Status.PUBLISHED, Status.EXPIRED):
        raise DomainError(_("只有招聘中或已过期的岗位可以延期。"), code="job_not_renewable")
    if valid_until < today or valid_until <= job.valid_until:
        raise DomainError(_("新的截止日期应晚于原截止日期和今天。"), code="job_renew_date")
    if not _employer_listed(job.employer):
        raise DomainError(_("单位目前不在名录中，不能延期。"), code="job_employer_not_listed")
    from_status = job.status
    before = {"valid_until": job.valid_until.isoformat()}
    job.valid_until, job.expiry_warned_at, job.status = valid_until, None, Status.PUBLISHED
    job.save(update_fields=["valid_until", "expiry_warned_at", "status", "updated_at"])
    audit_record(
        actor=renewed_by,
        action="job.renewed",
        obj=job,
        before=before,
        after={"valid_until": valid_until.isoformat()},
    )
    if from_status != job.status:
        _event(job, from_status=from_status, actor=renewed_by, reason=_("延期"), now=now)
    return job


@transaction.atomic
def job_duplicate(*, job: Job, created_by: User) -> Job:
    """Copy a post (any status) into a new draft of the same employer."""
    source = Job.objects.select_related("employer").get(pk=job.pk)
    windows = [Window(w.weekday, w.start_minute, w.end_minute) for w in source.windows.all()]
    copy = Job(employer=source.employer, created_by=created_by)
    for name in INPUT_FIELDS:
        setattr(copy, name, getattr(source, name))
    for name in (
        "hours_per_week",
        "hourly_min",
        "hourly_max",
        "school_run_friendly",
        "search_tokens",
    ):
        setattr(copy, name, getattr(source, name))
    copy.title = _("%(t)s（副本）") % {"t": source.title}
    copy.save()
    _save_windows(copy, windows)
    audit_record(actor=created_by, action="job.duplicated", obj=copy, after={"source": source.pk})
    return copy


@transaction.atomic
def jobs_expire_overdue(*, now: datetime.datetime) -> int:
    """
    Expire published posts whose end date has passed (set-based), record the
    events, and ask each employer whether the post was filled. Safe to run
    twice: an expired post is not expired again.
    """
    today = timezone.localdate(now)
    overdue = list(
        Job.objects.select_for_update(skip_locked=True)
        .filter(status=Status.PUBLISHED, valid_until__lt=today)
        .values_list("pk", "employer_id", "title")
    )
    if not overdue:
        return 0
    ids = [pk for pk, _e, _t in overdue]
    Job.objects.filter(pk__in=ids).update(status=Status.EXPIRED, updated_at=now)
    JobEvent.objects.bulk_create(
        JobEvent(job_id=pk, from_status=Status.PUBLISHED, to_status=Status.EXPIRED, occurred_at=now)
        for pk in ids
    )
    for pk, employer_id, title in overdue:
        _notify_members(
            employer_id,
            pk,
            kind="job.expired",
            title=_("岗位“%(t)s”已到期，请告诉我们是否已招到人") % {"t": title},
        )
    return len(ids)


@transaction.atomic
def jobs_warn_expiring(*, now: datetime.datetime) -> int:
    """
    Warn employers 7 days before a published post ends (once per post, until
    it is renewed). Safe to run twice.
    """
    today = timezone.localdate(now)
    due = list(
        Job.objects.select_for_update(skip_locked=True)
        .filter(
            status=Status.PUBLISHED,
            expiry_warned_at__isnull=True,
            valid_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS),
            valid_until__gte=today,
        )
        .values_list("pk", "employer_id", "title", "valid_until")
    )
    if not due:
        return 0
    Job.objects.filter(pk__in=[row[0] for row in due]).update(expiry_warned_at=now, updated_at=now)
    for pk, employer_id, title, until in due:
        _notify_members(
            employer_id,
            pk,
            kind="job.expiring",
            title=_("岗位“%(t)s”将于%(d)s到期，可以延期或标记已招满")
            % {"t": title, "d": until.isoformat()},
        )
    return len(due)


def _notify_members(employer_id: int, job_id: int, *, kind: str, title: str) -> None:
    from employers.models import EmployerMembership

    user_ids = list(
        EmployerMembership.objects.filter(employer_id=employer_id).values_list("user_id", flat=True)
    )
    if user_ids:
        transaction.on_commit(
            partial(
                notification_fanout_task.delay,
                user_ids=user_ids,
                kind=kind,
                title=title,
                link=reverse("jobs:employer-job-detail", kwargs={"pk": job_id}),
                email=True,
            )
        )
