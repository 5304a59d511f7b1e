"""Applications: every legal and illegal transition, notifications, closed posts."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from applicants.models import Application, ApplicationEvent, Employment
from applicants.services import (
    APPLICANT_MOVES,
    EMPLOYER_MOVES,
    application_hire,
    application_invite_interview,
    application_mark_viewed,
    application_offer,
    application_reject,
    application_submit,
    application_withdraw,
)
from jobs.services import job_close
from mamagang.core import sms
from mamagang.core.exceptions import DomainError
from mamagang.core.models import Notification
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

S = Application.Status


@pytest.fixture
def setting(shenzhen_guangzhou, employer_member):
    employer = listed_employer()
    MembershipFactory(user=employer_member, employer=employer)
    job = make_job(employer=employer)
    mother = make_mother(skills=["直播"])
    return {"job": job, "mother": mother, "member": employer_member, "employer": employer}


def _at(status: str, setting) -> Application:
    """Bring a fresh application to `status` through the services."""
    app = application_submit(applicant=setting["mother"], job=setting["job"], message="你好")
    member, later = setting["member"], timezone.now() + datetime.timedelta(days=2)
    path = {
        S.SUBMITTED: [],
        S.VIEWED: [lambda a: application_mark_viewed(application=a, by=member)],
        S.INTERVIEW: [
            lambda a: application_mark_viewed(application=a, by=member),
            lambda a: application_invite_interview(
                application=a, by=member, at=later, place="门店"
            ),
        ],
        S.OFFERED: [lambda a: application_offer(application=a, by=member)],
        S.REJECTED: [lambda a: application_reject(application=a, by=member, reason="已招满")],
        S.WITHDRAWN: [lambda a: application_withdraw(application=a, by=setting["mother"].user)],
    }
    if status == S.HIRED:
        application_offer(application=app, by=member)
        application_hire(application=app, by=member, start_date=timezone.localdate())
        app.refresh_from_db()
        return app
    for step in path[status]:
        app = step(app)
    return app


def test_submitting_records_her_windows_and_tells_the_employer(
    setting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = application_submit(applicant=setting["mother"], job=setting["job"], message=" 你好 ")

    assert app.status == S.SUBMITTED
    assert app.message == "你好"
    assert app.offered_windows == [[d, 540, 900] for d in range(5)]
    assert ApplicationEvent.objects.get(application=app).to_status == S.SUBMITTED
    note = Notification.objects.get(recipient=setting["member"])
    assert setting["job"].title in note.title
    assert mail.outbox
    assert sms.outbox


def test_a_closed_post_takes_no_applications(setting):
    job_close(job=setting["job"], closed_by=setting["member"], reason="filled")

    with pytest.raises(DomainError) as excinfo:
        application_submit(applicant=setting["mother"], job=setting["job"])
    assert excinfo.value.code == "application_job_closed"


def test_an_expired_post_takes_no_applications(setting):
    type(setting["job"]).objects.filter(pk=setting["job"].pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )

    with pytest.raises(DomainError):
        application_submit(applicant=setting["mother"], job=setting["job"])


def test_one_live_application_per_post_but_she_may_apply_again_after_withdrawing(setting):
    app = application_submit(applicant=setting["mother"], job=setting["job"])
    with pytest.raises(DomainError) as excinfo:
        application_submit(applicant=setting["mother"], job=setting["job"])
    assert excinfo.value.code == "application_duplicate"

    application_withdraw(application=app, by=setting["mother"].user)
    again = application_submit(applicant=setting["mother"], job=setting["job"])
    assert again.pk != app.pk


@pytest.mark.parametrize(("start", "target"), [(f, t) for f in S.values for t in S.values])
def test_every_transition_is_allowed_exactly_when_the_table_says(start, target, setting):
    app = _at(start, setting)
    member, mother = setting["member"], setting["mother"].user
    future = timezone.now() + datetime.timedelta(days=3)
    actions = {
        S.VIEWED: lambda by: application_mark_viewed(application=app, by=by),
        S.INTERVIEW: lambda by: application_invite_interview(
            application=app, by=by, at=future, place="电话面试"
        ),
        S.OFFERED: lambda by: application_offer(application=app, by=by),
        S.HIRED: lambda by: application_hire(
            application=app, by=by, start_date=timezone.localdate() + datetime.timedelta(days=1)
        ),
        S.REJECTED: lambda by: application_reject(application=app, by=by, reason="不合适"),
        S.WITHDRAWN: lambda by: application_withdraw(application=app, by=by),
    }
    if target == S.SUBMITTED:
        return  # nothing moves back to submitted; there is no service for it
    actor = mother if target == S.WITHDRAWN else member
    allowed = target in (APPLICANT_MOVES if target == S.WITHDRAWN else EMPLOYER_MOVES).get(
        start, set()
    )
    if target == S.VIEWED and start != S.SUBMITTED:
        # Marking viewed is a no-op after the first view, never an error.
        actions[target](actor)
        app.refresh_from_db()
        assert app.status == start
        return
    if allowed:
        actions[target](actor)
        app.refresh_from_db()
        assert app.status == target
    else:
        with pytest.raises(DomainError) as excinfo:
            actions[target](actor)
        assert excinfo.value.code == "application_bad_transition"
        app.refresh_from_db()
        assert app.status == start


def test_the_other_side_cannot_make_a_sides_moves(setting, make_user):
    app = _at(S.SUBMITTED, setting)
    with pytest.raises(DomainError):
        application_offer(application=app, by=setting["mother"].user)
    with pytest.raises(DomainError):
        application_withdraw(application=app, by=setting["member"])
    with pytest.raises(DomainError) as excinfo:
        application_offer(application=app, by=make_user("employer_member"))
    assert excinfo.value.code == "application_no_permission"


def test_rejection_needs_a_reason_and_an_interview_a_place_in_the_future(setting):
    app = _at(S.SUBMITTED, setting)
    with pytest.raises(DomainError):
        application_reject(application=app, by=setting["member"], reason=" ")
    with pytest.raises(DomainError):
        application_invite_interview(
            application=app,
            by=setting["member"],
            at=timezone.now() - datetime.timedelta(hours=1),
            place="门店",
        )
    with pytest.raises(DomainError):
        application_invite_interview(
            application=app,
            by=setting["member"],
            at=timezone.now() + datetime.timedelta(hours=1),
            place="",
        )


def test_both_sides_see_the_history_and_she_is_told_of_each_change(
    setting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = _at(S.INTERVIEW, setting)

    history = list(app.events.values_list("from_status", "to_status"))
    assert history == [("", S.SUBMITTED), (S.SUBMITTED, S.VIEWED), (S.VIEWED, S.INTERVIEW)]
    interview_note = app.events.last().note
    assert "门店" in interview_note
    kinds = set(
        Notification.objects.filter(recipient=setting["mother"].user).values_list("kind", flat=True)
    )
    assert {"application.viewed", "application.interview"} <= kinds


def test_hiring_registers_the_employment_with_the_declaration(setting):
    app = _at(S.HIRED, setting)

    employment = Employment.objects.get(application=app)
    assert employment.employer == setting["employer"]
    assert employment.source == Employment.Source.APPLICATION
    assert employment.declared_mamagang
    assert employment.declared_at is not None
    assert employment.employment_form == setting["job"].employment_form
    assert employment.has_labour_contract
    assert employment.contract_months == 12
