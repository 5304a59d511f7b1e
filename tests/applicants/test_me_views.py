"""A mother's own area (/me/) and applying to a post, as server-rendered pages."""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, Application, Child, Consent
from applicants.services import (
    CONSENT_TEXT_VERSION,
    application_invite_interview,
    application_submit,
    work_experience_add,
)
from jobs.models import Job
from jobs.services import job_close
from mamagang.core.models import AuditEvent
from tests.accounts.factories import UserFactory
from tests.applicants.factories import WEEKDAYS_9_TO_3, make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import make_job

pytestmark = pytest.mark.django_db

PAGES = [
    "me-home",
    "me-personal",
    "me-children",
    "me-availability",
    "me-intentions",
    "me-training",
    "me-experience",
    "me-consents",
    "me-delete",
    "me-application-list",
]
PAGE_TEXT = {
    "me-home": "妈妈岗人员资格",
    "me-personal": "个人信息",
    "me-children": "不收集孩子的姓名和身份证号码",
    "me-availability": "每周可以工作的时间",
    "me-intentions": "想做的妈妈岗类型",
    "me-training": "希望参加的培训",
    "me-experience": "添加一段经历",
    "me-consents": "我的同意记录",
    "me-delete": "会删除的信息",
    "me-application-list": "我的申请",
}
POSTS = [
    ("me-profile-create", {}),
    ("me-personal", {}),
    ("me-children", {}),
    ("me-child-remove", {"pk": 1}),
    ("me-availability", {}),
    ("me-intentions", {}),
    ("me-training", {}),
    ("me-experience", {}),
    ("me-experience-remove", {"pk": 1}),
    ("me-consents", {}),
    ("me-delete", {}),
    ("me-application-withdraw", {"pk": 1}),
    ("job-apply", {"pk": 1}),
]


def url(name: str, **kwargs) -> str:
    return reverse(f"applicants:{name}", kwargs=kwargs or None)


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def mother(regions, applicant):
    return make_mother(user=applicant, skills=["电商直播"])


@pytest.fixture
def mother_client(client, mother):
    client.force_login(mother.user)
    return client


@pytest.fixture
def job(regions):
    return make_job(title="电商直播助理")


def _new_mother(**kwargs) -> Applicant:
    user = UserFactory()
    user.groups.add(Group.objects.get(name="applicant"))
    return make_mother(user=user, **kwargs)


def _apply(mother: Applicant, job: Job, **kwargs) -> Application:
    return application_submit(applicant=mother, job=job, **kwargs)


# Routes and access ----------------------------------------------------------------


def test_me_route_names_are_kept():
    assert url("me-home") == "/me/"
    assert url("me-profile-create") == "/me/profile/new/"
    assert url("me-personal") == "/me/profile/personal/"
    assert url("me-children") == "/me/profile/children/"
    assert url("me-child-remove", pk=3) == "/me/profile/children/3/remove/"
    assert url("me-availability") == "/me/profile/availability/"
    assert url("me-intentions") == "/me/profile/intentions/"
    assert url("me-training") == "/me/profile/training/"
    assert url("me-experience") == "/me/profile/experience/"
    assert url("me-experience-remove", pk=3) == "/me/profile/experience/3/remove/"
    assert url("me-consents") == "/me/privacy/"
    assert url("me-data-export") == "/me/privacy/export.json"
    assert url("me-delete") == "/me/privacy/delete/"
    assert url("me-application-list") == "/me/applications/"
    assert url("me-application-detail", pk=3) == "/me/applications/3/"
    assert url("me-application-withdraw", pk=3) == "/me/applications/3/withdraw/"
    assert url("job-apply", pk=3) == "/jobs/3/apply/"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_her_in_chinese(mother_client, name):
    response = mother_client.get(url(name))

    assert response.status_code == HTTPStatus.OK
    html = _html(response)
    assert PAGE_TEXT[name] in html
    assert "我的求职" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("role", ["employer_member", "staff_user", "bureau_admin"])
@pytest.mark.parametrize("name", [*PAGES, "me-profile-create", "me-data-export"])
def test_other_roles_get_403_on_her_pages(client, regions, request, role, name):
    client.force_login(request.getfixturevalue(role))

    assert client.get(url(name)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(("name", "kwargs"), POSTS)
def test_other_roles_cannot_post_to_her_pages(client, employer_member, name, kwargs):
    client.force_login(employer_member)

    assert client.post(url(name, **kwargs)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", [*PAGES, "me-profile-create", "me-data-export"])
def test_visitors_are_sent_to_the_login_page(client, name):
    response = client.get(url(name))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("name", [p for p in PAGES if p != "me-home"])
def test_without_a_profile_her_pages_send_her_to_create_it(client, applicant, name):
    client.force_login(applicant)

    response = client.get(url(name))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(url("me-profile-create") + "?next=")


def test_home_without_a_profile_invites_her_to_create_one(client, applicant):
    client.force_login(applicant)

    response = client.get(url("me-home"))

    html = _html(response)
    assert response.status_code == HTTPStatus.OK
    assert "建立您的求职档案" in html
    assert url("me-profile-create") in html


# Dashboard ------------------------------------------------------------------------


def test_home_shows_eligibility_areas_applications_and_employments(mother_client, mother, job):
    application = _apply(mother, job)

    html = _html(mother_client.get(url("me-home")))

    assert "您好，李晓梅" in html
    assert "符合条件" in html
    assert "资格持续到" in html
    assert mother.id_number_masked in html
    assert "电商直播助理" in html
    assert "已投递" in html
    assert url("me-application-detail", pk=application.pk) in html
    assert url("me-personal") in html
    assert url("me-availability") in html


def test_home_lists_the_reasons_when_she_is_not_eligible(client, regions, applicant):
    make_mother(user=applicant, children=[(2019, 3, False)])
    client.force_login(applicant)

    html = _html(client.get(url("me-home")))

    assert "暂不符合条件" in html
    assert "子女证明材料尚未经人社部门核验" in html


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["me-home", "me-application-list"])
def test_query_count_does_not_grow_with_her_applications(mother_client, mother, regions, name):
    for _ in range(2):
        _apply(mother, make_job())
    two = _queries(mother_client, url(name))

    for _ in range(3):
        _apply(mother, make_job())

    assert _queries(mother_client, url(name)) == two


def test_application_list_query_count_is_pinned(
    mother_client, mother, job, django_assert_num_queries
):
    _apply(mother, job)
    # session, user, two permission look-ups, profile, count, page, unread count
    with django_assert_num_queries(8):
        mother_client.get(url("me-application-list"))


# Creating the profile -----------------------------------------------------------------


def _create_data(**overrides) -> dict:
    data = {
        "full_name": "王芳",
        "id_number": make_ric(datetime.date(1991, 4, 2)),
        "district": "440306",
        "street": "",
        "category": "mother",
        "retirement_category": "F50",
        "sensitive_data_consent": "on",
    }
    data.update(overrides)
    return data


def test_profile_create_page_shows_the_privacy_notice_and_birth_date_hint(
    client, regions, applicant
):
    client.force_login(applicant)

    html = _html(client.get(url("me-profile-create")))

    assert "个人信息处理规则" in html
    assert CONSENT_TEXT_VERSION in html
    assert "出生日期将自动从身份证号码中读取" in html
    assert "data-region-picker" in html
    assert 'name="sensitive_data_consent"' in html
    assert "退休年龄类别" in html


def test_profile_create_with_consent_creates_her_profile(client, regions, applicant):
    client.force_login(applicant)
    data = _create_data()

    response = client.post(url("me-profile-create"), data)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url("me-home")
    profile = Applicant.objects.get(user=applicant)
    assert profile.full_name == "王芳"
    assert profile.birth_date == datetime.date(1991, 4, 2)
    assert profile.residence_district.code == "440306"
    consent = profile.consents.get()
    assert consent.kind == Consent.Kind.SENSITIVE_DATA
    assert consent.text_version == CONSENT_TEXT_VERSION


def test_profile_create_without_consent_is_refused(client, regions, applicant):
    client.force_login(applicant)

    response = client.post(url("me-profile-create"), _create_data(sensitive_data_consent=""))

    assert response.status_code == HTTPStatus.OK
    assert "需要您单独同意处理身份证号码" in _html(response)
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_create_explains_a_wrong_id_number(client, regions, applicant):
    client.force_login(applicant)
    number = make_ric(datetime.date(1991, 4, 2))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")

    response = client.post(url("me-profile-create"), _create_data(id_number=wrong))

    assert "校验位不正确" in _html(response)
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_create_refuses_a_number_already_registered(client, regions, applicant):
    number = make_ric(datetime.date(1992, 1, 1))
    _new_mother(id_number=number)
    client.force_login(applicant)

    response = client.post(url("me-profile-create"), _create_data(id_number=number))

    assert response.status_code == HTTPStatus.OK
    assert "该身份证号码已登记" in _html(response)
    assert not Applicant.objects.filter(user=applicant).exists()


def test_profile_create_goes_back_to_the_post_she_wanted(client, regions, applicant, job):
    client.force_login(applicant)
    apply_url = url("job-apply", pk=job.pk)

    response = client.post(f"{url('me-profile-create')}?next={apply_url}", _create_data())

    assert response["Location"] == apply_url


def test_profile_create_ignores_an_outside_next(client, regions, applicant):
    client.force_login(applicant)

    response = client.post(f"{url('me-profile-create')}?next=https://evil.example/", _create_data())

    assert response["Location"] == url("me-home")


def test_profile_create_sends_her_home_when_she_has_one(mother_client):
    response = mother_client.get(url("me-profile-create"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url("me-home")


# Profile sections -----------------------------------------------------------------------


def test_personal_section_saves_and_shows(mother_client, mother):
    response = mother_client.post(
        url("me-personal"),
        {
            "full_name": "李晓梅",
            "category": "mother",
            "retirement_category": "F55",
            "district": "440306",
            "street": "440306017",
            "education": "college",
            "skills": "电商直播、母婴护理, 手工编织",
            "certificates": "育婴员（四级）",
            "care_duties": ["elderly"],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    mother.refresh_from_db()
    assert mother.skills == ["电商直播", "母婴护理", "手工编织"]
    assert mother.certificates == ["育婴员（四级）"]
    assert mother.education == "college"
    assert mother.retirement_category == "F55"
    assert mother.residence_street.code == "440306017"
    assert mother.care_duties == ["elderly"]
    html = _html(mother_client.get(url("me-personal")))
    assert "电商直播、母婴护理、手工编织" in html
    assert 'value="440306017"' in html
    assert mother.id_number_masked in html


def test_personal_section_refuses_a_street_of_another_district(mother_client, mother):
    response = mother_client.post(
        url("me-personal"),
        {
            "full_name": "李晓梅",
            "category": "mother",
            "district": "440305",
            "street": "440306017",
        },
    )

    assert "所选街道/乡镇不属于该区县" in _html(response)
    mother.refresh_from_db()
    assert mother.residence_district.code == "440306"


def test_children_add_needs_the_guardian_consent(mother_client, mother):
    data = {"birth_year": "2021", "birth_month": "5", "relationship": "parent"}
    data["evidence"] = "birth_certificate"

    response = mother_client.post(url("me-children"), data)

    assert "请以监护人身份勾选同意" in _html(response)
    assert mother.children.count() == 1

    response = mother_client.post(url("me-children"), {**data, "guardian_consent": "on"})

    assert response.status_code == HTTPStatus.FOUND
    assert mother.children.filter(birth_year=2021, birth_month=5).exists()
    html = _html(mother_client.get(url("me-children")))
    assert "2021年5月出生" in html
    assert "待核验" in html
    assert "已核验" in html


def test_children_remove_deletes_only_her_own(mother_client, mother):
    child = mother.children.get()
    someone_else = _new_mother().children.get()

    not_hers = mother_client.post(url("me-child-remove", pk=someone_else.pk))
    response = mother_client.post(url("me-child-remove", pk=child.pk))

    assert not_hers.status_code == HTTPStatus.NOT_FOUND
    assert response.status_code == HTTPStatus.FOUND
    assert not mother.children.exists()
    assert Child.objects.filter(pk=someone_else.pk).exists()


def _windows_post(rows: list[tuple[list[int], str, str]], total: int = 3) -> dict:
    data = {
        "windows-TOTAL_FORMS": str(total),
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "14",
    }
    for i, (days, start, end) in enumerate(rows):
        data[f"windows-{i}-weekdays"] = [str(d) for d in days]
        data[f"windows-{i}-start"] = start
        data[f"windows-{i}-end"] = end
    return data


def test_availability_editor_round_trips_weekdays_nine_to_three(client, regions, applicant):
    mother = make_mother(user=applicant, windows=[])
    client.force_login(applicant)

    response = client.post(
        url("me-availability"), _windows_post([([0, 1, 2, 3, 4], "09:00", "15:00")])
    )

    assert response.status_code == HTTPStatus.FOUND
    saved = list(mother.free_windows.values_list("weekday", "start_minute", "end_minute"))
    assert saved == WEEKDAYS_9_TO_3
    response = client.get(url("me-availability"))
    html = _html(response)
    assert "周一至周五 09:00–15:00" in html
    first = response.context["formset"].forms[0]
    assert first.initial == {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "15:00"}
    assert 'value="09:00"' in html
    assert 'value="15:00"' in html


def test_availability_editor_explains_an_incomplete_row(mother_client, mother):
    response = mother_client.post(url("me-availability"), _windows_post([([5], "", "")]))

    assert response.status_code == HTTPStatus.OK
    assert "请填写这段空闲时间的开始和结束时间" in _html(response)
    assert mother.free_windows.count() == len(WEEKDAYS_9_TO_3)


def test_intentions_section_saves_and_shows(mother_client, mother):
    response = mother_client.post(
        url("me-intentions"),
        {
            "intended_post_modes": ["self_chosen_slots", "take_home_piecework"],
            "intended_location_modes": ["community"],
            "intended_employment_forms": ["part_time_hourly"],
            "hours_per_week": "25",
            "intended_sectors": ["ecommerce"],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    mother.refresh_from_db()
    assert mother.intended_post_modes == ["self_chosen_slots", "take_home_piecework"]
    assert mother.intended_location_modes == ["community"]
    assert mother.hours_per_week == 25
    assert mother.intended_sectors == ["ecommerce"]
    html = _html(mother_client.get(url("me-intentions")))
    assert 'value="take_home_piecework" id="id_intended_post_modes_2" checked' in html
    assert 'value="25"' in html


def test_intentions_section_explains_impossible_hours(mother_client, mother):
    response = mother_client.post(url("me-intentions"), {"hours_per_week": "100"})

    assert "每周可工作小时应在 1 到 84 之间" in _html(response)


def test_training_section_saves_and_shows(mother_client, mother):
    response = mother_client.post(
        url("me-training"),
        {"training_needs": ["live_streaming", "other"], "training_other": "短视频剪辑"},
    )

    assert response.status_code == HTTPStatus.FOUND
    mother.refresh_from_db()
    assert mother.training_needs == ["live_streaming", "other"]
    assert mother.training_other == "短视频剪辑"
    assert "短视频剪辑" in _html(mother_client.get(url("me-training")))


def test_experience_section_adds_lists_and_removes(mother_client, mother):
    response = mother_client.post(
        url("me-experience"),
        {
            "organisation": "宝安区某电商公司",
            "role": "客服",
            "start_year": "2015",
            "end_year": "2019",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    experience = mother.experiences.get()
    assert "宝安区某电商公司 · 客服" in _html(mother_client.get(url("me-experience")))

    mother_client.post(url("me-experience-remove", pk=experience.pk))

    assert not mother.experiences.exists()


def test_experience_section_explains_years_in_the_wrong_order(mother_client, mother):
    response = mother_client.post(
        url("me-experience"),
        {"organisation": "某厂", "role": "质检", "start_year": "2019", "end_year": "2015"},
    )

    assert "结束年份不能早于开始年份" in _html(response)
    assert not mother.experiences.exists()


def test_experience_remove_of_another_mothers_line_is_404(mother_client):
    other = _new_mother()
    line = work_experience_add(
        applicant=other, added_by=other.user, organisation="某厂", role="质检", start_year=2010
    )

    response = mother_client.post(url("me-experience-remove", pk=line.pk))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert other.experiences.exists()


# Consents, export, delete -------------------------------------------------------------------


def test_consents_page_gives_and_withdraws_the_employment_registration_consent(
    mother_client, mother
):
    html = _html(mother_client.get(url("me-consents")))
    assert "单独同意处理敏感个人信息" in html
    assert "凭您的身份证号码" in html

    mother_client.post(url("me-consents"), {"kind": "employment_registration", "action": "give"})

    consent = mother.consents.get(kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    assert consent.withdrawn_at is None
    assert consent.text_version == CONSENT_TEXT_VERSION

    mother_client.post(
        url("me-consents"), {"kind": "employment_registration", "action": "withdraw"}
    )

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert "已撤回" in _html(mother_client.get(url("me-consents")))


def test_withdrawing_the_guardian_consent_needs_confirmation_and_deletes_children(
    mother_client, mother
):
    data = {"kind": "guardian_children", "action": "withdraw"}

    response = mother_client.post(url("me-consents"), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "会删除孩子的登记信息" in _html(response)
    assert mother.children.exists()

    mother_client.post(url("me-consents"), {**data, "confirm": "on"})

    assert not mother.children.exists()
    assert mother.consents.get(kind=Consent.Kind.GUARDIAN_CHILDREN).withdrawn_at is not None


def test_the_sensitive_data_consent_cannot_be_withdrawn_here(mother_client, mother):
    response = mother_client.post(
        url("me-consents"), {"kind": "sensitive_data", "action": "withdraw"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert mother.consents.get(kind=Consent.Kind.SENSITIVE_DATA).withdrawn_at is None


def test_data_export_is_a_json_download_of_her_data_and_is_audited(mother_client, mother, job):
    _apply(mother, job, message="我可以上午工作")

    response = mother_client.get(url("me-data-export"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="')
    data = json.loads(response.content)
    assert data["profile"]["full_name"] == "李晓梅"
    assert data["profile"]["id_number"] is not None
    assert len(data["profile"]["id_number"]) == 18
    assert data["profile"]["id_number"][:4] + "*" * 10 + data["profile"]["id_number"][-4:] == (
        mother.id_number_masked
    )
    assert data["profile"]["skills"] == ["电商直播"]
    assert data["children"][0]["birth_year"] == 2019
    assert data["free_windows"][0] == {"weekday": 1, "start": "09:00", "end": "15:00"}
    assert {c["kind"] for c in data["consents"]} == {"sensitive_data", "guardian_children"}
    assert data["applications"][0]["job"]["title"] == "电商直播助理"
    assert data["applications"][0]["message"] == "我可以上午工作"
    assert data["applications"][0]["events"][0]["to_status"] == "submitted"
    assert data["employments"] == []
    assert data["account"]["phone"] == mother.user.phone
    event = AuditEvent.objects.get(action="applicant.data_exported")
    assert event.actor == mother.user
    assert event.object_id == str(mother.pk)
    assert data["profile"]["id_number"] not in json.dumps([event.before, event.after])


def test_data_export_of_another_user_is_their_own_data_not_hers(client, mother):
    other = _new_mother(full_name="张丽")
    client.force_login(other.user)

    data = json.loads(client.get(url("me-data-export")).content)

    assert data["profile"]["full_name"] == "张丽"
    assert data["account"]["phone"] == other.user.phone
    assert mother.user.phone not in json.dumps(data, ensure_ascii=False)


def test_delete_needs_the_confirmation_word(mother_client, mother):
    html = _html(mother_client.get(url("me-delete")))
    assert "会保留的信息" in html
    assert "不保留能识别您的信息" in html

    response = mother_client.post(url("me-delete"), {"confirmation": "好的"})

    assert "请输入“注销”两个字以确认注销" in _html(response)
    mother.refresh_from_db()
    assert mother.anonymised_at is None


def test_delete_anonymises_her_and_logs_her_out(mother_client, mother):
    response = mother_client.post(url("me-delete"), {"confirmation": "注销"})

    assert response.status_code == HTTPStatus.OK
    assert "个人信息已注销" in _html(response)
    mother.refresh_from_db()
    assert mother.anonymised_at is not None
    assert mother.full_name != "李晓梅"
    assert not mother.user.__class__.objects.get(pk=mother.user_id).is_active
    assert "_auth_user_id" not in mother_client.session
    assert mother_client.get(url("me-home")).status_code == HTTPStatus.FOUND


# Applying, her applications, withdrawing ---------------------------------------------------


def test_apply_page_preselects_her_free_windows(mother_client, mother, job):
    response = mother_client.get(url("job-apply", pk=job.pk))

    assert response.status_code == HTTPStatus.OK
    html = _html(response)
    assert "电商直播助理" in html
    assert "确认申请" in html
    assert "100%" in html
    form = response.context["form"]
    assert len(form.fields["windows"].initial) == len(WEEKDAYS_9_TO_3)
    assert html.count('name="windows" ') == len(WEEKDAYS_9_TO_3)
    assert html.count("checked") >= len(WEEKDAYS_9_TO_3)


def test_apply_happy_path_creates_the_application(mother_client, mother, job):
    keep = ["0-540-900", "2-540-900"]

    response = mother_client.post(
        url("job-apply", pk=job.pk), {"windows": keep, "message": "孩子上学后可以工作"}
    )

    application = Application.objects.get(applicant=mother, job=job)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url("me-application-detail", pk=application.pk)
    assert application.status == Application.Status.SUBMITTED
    assert application.message == "孩子上学后可以工作"
    assert application.offered_windows == [[0, 540, 900], [2, 540, 900]]


def test_apply_refuses_a_closed_post(mother_client, mother, job):
    job_close(job=job, closed_by=UserFactory(), reason=Job.CloseReason.FILLED)

    page = mother_client.get(url("job-apply", pk=job.pk))
    response = mother_client.post(url("job-apply", pk=job.pk), {"message": "你好"})

    assert "该岗位已结束招聘，不再接受申请" in _html(page)
    assert "确认申请" not in _html(page)
    assert response.status_code == HTTPStatus.OK
    assert "不再接受申请" in _html(response)
    assert not Application.objects.filter(job=job).exists()


def test_apply_refuses_a_second_live_application(mother_client, mother, job):
    first = _apply(mother, job)

    response = mother_client.post(url("job-apply", pk=job.pk), {"message": "再次申请"})

    assert response.status_code == HTTPStatus.OK
    html = _html(response)
    assert "您已申请过该岗位" in html
    assert url("me-application-list") in html
    assert list(Application.objects.filter(job=job)) == [first]


def test_apply_page_leads_to_her_application_when_she_already_applied(mother_client, mother, job):
    application = _apply(mother, job)

    response = mother_client.get(url("job-apply", pk=job.pk))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url("me-application-detail", pk=application.pk)


def test_apply_without_a_profile_goes_through_profile_create(client, regions, applicant, job):
    client.force_login(applicant)

    response = client.get(url("job-apply", pk=job.pk))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == (f"{url('me-profile-create')}?next=/jobs/{job.pk}/apply/")


def test_apply_to_a_post_that_is_not_public_is_404(mother_client, regions):
    draft = make_job(publish=False)

    assert mother_client.get(url("job-apply", pk=draft.pk)).status_code == HTTPStatus.NOT_FOUND
    assert mother_client.post(url("job-apply", pk=draft.pk)).status_code == HTTPStatus.NOT_FOUND


def test_application_detail_shows_the_post_her_message_windows_and_history(
    mother_client, mother, job, employer_member
):
    application = _apply(mother, job, message="我可以上午工作")
    MembershipFactory(employer=job.employer, user=employer_member)
    at = timezone.now() + datetime.timedelta(days=2)
    application_invite_interview(
        application=application, by=employer_member, at=at, place="宝安区创业路1号三楼"
    )

    response = mother_client.get(url("me-application-detail", pk=application.pk))

    html = _html(response)
    assert response.status_code == HTTPStatus.OK
    assert "电商直播助理" in html
    assert job.employer.name in html
    assert "我可以上午工作" in html
    assert "周一至周五 09:00–15:00" in html
    assert "邀请面试" in html
    assert "提交申请" in html
    assert "宝安区创业路1号三楼" in html
    assert timezone.localtime(at).strftime("%Y-%m-%d %H:%M") in html
    assert "撤回申请" in html


def test_another_mothers_application_is_404(mother_client, job):
    other = _new_mother()
    application = _apply(other, job)

    detail = mother_client.get(url("me-application-detail", pk=application.pk))
    withdraw = mother_client.post(url("me-application-withdraw", pk=application.pk))

    assert detail.status_code == HTTPStatus.NOT_FOUND
    assert withdraw.status_code == HTTPStatus.NOT_FOUND
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_withdraw_ends_her_live_application(mother_client, mother, job):
    application = _apply(mother, job)

    response = mother_client.post(
        url("me-application-withdraw", pk=application.pk), {"note": "时间不合适"}
    )

    assert response.status_code == HTTPStatus.FOUND
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    event = application.events.order_by("occurred_at", "pk").last()
    assert (event.to_status, event.note) == ("withdrawn", "时间不合适")
    html = _html(mother_client.get(url("me-application-detail", pk=application.pk)))
    assert "已撤回" in html
    assert "撤回申请</button>" not in html


def test_application_list_shows_status_post_and_employer_newest_first(
    mother_client, mother, regions
):
    older = _apply(mother, make_job(title="手工编织"))
    newer = _apply(mother, make_job(title="社区团购客服"))

    response = mother_client.get(url("me-application-list"))

    assert list(response.context["applications"]) == [newer, older]
    html = _html(response)
    assert html.index("社区团购客服") < html.index("手工编织")
    assert older.job.employer.name in html
    assert "已投递" in html


# The post page's call to action ------------------------------------------------------------------


def test_job_detail_offers_her_the_apply_page(mother_client, job):
    html = _html(mother_client.get(job.get_absolute_url()))

    assert url("job-apply", pk=job.pk) in html
    assert "申请该岗位" in html
    assert "登录后申请" not in html


def test_job_detail_asks_an_applicant_without_a_profile_to_create_one(client, applicant, job):
    client.force_login(applicant)

    html = _html(client.get(job.get_absolute_url()))

    assert f"{url('me-profile-create')}?next=/jobs/{job.pk}/apply/" in html
    assert "填写求职档案后申请" in html


def test_job_detail_asks_visitors_to_log_in(client, job):
    html = _html(client.get(job.get_absolute_url()))

    assert f"{reverse('accounts:login')}?next=/jobs/{job.pk}/" in html
    assert url("job-apply", pk=job.pk) not in html


def test_job_detail_offers_no_apply_link_to_employers(client, employer_member, job):
    client.force_login(employer_member)

    html = _html(client.get(job.get_absolute_url()))

    assert url("job-apply", pk=job.pk) not in html
    assert "申请该岗位" not in html


def test_job_detail_of_an_ended_post_says_it_takes_no_applications(mother_client, job):
    job_close(job=job, closed_by=UserFactory(), reason=Job.CloseReason.FILLED)

    html = _html(mother_client.get(job.get_absolute_url()))

    assert "该岗位已不再接受申请" in html
    assert url("job-apply", pk=job.pk) not in html


def test_job_detail_costs_an_applicant_two_queries_her_profile_and_her_application(
    client, mother, job, employer_member
):
    client.force_login(employer_member)
    employer_queries = _queries(client, job.get_absolute_url())
    client.force_login(mother.user)

    assert _queries(client, job.get_absolute_url()) == employer_queries + 2


def test_job_detail_links_to_her_live_application(mother_client, mother, job):
    from applicants.services import application_submit

    application = application_submit(applicant=mother, job=job)

    html = mother_client.get(job.get_absolute_url()).content.decode()

    assert reverse("applicants:me-application-detail", args=[application.pk]) in html
    assert "已申请，查看申请进度" in html
