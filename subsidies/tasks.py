"""Celery tasks of the subsidies app: ids or dates in, one service call, safe to run twice."""

from celery import shared_task
from django.utils import timezone


@shared_task(bind=True, acks_late=True, max_retries=2)
def run_chunk_decide(self, *, chunk_id: int) -> bool:
    """Decide one chunk of an eligibility run (several workers share a run's chunks)."""
    from .services.runs import MAX_ATTEMPTS, run_chunk_process

    try:
        return run_chunk_process(chunk_id=chunk_id)
    except Exception as exc:
        if self.request.retries + 1 < MAX_ATTEMPTS:
            raise self.retry(exc=exc, countdown=30) from exc
        raise


@shared_task(acks_late=True)
def contribution_lines_redecide(*, import_id: int) -> int:
    """After a contribution import: re-decide the lines that waited for its records."""
    from .services.contributions import lines_redecide_after_import

    return lines_redecide_after_import(import_id=import_id)


@shared_task(acks_late=True)
def runs_monthly() -> list[int]:
    """On the 1st: decide every active policy's previous month (免申即享 lines first)."""
    from .services.runs import runs_start_monthly

    return [run.pk for run in runs_start_monthly(today=timezone.localdate())]


@shared_task(acks_late=True)
def runs_nightly() -> list[int]:
    """Every night: re-decide unpaid lines of recent months whose inputs changed."""
    from .services.runs import runs_start_nightly

    return [run.pk for run in runs_start_nightly(today=timezone.localdate())]


@shared_task(acks_late=True)
def recoveries_nightly() -> int:
    """Propose recoveries (追回) for paid lines found ineligible since; safe to run twice."""
    from .services.payments import recoveries_propose

    return recoveries_propose(today=timezone.localdate())


@shared_task(acks_late=True)
def suspicions_scan() -> dict[str, int]:
    """Every night: raise new fraud signals as suspicion records; safe to run twice."""
    from .services.suspicions import suspicions_scan as scan

    return scan(today=timezone.localdate())
