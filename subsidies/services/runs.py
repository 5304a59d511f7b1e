"""
Eligibility runs: deciding one policy's month in id-range chunks that
Celery workers share (more workers, a faster month). A run is recorded
with its progress; it is idempotent (deciding unchanged lines writes
nothing) and restartable (`run_resume` re-queues what is not done; a chunk
whose worker died is taken again after CHUNK_STALE).
"""

from __future__ import annotations

import datetime
import traceback
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mamagang.accounts.models import User
from mamagang.core.exceptions import DomainError

from ..engine import add_months, lines_decide
from ..models import ClaimLine, EligibilityRun, RunChunk, SubsidyPolicy, SubsidyType
from .claims import lines_generate_for_month

CHUNK_SIZE = 20_000
CHUNK_STALE = datetime.timedelta(minutes=30)
MAX_ATTEMPTS = 3


def _enqueue(chunk_ids: list[int]) -> None:
    from ..tasks import run_chunk_decide

    for chunk_id in chunk_ids:
        transaction.on_commit(partial(run_chunk_decide.delay, chunk_id=chunk_id))


BASE_AWARD = SubsidyType.BASE_AWARD


def run_start(
    *,
    policy: SubsidyPolicy,
    month: datetime.date,
    kind: str = EligibilityRun.Kind.MANUAL,
    by: User | None = None,
    chunk_size: int = CHUNK_SIZE,
    now: datetime.datetime | None = None,
) -> EligibilityRun:
    """
    Start deciding `policy`'s `month` (a monthly run first generates the
    免申即享 lines of an auto-generating policy). If a run of that policy
    and month is unfinished, return it instead (and re-queue its chunks).
    """
    if policy.subsidy_type.code == BASE_AWARD:
        raise DomainError(
            _("就业基地奖补按基地和认定年度核定，不按月判定。"), code="base_award_not_run"
        )
    now = now or timezone.now()
    month = month.replace(day=1)
    open_run = EligibilityRun.objects.filter(
        policy=policy, month=month, status__in=["pending", "running"]
    ).first()
    if open_run is not None:
        run_resume(run=open_run, now=now)
        return open_run
    try:
        with transaction.atomic():
            run = EligibilityRun.objects.create(
                policy=policy, month=month, kind=kind, started_by=by, started_at=now
            )
    except IntegrityError:
        # Another process started it a moment ago.
        return EligibilityRun.objects.get(
            policy=policy, month=month, status__in=["pending", "running"]
        )
    with transaction.atomic():
        created = 0
        if kind == EligibilityRun.Kind.MONTHLY and policy.auto_generate:
            created = lines_generate_for_month(policy=policy, month=month, by=by, now=now)
        starts = _chunk_starts(policy=policy, month=month, chunk_size=chunk_size)
        chunks = RunChunk.objects.bulk_create(
            RunChunk(run=run, first_id=first, last_id=(nxt - 1) if nxt else 2**62)
            for first, nxt in zip(starts, [*starts[1:], None][: len(starts)], strict=True)
        )
        EligibilityRun.objects.filter(pk=run.pk).update(
            status=EligibilityRun.Status.RUNNING if chunks else EligibilityRun.Status.DONE,
            total_chunks=len(chunks),
            lines_created=created,
            finished_at=None if chunks else now,
            updated_at=now,
        )
        _enqueue([c.pk for c in chunks])
    run.refresh_from_db()
    return run


def _chunk_starts(*, policy: SubsidyPolicy, month: datetime.date, chunk_size: int) -> list[int]:
    """The first line id of each chunk of the policy-month's undecided-or-live lines."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id FROM (
                SELECT id, row_number() OVER (ORDER BY id) AS n
                  FROM subsidies_claimline
                 WHERE policy_id = %s AND month = %s AND status IN ('open', 'approved')
            ) numbered
             WHERE (n - 1) %% %s = 0
             ORDER BY id
            """,
            [policy.pk, month, chunk_size],
        )
        return [row[0] for row in cursor.fetchall()]


def run_chunk_process(*, chunk_id: int, now: datetime.datetime | None = None) -> bool:
    """
    Decide one chunk. Return False if it was done, taken by a live worker,
    or out of attempts. Safe to call twice and from several workers.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the chunk row only (`of`): its joined run, policy, region and type rows
        # are held by other workers' foreign-key checks and registry publishes, and
        # skip_locked would then find nothing and leave the chunk pending for good.
        chunk = (
            RunChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run__policy__region", "run__policy__subsidy_type")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None or chunk.status == RunChunk.Status.DONE:
            return False
        if chunk.attempts >= MAX_ATTEMPTS and chunk.status == RunChunk.Status.FAILED:
            return False
        chunk.status = RunChunk.Status.PROCESSING
        chunk.attempts += 1
        chunk.started_at = now
        chunk.save(update_fields=["status", "attempts", "started_at"])
    run = chunk.run
    try:
        result = lines_decide(
            policy=run.policy,
            month=run.month,
            first_id=chunk.first_id,
            last_id=chunk.last_id,
            run_id=run.pk,
            now=now,
        )
    except Exception as exc:  # recorded on the chunk and the run; the task may retry
        with transaction.atomic():
            RunChunk.objects.filter(pk=chunk.pk).update(
                status=RunChunk.Status.FAILED, last_error=traceback.format_exc()[-2000:]
            )
            run = EligibilityRun.objects.select_for_update().get(pk=run.pk)
            run.errors = [*run.errors, {"chunk": chunk.pk, "error": str(exc)[:500]}][-50:]
            if chunk.attempts >= MAX_ATTEMPTS:
                run.status = EligibilityRun.Status.FAILED
                run.finished_at = timezone.now()
            run.save(update_fields=["errors", "status", "finished_at", "updated_at"])
        raise
    with transaction.atomic():
        updated = (
            RunChunk.objects.filter(pk=chunk.pk)
            .exclude(status="done")
            .update(
                status=RunChunk.Status.DONE,
                decided=result.decided,
                changed=result.changed,
                last_error="",
            )
        )
        if updated:
            EligibilityRun.objects.filter(pk=run.pk).update(
                done_chunks=F("done_chunks") + 1,
                lines_decided=F("lines_decided") + result.decided,
                lines_changed=F("lines_changed") + result.changed,
                updated_at=timezone.now(),
            )
            EligibilityRun.objects.filter(
                pk=run.pk, status=EligibilityRun.Status.RUNNING, done_chunks=F("total_chunks")
            ).update(status=EligibilityRun.Status.DONE, finished_at=timezone.now())
    return True


def run_resume(*, run: EligibilityRun, now: datetime.datetime | None = None) -> int:
    """Re-queue the chunks that are pending, failed, or stuck; return how many."""
    now = now or timezone.now()
    stale = now - CHUNK_STALE
    chunk_ids = list(
        run.chunks.exclude(status=RunChunk.Status.DONE)
        # A chunk being processed is left alone unless its own worker took it
        # long ago (the run's other chunks may be progressing meanwhile).
        .exclude(status=RunChunk.Status.PROCESSING, started_at__gte=stale)
        .values_list("pk", flat=True)
    )
    if run.status == EligibilityRun.Status.FAILED:
        RunChunk.objects.filter(pk__in=chunk_ids).update(attempts=0)
        EligibilityRun.objects.filter(pk=run.pk).update(
            status=EligibilityRun.Status.RUNNING, finished_at=None
        )
    _enqueue(chunk_ids)
    return len(chunk_ids)


def runs_start_monthly(*, today: datetime.date) -> list[EligibilityRun]:
    """Each active policy's previous month: generate (免申即享) and decide."""
    month = add_months(today.replace(day=1), -1)
    return [
        run_start(policy=policy, month=month, kind=EligibilityRun.Kind.MONTHLY)
        for policy in SubsidyPolicy.objects.select_related("region", "subsidy_type")
        .filter(active=True)
        # Employment-base awards are per base and year, never claim lines.
        .exclude(subsidy_type__code=BASE_AWARD)
    ]


def runs_start_nightly(*, today: datetime.date, months_back: int = 12) -> list[EligibilityRun]:
    """
    Re-decide the unpaid lines of recent months (contributions, listings,
    children's verification may have changed). Lines whose inputs did not
    change are not written.
    """
    since = add_months(today.replace(day=1), -months_back)
    pairs = (
        ClaimLine.objects.filter(status__in=["open", "approved"], month__gte=since)
        .values_list("policy_id", "month")
        .distinct()
        .order_by("policy_id", "month")
    )
    policies = {p.pk: p for p in SubsidyPolicy.objects.select_related("region", "subsidy_type")}
    return [
        run_start(policy=policies[policy_id], month=month, kind=EligibilityRun.Kind.NIGHTLY)
        for policy_id, month in pairs
        if policies[policy_id].active
    ]
