"""Eligibility runs: chunked, idempotent, restartable; concurrent claims; the benchmark."""

import datetime
import threading
from decimal import Decimal
from io import StringIO

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applicants.management.commands.applicants_generate import applicants_generate
from applicants.models import Applicant, Employment
from applicants.services import employment_create
from employers.models import ListingPeriod
from mamagang.regions.models import Region
from subsidies import engine
from subsidies.models import (
    Claim,
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    DecisionRecord,
    EligibilityRun,
    RunChunk,
)
from subsidies.services import (
    claim_submit_for_employer,
    lines_generate_for_month,
    run_chunk_process,
    run_resume,
    run_start,
    runs_start_monthly,
    runs_start_nightly,
)
from subsidies.services import claims as claims_module
from subsidies.tasks import run_chunk_decide, runs_monthly
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 10, 1)
HIRED = datetime.date(2026, 1, 1)


def _employer(member):
    """A listed employer (since 2025) whose member is `member`."""
    employer = listed_employer()
    MembershipFactory(user=member, employer=employer)
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2025, 1, 1))
    return employer


def _hire(employer, member, count: int, *, declared: bool = True) -> list:
    mothers = []
    for _ in range(count):
        mother = make_mother()
        employment_create(
            employer=employer,
            applicant=mother,
            registered_by=member,
            start_date=HIRED,
            employment_form="part_time_hourly",
            declared_mamagang=declared,
        )
        mothers.append(mother)
    return mothers


@pytest.fixture
def auto_month(shenzhen_guangzhou, employer_member):
    """A 免申即享 policy (no contribution needed) and five declared hires."""
    policy = make_policy(
        type_code="employer_post",
        amount="100.00",
        auto_generate=True,
        requires_contribution=False,
    )
    employer = _employer(employer_member)
    _hire(employer, employer_member, 5)
    return policy


def test_run_start_chunks_the_month_and_completes_with_counts(
    auto_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(
            policy=auto_month, month=MONTH, kind=EligibilityRun.Kind.MONTHLY, chunk_size=2
        )

    run.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert (run.total_chunks, run.done_chunks) == (3, 3)
    assert (run.lines_created, run.lines_decided, run.lines_changed) == (5, 5, 5)
    assert run.percent == 100
    assert run.finished_at is not None
    chunks = list(run.chunks.order_by("first_id"))
    assert [c.decided for c in chunks] == [2, 2, 1]
    assert {c.status for c in chunks} == {RunChunk.Status.DONE}
    lines = ClaimLine.objects.filter(policy=auto_month, month=MONTH)
    assert lines.count() == 5
    assert set(lines.values_list("decision", "amount")) == {("eligible", Decimal("100.00"))}
    assert lines.get(pk=chunks[0].first_id).claim.source == Claim.Source.BUREAU
    assert DecisionRecord.objects.filter(run=run).count() == 5


def test_a_second_run_of_the_same_month_changes_nothing(
    auto_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_start(policy=auto_month, month=MONTH, kind=EligibilityRun.Kind.MONTHLY, chunk_size=2)
    stamps = list(ClaimLine.objects.order_by("pk").values_list("pk", "updated_at", "decided_at"))
    claims = Claim.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        again = run_start(
            policy=auto_month, month=MONTH, kind=EligibilityRun.Kind.MONTHLY, chunk_size=2
        )

    again.refresh_from_db()
    assert again.status == EligibilityRun.Status.DONE
    assert (again.lines_created, again.lines_decided, again.lines_changed) == (0, 5, 0)
    assert DecisionRecord.objects.count() == 5
    assert not DecisionRecord.objects.filter(run=again).exists()
    assert (
        list(ClaimLine.objects.order_by("pk").values_list("pk", "updated_at", "decided_at"))
        == stamps
    )
    assert Claim.objects.count() == claims  # no empty bureau claim is left behind


def test_a_failing_chunk_is_recorded_and_run_resume_completes_it(
    auto_month, mocker, django_capture_on_commit_callbacks
):
    lines_generate_for_month(policy=auto_month, month=MONTH)
    run = run_start(policy=auto_month, month=MONTH, chunk_size=2)  # chunks not executed
    first, *rest = run.chunks.order_by("first_id")
    real = engine.lines_decide
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("connection to the database was lost")
        return real(**kwargs)

    mocker.patch("subsidies.services.runs.lines_decide", side_effect=flaky)

    with pytest.raises(RuntimeError):
        run_chunk_process(chunk_id=first.pk)
    for chunk in rest:
        assert run_chunk_process(chunk_id=chunk.pk)

    first.refresh_from_db()
    run.refresh_from_db()
    assert first.status == RunChunk.Status.FAILED
    assert first.attempts == 1
    assert "connection to the database was lost" in first.last_error
    assert run.errors == [{"chunk": first.pk, "error": "connection to the database was lost"}]
    assert run.status == EligibilityRun.Status.RUNNING
    assert (run.done_chunks, run.lines_decided) == (2, 3)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_resume(run=run) == 1

    run.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert (run.done_chunks, run.lines_decided, run.lines_changed) == (3, 5, 5)
    assert not ClaimLine.objects.filter(decision="pending").exists()


def test_the_task_asks_celery_to_retry_a_failing_chunk(
    auto_month, mocker, django_capture_on_commit_callbacks
):
    real = engine.lines_decide
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("deadlock detected")
        return real(**kwargs)

    mocker.patch("subsidies.services.runs.lines_decide", side_effect=flaky)

    # Eager Celery surfaces the retry a worker would schedule (in 30 s).
    with pytest.raises(Retry), django_capture_on_commit_callbacks(execute=True):
        run_start(policy=auto_month, month=MONTH, kind=EligibilityRun.Kind.MONTHLY)

    run = EligibilityRun.objects.get()
    chunk = run.chunks.get()
    assert (chunk.status, chunk.attempts) == (RunChunk.Status.FAILED, 1)
    assert run.errors == [{"chunk": chunk.pk, "error": "deadlock detected"}]
    assert run.status == EligibilityRun.Status.RUNNING

    assert run_chunk_decide.delay(chunk_id=chunk.pk).get() is True  # the retry

    run.refresh_from_db()
    chunk.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert (chunk.status, chunk.attempts) == (RunChunk.Status.DONE, 2)
    assert run.lines_decided == 5


def test_a_chunk_out_of_attempts_fails_the_run_and_resume_restarts_it(
    auto_month, mocker, django_capture_on_commit_callbacks
):
    lines_generate_for_month(policy=auto_month, month=MONTH)
    run = run_start(policy=auto_month, month=MONTH)
    chunk = run.chunks.get()
    broken = mocker.patch(
        "subsidies.services.runs.lines_decide", side_effect=RuntimeError("disk full")
    )

    for _attempt in range(3):
        with pytest.raises(RuntimeError):
            run_chunk_process(chunk_id=chunk.pk)
    assert run_chunk_process(chunk_id=chunk.pk) is False  # out of attempts: not tried

    run.refresh_from_db()
    chunk.refresh_from_db()
    assert broken.call_count == 3
    assert run.status == EligibilityRun.Status.FAILED
    assert (chunk.status, chunk.attempts) == (RunChunk.Status.FAILED, 3)
    assert len(run.errors) == 3

    broken.side_effect = engine.lines_decide
    with django_capture_on_commit_callbacks(execute=True):
        assert run_resume(run=run) == 1

    run.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert run.lines_decided == 5


def test_a_stale_processing_chunk_is_taken_again(auto_month, django_capture_on_commit_callbacks):
    lines_generate_for_month(policy=auto_month, month=MONTH)
    run = run_start(policy=auto_month, month=MONTH, chunk_size=2)
    dead = run.chunks.order_by("first_id").first()
    # Its worker took it and died.
    RunChunk.objects.filter(pk=dead.pk).update(
        status=RunChunk.Status.PROCESSING, attempts=1, started_at=timezone.now()
    )

    # A fresh "processing" chunk is left to its worker.
    assert run_resume(run=run, now=timezone.now()) == 2

    later = timezone.now() + datetime.timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_resume(run=run, now=later) == 3

    dead.refresh_from_db()
    run.refresh_from_db()
    assert (dead.status, dead.attempts) == (RunChunk.Status.DONE, 2)
    assert run.status == EligibilityRun.Status.DONE
    assert run.lines_decided == 5


def test_a_stuck_chunk_is_judged_by_its_own_start_not_the_runs_progress(
    auto_month, django_capture_on_commit_callbacks
):
    lines_generate_for_month(policy=auto_month, month=MONTH)
    run = run_start(policy=auto_month, month=MONTH, chunk_size=2)
    dead, *others = run.chunks.order_by("first_id")
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    RunChunk.objects.filter(pk=dead.pk).update(
        status=RunChunk.Status.PROCESSING, attempts=1, started_at=long_ago
    )
    # The other chunks finish now, so the run itself was updated a moment ago.
    for chunk in others:
        run_chunk_process(chunk_id=chunk.pk)
    run.refresh_from_db()
    assert run.updated_at > timezone.now() - datetime.timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_resume(run=run) == 1

    dead.refresh_from_db()
    run.refresh_from_db()
    assert dead.status == RunChunk.Status.DONE
    assert run.status == EligibilityRun.Status.DONE


def test_runs_start_monthly_generates_bureau_lines_for_declared_employments(
    shenzhen_guangzhou, employer_member, django_capture_on_commit_callbacks
):
    policy = make_policy(
        type_code="employer_post", amount="100.00", auto_generate=True, requires_contribution=False
    )
    employer = _employer(employer_member)
    (declared,) = _hire(employer, employer_member, 1)
    _hire(employer, employer_member, 1, declared=False)

    with django_capture_on_commit_callbacks(execute=True):
        (run,) = runs_start_monthly(today=datetime.date(2026, 11, 1))

    run.refresh_from_db()
    assert (run.policy, run.month, run.kind) == (policy, MONTH, EligibilityRun.Kind.MONTHLY)
    assert run.status == EligibilityRun.Status.DONE
    assert run.lines_created == 1
    line = ClaimLine.objects.get()
    assert line.applicant == declared
    assert line.claim.source == Claim.Source.BUREAU
    assert (line.decision, line.amount) == ("eligible", Decimal("100.00"))


def test_runs_start_nightly_redecides_after_a_contribution_record_arrives(
    shenzhen_guangzhou, employer_member, staff_user, django_capture_on_commit_callbacks
):
    make_policy(requires_contribution=True)  # employer social insurance, 300
    employer = _employer(employer_member)
    (mother,) = _hire(employer, employer_member, 1)
    claim_submit_for_employer(employer=employer, submitted_by=employer_member, months=[MONTH])
    line = ClaimLine.objects.get()
    assert (line.decision, line.reasons) == ("needs_review", ["no_contribution_record"])
    source = ContributionImport.objects.create(
        region=Region.objects.get(code="440306"),
        file_name="2026-10.csv",
        sha256="0" * 64,
        row_count=1,
        created_count=1,
        imported_by=staff_user,
    )
    ContributionRecord.objects.create(
        person_hash=mother.id_number_hash,
        month=MONTH,
        employer_uscc=employer.uscc,
        insurance_types=["pension", "medical"],
        employer_amount=Decimal("862.40"),
        person_amount=Decimal("318.60"),
        source=source,
    )

    with django_capture_on_commit_callbacks(execute=True):
        (run,) = runs_start_nightly(today=datetime.date(2026, 11, 28))

    run.refresh_from_db()
    line.refresh_from_db()
    assert run.kind == EligibilityRun.Kind.NIGHTLY
    assert (run.lines_decided, run.lines_changed) == (1, 1)
    assert (line.decision, line.reasons, line.amount) == ("eligible", [], Decimal("300.00"))
    record = line.decisions.latest("decided_at", "pk")
    assert record.run == run
    assert record.inputs["contribution"]["employer_amount"] == 862.4

    with django_capture_on_commit_callbacks(execute=True):
        (again,) = runs_start_nightly(today=datetime.date(2026, 11, 29))

    again.refresh_from_db()
    assert again.lines_changed == 0
    assert line.decisions.count() == 2


def test_lines_decide_query_count_is_the_same_for_3_and_30_lines(shenzhen_guangzhou):
    policy = make_policy(
        type_code="employer_post", amount="100.00", auto_generate=True, requires_contribution=False
    )
    employer = listed_employer()
    applicants_generate(
        count=30, districts=[shenzhen_guangzhou["440306"]], seed=6, log=lambda message: None
    )
    people = list(Applicant.objects.order_by("pk")[:30])
    now = timezone.now()
    # Three hired before September, the other 27 in October.
    Employment.objects.bulk_create(
        Employment(
            employer=employer,
            applicant=person,
            source=Employment.Source.OFFLINE,
            start_date=HIRED if n < 3 else MONTH,
            employment_form="part_time_hourly",
            declared_mamagang=True,
            declared_at=now,
        )
        for n, person in enumerate(people)
    )
    september = datetime.date(2026, 9, 1)
    lines_generate_for_month(policy=policy, month=september)
    lines_generate_for_month(policy=policy, month=MONTH)

    with CaptureQueriesContext(connection) as three:
        few = engine.lines_decide(policy=policy, month=september)
    with CaptureQueriesContext(connection) as thirty:
        many = engine.lines_decide(policy=policy, month=MONTH)

    assert (few.decided, many.decided) == (3, 30)
    assert (few.changed, many.changed) == (3, 30)
    assert len(three.captured_queries) == len(thirty.captured_queries) <= 5


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_for_one_person_month_leave_one_live_line(shenzhen_guangzhou, mocker):
    # A transactional test may run after another one flushed the migrations' rows
    # (roles, subsidy types): create what this one needs, and use no role groups.
    from subsidies.models import SubsidyType
    from tests.accounts.factories import UserFactory

    SubsidyType.objects.get_or_create(
        code="employer_post", defaults={"name": "用人单位岗位补贴", "payee": "employer"}
    )
    make_policy(type_code="employer_post", amount="100.00", requires_contribution=False)
    members = [UserFactory(), UserFactory()]
    employers = [_employer(member) for member in members]
    mother = make_mother(user=UserFactory(), verifier=UserFactory())
    for employer, member in zip(employers, members, strict=True):
        employment_create(
            employer=employer,
            applicant=mother,
            registered_by=member,
            start_date=HIRED,
            employment_form="part_time_hourly",
        )
    barrier = threading.Barrier(2)
    real_insert = claims_module._insert_lines

    def insert_together(claim, rows):
        # Both claims are inside their transactions, about to insert the line.
        barrier.wait(timeout=10)
        return real_insert(claim, rows)

    mocker.patch.object(claims_module, "_insert_lines", side_effect=insert_together)
    outcomes: list[object] = []

    def claim(employer, member):
        try:
            outcomes.append(
                claim_submit_for_employer(employer=employer, submitted_by=member, months=[MONTH])
            )
        except Exception as exc:  # the assertion below reports it
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=pair) for pair in zip(employers, members, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [type(o).__name__ for o in outcomes] == ["Claim", "Claim"]
    lines = ClaimLine.objects.filter(applicant=mother, month=MONTH)
    assert lines.count() == 2
    live = lines.exclude(status=ClaimLine.Status.REJECTED)
    assert live.count() == 1
    refused = lines.get(status=ClaimLine.Status.REJECTED)
    assert refused.reasons == ["duplicate_person_month"]
    assert refused.claim_id != live.get().claim_id


def test_benchmark_times_engine_and_floor_and_rolls_back(shenzhen_guangzhou):
    out = StringIO()

    call_command("subsidies_benchmark", lines=40, chunk=7, stdout=out)

    report = out.getvalue()
    assert "(a) engine, run chunks in-process" in report
    assert "(b) floor, one SQL UPDATE" in report
    assert "Ratio engine / floor" in report
    assert "Peak RSS of this process" in report
    assert "rolled back" in report
    assert not ClaimLine.objects.exists()
    assert not Region.objects.filter(code="449901").exists()


def test_benchmark_keep_then_clear(shenzhen_guangzhou):
    call_command("subsidies_benchmark", lines=20, keep=True, stdout=StringIO())
    assert ClaimLine.objects.filter(policy__region__code="449901").exists()
    assert DecisionRecord.objects.exists()

    out = StringIO()
    call_command("subsidies_benchmark", clear=True, stdout=out)

    assert "Removed 5 generated people" in out.getvalue()
    assert not ClaimLine.objects.exists()
    assert not DecisionRecord.objects.exists()
    assert not Region.objects.filter(code="449901").exists()
    assert not Employment.objects.exists()


def test_beat_decides_the_previous_month_on_the_1st_and_redecides_nightly(settings):
    schedules = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    monthly = schedules["subsidies.tasks.runs_monthly"]
    nightly = schedules["subsidies.tasks.runs_nightly"]

    assert (monthly.day_of_month, monthly.hour, monthly.minute) == ({1}, {3}, {0})
    assert (nightly.day_of_month, nightly.hour, nightly.minute) == (set(range(1, 32)), {1}, {30})


def test_the_monthly_task_decides_the_previous_month(
    auto_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_ids = runs_monthly.delay().get()

    run = EligibilityRun.objects.get(pk__in=run_ids)
    assert run.month == engine.add_months(timezone.localdate().replace(day=1), -1)
    assert run.kind == EligibilityRun.Kind.MONTHLY
    assert run.lines_created == 5


@pytest.mark.django_db(transaction=True)
def test_a_chunk_is_claimed_while_another_worker_holds_the_run_policy_and_region_rows(
    auto_month, mocker
):
    # Issue 14, defect 1: the claim locked every joined row (run, policy, region, type),
    # so another worker's foreign-key check of its decision records or a registry publish
    # locking the region made `skip_locked` find nothing and the chunk stay pending.
    import psycopg

    mocker.patch("subsidies.services.runs._enqueue")  # no worker: the test is the worker
    run = run_start(policy=auto_month, month=MONTH, kind=EligibilityRun.Kind.MONTHLY)
    chunk = run.chunks.get()
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    try:
        # given other workers holding the rows the chunk's claim joins: foreign-key
        # checks of their decision records and lines (run, policy), a registry publish
        # (the region)
        other.execute(
            "SELECT 1 FROM subsidies_eligibilityrun WHERE id = %s FOR KEY SHARE", [run.pk]
        )
        other.execute(
            "SELECT 1 FROM subsidies_subsidypolicy WHERE id = %s FOR KEY SHARE", [auto_month.pk]
        )
        other.execute(
            "SELECT 1 FROM regions_region WHERE id = %s FOR UPDATE", [auto_month.region_id]
        )

        # when this worker takes the chunk, then it claims and decides it (waiting on
        # none of those locks: a wait would fail after 10 s instead of hanging)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
        assert run_chunk_process(chunk_id=chunk.pk) is True
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    chunk.refresh_from_db()
    assert chunk.status == RunChunk.Status.DONE
