import datetime
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applicants.models import Applicant, Application, Child, Consent, Employment
from applicants.services import application_submit, employment_register_offline
from jobs.services import job_close
from mamagang.core.crypto import decrypt_text
from mamagang.core.exceptions import DomainError
from tests.accounts.factories import UserFactory
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db
S = Application.Status


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _url(name: str, *args) -> str:
    return reverse(f"api:applicants-{name}", args=args)


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def _queries_for(client, url: str, params: dict | None = None) -> int:
    client.get(url, params or {})  # warm per-user caches (permissions)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == HTTPStatus.OK, response.content
    return len(ctx.captured_queries)


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def mother(applicant, regions):
    """The logged-in applicant's profile: Bao'an, one verified child, Mon-Fri 09-15."""
    return make_mother(user=applicant, skills=["直播"], certificates=["育婴员"])


@pytest.fixture
def me(mother):
    return _client(mother.user)


@pytest.fixture
def employer(regions):
    return listed_employer()


@pytest.fixture
def job(employer):
    return make_job(employer=employer)


@pytest.fixture
def boss(employer_member, employer):
    """A member of `employer`, logged in."""
    MembershipFactory(user=employer_member, employer=employer)
    return _client(employer_member)


def _other_mother(**kwargs) -> Applicant:
    return make_mother(birth=datetime.date(1991, 2, 3), **kwargs)


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------

ME_GETS = ["me-profile", "me-child-list", "me-eligibility", "me-application-list"]
EMPLOYER_GETS = ["employer-application-list", "employer-employment-list"]


@pytest.mark.parametrize("name", ME_GETS + EMPLOYER_GETS)
def test_anonymous_gets_401(name):
    response = _client().get(_url(name))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("name", ME_GETS)
def test_her_area_refuses_an_employer_account(employer_member, name):
    assert _client(employer_member).get(_url(name)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", EMPLOYER_GETS)
def test_employer_api_refuses_an_applicant_account(me, name):
    assert me.get(_url(name)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", ME_GETS)
def test_her_area_is_404_before_she_creates_a_profile(applicant, name):
    assert _client(applicant).get(_url(name)).status_code == HTTPStatus.NOT_FOUND


# ---------------------------------------------------------------------------
# Her profile
# ---------------------------------------------------------------------------


def _create_payload(**overrides):
    data = {
        "full_name": "李晓梅",
        "id_number": make_ric(datetime.date(1990, 6, 15)),
        "residence_district": "440306",
        "retirement_category": "F50",
        "sensitive_data_consent": True,
    }
    data.update(overrides)
    return data


def test_profile_create_records_the_consent_and_answers_with_the_masked_number(applicant, regions):
    payload = _create_payload()

    response = _client(applicant).post(_url("me-profile"), payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    number = payload["id_number"]
    assert number not in response.content.decode()
    body = response.json()
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert body["residence_district"] == {"code": "440306", "name": "宝安区"}
    assert body["birth_date"] == "1990-06-15"
    applicant_row = Applicant.objects.get(user=applicant)
    assert applicant_row.consents.get().kind == Consent.Kind.SENSITIVE_DATA


def test_profile_create_is_refused_without_the_separate_consent(applicant, regions):
    payload = _create_payload(sensitive_data_consent=False)

    response = _client(applicant).post(_url("me-profile"), payload, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "applicant_consent_required"
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_create_refuses_a_malformed_number_without_repeating_it(applicant, regions):
    valid = make_ric(datetime.date(1990, 6, 15))
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")

    response = _client(applicant).post(
        _url("me-profile"), _create_payload(id_number=wrong_check), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "id_number" in response.json()["detail"]
    assert wrong_check not in response.content.decode()
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_create_is_refused_when_she_already_has_one(me, mother):
    response = me.post(
        _url("me-profile"),
        _create_payload(id_number=make_ric(datetime.date(1988, 1, 2))),
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "applicant_profile_exists"
    assert Applicant.objects.filter(user=mother.user).count() == 1


def test_profile_create_refuses_a_registered_number(applicant, regions):
    number = make_ric(datetime.date(1991, 2, 3))
    _other_mother(id_number=number)

    response = _client(applicant).post(
        _url("me-profile"), _create_payload(id_number=number), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "id_number" in response.json()["detail"]
    assert number not in response.content.decode()
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_get_shows_her_data_with_the_masked_number_only(me, mother):
    response = me.get(_url("me-profile"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["full_name"] == "李晓梅"
    assert body["id_number_masked"] == mother.id_number_masked
    assert "id_number" not in body
    assert "id_number_encrypted" not in body
    assert body["skills"] == ["直播"]
    # Monday to Friday 09:00-15:00, weekdays counted from 1 as in the jobs API.
    assert body["free_windows"][0] == {"weekday": 1, "start": "09:00", "end": "15:00"}
    assert [w["weekday"] for w in body["free_windows"]] == [1, 2, 3, 4, 5]


def test_profile_patch_updates_personal_and_intention_fields(me, mother):
    payload = {
        "education": "college",
        "skills": ["直播", "客服"],
        "residence_district": "440106",
        "intended_post_modes": ["self_chosen_slots"],
        "hours_per_week": 25,
        "training_needs": ["live_streaming"],
    }

    response = me.patch(_url("me-profile"), payload, format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["education"] == "college"
    assert body["residence_district"]["code"] == "440106"
    assert body["hours_per_week"] == 25
    mother.refresh_from_db()
    assert mother.skills == ["直播", "客服"]
    assert mother.intended_post_modes == ["self_chosen_slots"]
    assert mother.training_needs == ["live_streaming"]
    assert mother.full_name == "李晓梅"  # left out, kept


def test_profile_patch_refuses_unknown_codes_and_changes_nothing(me, mother):
    response = me.patch(
        _url("me-profile"),
        {"full_name": "王小红", "intended_sectors": ["no_such_sector"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "intended_sectors" in response.json()["detail"]
    mother.refresh_from_db()
    assert mother.full_name == "李晓梅"


def test_profile_patch_keeps_the_personal_change_out_when_the_intentions_are_refused(
    me, mother, mocker
):
    mocker.patch(
        "applicants.apis.applicant_intentions_update",
        side_effect=DomainError("refused", code="applicant_anonymised"),
    )

    response = me.patch(
        _url("me-profile"), {"full_name": "王小红", "hours_per_week": 20}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "applicant_anonymised"
    mother.refresh_from_db()
    assert mother.full_name == "李晓梅"


def test_profile_patch_reports_a_street_outside_her_district(me, mother):
    response = me.patch(_url("me-profile"), {"residence_street": "440106001"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "residence_street" in response.json()["detail"]


def test_free_windows_put_replaces_them_and_splits_a_night_at_midnight(me, mother):
    payload = [
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 7, "start": "22:00", "end": "02:00"},
    ]

    response = me.put(_url("me-profile-windows"), payload, format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == [
        {"weekday": 1, "start": "00:00", "end": "02:00"},
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 7, "start": "22:00", "end": "24:00"},
    ]
    assert sorted(mother.free_windows.values_list("weekday", "start_minute", "end_minute")) == [
        (0, 0, 120),
        (0, 480, 720),
        (6, 1320, 1440),
    ]


def test_free_windows_put_refuses_a_bad_time(me, mother):
    response = me.put(
        _url("me-profile-windows"),
        [{"weekday": 1, "start": "25:00", "end": "12:00"}],
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert mother.free_windows.count() == 5


def test_free_windows_put_with_an_empty_list_clears_them(me, mother):
    response = me.put(_url("me-profile-windows"), [], format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == []
    assert not mother.free_windows.exists()


# ---------------------------------------------------------------------------
# Children and eligibility
# ---------------------------------------------------------------------------


def _child_payload(**overrides):
    data = {
        "birth_year": 2021,
        "birth_month": 5,
        "relationship": "parent",
        "evidence": "birth_certificate",
        "guardian_consent": True,
    }
    data.update(overrides)
    return data


def test_child_add_needs_the_guardian_consent(me, mother):
    response = me.post(_url("me-child-list"), _child_payload(guardian_consent=False), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "child_consent_required"
    assert mother.children.count() == 1


def test_child_add_and_list_show_the_minimal_record(me, mother):
    response = me.post(_url("me-child-list"), _child_payload(), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["verified"] is False
    listed = me.get(_url("me-child-list")).json()
    assert [(c["birth_year"], c["birth_month"], c["verified"]) for c in listed] == [
        (2019, 3, True),
        (2021, 5, False),
    ]
    assert set(listed[0]) == {
        "id",
        "birth_year",
        "birth_month",
        "relationship",
        "evidence",
        "verified",
        "verified_at",
    }


def test_child_add_refuses_a_future_birth(me, mother):
    next_year = timezone.localdate().year + 1

    response = me.post(_url("me-child-list"), _child_payload(birth_year=next_year), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert mother.children.count() == 1


def test_child_remove_deletes_her_child(me, mother):
    child = mother.children.get()

    response = me.delete(_url("me-child-remove", child.pk))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Child.objects.filter(pk=child.pk).exists()


def test_child_remove_of_another_mothers_child_is_404(me, mother):
    other_child = _other_mother().children.get()

    response = me.delete(_url("me-child-remove", other_child.pk))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Child.objects.filter(pk=other_child.pk).exists()


def test_eligibility_of_a_qualifying_mother(me, mother):
    response = me.get(_url("me-eligibility"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["eligible"] is True
    assert body["reasons"] == []
    # The child born 2019-03 qualifies until she turns 13 (12 inclusive).
    assert body["until"] == "2032-03-01"


def test_eligibility_explains_why_not(applicant, regions):
    make_mother(user=applicant, children=[(2019, 3, False)])

    body = _client(applicant).get(_url("me-eligibility")).json()

    assert body["eligible"] is False
    assert body["until"] is None
    assert [r["code"] for r in body["reasons"]] == ["child_not_verified"]
    assert body["reasons"][0]["label"] == "子女证明材料尚未经人社部门核验"


# ---------------------------------------------------------------------------
# Her applications
# ---------------------------------------------------------------------------


def test_apply_with_her_profile_windows(me, mother, job):
    response = me.post(
        _url("me-application-list"), {"job": job.pk, "message": "我会直播"}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["job"]["id"] == job.pk
    assert body["job"]["employer"]["name"] == job.employer.name
    assert body["message"] == "我会直播"
    assert len(body["offered_windows"]) == 5
    assert [e["to_status"] for e in body["events"]] == ["submitted"]
    assert Application.objects.get(pk=body["id"]).applicant == mother


def test_apply_with_windows_she_offers(me, mother, job):
    payload = {"job": job.pk, "offered_windows": [{"weekday": 2, "start": "09:00", "end": "12:00"}]}

    response = me.post(_url("me-application-list"), payload, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["offered_windows"] == [{"weekday": 2, "start": "09:00", "end": "12:00"}]
    assert Application.objects.get().offered_windows == [[1, 540, 720]]


def test_apply_twice_to_the_same_post_is_refused(me, mother, job):
    me.post(_url("me-application-list"), {"job": job.pk}, format="json")

    response = me.post(_url("me-application-list"), {"job": job.pk}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "application_duplicate"
    assert Application.objects.count() == 1


def test_apply_to_a_closed_post_is_refused(me, mother, job):
    job_close(job=job, closed_by=UserFactory(), reason="filled")

    response = me.post(_url("me-application-list"), {"job": job.pk}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "application_job_closed"
    assert not Application.objects.exists()


def test_apply_to_an_unknown_post_is_a_field_error(me, mother):
    response = me.post(_url("me-application-list"), {"job": 999999}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "job" in response.json()["detail"]


def test_her_application_list_shows_only_hers(me, mother, employer):
    mine = application_submit(applicant=mother, job=make_job(employer=employer))
    application_submit(applicant=_other_mother(), job=make_job(employer=employer))

    response = me.get(_url("me-application-list"))

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == [mine.pk]


def test_her_application_list_runs_a_constant_number_of_queries(
    me, mother, regions, django_assert_num_queries
):
    url = _url("me-application-list")
    for _ in range(2):
        application_submit(applicant=mother, job=make_job())
    two = _queries_for(me, url)

    for _ in range(4):
        application_submit(applicant=mother, job=make_job())
    with django_assert_num_queries(3):  # her profile + count + page (post, employer joined)
        response = me.get(url)
    assert len(response.json()["results"]) == 6
    assert two == 3


def test_her_application_detail_shows_the_history(me, mother, job):
    application = application_submit(applicant=mother, job=job)

    response = me.get(_url("me-application-detail", application.pk))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["events"][0]["to_status"] == "submitted"


def test_another_mothers_application_is_404(me, mother, job):
    theirs = application_submit(applicant=_other_mother(), job=job)

    assert me.get(_url("me-application-detail", theirs.pk)).status_code == HTTPStatus.NOT_FOUND
    response = me.post(_url("me-application-withdraw", theirs.pk), {}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.status == S.SUBMITTED


def test_withdraw_her_application(me, mother, job):
    application = application_submit(applicant=mother, job=job)

    response = me.post(
        _url("me-application-withdraw", application.pk), {"note": "时间不合适"}, format="json"
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "withdrawn"
    assert response.json()["events"][-1]["note"] == "时间不合适"


def test_withdraw_twice_is_an_illegal_transition(me, mother, job):
    application = application_submit(applicant=mother, job=job)
    me.post(_url("me-application-withdraw", application.pk), {}, format="json")

    response = me.post(_url("me-application-withdraw", application.pk), {}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "application_bad_transition"


# ---------------------------------------------------------------------------
# Employer: applications
# ---------------------------------------------------------------------------


@pytest.fixture
def application(mother, job):
    return application_submit(applicant=mother, job=job, message="我有直播经验")


def test_employer_list_shows_masked_applicants_with_their_fit(boss, application, mother):
    response = boss.get(_url("employer-application-list"))

    assert response.status_code == HTTPStatus.OK, response.content
    (row,) = response.json()["results"]
    assert row["id"] == application.pk
    assert row["status"] == "submitted"
    person = row["applicant"]
    assert person["id_number_masked"] == mother.id_number_masked
    assert set(person) == {
        "id",
        "full_name",
        "id_number_masked",
        "age",
        "residence_district",
        "education",
        "skills",
        "certificates",
        "eligibility",
    }
    # Her Mon-Fri 09-15 covers the post's Mon-Fri 09-15, both in Bao'an; the post mentions 直播.
    assert row["fit"] == {
        "overlap_percent": 100,
        "same_district": True,
        "skills": ["直播"],
        "schedule_fits": True,
    }


def test_employer_responses_never_carry_a_full_id_number(boss, mother, job, application):
    number = decrypt_text(Applicant.objects.get(pk=mother.pk).id_number_encrypted)

    for url in (
        _url("employer-application-list"),
        _url("employer-application-detail", application.pk),
    ):
        response = boss.get(url)
        assert response.status_code == HTTPStatus.OK
        assert number not in response.content.decode()


def test_employer_list_shows_only_her_employers_applications(boss, application, regions):
    other_post = make_job()  # another employer's post
    application_submit(applicant=_other_mother(), job=other_post)

    response = boss.get(_url("employer-application-list"))

    assert _ids(response) == [application.pk]


def test_employer_list_filters_by_employer_job_and_status(boss, employer, application, job):
    second_post = make_job(employer=employer, title="客服专员")
    other = application_submit(applicant=_other_mother(), job=second_post)

    url = _url("employer-application-list")
    assert _ids(boss.get(url, {"job": second_post.pk})) == [other.pk]
    assert set(_ids(boss.get(url, {"employer": employer.pk}))) == {application.pk, other.pk}
    assert _ids(boss.get(url, {"employer": employer.pk + 1000})) == []
    assert _ids(boss.get(url, {"status": "viewed"})) == []
    assert boss.get(url, {"status": "nonsense"}).status_code == HTTPStatus.BAD_REQUEST


def test_employer_list_runs_a_constant_number_of_queries(
    boss, employer, regions, django_assert_num_queries
):
    url = _url("employer-application-list")
    for n in range(2):
        application_submit(
            applicant=make_mother(birth=datetime.date(1990, 1, 1 + n)),
            job=make_job(employer=employer),
        )
    two = _queries_for(boss, url)

    for n in range(4):
        application_submit(
            applicant=make_mother(birth=datetime.date(1991, 1, 1 + n)),
            job=make_job(employer=employer),
        )
    with django_assert_num_queries(3):  # count + page (person, post joined) + post windows
        response = boss.get(url)
    assert len(response.json()["results"]) == 6
    assert two == 3


def test_employer_detail_marks_the_application_viewed(boss, application):
    response = boss.get(_url("employer-application-detail", application.pk))

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["status"] == "viewed"
    assert body["message"] == "我有直播经验"
    assert [e["to_status"] for e in body["events"]] == ["submitted", "viewed"]
    assert body["employment_id"] is None


def test_another_employers_application_is_404(boss, regions, employer):
    theirs = application_submit(applicant=_other_mother(), job=make_job())

    assert (
        boss.get(_url("employer-application-detail", theirs.pk)).status_code == HTTPStatus.NOT_FOUND
    )
    response = boss.post(
        _url("employer-application-transition", theirs.pk), {"action": "offer"}, format="json"
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.status == S.SUBMITTED


def test_transition_invites_to_an_interview(boss, application):
    at = timezone.now() + datetime.timedelta(days=2)

    response = boss.post(
        _url("employer-application-transition", application.pk),
        {"action": "interview", "at": at.isoformat(), "place": "公司前台"},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["status"] == "interview"
    assert body["interview_place"] == "公司前台"
    application.refresh_from_db()
    assert application.interview_at == at


def test_transition_interview_needs_a_time_and_a_place(boss, application):
    url = _url("employer-application-transition", application.pk)
    at = (timezone.now() + datetime.timedelta(days=2)).isoformat()

    no_time = boss.post(url, {"action": "interview", "place": "公司前台"}, format="json")
    no_place = boss.post(url, {"action": "interview", "at": at}, format="json")

    assert no_time.status_code == HTTPStatus.BAD_REQUEST
    assert "at" in no_time.json()["detail"]
    assert no_place.status_code == HTTPStatus.BAD_REQUEST
    assert no_place.json()["code"] == "interview_place_required"


def test_transition_offer_then_hire_registers_the_employment(boss, application, job):
    url = _url("employer-application-transition", application.pk)
    start = timezone.localdate() + datetime.timedelta(days=7)

    offered = boss.post(url, {"action": "offer", "note": "欢迎加入"}, format="json")
    hired = boss.post(url, {"action": "hire", "start_date": start.isoformat()}, format="json")

    assert offered.status_code == HTTPStatus.OK, offered.content
    assert offered.json()["status"] == "offered"
    assert hired.status_code == HTTPStatus.OK, hired.content
    body = hired.json()
    assert body["status"] == "hired"
    employment = Employment.objects.get(pk=body["employment_id"])
    assert employment.application_id == application.pk
    assert employment.start_date == start
    assert employment.employment_form == job.employment_form  # the post's terms
    assert employment.declared_mamagang is True


def test_transition_hire_needs_a_start_date(boss, application):
    url = _url("employer-application-transition", application.pk)
    boss.post(url, {"action": "offer"}, format="json")

    response = boss.post(url, {"action": "hire"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "start_date" in response.json()["detail"]


def test_transition_reject_needs_a_reason(boss, application):
    url = _url("employer-application-transition", application.pk)

    refused = boss.post(url, {"action": "reject"}, format="json")
    rejected = boss.post(url, {"action": "reject", "reason": "岗位已招满"}, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["code"] == "reject_reason_required"
    assert rejected.status_code == HTTPStatus.OK
    assert rejected.json()["reject_reason"] == "岗位已招满"


def test_transition_refuses_an_illegal_move(boss, application):
    url = _url("employer-application-transition", application.pk)

    response = boss.post(
        url, {"action": "hire", "start_date": timezone.localdate().isoformat()}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "application_bad_transition"
    application.refresh_from_db()
    assert application.status == S.SUBMITTED
    assert not Employment.objects.exists()


def test_transition_refuses_an_unknown_action(boss, application):
    response = boss.post(
        _url("employer-application-transition", application.pk),
        {"action": "promote"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "action" in response.json()["detail"]


# ---------------------------------------------------------------------------
# Employer: employments
# ---------------------------------------------------------------------------


def _register_payload(employer, id_number, **overrides):
    data = {
        "employer": employer.pk,
        "id_number": id_number,
        "start_date": timezone.localdate().isoformat(),
        "employment_form": "full_time_flexible",
        "has_labour_contract": True,
        "contract_months": 12,
        "social_insurance": True,
    }
    data.update(overrides)
    return data


def test_offline_registration_by_id_number_once_she_consented(boss, employer, job, regions):
    number = make_ric(datetime.date(1992, 4, 5))
    person = make_mother(id_number=number, offline_hire_consent=True)

    response = boss.post(
        _url("employer-employment-list"),
        _register_payload(employer, number, job=job.pk),
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert number not in response.content.decode()
    body = response.json()
    assert body["source"] == "offline"
    assert body["applicant"]["id_number_masked"] == person.id_number_masked
    assert body["job"] == {"id": job.pk, "title": job.title}
    assert Employment.objects.get(pk=body["id"]).applicant == person


def test_offline_registration_without_her_consent_is_refused(boss, employer, regions):
    number = make_ric(datetime.date(1992, 4, 5))
    make_mother(id_number=number)

    response = boss.post(
        _url("employer-employment-list"), _register_payload(employer, number), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "employment_no_consent"
    assert number not in response.content.decode()
    assert not Employment.objects.exists()


def test_offline_registration_twice_on_the_same_day_is_refused(boss, employer, regions):
    number = make_ric(datetime.date(1992, 4, 5))
    make_mother(id_number=number, offline_hire_consent=True)
    url = _url("employer-employment-list")
    boss.post(url, _register_payload(employer, number), format="json")

    response = boss.post(url, _register_payload(employer, number), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "employment_duplicate"


def test_offline_registration_for_another_employer_is_404(boss, regions):
    number = make_ric(datetime.date(1992, 4, 5))
    make_mother(id_number=number, offline_hire_consent=True)
    stranger = listed_employer()

    response = boss.post(
        _url("employer-employment-list"), _register_payload(stranger, number), format="json"
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Employment.objects.exists()


def test_offline_registration_refuses_another_employers_post(boss, employer, regions):
    number = make_ric(datetime.date(1992, 4, 5))
    make_mother(id_number=number, offline_hire_consent=True)
    their_post = make_job()

    response = boss.post(
        _url("employer-employment-list"),
        _register_payload(employer, number, job=their_post.pk),
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "job" in response.json()["detail"]


def _hire_offline(employer, member, start=None) -> Employment:
    number = make_ric(datetime.date(1988, 8, 8))
    make_mother(id_number=number, offline_hire_consent=True)
    return employment_register_offline(
        employer=employer,
        registered_by=member,
        id_number=number,
        start_date=start or timezone.localdate(),
        employment_form="full_time_flexible",
    )


def test_employment_list_shows_her_employers_registrations(
    boss, employer, employer_member, regions
):
    ours = _hire_offline(employer, employer_member)
    stranger = listed_employer()
    _hire_offline(stranger, MembershipFactory(employer=stranger).user)

    url = _url("employer-employment-list")
    response = boss.get(url)

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == [ours.pk]
    row = response.json()["results"][0]
    assert row["is_current"] is True
    assert row["applicant"]["id_number_masked"] == ours.applicant.id_number_masked
    assert _ids(boss.get(url, {"employer": employer.pk})) == [ours.pk]
    assert _ids(boss.get(url, {"employer": stranger.pk})) == []


def test_employment_list_runs_a_constant_number_of_queries(
    boss, employer, employer_member, django_assert_num_queries
):
    url = _url("employer-employment-list")
    for _ in range(2):
        _hire_offline(employer, employer_member)
    two = _queries_for(boss, url)

    for _ in range(4):
        _hire_offline(employer, employer_member)
    with django_assert_num_queries(2):  # count + page (employer, person, post joined)
        response = boss.get(url)
    assert len(response.json()["results"]) == 6
    assert two == 2


def test_employment_end_records_the_last_day_and_reason(boss, employer, employer_member):
    employment = _hire_offline(
        employer, employer_member, start=timezone.localdate() - datetime.timedelta(days=30)
    )
    last_day = timezone.localdate()

    response = boss.post(
        _url("employer-employment-end", employment.pk),
        {"end_date": last_day.isoformat(), "reason": "resigned", "note": "家庭原因"},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["end_date"] == last_day.isoformat()
    assert body["end_reason"] == "resigned"
    employment.refresh_from_db()
    assert employment.end_reason == "resigned"


def test_employment_end_refuses_an_end_before_the_start(boss, employer, employer_member):
    employment = _hire_offline(employer, employer_member)

    response = boss.post(
        _url("employer-employment-end", employment.pk),
        {
            "end_date": (employment.start_date - datetime.timedelta(days=1)).isoformat(),
            "reason": "resigned",
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    employment.refresh_from_db()
    assert employment.end_date is None


def test_employment_end_of_another_employer_is_404(boss, regions):
    stranger = listed_employer()
    theirs = _hire_offline(stranger, MembershipFactory(employer=stranger).user)

    response = boss.post(
        _url("employer-employment-end", theirs.pk),
        {"end_date": timezone.localdate().isoformat(), "reason": "resigned"},
        format="json",
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.end_date is None


# ---------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------


def test_openapi_schema_lists_the_applicant_endpoints(api_client):
    response = api_client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == HTTPStatus.OK
    paths = response.json()["paths"]
    expected = [
        ("/api/v1/me/profile/", "get"),
        ("/api/v1/me/profile/", "post"),
        ("/api/v1/me/profile/", "patch"),
        ("/api/v1/me/profile/windows/", "put"),
        ("/api/v1/me/children/", "get"),
        ("/api/v1/me/children/", "post"),
        ("/api/v1/me/children/{child_id}/", "delete"),
        ("/api/v1/me/eligibility/", "get"),
        ("/api/v1/me/applications/", "get"),
        ("/api/v1/me/applications/", "post"),
        ("/api/v1/me/applications/{application_id}/", "get"),
        ("/api/v1/me/applications/{application_id}/withdraw/", "post"),
        ("/api/v1/employer/applications/", "get"),
        ("/api/v1/employer/applications/{application_id}/", "get"),
        ("/api/v1/employer/applications/{application_id}/transition/", "post"),
        ("/api/v1/employer/employments/", "get"),
        ("/api/v1/employer/employments/", "post"),
        ("/api/v1/employer/employments/{employment_id}/end/", "post"),
    ]
    for path, method in expected:
        assert method in paths.get(path, {}), (path, method)
    masked = response.json()["components"]["schemas"]["MaskedApplicant"]["properties"]
    assert "id_number_masked" in masked
    assert not any(name in masked for name in ("id_number", "birth_date", "phone"))


def test_openapi_schema_generates_without_warnings(tmp_path):
    # `check --deploy` in CI fails on drf-spectacular warnings; so does this.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
