"""
Applications to posts: submitted → viewed → interview → offered → hired,
or rejected (with a reason) or withdrawn (by her). Every change is an
ApplicationEvent both sides read, an audit event, and a notification to the
other side (in-site, e-mail and SMS, after commit).
"""

from __future__ import annotations

import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.permissions import can_manage_employer
from jobs.models import Job
from jobs.schedule import Window, normalise
from mamagang.accounts.models import User
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.core.tasks import notification_fanout

from ..models import Applicant, Application, ApplicationEvent

S = Application.Status

# Who may move an application where. Employer-side moves may skip steps
# (an employer may offer without an interview); interview -> interview
# reschedules. Final states take no further moves.
EMPLOYER_MOVES: dict[str, set[str]] = {
    S.SUBMITTED: {S.VIEWED, S.INTERVIEW, S.OFFERED, S.REJECTED},
    S.VIEWED: {S.INTERVIEW, S.OFFERED, S.REJECTED},
    S.INTERVIEW: {S.INTERVIEW, S.OFFERED, S.REJECTED},
    S.OFFERED: {S.HIRED, S.REJECTED},
}
APPLICANT_MOVES: dict[str, set[str]] = {
    S.SUBMITTED: {S.WITHDRAWN},
    S.VIEWED: {S.WITHDRAWN},
    S.INTERVIEW: {S.WITHDRAWN},
    S.OFFERED: {S.WITHDRAWN},
}
FINAL_STATES = frozenset({S.HIRED, S.REJECTED, S.WITHDRAWN})
LIVE_STATES = frozenset(set(S.values) - FINAL_STATES)


def job_accepts_applications(job: Job, today: datetime.date) -> bool:
    """A post takes applications while published, within its dates, employer listed."""
    return Job.objects.public(today=today).filter(pk=job.pk).exists()


def _employer_member_ids(job: Job) -> list[int]:
    return list(job.employer.memberships.values_list("user_id", flat=True))


def _notify(user_ids: list[int], *, kind: str, title: str, link: str, body: str = "") -> None:
    if user_ids:
        transaction.on_commit(
            partial(
                notification_fanout.delay,
                user_ids=user_ids,
                kind=kind,
                title=title,
                body=body,
                link=link,
                email=True,
                sms=True,
            )
        )


def _record(
    application: Application, *, from_status: str, actor: User, note: str, now
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        from_status=from_status,
        to_status=application.status,
        actor=actor,
        note=note,
        occurred_at=now,
    )


@transaction.atomic
def application_submit(
    *,
    applicant: Applicant,
    job: Job,
    message: str = "",
    offered_windows: list[tuple[int, int, int]] | None = None,
    now: datetime.datetime | None = None,
) -> Application:
    """
    Apply to `job` with a message and the weekly windows she offers
    (defaults to her profile's free windows). Closed, expired or unlisted
    posts take no applications; one live application per post.
    """
    now = now or timezone.now()
    if applicant.anonymised_at is not None:
        raise DomainError(_("该个人信息已注销。"), code="applicant_anonymised")
    job = Job.objects.select_for_update().select_related("employer").get(pk=job.pk)
    if not job_accepts_applications(job, timezone.localdate(now)):
        raise DomainError(
            _("该岗位已结束招聘或已过期，不再接受申请。"), code="application_job_closed"
        )
    if offered_windows is None:
        offered_windows = list(
            applicant.free_windows.values_list("weekday", "start_minute", "end_minute")
        )
    try:
        windows = normalise(Window(*w) for w in offered_windows)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("可工作时间段无效。"), code="application_windows_invalid") from exc
    application = Application(
        job=job,
        applicant=applicant,
        message=(message or "").strip()[:1000],
        offered_windows=[[w.weekday, w.start, w.end] for w in windows],
        submitted_at=now,
        status_changed_at=now,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise DomainError(
            _("您已申请过该岗位，可在“我的申请”中查看进度。"), code="application_duplicate"
        ) from exc
    _record(application, from_status="", actor=applicant.user, note="", now=now)
    audit_record(
        actor=applicant.user,
        action="application.submitted",
        obj=application,
        after={"job": job.pk, "status": application.status},
    )
    _notify(
        _employer_member_ids(job),
        kind="application.submitted",
        title=_("岗位“%(job)s”收到新的申请") % {"job": job.title},
        link=reverse("applicants:employer-application-detail", args=[application.pk]),
    )
    return application


def _transition(
    application: Application,
    *,
    to: str,
    actor: User,
    note: str = "",
    now: datetime.datetime | None = None,
    **fields,
) -> Application:
    now = now or timezone.now()
    application = (
        Application.objects.select_for_update()
        .select_related("job__employer", "applicant__user")
        .get(pk=application.pk)
    )
    is_employer = can_manage_employer(actor, application.job.employer)
    is_applicant = application.applicant.user_id == actor.pk
    moves = EMPLOYER_MOVES if is_employer else APPLICANT_MOVES if is_applicant else None
    if moves is None:
        raise DomainError(_("您无权处理该申请。"), code="application_no_permission")
    if to not in moves.get(application.status, set()):
        raise DomainError(
            _("申请当前为“%(from)s”，不能变为“%(to)s”。")
            % {"from": application.get_status_display(), "to": S(to).label},
            code="application_bad_transition",
        )
    from_status = application.status
    application.status = to
    application.status_changed_at = now
    for key, value in fields.items():
        setattr(application, key, value)
    application.full_clean(exclude=["job", "applicant"])
    application.save()
    _record(application, from_status=from_status, actor=actor, note=note, now=now)
    audit_record(
        actor=actor,
        action=f"application.{to}",
        obj=application,
        before={"status": from_status},
        after={"status": to, **{k: str(v) for k, v in fields.items()}},
        reason=note,
    )
    title_args = {"job": application.job.title, "status": S(to).label}
    if is_employer:
        _notify(
            [application.applicant.user_id],
            kind=f"application.{to}",
            title=_("您申请的岗位“%(job)s”：%(status)s") % title_args,
            body=note,
            link=reverse("applicants:me-application-detail", args=[application.pk]),
        )
    else:
        _notify(
            _employer_member_ids(application.job),
            kind=f"application.{to}",
            title=_("岗位“%(job)s”的一份申请：%(status)s") % title_args,
            body=note,
            link=reverse("applicants:employer-application-detail", args=[application.pk]),
        )
    return application


@transaction.atomic
def application_mark_viewed(
    *, application: Application, by: User, now: datetime.datetime | None = None
) -> Application:
    """Mark a submitted application viewed when the employer opens it (no-op otherwise)."""
    if application.status != S.SUBMITTED:
        return application
    return _transition(application, to=S.VIEWED, actor=by, now=now)


@transaction.atomic
def application_invite_interview(
    *,
    application: Application,
    by: User,
    at: datetime.datetime,
    place: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """Invite her to an interview at `at` in `place` (or reschedule it)."""
    now = now or timezone.now()
    place = (place or "").strip()
    if not place:
        raise DomainError(_("请填写面试地点（或“电话面试”）。"), code="interview_place_required")
    if at <= now:
        raise DomainError(_("面试时间应晚于现在。"), code="interview_in_past")
    local = timezone.localtime(at)
    text = _("面试时间：%(at)s，地点：%(place)s") % {
        "at": local.strftime("%Y-%m-%d %H:%M"),
        "place": place,
    }
    return _transition(
        application,
        to=S.INTERVIEW,
        actor=by,
        note=f"{text}\n{note}".strip(),
        now=now,
        interview_at=at,
        interview_place=place,
    )


@transaction.atomic
def application_offer(
    *, application: Application, by: User, note: str = "", now: datetime.datetime | None = None
) -> Application:
    return _transition(application, to=S.OFFERED, actor=by, note=note, now=now)


@transaction.atomic
def application_reject(
    *, application: Application, by: User, reason: str, now: datetime.datetime | None = None
) -> Application:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("请填写未通过的原因，便于求职者了解情况。"), code="reject_reason_required"
        )
    return _transition(
        application, to=S.REJECTED, actor=by, note=reason, now=now, reject_reason=reason
    )


@transaction.atomic
def application_withdraw(
    *, application: Application, by: User, note: str = "", now: datetime.datetime | None = None
) -> Application:
    return _transition(application, to=S.WITHDRAWN, actor=by, note=note, now=now)


@transaction.atomic
def application_hire(
    *,
    application: Application,
    by: User,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    employment_form: str | None = None,
    has_labour_contract: bool | None = None,
    contract_months: int | None = None,
    social_insurance: bool | None = None,
    declared_mamagang: bool = True,
    now: datetime.datetime | None = None,
):
    """
    Mark her hired; this is the employment registration (就业登记): an
    Employment is created with the post's terms unless given, and the
    妈妈岗 declaration. Return the Employment.
    """
    from .employments import employment_create

    application = _transition(application, to=S.HIRED, actor=by, now=now)
    job = application.job
    has_contract = job.has_labour_contract if has_labour_contract is None else has_labour_contract
    if contract_months is None and has_contract:
        contract_months = job.contract_months
    return employment_create(
        employer=job.employer,
        applicant=application.applicant,
        registered_by=by,
        job=job,
        application=application,
        start_date=start_date,
        end_date=end_date,
        employment_form=employment_form or job.employment_form,
        has_labour_contract=has_contract,
        contract_months=contract_months if has_contract else None,
        social_insurance=job.social_insurance if social_insurance is None else social_insurance,
        declared_mamagang=declared_mamagang,
        now=now,
    )
