import datetime
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, Application, Employment
from applicants.services import (
    application_hire,
    application_invite_interview,
    application_offer,
    application_submit,
    employment_create,
)
from jobs.models import Job
from mamagang.core.models import Notification
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

Status = Application.Status
# A birth date no other mother in these tests has, so the number is unique.
RIC = make_ric(datetime.date(1987, 11, 3), "440306", seq=7)
PAGES = ["employer-application-list", "employer-employment-list", "employer-employment-new"]
APPLICATION_POSTS = [
    "employer-application-interview",
    "employer-application-offer",
    "employer-application-hire",
    "employer-application-reject",
]


@pytest.fixture
def employer(shenzhen_guangzhou):
    return listed_employer()


@pytest.fixture
def member(employer, employer_member):
    MembershipFactory(employer=employer, user=employer_member)
    return employer_member


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def job(employer):
    return make_job(employer=employer, title="母婴护理员", certificates="育婴师证")


@pytest.fixture
def mother(shenzhen_guangzhou):
    return make_mother(
        full_name="李晓梅",
        id_number=RIC,
        certificates=["育婴师证"],
        skills=["收纳"],
        education=Applicant.Education.SENIOR_HIGH,
    )


@pytest.fixture
def application(mother, job):
    return application_submit(applicant=mother, job=job, message="孩子上学后 9 点到 3 点都可以。")


@pytest.fixture
def other_client(client, make_user, shenzhen_guangzhou):
    """A member of a second listed employer."""
    other = make_user("employer_member")
    MembershipFactory(employer=listed_employer(), user=other)
    client.force_login(other)
    return client


def _detail(application):
    return reverse("applicants:employer-application-detail", args=[application.pk])


def _post(client, name, application, data=None):
    return client.post(reverse(f"applicants:{name}", args=[application.pk]), data or {})


def _hire_data(**overrides):
    data = {
        "start_date": timezone.localdate().isoformat(),
        "end_date": "",
        "employment_form": Job.EmploymentForm.FULL_TIME_FLEXIBLE,
        "has_labour_contract": "on",
        "contract_months": "12",
        "social_insurance": "on",
        "declared_mamagang": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _offline_data(**overrides):
    data = {
        "id_number": RIC,
        "job": "",
        "start_date": timezone.localdate().isoformat(),
        "end_date": "",
        "employment_form": Job.EmploymentForm.PART_TIME_HOURLY,
        "social_insurance": "on",
        "declared_mamagang": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _hire(application, member):
    application_offer(application=application, by=member)
    return application_hire(
        application=application,
        by=member,
        start_date=timezone.localdate(),
        employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
    )


def _employment_for(application, member, **terms):
    return employment_create(
        employer=application.job.employer,
        applicant=application.applicant,
        registered_by=member,
        start_date=terms.pop("start_date", timezone.localdate()),
        employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
        job=application.job,
        **terms,
    )


# Permissions


@pytest.mark.parametrize("name", PAGES)
def test_employer_pages_send_anonymous_to_login(client, employer, name):
    response = client.get(reverse(f"applicants:{name}"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ["applicant", "bureau_staff"])
@pytest.mark.parametrize("name", PAGES)
def test_employer_pages_forbid_applicants_and_staff(client, make_user, employer, role, name):
    client.force_login(make_user(role))

    response = client.get(reverse(f"applicants:{name}"))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_employer_application_detail_forbids_staff(client, staff_user, application):
    client.force_login(staff_user)

    assert client.get(_detail(application)).status_code == HTTPStatus.FORBIDDEN
    assert _post(client, "employer-application-offer", application).status_code == 403


def test_member_without_employer_is_sent_to_the_workspace(client, employer_member):
    client.force_login(employer_member)

    response = client.get(reverse("applicants:employer-application-list"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("employers:workspace")


def test_application_list_shows_only_own_employers_applications(
    member_client, application, shenzhen_guangzhou
):
    other_job = make_job(title="别家的岗位")
    other_mother = make_mother(full_name="王小芳")
    application_submit(applicant=other_mother, job=other_job)

    response = member_client.get(reverse("applicants:employer-application-list"))

    assert [a.pk for a in response.context["applications"]] == [application.pk]
    assert "李晓梅" in response.content.decode()
    assert "王小芳" not in response.content.decode()


def test_another_employers_application_is_a_404(other_client, application):
    assert other_client.get(_detail(application)).status_code == HTTPStatus.NOT_FOUND
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.parametrize("name", APPLICATION_POSTS)
def test_another_employers_application_actions_are_404(other_client, application, name):
    data = {**_hire_data(), "reason": "不合适", "place": "单位", "at": "2099-01-01T10:00"}

    response = _post(other_client, name, application, data)

    assert response.status_code == HTTPStatus.NOT_FOUND
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.parametrize("name", APPLICATION_POSTS)
def test_application_actions_refuse_get(member_client, application, name):
    response = member_client.get(reverse(f"applicants:{name}", args=[application.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# The list


def test_application_list_row_shows_masked_id_district_status_and_fit(member_client, application):
    response = member_client.get(reverse("applicants:employer-application-list"))
    html = response.content.decode()

    assert application.applicant.id_number_masked in html
    assert RIC not in html
    assert "宝安区" in html
    assert "已投递" in html
    assert "时间匹配 100% · 同区 · 技能：育婴师证" in html
    assert timezone.localtime(application.submitted_at).strftime("%Y-%m-%d") in html


def test_application_list_filters_by_post_and_status_and_counts_per_status(
    member_client, employer, application, member
):
    second_job = make_job(employer=employer, title="客服")
    second = application_submit(applicant=make_mother(full_name="陈静"), job=second_job)
    third = application_submit(applicant=make_mother(full_name="周敏"), job=second_job)
    application_offer(application=third, by=member)
    url = reverse("applicants:employer-application-list")

    by_job = member_client.get(url, {"job": second_job.pk})
    by_status = member_client.get(url, {"job": second_job.pk, "status": Status.OFFERED})

    assert {a.pk for a in by_job.context["applications"]} == {second.pk, third.pk}
    counts = {item["value"]: item["count"] for item in by_job.context["status_counts"]}
    assert counts == {Status.SUBMITTED: 1, Status.OFFERED: 1}
    assert [a.pk for a in by_status.context["applications"]] == [third.pk]


def test_application_list_refuses_another_employers_post_as_filter(
    member_client, application, shenzhen_guangzhou
):
    other_job = make_job(title="别家的岗位")

    response = member_client.get(
        reverse("applicants:employer-application-list"), {"job": other_job.pk}
    )

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["applications"]) == []
    assert "请从列表中选择本单位的岗位" in response.content.decode()


def test_application_list_query_count_is_constant(member_client, employer, shenzhen_guangzhou):
    jobs = [make_job(employer=employer, title=f"岗位{i}") for i in range(3)]

    def apply(n):
        for _ in range(n):
            job = jobs[Application.objects.count() % 3]
            application_submit(applicant=make_mother(skills=["直播"]), job=job)

    url = reverse("applicants:employer-application-list")
    apply(2)
    member_client.get(url)
    with CaptureQueriesContext(connection) as two:
        member_client.get(url)
    apply(4)
    with CaptureQueriesContext(connection) as six:
        response = member_client.get(url)

    assert len(response.context["rows"]) == 6
    assert len(six) == len(two)


# The detail page


def test_opening_an_application_marks_it_viewed_and_tells_her(
    member_client, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(_detail(application))

    assert response.status_code == HTTPStatus.OK
    application.refresh_from_db()
    assert application.status == Status.VIEWED
    assert Notification.objects.filter(
        recipient=application.applicant.user, kind="application.viewed"
    ).exists()
    assert response.context["application"].status == Status.VIEWED


def test_opening_it_again_does_not_notify_again(
    member_client, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_client.get(_detail(application))
        member_client.get(_detail(application))

    assert Notification.objects.filter(recipient=application.applicant.user).count() == 1


def test_detail_shows_masked_profile_eligibility_and_fit_never_the_full_id(
    member_client, application, mother
):
    Applicant.objects.filter(pk=mother.pk).update(eligibility=Applicant.Eligibility.ELIGIBLE)

    html = member_client.get(_detail(application)).content.decode()

    assert mother.id_number_masked in html
    assert RIC not in html
    for text in ["李晓梅", "宝安区", "高中/中专", "收纳", "育婴师证", "符合条件"]:
        assert text in html
    assert "孩子上学后 9 点到 3 点都可以。" in html
    assert "周一至周五 09:00–15:00" in html
    assert "时间匹配 100%" in html
    # Her children's details and the eligibility reason codes stay private.
    assert "出生医学证明" not in html
    assert "child_" not in html


def test_detail_offers_only_the_moves_allowed_now(member_client, application, member):
    application_offer(application=application, by=member)

    response = member_client.get(_detail(application))

    assert response.context["can_hire"]
    assert response.context["can_reject"]
    assert not response.context["can_interview"]
    assert not response.context["can_offer"]
    html = response.content.decode()
    assert reverse("applicants:employer-application-hire", args=[application.pk]) in html
    assert reverse("applicants:employer-application-offer", args=[application.pk]) not in html
    # The declaration is checked by default and explained.
    declaration = re.search(r'<input[^>]*name="declared_mamagang"[^>]*>', html).group(0)
    assert " checked" in declaration
    assert "就业登记时主动申明" in html


# Transitions


def test_interview_invitation_is_stored_in_beijing_time(member_client, application):
    at = (timezone.localtime() + datetime.timedelta(days=2)).replace(hour=10, minute=30)
    data = {"at": at.strftime("%Y-%m-%dT%H:%M"), "place": "公司前台", "note": "带简历"}

    response = _post(member_client, "employer-application-interview", application, data)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _detail(application)
    application.refresh_from_db()
    assert application.status == Status.INTERVIEW
    assert timezone.localtime(application.interview_at).strftime("%Y-%m-%d %H:%M") == at.strftime(
        "%Y-%m-%d %H:%M"
    )
    assert application.interview_place == "公司前台"
    event = application.events.order_by("-pk").first()
    assert "带简历" in event.note


def test_interview_in_the_past_shows_the_error_and_changes_nothing(member_client, application):
    at = timezone.localtime() - datetime.timedelta(days=1)
    data = {"at": at.strftime("%Y-%m-%dT%H:%M"), "place": "公司前台"}

    response = _post(member_client, "employer-application-interview", application, data)

    assert response.status_code == HTTPStatus.OK
    assert "面试时间应晚于现在" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_offer_moves_the_application(member_client, application):
    response = _post(
        member_client, "employer-application-offer", application, {"note": "下周一报到"}
    )

    assert response.status_code == HTTPStatus.FOUND
    application.refresh_from_db()
    assert application.status == Status.OFFERED
    assert application.events.order_by("-pk").first().note == "下周一报到"


def test_hire_registers_the_employment_with_the_declaration(member_client, application, member):
    application_offer(application=application, by=member)

    response = _post(member_client, "employer-application-hire", application, _hire_data())

    assert response.status_code == HTTPStatus.FOUND
    application.refresh_from_db()
    assert application.status == Status.HIRED
    employment = Employment.objects.get(application=application)
    assert employment.source == Employment.Source.APPLICATION
    assert employment.declared_mamagang is True
    assert employment.declared_at is not None
    assert employment.has_labour_contract
    assert employment.contract_months == 12
    assert employment.social_insurance is True
    assert employment.registered_by == member


def test_hire_without_the_declaration_is_recorded_as_such(member_client, application, member):
    application_offer(application=application, by=member)

    _post(
        member_client, "employer-application-hire", application, _hire_data(declared_mamagang=None)
    )

    employment = Employment.objects.get(application=application)
    assert employment.declared_mamagang is False
    assert employment.declared_at is None


def test_hire_without_a_labour_contract_on_a_post_with_one(member_client, application, member):
    application_offer(application=application, by=member)

    _post(
        member_client,
        "employer-application-hire",
        application,
        _hire_data(has_labour_contract=None, contract_months=""),
    )

    employment = Employment.objects.get(application=application)
    assert not employment.has_labour_contract
    assert employment.contract_months is None


def test_hire_with_months_but_no_contract_asks_to_fix_it(member_client, application, member):
    application_offer(application=application, by=member)

    response = _post(
        member_client,
        "employer-application-hire",
        application,
        _hire_data(has_labour_contract=None, contract_months="12"),
    )

    assert response.status_code == HTTPStatus.OK
    assert "未签订劳动合同时请不要填写合同期限" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.OFFERED
    assert not Employment.objects.exists()


def test_hire_from_submitted_is_refused_and_changes_nothing(member_client, application):
    response = _post(member_client, "employer-application-hire", application, _hire_data())

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "不能变为" in html
    assert 'id="action-error"' in html
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert not Employment.objects.exists()


def test_reject_needs_a_reason(member_client, application):
    response = _post(member_client, "employer-application-reject", application, {"reason": " "})

    assert response.status_code == HTTPStatus.OK
    assert "请填写未通过的原因" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_reject_with_a_reason_tells_her_why(
    member_client, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client,
            "employer-application-reject",
            application,
            {"reason": "岗位需要周末上班"},
        )

    assert response.status_code == HTTPStatus.FOUND
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.reject_reason == "岗位需要周末上班"
    notice = Notification.objects.get(
        recipient=application.applicant.user, kind="application.rejected"
    )
    assert notice.body == "岗位需要周末上班"


def test_history_shows_every_step_with_notes(member_client, application, member):
    at = timezone.now() + datetime.timedelta(days=3)
    application_invite_interview(application=application, by=member, at=at, place="公司前台")

    html = member_client.get(_detail(application)).content.decode()

    assert "邀请面试" in html
    assert "公司前台" in html
    assert "（求职者）" in html
    assert "（本单位）" in html


# Employments


def test_employment_list_shows_masked_data_terms_and_ends_soon(
    member_client, application, member, mother
):
    _hire(application, member)
    soon = timezone.localdate() + datetime.timedelta(days=30)
    Applicant.objects.filter(pk=mother.pk).update(
        eligibility=Applicant.Eligibility.ELIGIBLE, eligible_until=soon
    )

    response = member_client.get(reverse("applicants:employer-employment-list"))
    html = response.content.decode()

    assert response.context["rows"][0]["eligibility_ends_soon"] is True
    assert mother.id_number_masked in html
    assert RIC not in html
    for text in ["母婴护理员", "非全日制（按小时）", "已申明", "符合条件", "资格即将到期"]:
        assert text in html
    assert soon.isoformat() in html


def test_employment_list_puts_current_before_ended(member_client, employer, member):
    ended = _employment_for(
        application_submit(applicant=make_mother(full_name="甲"), job=make_job(employer=employer)),
        member,
        start_date=timezone.localdate() - datetime.timedelta(days=30),
        end_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    current = _employment_for(
        application_submit(applicant=make_mother(full_name="乙"), job=make_job(employer=employer)),
        member,
        start_date=timezone.localdate() - datetime.timedelta(days=60),
    )

    response = member_client.get(reverse("applicants:employer-employment-list"))

    assert [row["employment"].pk for row in response.context["rows"]] == [current.pk, ended.pk]
    assert [row["is_current"] for row in response.context["rows"]] == [True, False]


def test_employment_list_query_count_is_constant(member_client, employer, member):
    job = make_job(employer=employer)

    def register(n):
        for _ in range(n):
            mother = make_mother()
            _employment_for(application_submit(applicant=mother, job=job), member)

    url = reverse("applicants:employer-employment-list")
    register(2)
    member_client.get(url)
    with CaptureQueriesContext(connection) as two:
        member_client.get(url)
    register(4)
    with CaptureQueriesContext(connection) as six:
        response = member_client.get(url)

    assert len(response.context["rows"]) == 6
    assert len(six) == len(two)


def test_offline_registration_with_her_consent(member_client, employer, member, job):
    mother = make_mother(id_number=RIC, offline_hire_consent=True)

    response = member_client.post(
        reverse("applicants:employer-employment-new"), _offline_data(job=job.pk)
    )

    assert response.status_code == HTTPStatus.FOUND
    employment = Employment.objects.get(applicant=mother)
    assert employment.employer == employer
    assert employment.source == Employment.Source.OFFLINE
    assert employment.job == job
    assert employment.declared_mamagang is True
    assert employment.registered_by == member
    listed = member_client.get(response["Location"]).content.decode()
    assert mother.id_number_masked in listed
    assert RIC not in listed


@pytest.mark.parametrize("registered", [True, False])
def test_offline_registration_without_consent_says_what_to_do(
    member_client, shenzhen_guangzhou, registered
):
    if registered:
        make_mother(id_number=RIC)

    response = member_client.post(reverse("applicants:employer-employment-new"), _offline_data())

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "同意用人单位凭身份证号码为其办理" in html
    assert "接下来怎么做" in html
    # The number typed is never written back into the page.
    assert RIC not in html
    assert not Employment.objects.exists()


def test_offline_registration_refuses_another_employers_post(member_client, shenzhen_guangzhou):
    make_mother(id_number=RIC, offline_hire_consent=True)
    other_job = make_job(title="别家的岗位")

    response = member_client.post(
        reverse("applicants:employer-employment-new"), _offline_data(job=other_job.pk)
    )

    assert response.status_code == HTTPStatus.OK
    assert "请从列表中选择本单位的岗位" in response.content.decode()
    assert not Employment.objects.exists()


def test_offline_registration_rejects_a_mistyped_number(member_client, shenzhen_guangzhou):
    wrong = RIC[:-1] + ("0" if RIC[-1] != "0" else "1")

    response = member_client.post(
        reverse("applicants:employer-employment-new"), _offline_data(id_number=wrong)
    )

    assert "校验位不正确" in response.content.decode()
    assert wrong not in response.content.decode()


def test_ending_an_employment(
    member_client, application, member, django_capture_on_commit_callbacks
):
    employment = _hire(application, member)
    url = reverse("applicants:employer-employment-end", args=[employment.pk])
    assert member_client.get(url).status_code == HTTPStatus.OK
    today = timezone.localdate()

    response = member_client.post(
        url, {"end_date": today.isoformat(), "reason": "resigned", "note": "家中有事"}
    )

    assert response.status_code == HTTPStatus.FOUND
    employment.refresh_from_db()
    assert employment.end_date == today
    assert employment.end_reason == Employment.EndReason.RESIGNED
    assert employment.end_note == "家中有事"
    assert employment.ended_by == member
    assert Notification.objects.filter(
        recipient=application.applicant.user, kind="employment.ended"
    ).exists()


def test_ending_needs_a_reason_and_a_date_not_before_the_start(member_client, application, member):
    employment = _hire(application, member)
    url = reverse("applicants:employer-employment-end", args=[employment.pk])
    before = (employment.start_date - datetime.timedelta(days=1)).isoformat()

    no_reason = member_client.post(url, {"end_date": employment.start_date.isoformat()})
    too_early = member_client.post(url, {"end_date": before, "reason": "resigned"})

    assert "请选择离职原因" in no_reason.content.decode()
    assert "离职日期不能早于入职日期" in too_early.content.decode()
    employment.refresh_from_db()
    assert employment.end_date is None


def test_another_employers_employment_cannot_be_ended(other_client, application, member):
    employment = _hire(application, member)
    url = reverse("applicants:employer-employment-end", args=[employment.pk])

    assert other_client.get(url).status_code == HTTPStatus.NOT_FOUND
    response = other_client.post(
        url, {"end_date": timezone.localdate().isoformat(), "reason": "resigned"}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    employment.refresh_from_db()
    assert employment.end_date is None


# Links from the workspace


def test_job_detail_links_to_its_applications_with_the_count(member_client, application, job):
    response = member_client.get(reverse("jobs:employer-job-detail", args=[job.pk]))

    html = response.content.decode()
    assert f"{reverse('applicants:employer-application-list')}?job={job.pk}" in html
    assert "查看申请（1）" in html


def test_workspace_nav_marks_the_current_page(member_client, employer):
    html = member_client.get(reverse("applicants:employer-employment-list")).content.decode()

    link = f'<a href="{reverse("applicants:employer-employment-list")}" aria-current="page">'
    assert link in html
    assert reverse("applicants:employer-application-list") in html
