""" "Jobs for me": the ranking selector and the page in her area."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.selectors_jobs import jobs_for_applicant
from jobs.models import Job
from jobs.schedule import Window, windows_for
from tests.applicants.factories import make_mother
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

EVENINGS = windows_for(range(5), 18 * 60, 21 * 60)
URL = "/me/jobs/"


def _ranked(applicant) -> list[tuple[str, int]]:
    return [
        (job.title, score)
        for job, _fit, score in jobs_for_applicant(applicant=applicant, today=timezone.localdate())
    ]


def _in(district, **kwargs) -> Job:
    return make_job(
        district=district, employer=listed_employer(employer__district=district), **kwargs
    )


@pytest.fixture
def mother(applicant, shenzhen_guangzhou):
    """Bao'an, free Mon-Fri 09:00-15:00, intends housekeeping in the community."""
    return make_mother(
        user=applicant,
        district="440306",
        intended_sectors=["housekeeping"],
        intended_location_modes=[Job.LocationMode.COMMUNITY],
        intended_employment_forms=[Job.EmploymentForm.PART_TIME_HOURLY],
        intended_post_modes=[Job.PostMode.TASK_BASED],
    )


# The selector -------------------------------------------------------------------------


def test_jobs_for_applicant_ranks_a_fitting_same_district_post_first(mother, shenzhen_guangzhou):
    late_nanshan = _in(shenzhen_guangzhou["440305"], title="南山晚班", windows=EVENINGS)
    fitting = make_job(title="宝安上午保洁", sector="housekeeping")

    results = jobs_for_applicant(applicant=mother, today=timezone.localdate())

    assert [job.pk for job, _fit, _score in results] == [fitting.pk, late_nanshan.pk]
    (_job, fit, score), (_late, late_fit, late_score) = results
    # schedule 40 + district 20 + sector 10
    assert score == 70
    assert (fit.overlap_percent, fit.same_district) == (100, True)
    assert late_score == 0
    assert (late_fit.overlap_percent, late_fit.same_district) == (0, False)


def test_jobs_for_applicant_scores_each_intention_and_partial_time(mother, shenzhen_guangzhou):
    half = windows_for(range(5), 9 * 60, 12 * 60) + windows_for(range(5), 18 * 60, 21 * 60)
    make_job(
        title="全部意向",
        sector="housekeeping",
        location_mode=Job.LocationMode.COMMUNITY,
        employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
        post_modes=[Job.PostMode.TASK_BASED, Job.PostMode.SELF_CHOSEN_SLOTS],
    )
    make_job(title="一半时间", windows=half)

    assert _ranked(mother) == [("全部意向", 100), ("一半时间", 40)]


def test_jobs_for_applicant_counts_a_post_without_fixed_hours_as_fitting(
    mother, shenzhen_guangzhou
):
    _in(
        shenzhen_guangzhou["440305"],
        title="南山任务制",
        windows=[],
        location_mode=Job.LocationMode.AT_HOME,
    )
    _in(shenzhen_guangzhou["440305"], title="南山上午班", windows=[Window(0, 9 * 60, 12 * 60)])
    _in(shenzhen_guangzhou["440305"], title="南山晚班", windows=EVENINGS)

    ranked = _ranked(mother)

    assert ranked[:2] == [("南山上午班", 40), ("南山任务制", 40)]
    assert ranked[2] == ("南山晚班", 0)
    job, fit, _score = jobs_for_applicant(applicant=mother, today=timezone.localdate())[1]
    assert job.title == "南山任务制"
    assert fit.overlap_percent is None


def test_jobs_for_applicant_excludes_other_cities_on_site_posts(mother, shenzhen_guangzhou):
    tianhe = shenzhen_guangzhou["440106"]
    _in(tianhe, title="天河在单位")
    _in(tianhe, title="天河在家做", location_mode=Job.LocationMode.AT_HOME)
    _in(tianhe, title="天河远程", employment_form=Job.EmploymentForm.REMOTE)
    _in(shenzhen_guangzhou["440305"], title="南山在单位")
    make_job(title="宝安已结束", publish=False)

    titles = {title for title, _score in _ranked(mother)}

    assert titles == {"天河在家做", "天河远程", "南山在单位"}


def test_jobs_for_applicant_without_free_windows_ranks_by_district_and_intentions(
    applicant, shenzhen_guangzhou
):
    mother = make_mother(user=applicant, windows=[], intended_sectors=["housekeeping"])
    make_job(title="宝安电商")
    _in(
        shenzhen_guangzhou["440305"],
        title="南山家政",
        sector="housekeeping",
        windows=[],
        location_mode="at_home",
    )
    _in(shenzhen_guangzhou["440305"], title="南山电商", windows=[], location_mode="at_home")

    assert _ranked(mother) == [("宝安电商", 20), ("南山家政", 10), ("南山电商", 0)]


def test_jobs_for_applicant_respects_the_limit_newest_first_on_ties(mother, shenzhen_guangzhou):
    employer = listed_employer()
    for n in range(4):
        make_job(employer=employer, title=f"同分{n}")

    results = jobs_for_applicant(applicant=mother, today=timezone.localdate(), limit=3)

    assert [job.title for job, _fit, _score in results] == ["同分3", "同分2", "同分1"]


def test_jobs_for_applicant_query_count_is_constant(
    mother, shenzhen_guangzhou, django_assert_num_queries
):
    make_job(title="一")
    make_job(title="二")
    with django_assert_num_queries(3):  # her windows, the posts, their windows
        assert len(jobs_for_applicant(applicant=mother, today=timezone.localdate())) == 2

    nanshan = shenzhen_guangzhou["440305"]
    for n in range(4):
        _in(
            nanshan,
            title=f"南山{n}",
            windows=[Window(n, 9 * 60, 11 * 60), Window(n, 13 * 60, 20 * 60)],
        )

    with django_assert_num_queries(3):
        assert len(jobs_for_applicant(applicant=mother, today=timezone.localdate())) == 6


# The page -------------------------------------------------------------------------------


def test_my_jobs_requires_login_and_the_applicant_permission(client, employer_member):
    assert client.get(URL).status_code == HTTPStatus.FOUND
    client.force_login(employer_member)
    assert client.get(URL).status_code == HTTPStatus.FORBIDDEN


def test_my_jobs_without_a_profile_links_to_creating_it(client, applicant):
    client.force_login(applicant)

    response = client.get(URL)

    assert response.status_code == HTTPStatus.OK
    assert reverse("applicants:me-profile-create") in response.content.decode()


def test_my_jobs_shows_ranked_cards_with_the_fit_line(client, mother, shenzhen_guangzhou):
    _in(shenzhen_guangzhou["440305"], title="南山晚班", windows=EVENINGS)
    make_job(title="宝安上午保洁", sector="housekeeping")
    partial = windows_for(range(5), 9 * 60, 12 * 60) + windows_for(range(5), 13 * 60, 17 * 60)
    make_job(title="宝安下午班", windows=partial)
    client.force_login(mother.user)

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert html.index("宝安上午保洁") < html.index("宝安下午班") < html.index("南山晚班")
    assert "时间完全匹配 · 同区 · 意向行业" in html
    assert "时间匹配 71% · 同区" in html
    assert "时间匹配 0%" in html
    assert "25–30元/小时" in html
    assert reverse("applicants:me-availability") not in html


def test_my_jobs_nudges_to_fill_availability_and_intentions(client, applicant, shenzhen_guangzhou):
    make_mother(user=applicant, windows=[])
    make_job(title="宝安上午班")
    client.force_login(applicant)

    html = client.get(URL).content.decode()

    assert reverse("applicants:me-availability") in html
    assert reverse("applicants:me-intentions") in html
    assert "时间完全匹配" not in html
    assert "宝安上午班" in html


def test_my_jobs_query_count_is_constant(client, mother, shenzhen_guangzhou):
    client.force_login(mother.user)
    make_job(title="一")
    make_job(title="二")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == HTTPStatus.OK
    two = len(ctx.captured_queries)

    nanshan = shenzhen_guangzhou["440305"]
    for n in range(4):
        _in(nanshan, title=f"南山{n}", street=None)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)

    assert len(response.context["cards"]) == 6
    assert len(ctx.captured_queries) == two
