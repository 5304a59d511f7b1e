import datetime
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, Child
from applicants.services import applicant_anonymise, application_submit
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from tests.applicants.factories import make_mother, make_ric
from tests.jobs.factories import make_job

pytestmark = pytest.mark.django_db

BAOAN, TIANHE = "440306", "440106"
PAGES = ["staff-applicant-list", "staff-child-queue", "staff-demand-survey"]
APPLICANT_PAGES = ["staff-applicant-detail"]
POSTS = ["staff-applicant-unmask", "staff-child-verify"]


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def baoan_staff(staff_user, regions):
    staff_scope_grant(user=staff_user, region=regions[BAOAN], granted_by=None)
    return staff_user


@pytest.fixture
def staff_client(client, baoan_staff):
    client.force_login(baoan_staff)
    return client


@pytest.fixture
def tianhe_staff(make_user, regions):
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=regions[TIANHE], granted_by=None)
    return user


@pytest.fixture
def mother(regions):
    """A Bao'an mother with one unverified child."""
    return make_mother(full_name="李晓梅", children=[(2020, 5, False)])


def _url(name, obj=None):
    if name in PAGES:
        return reverse(f"applicants:{name}")
    return reverse(f"applicants:{name}", args=[obj.pk])


def _target(name, mother):
    return mother.children.get() if name == "staff-child-verify" else mother


# Permissions and scope


@pytest.mark.parametrize("name", PAGES + APPLICANT_PAGES + POSTS)
def test_staff_applicant_pages_send_anonymous_to_login(client, mother, name):
    method = client.post if name in POSTS else client.get

    response = method(_url(name, _target(name, mother)))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ["applicant", "employer_member"])
@pytest.mark.parametrize("name", PAGES + APPLICANT_PAGES + POSTS)
def test_staff_applicant_pages_forbid_applicants_and_employers(
    client, make_user, mother, role, name
):
    client.force_login(make_user(role))
    method = client.post if name in POSTS else client.get

    response = method(_url(name, _target(name, mother)), {"reason": "核对材料"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not AuditEvent.objects.filter(action="applicant.id_unmasked").exists()
    assert mother.children.get().verified_at is None


@pytest.mark.parametrize("name", APPLICANT_PAGES + POSTS)
def test_staff_applicant_pages_hide_applicants_out_of_scope(client, tianhe_staff, mother, name):
    client.force_login(tianhe_staff)
    method = client.post if name in POSTS else client.get

    response = method(_url(name, _target(name, mother)), {"reason": "核对材料"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action="applicant.id_unmasked").exists()
    assert mother.children.get().verified_at is None


def test_staff_applicant_list_shows_only_applicants_in_scope(client, baoan_staff, regions):
    baoan = make_mother(full_name="李晓梅")
    make_mother(full_name="陈美玲", district=TIANHE)
    client.force_login(baoan_staff)

    response = client.get(reverse("applicants:staff-applicant-list"))

    assert list(response.context["applicants"]) == [baoan]
    assert "陈美玲" not in response.content.decode()


def test_staff_pages_show_nothing_to_staff_without_regions(client, staff_user, mother):
    client.force_login(staff_user)

    listing = client.get(reverse("applicants:staff-applicant-list"))
    queue = client.get(reverse("applicants:staff-child-queue"))
    survey = client.get(reverse("applicants:staff-demand-survey"))

    assert list(listing.context["applicants"]) == []
    assert list(queue.context["children"]) == []
    assert survey.context["survey"].total == 0


# Search


def test_staff_applicant_list_masks_id_numbers(staff_client, regions):
    number = make_ric(datetime.date(1990, 6, 15), BAOAN)
    mother = make_mother(id_number=number)

    response = staff_client.get(reverse("applicants:staff-applicant-list"))

    content = response.content.decode()
    assert mother.id_number_masked in content
    assert number not in content


def test_staff_applicant_list_searches_names_with_prefix_matches_first(staff_client, regions):
    inside = make_mother(full_name="王晓梅")
    prefix = make_mother(full_name="晓燕")
    make_mother(full_name="陈芳")

    response = staff_client.get(reverse("applicants:staff-applicant-list"), {"name": "晓"})

    assert list(response.context["applicants"]) == [prefix, inside]


def test_staff_applicant_list_filters_by_district_and_street(client, bureau_admin, regions):
    staff_scope_grant(user=bureau_admin, region=regions["440300"], granted_by=None)
    street = Region.objects.filter(parent__code=BAOAN, level=Region.Level.STREET).order_by("code")[
        0
    ]
    on_street = make_mother(full_name="街道妈妈", residence_street=street)
    elsewhere_in_baoan = make_mother(full_name="宝安妈妈")
    make_mother(full_name="南山妈妈", district="440305")
    client.force_login(bureau_admin)
    url = reverse("applicants:staff-applicant-list")

    by_district = client.get(url, {"district": BAOAN})
    by_street = client.get(url, {"district": BAOAN, "street": street.code})

    assert set(by_district.context["applicants"]) == {on_street, elsewhere_in_baoan}
    assert list(by_street.context["applicants"]) == [on_street]
    assert street.name in by_district.content.decode()


def test_staff_applicant_list_refuses_a_district_out_of_scope(staff_client, regions):
    make_mother(district=TIANHE)

    response = staff_client.get(reverse("applicants:staff-applicant-list"), {"district": TIANHE})

    assert list(response.context["applicants"]) == []
    assert response.context["filter_form"].errors["district"]


def test_staff_applicant_list_filters_by_eligibility_and_children_awaiting(staff_client, regions):
    eligible = make_mother(full_name="已核验")
    awaiting = make_mother(full_name="待核验", children=[(2020, 5, False)])
    Applicant.objects.filter(pk=eligible.pk).update(eligibility=Applicant.Eligibility.ELIGIBLE)
    url = reverse("applicants:staff-applicant-list")

    by_status = staff_client.get(url, {"eligibility": "eligible"})
    by_awaiting = staff_client.get(url, {"awaiting": "on"})

    assert list(by_status.context["applicants"]) == [eligible]
    assert list(by_awaiting.context["applicants"]) == [awaiting]
    assert by_awaiting.context["applicants"][0].unverified_child_count == 1


def test_staff_applicant_list_leaves_out_anonymised_applicants(staff_client, regions):
    gone = make_mother(full_name="注销者")
    applicant_anonymise(applicant=gone, requested_by=gone.user)

    response = staff_client.get(reverse("applicants:staff-applicant-list"))

    assert list(response.context["applicants"]) == []


def test_staff_applicant_search_by_complete_id_number_finds_her(staff_client, regions):
    number = make_ric(datetime.date(1991, 2, 3), BAOAN)
    mother = make_mother(full_name="李晓梅", id_number=number)
    make_mother(full_name="王芳")

    response = staff_client.post(
        reverse("applicants:staff-applicant-list"), {"id_number": number.lower()}
    )

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["applicants"]) == [mother]
    # The number she typed is not echoed back; the list shows the masked one.
    assert number not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_staff_applicant_search_by_partial_id_number_finds_nothing(staff_client, regions):
    number = make_ric(datetime.date(1991, 2, 3), BAOAN)
    make_mother(id_number=number)

    response = staff_client.post(
        reverse("applicants:staff-applicant-list"), {"id_number": number[:14]}
    )

    assert list(response.context["applicants"]) == []
    assert response.context["id_form"].errors["id_number"]
    assert number[:14] not in response.content.decode()


def test_staff_applicant_search_by_id_number_ignores_applicants_out_of_scope(staff_client, regions):
    number = make_ric(datetime.date(1991, 2, 3), TIANHE)
    make_mother(district=TIANHE, id_number=number)

    response = staff_client.post(reverse("applicants:staff-applicant-list"), {"id_number": number})

    assert list(response.context["applicants"]) == []
    assert "没有用该身份证号码登记的求职者" in response.content.decode()


def test_staff_applicant_list_query_count_is_constant(staff_client, regions):
    for _index in range(2):
        make_mother(children=[(2020, 5, False), (2018, 1, True)])
    url = reverse("applicants:staff-applicant-list")
    staff_client.get(url)
    with CaptureQueriesContext(connection) as two:
        staff_client.get(url, {"name": "李"})
    for _index in range(4):
        make_mother(children=[(2020, 5, False), (2018, 1, True)])
    with CaptureQueriesContext(connection) as six:
        response = staff_client.get(url, {"name": "李"})

    assert len(response.context["applicants"]) == 6
    assert len(six) == len(two)


# One applicant


def test_staff_applicant_detail_shows_children_eligibility_and_history(staff_client, regions):
    mother = make_mother(full_name="李晓梅", children=[(2020, 5, False), (2017, 9, True)])
    job = make_job(title="电商直播助理")
    application_submit(applicant=mother, job=job)

    response = staff_client.get(reverse("applicants:staff-applicant-detail", args=[mother.pk]))

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "2020-05" in content
    assert "2017-09" in content
    unverified = mother.children.get(birth_year=2020)
    assert reverse("applicants:staff-child-verify", args=[unverified.pk]) in content
    # The 2017 child is verified and under 13: she qualifies until its cut-off.
    assert response.context["eligibility"].eligible
    assert response.context["eligible_last_day"] == datetime.date(2030, 8, 31)
    assert "电商直播助理" in content
    assert mother.id_number_masked in content


def test_staff_applicant_detail_explains_ineligibility_with_labels(staff_client, mother):
    response = staff_client.get(reverse("applicants:staff-applicant-detail", args=[mother.pk]))

    assert not response.context["eligibility"].eligible
    assert "子女证明材料尚未经人社部门核验" in response.content.decode()


def test_staff_applicant_detail_query_count_is_constant(staff_client, regions):
    few = make_mother(children=[(2020, 5, False)])
    many = make_mother(children=[(2020, 5, False), (2019, 1, True), (2016, 2, False)])
    for index in range(3):
        application_submit(applicant=many, job=make_job(title=f"岗位{index}"))
    staff_client.get(reverse("applicants:staff-applicant-detail", args=[few.pk]))
    with CaptureQueriesContext(connection) as one:
        staff_client.get(reverse("applicants:staff-applicant-detail", args=[few.pk]))
    with CaptureQueriesContext(connection) as more:
        staff_client.get(reverse("applicants:staff-applicant-detail", args=[many.pk]))

    assert len(more) == len(one)


def test_staff_applicant_unmask_needs_a_reason(staff_client, regions):
    number = make_ric(datetime.date(1991, 2, 3), BAOAN)
    mother = make_mother(id_number=number)

    response = staff_client.post(
        reverse("applicants:staff-applicant-unmask", args=[mother.pk]), {"reason": "  "}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["unmask_form"].errors["reason"]
    assert number not in response.content.decode()
    assert not AuditEvent.objects.filter(action="applicant.id_unmasked").exists()


def test_staff_applicant_unmask_shows_the_number_once_and_audits_it(
    staff_client, baoan_staff, regions
):
    number = make_ric(datetime.date(1991, 2, 3), BAOAN)
    mother = make_mother(id_number=number)
    url = reverse("applicants:staff-applicant-unmask", args=[mother.pk])

    response = staff_client.post(url, {"reason": "核对岗位补贴申请材料"})

    # given the number in this response, with the note that it was recorded
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert number in content
    assert "本次查看已记录" in content
    assert "no-store" in response["Cache-Control"]
    # then an audit row with the reason, not the number
    event = AuditEvent.objects.get(action="applicant.id_unmasked")
    assert event.actor == baoan_staff
    assert event.object_id == str(mother.pk)
    assert event.reason == "核对岗位补贴申请材料"
    assert number not in f"{event.before} {event.after} {event.object_repr} {event.reason}"
    # and nowhere afterwards: not in the session, not on the next page view
    assert number not in str(dict(staff_client.session.items()))
    later = staff_client.get(reverse("applicants:staff-applicant-detail", args=[mother.pk]))
    assert number not in later.content.decode()


def test_staff_applicant_unmask_refuses_staff_without_the_permission(client, baoan_staff, mother):
    from django.contrib.auth.models import Permission

    baoan_staff.groups.clear()
    baoan_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["use_staff_workspace", "verify_child"],
            content_type__app_label__in=["accounts", "applicants"],
        )
    )
    client.force_login(baoan_staff)

    detail = client.get(reverse("applicants:staff-applicant-detail", args=[mother.pk]))
    response = client.post(
        reverse("applicants:staff-applicant-unmask", args=[mother.pk]), {"reason": "核对"}
    )

    assert detail.status_code == HTTPStatus.OK
    assert reverse("applicants:staff-applicant-unmask", args=[mother.pk]) not in (
        detail.content.decode()
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


# Children's evidence


def test_staff_child_queue_lists_unverified_children_in_scope_oldest_first(staff_client, regions):
    newer = make_mother(full_name="后登记", children=[(2021, 1, False)]).children.get()
    older = make_mother(full_name="先登记", children=[(2019, 7, False)]).children.get()
    Child.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(days=4))
    make_mother(full_name="已核验", children=[(2018, 1, True)])
    make_mother(full_name="天河妈妈", district=TIANHE, children=[(2020, 1, False)])

    response = staff_client.get(reverse("applicants:staff-child-queue"))

    assert [c.pk for c in response.context["children"]] == [older.pk, newer.pk]
    content = response.content.decode()
    assert "天河妈妈" not in content
    assert older.applicant.id_number_masked in content
    assert "出生医学证明" in content


def test_staff_child_queue_query_count_is_constant(staff_client, regions):
    for _index in range(2):
        make_mother(children=[(2020, 5, False)])
    url = reverse("applicants:staff-child-queue")
    staff_client.get(url)
    with CaptureQueriesContext(connection) as two:
        staff_client.get(url)
    for _index in range(4):
        make_mother(children=[(2020, 5, False)])
    with CaptureQueriesContext(connection) as six:
        response = staff_client.get(url)

    assert len(response.context["children"]) == 6
    assert len(six) == len(two)


def test_staff_child_verify_from_the_queue_records_who_and_when(staff_client, baoan_staff, mother):
    child = mother.children.get()
    queue = reverse("applicants:staff-child-queue")

    response = staff_client.post(
        reverse("applicants:staff-child-verify", args=[child.pk]), {"next": queue}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == queue
    child.refresh_from_db()
    assert child.verified_by == baoan_staff
    assert child.verified_at is not None
    assert AuditEvent.objects.filter(action="child.verified", actor=baoan_staff).exists()
    assert list(staff_client.get(queue).context["children"]) == []


def test_staff_child_verify_from_the_applicant_page_returns_to_it(staff_client, mother):
    child = mother.children.get()
    unmasked = staff_client.post(
        reverse("applicants:staff-applicant-unmask", args=[mother.pk]), {"reason": "核对材料"}
    )
    detail = reverse("applicants:staff-applicant-detail", args=[mother.pk])
    # The verify button of the page shown after unmasking goes back to the plain page.
    assert f'name="next" value="{detail}"' in unmasked.content.decode()

    response = staff_client.post(
        reverse("applicants:staff-child-verify", args=[child.pk]), {"next": detail}
    )

    assert response["Location"] == detail
    child.refresh_from_db()
    assert child.verified_at is not None


def test_staff_child_verify_ignores_an_outside_next_url(staff_client, mother):
    child = mother.children.get()

    response = staff_client.post(
        reverse("applicants:staff-child-verify", args=[child.pk]),
        {"next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("applicants:staff-child-queue")


def test_staff_child_verify_shows_a_domain_error(staff_client, mother, mocker):
    mocker.patch(
        "applicants.views.staff.child_verify",
        side_effect=DomainError("该求职者不在您的辖区内。", code="applicant_out_of_scope"),
    )
    child = mother.children.get()

    response = staff_client.post(
        reverse("applicants:staff-child-verify", args=[child.pk]), follow=True
    )

    assert "该求职者不在您的辖区内。" in response.content.decode()
    child.refresh_from_db()
    assert child.verified_at is None


# Demand survey


@pytest.fixture
def three_mothers(regions):
    """Three Bao'an mothers with known answers, plus two who must not count."""
    make_mother(
        full_name="甲",
        windows=[(d, 540, 900) for d in range(5)],  # school hours only, mornings, afternoons
        intended_post_modes=["self_chosen_slots", "take_home_piecework"],
        intended_location_modes=["community"],
        intended_employment_forms=["part_time_hourly"],
        intended_sectors=["ecommerce"],
        training_needs=["live_streaming"],
        hours_per_week=20,
    )
    make_mother(
        full_name="乙",
        windows=[(5, 480, 720), (2, 780, 1320)],  # Sat morning; Wed 13:00-22:00
        intended_post_modes=["take_home_piecework"],
        intended_location_modes=["at_home"],
        intended_employment_forms=["piecework"],
        intended_sectors=["handcraft", "ecommerce"],
        training_needs=["handicrafts", "live_streaming"],
        hours_per_week=24,
    )
    make_mother(full_name="丙", windows=[])  # nothing answered
    make_mother(full_name="天河", district=TIANHE, intended_post_modes=["take_home_piecework"])
    gone = make_mother(full_name="注销", intended_post_modes=["take_home_piecework"])
    applicant_anonymise(applicant=gone, requested_by=gone.user)


def _counts(survey) -> dict[str, dict[str, int]]:
    return {d.key: {row.value: row.count for row in d.rows} for d in survey.dimensions}


def test_staff_demand_survey_counts_answers_in_scope(staff_client, three_mothers):
    response = staff_client.get(reverse("applicants:staff-demand-survey"))

    survey = response.context["survey"]
    counts = _counts(survey)
    assert survey.total == 3
    assert counts["post_mode"]["take_home_piecework"] == 2
    assert counts["post_mode"]["self_chosen_slots"] == 1
    assert counts["post_mode"][""] == 1
    assert counts["location_mode"] == {
        "at_home": 1,
        "community": 1,
        "nearby": 0,
        "on_site": 0,
        "": 1,
    }
    assert counts["employment_form"]["part_time_hourly"] == 1
    assert counts["employment_form"]["piecework"] == 1
    assert counts["sector"]["ecommerce"] == 2
    assert counts["sector"]["handcraft"] == 1
    assert counts["training"]["live_streaming"] == 2
    assert counts["training"]["handicrafts"] == 1
    assert counts["hours"] == {"1-10": 0, "11-20": 1, "21-24": 1, "25-40": 0, "41+": 0, "": 1}
    assert counts["free_time"] == {
        "school_hours_only": 1,
        "weekday_mornings": 1,
        "weekday_afternoons": 2,
        "evenings": 1,
        "weekends": 1,
        "none": 1,
    }
    assert counts["district"] == {BAOAN: 3}
    post_modes = next(d for d in survey.dimensions if d.key == "post_mode")
    take_home = next(r for r in post_modes.rows if r.value == "take_home_piecework")
    assert str(take_home.share) == "66.7"
    content = response.content.decode()
    assert "流动妈妈岗（带回家做）" in content
    assert 'style="width: 66.7%"' in content
    assert 'aria-hidden="true"' in content


def test_staff_demand_survey_filters_by_district_and_category(client, bureau_admin, regions):
    staff_scope_grant(user=bureau_admin, region=regions["440300"], granted_by=None)
    make_mother(district=BAOAN)
    make_mother(district="440305")
    make_mother(district="440305", category=Applicant.Category.OTHER_CAREGIVER_CHILD)
    client.force_login(bureau_admin)
    url = reverse("applicants:staff-demand-survey")

    everyone = client.get(url).context["survey"]
    nanshan = client.get(url, {"district": "440305"}).context["survey"]
    nanshan_mothers = client.get(url, {"district": "440305", "category": "mother"}).context[
        "survey"
    ]

    assert everyone.total == 3
    assert _counts(everyone)["district"] == {"440305": 2, BAOAN: 1}
    assert nanshan.total == 2
    assert nanshan_mothers.total == 1


def test_staff_demand_survey_query_count_does_not_depend_on_applicants(staff_client, regions):
    for _index in range(3):
        make_mother(intended_post_modes=["take_home_piecework"])
    url = reverse("applicants:staff-demand-survey")
    staff_client.get(url)
    with CaptureQueriesContext(connection) as three:
        staff_client.get(url)
    for index in range(3):
        make_mother(
            intended_post_modes=["self_chosen_slots"],
            hours_per_week=10 + index,
            windows=[(5, 600, 720)],
        )
    with CaptureQueriesContext(connection) as six:
        response = staff_client.get(url)

    assert response.context["survey"].total == 6
    assert len(six) == len(three)


def test_staff_demand_survey_downloads_the_figures_as_csv(staff_client, three_mothers):
    response = staff_client.get(reverse("applicants:staff-demand-survey"), {"format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "调查部分,问题,选项,人数,占比（%）"
    assert "就业意向,意向妈妈岗类型,流动妈妈岗（带回家做）,2,66.7" in lines
    assert "家庭与可工作时间,可工作时间,周末,1,33.3" in lines


def test_staff_workspace_links_the_applicant_pages(staff_client):
    response = staff_client.get(reverse("accounts:staff-workspace"))

    content = response.content.decode()
    assert reverse("applicants:staff-applicant-list") in content
    assert reverse("applicants:staff-child-queue") in content
    assert reverse("applicants:staff-demand-survey") in content
