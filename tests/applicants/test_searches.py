"""Saved searches: the services, the digests and the pages (her area and the job list)."""

from __future__ import annotations

import datetime
from http import HTTPStatus
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import SavedSearch
from applicants.services.saved_searches import (
    DIGEST_KIND,
    MAX_SAVED_SEARCHES,
    saved_search_create,
    saved_search_delete,
    saved_search_normalise_query,
    saved_search_update,
    saved_searches_send_digests,
)
from jobs.models import Job
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent, Notification
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def _published(job: Job, at: datetime.datetime) -> Job:
    Job.objects.filter(pk=job.pk).update(published_at=at)
    return job


def _save(user, query: str = "q=保洁&district=440306", **kwargs) -> SavedSearch:
    kwargs.setdefault("name", "保洁 宝安")
    kwargs.setdefault("frequency", SavedSearch.Frequency.DAILY)
    return saved_search_create(user=user, query=query, **kwargs)


# Create, normalise, validate --------------------------------------------------------


def test_normalise_query_keeps_known_parameters_sorted_without_page_and_sort():
    query = (
        "?sort=pay&page=3&q=保洁&fd=1&mode=task_based_free_hours&mode=new_business_form&x=1&city="
    )

    normalised = saved_search_normalise_query(query)

    assert parse_qs(normalised) == {
        "mode": ["new_business_form", "task_based_free_hours"],
        "q": ["保洁"],
    }
    assert normalised.index("mode=") < normalised.index("q=")
    assert saved_search_normalise_query(
        "q=保洁&mode=task_based_free_hours&mode=new_business_form"
    ) == (normalised)


def test_saved_search_create_stores_normalised_query_and_audits(applicant, shenzhen_guangzhou):
    now = timezone.now()

    search = _save(applicant, query="district=440306&page=2&q=保洁", now=now)

    assert search.query == saved_search_normalise_query("q=保洁&district=440306")
    assert search.last_sent_at == now
    assert search.user == applicant
    event = AuditEvent.objects.get(action="saved_search.created")
    assert event.object_id == str(search.pk)
    assert event.actor == applicant


@pytest.mark.parametrize(
    ("query", "message"),
    [("district=4403", "区县代码"), ("mode=nonsense", "妈妈岗类型"), ("free=weekdays", "空闲时间")],
)
def test_saved_search_create_refuses_invalid_query(applicant, query, message):
    with pytest.raises(ValidationError) as excinfo:
        _save(applicant, query=query)

    assert message in str(excinfo.value.message_dict["query"])
    assert not SavedSearch.objects.exists()


def test_saved_search_create_refuses_the_same_search_twice(applicant):
    _save(applicant, query="q=保洁&sort=pay")

    with pytest.raises(ValidationError) as excinfo:
        _save(applicant, query="page=2&q=保洁", name="另一个名字")

    assert "已经保存过" in str(excinfo.value.message_dict["query"])
    assert SavedSearch.objects.count() == 1


def test_saved_search_create_allows_the_same_search_for_another_user(applicant, make_user):
    _save(applicant)
    _save(make_user("applicant"))

    assert SavedSearch.objects.count() == 2


def test_saved_search_create_refuses_more_than_the_limit(applicant):
    for n in range(MAX_SAVED_SEARCHES):
        _save(applicant, query=f"min_hourly={n + 1}", name=f"搜索{n}")

    with pytest.raises(DomainError) as excinfo:
        _save(applicant, query="q=客服")

    assert excinfo.value.code == "saved_search_limit"
    assert SavedSearch.objects.count() == MAX_SAVED_SEARCHES


def test_saved_search_create_refuses_an_unknown_frequency(applicant):
    with pytest.raises(ValidationError) as excinfo:
        _save(applicant, frequency="hourly")

    assert "frequency" in excinfo.value.message_dict


def test_saved_search_update_renames_and_restarts_when_turned_back_on(applicant):
    created = timezone.now() - 10 * DAY
    search = _save(applicant, frequency=SavedSearch.Frequency.NEVER, now=created)
    now = timezone.now()

    saved_search_update(
        saved_search=search, by=applicant, name="宝安保洁", frequency="weekly", now=now
    )

    search.refresh_from_db()
    assert (search.name, search.frequency, search.last_sent_at) == ("宝安保洁", "weekly", now)
    assert AuditEvent.objects.filter(action="saved_search.updated").count() == 1


def test_saved_search_update_and_delete_refuse_another_user(applicant, make_user):
    search = _save(applicant)
    other = make_user("applicant")

    with pytest.raises(DomainError):
        saved_search_update(saved_search=search, by=other, name="x", frequency="daily")
    with pytest.raises(DomainError):
        saved_search_delete(saved_search=search, by=other)

    search.refresh_from_db()
    assert search.name == "保洁 宝安"


def test_saved_search_delete_deletes_and_audits(applicant):
    search = _save(applicant)

    saved_search_delete(saved_search=search, by=applicant)

    assert not SavedSearch.objects.exists()
    assert AuditEvent.objects.filter(action="saved_search.deleted").count() == 1


# Digests -------------------------------------------------------------------------------


def test_digest_lists_only_posts_published_since_the_last_one(applicant, shenzhen_guangzhou):
    now = timezone.now()
    search = _save(applicant, query="q=保洁", now=now - DAY)
    _published(make_job(title="保洁员（旧）"), now - 2 * DAY)
    new = _published(make_job(title="保洁员（上午班）"), now - HOUR)
    _published(make_job(title="直播助理"), now - HOUR)

    assert saved_searches_send_digests(frequency="daily", now=now) == 1

    notification = Notification.objects.get(recipient=applicant)
    assert notification.kind == DIGEST_KIND
    assert notification.title == "“保洁 宝安”有 1 个新岗位"
    assert "保洁员（上午班）" in notification.body
    assert new.employer.name in notification.body
    assert "宝安区" in notification.body
    assert f"/jobs/{new.pk}/" in notification.body
    assert "保洁员（旧）" not in notification.body
    assert "直播助理" not in notification.body
    assert notification.link == f"/jobs/?{search.query}"
    search.refresh_from_db()
    assert search.last_sent_at == now


def test_digest_is_not_sent_twice_for_the_same_moment(applicant, shenzhen_guangzhou):
    now = timezone.now()
    _save(applicant, query="q=保洁", now=now - DAY)
    _published(make_job(title="保洁员"), now - HOUR)

    assert saved_searches_send_digests(frequency="daily", now=now) == 1
    assert saved_searches_send_digests(frequency="daily", now=now) == 0
    assert saved_searches_send_digests(frequency="daily", now=now + 22 * HOUR) == 0

    assert Notification.objects.count() == 1


def test_digest_without_new_posts_only_moves_last_sent_at(applicant, shenzhen_guangzhou):
    now = timezone.now()
    search = _save(applicant, query="q=保洁", now=now - DAY)
    _published(make_job(title="直播助理"), now - HOUR)

    assert saved_searches_send_digests(frequency="daily", now=now) == 0

    assert not Notification.objects.exists()
    search.refresh_from_db()
    assert search.last_sent_at == now


@pytest.mark.parametrize(
    ("frequency", "age", "due"),
    [
        ("daily", datetime.timedelta(hours=22, minutes=59), False),
        ("daily", datetime.timedelta(hours=23), True),
        ("weekly", datetime.timedelta(days=6, hours=22), False),
        ("weekly", datetime.timedelta(days=6, hours=23), True),
    ],
)
def test_digest_is_due_after_23_hours_or_6_days_23_hours(
    applicant, shenzhen_guangzhou, frequency, age, due
):
    now = timezone.now()
    _save(applicant, query="q=保洁", frequency=frequency, now=now - age)
    _published(make_job(title="保洁员"), now - HOUR)

    assert saved_searches_send_digests(frequency=frequency, now=now) == int(due)


def test_digest_of_one_frequency_leaves_the_others_alone(applicant, shenzhen_guangzhou):
    now = timezone.now()
    weekly = _save(applicant, query="q=保洁", frequency="weekly", now=now - 8 * DAY)
    _save(applicant, query="q=保洁员", frequency="never", now=now - 8 * DAY)
    _published(make_job(title="保洁员"), now - HOUR)

    assert saved_searches_send_digests(frequency="daily", now=now) == 0

    weekly.refresh_from_db()
    assert weekly.last_sent_at == now - 8 * DAY
    with pytest.raises(ValueError, match="never"):
        saved_searches_send_digests(frequency="never", now=now)


def test_digest_skips_inactive_users(make_user, shenzhen_guangzhou):
    now = timezone.now()
    user = make_user("applicant", is_active=False)
    _save(user, query="q=保洁", now=now - DAY)
    _published(make_job(title="保洁员"), now - HOUR)

    assert saved_searches_send_digests(frequency="daily", now=now) == 0
    assert not Notification.objects.exists()


def test_digest_lists_at_most_ten_newest_posts(applicant, shenzhen_guangzhou):
    now = timezone.now()
    _save(applicant, query="q=保洁", now=now - DAY)
    employer = listed_employer()
    for n in range(12):
        _published(make_job(employer=employer, title=f"保洁员{n:02d}"), now - (12 - n) * HOUR / 2)

    saved_searches_send_digests(frequency="daily", now=now)

    notification = Notification.objects.get()
    assert notification.title == "“保洁 宝安”有 10 个以上新岗位"
    assert "保洁员11" in notification.body
    assert "保洁员02" in notification.body
    assert "保洁员01" not in notification.body


def test_digest_is_e_mailed_when_she_has_an_address(
    applicant, make_user, shenzhen_guangzhou, django_capture_on_commit_callbacks
):
    now = timezone.now()
    no_email = make_user("applicant", email="")
    _save(applicant, query="q=保洁", now=now - DAY)
    _save(no_email, query="q=保洁", now=now - DAY)
    _published(make_job(title="保洁员"), now - HOUR)

    with django_capture_on_commit_callbacks(execute=True):
        assert saved_searches_send_digests(frequency="daily", now=now) == 2

    assert [message.to for message in mail.outbox] == [[applicant.email]]
    assert "“保洁 宝安”有 1 个新岗位" in mail.outbox[0].subject
    assert "保洁员" in mail.outbox[0].body
    assert Notification.objects.count() == 2


def _digest_queries(now: datetime.datetime) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        sent = saved_searches_send_digests(frequency="daily", now=now)
    return sent, len(ctx.captured_queries)


def test_digest_costs_at_most_one_query_per_saved_search(make_user, shenzhen_guangzhou):
    now = timezone.now()
    _published(make_job(title="保洁员"), now - HOUR)
    for n in range(2):
        _save(make_user("applicant"), query=f"q=保洁&min_hourly={n}", now=now - DAY)
    two = _digest_queries(now)

    later = now + DAY
    _published(make_job(title="保洁员二"), later - HOUR)
    for n in range(3):
        _save(make_user("applicant"), query=f"q=保洁&min_hourly={n + 2}", now=later - DAY)
    five = _digest_queries(later)

    assert (two[0], five[0]) == (2, 5)
    assert five[1] - two[1] <= 3


# Pages ----------------------------------------------------------------------------------


def test_search_pages_require_login_and_the_applicant_permission(client, employer_member):
    urls = [reverse("applicants:me-search-list"), reverse("applicants:me-search-save")]
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.FOUND
    client.force_login(employer_member)
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_search_list_shows_her_searches_with_readable_filters(
    client, applicant, make_user, shenzhen_guangzhou
):
    search = _save(
        applicant, query="q=保洁&district=440306&school_run=1&free=1-5@09:00-15:00", name="宝安保洁"
    )
    _save(make_user("applicant"), name="别人的搜索")
    client.force_login(applicant)

    response = client.get(reverse("applicants:me-search-list"))

    html = response.content.decode()
    assert "宝安保洁" in html
    assert "关键词：保洁" in html
    assert "宝安区" in html
    assert "方便接送孩子" in html
    assert "空闲：周一至周五 09:00–15:00" in html
    assert "每天" in html
    assert "别人的搜索" not in html
    assert f'href="/jobs/?{search.query}"'.replace("&", "&amp;") in html
    assert reverse("applicants:me-search-edit", args=[search.pk]) in html


def test_search_list_query_count_is_constant(client, applicant, shenzhen_guangzhou):
    employer = listed_employer()
    client.force_login(applicant)
    for n in range(2):
        _save(
            applicant, query=f"district=440306&employer={employer.pk}&min_hourly={n}", name=f"s{n}"
        )
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("applicants:me-search-list"))
    two = len(ctx.captured_queries)
    for n in range(2, 6):
        _save(
            applicant, query=f"district=440305&employer={employer.pk}&min_hourly={n}", name=f"s{n}"
        )

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("applicants:me-search-list"))

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["rows"]) == 6
    assert f"单位：{employer.name}" in response.content.decode()
    assert len(ctx.captured_queries) == two


def test_search_save_from_the_job_list_creates_it_with_a_default_name(
    client, applicant, shenzhen_guangzhou
):
    client.force_login(applicant)

    response = client.post(
        reverse("applicants:me-search-save"),
        {"query": "q=保洁&district=440306&page=2", "frequency": "weekly"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("applicants:me-search-list")
    search = SavedSearch.objects.get(user=applicant)
    assert search.name == "保洁 宝安区"
    assert search.frequency == "weekly"
    assert search.query == saved_search_normalise_query("q=保洁&district=440306")


def test_search_save_shows_the_error_for_an_invalid_or_duplicate_query(client, applicant):
    client.force_login(applicant)
    url = reverse("applicants:me-search-save")

    response = client.post(url, {"query": "district=4403", "frequency": "daily"})
    assert response.status_code == HTTPStatus.OK
    assert "区县代码" in response.content.decode()

    client.post(url, {"query": "q=保洁", "frequency": "daily"})
    response = client.post(url, {"query": "q=保洁", "frequency": "daily", "name": "又一个"})
    assert response.status_code == HTTPStatus.OK
    assert "已经保存过" in response.content.decode()
    assert SavedSearch.objects.count() == 1


def test_search_save_get_shows_the_form_for_a_query(client, applicant, shenzhen_guangzhou):
    client.force_login(applicant)

    response = client.get(reverse("applicants:me-search-save"), {"query": "q=保洁&city=440300"})

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "关键词：保洁" in html
    assert "深圳市" in html
    assert "保洁 深圳市" in html


def test_search_edit_renames_and_changes_frequency(client, applicant):
    search = _save(applicant)
    client.force_login(applicant)
    url = reverse("applicants:me-search-edit", args=[search.pk])

    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(url, {"name": "宝安的保洁", "frequency": "never"})

    assert response.status_code == HTTPStatus.FOUND
    search.refresh_from_db()
    assert (search.name, search.frequency) == ("宝安的保洁", "never")


def test_search_edit_asks_for_a_name(client, applicant):
    search = _save(applicant)
    client.force_login(applicant)

    response = client.post(
        reverse("applicants:me-search-edit", args=[search.pk]), {"name": "", "frequency": "daily"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "请填写名称" in response.content.decode()


def test_search_delete_is_post_only_and_deletes(client, applicant):
    search = _save(applicant)
    client.force_login(applicant)
    url = reverse("applicants:me-search-delete", args=[search.pk])

    assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = client.post(url)

    assert response.status_code == HTTPStatus.FOUND
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize("name", ["me-search-edit", "me-search-delete"])
def test_another_users_saved_search_is_404(client, applicant, make_user, name):
    search = _save(make_user("applicant"))
    client.force_login(applicant)
    url = reverse(f"applicants:{name}", args=[search.pk])

    response = client.post(url, {"name": "x", "frequency": "daily"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse(f"applicants:{name}", args=[search.pk + 1000])).status_code == (
        HTTPStatus.NOT_FOUND
    )
    search.refresh_from_db()
    assert search.name == "保洁 宝安"


# The job list's "save this search" ------------------------------------------------------------


def test_job_list_offers_saving_the_search_to_her(client, applicant, shenzhen_guangzhou):
    make_job(title="保洁员")
    client.force_login(applicant)

    html = client.get("/jobs/", {"q": "保洁", "district": "440306"}).content.decode()

    assert "保存搜索并订阅新岗位提醒" in html
    assert f'action="{reverse("applicants:me-search-save")}"' in html
    assert 'name="query" value="q=%E4%BF%9D%E6%B4%81&amp;district=440306"' in html


def test_job_list_asks_anonymous_visitors_to_log_in_first(client, shenzhen_guangzhou):
    html = client.get("/jobs/", {"q": "保洁"}).content.decode()

    assert "后可以保存这次搜索" in html
    assert reverse("accounts:login") + "?next=" in html
    assert reverse("applicants:me-search-save") not in html


def test_job_list_does_not_offer_saving_to_employers(client, employer_member, shenzhen_guangzhou):
    client.force_login(employer_member)

    html = client.get("/jobs/").content.decode()

    assert "保存搜索并订阅新岗位提醒" not in html


def test_job_list_form_posts_and_creates_the_saved_search(client, applicant, shenzhen_guangzhou):
    make_job(title="保洁员")
    client.force_login(applicant)
    page = client.get("/jobs/", {"q": "保洁", "school_run": "1"})
    query = page.context["request"].GET.urlencode()

    response = client.post(
        reverse("applicants:me-search-save"), {"query": query, "frequency": "daily"}
    )

    assert response.status_code == HTTPStatus.FOUND
    search = SavedSearch.objects.get(user=applicant)
    assert parse_qs(search.query) == {"q": ["保洁"], "school_run": ["1"]}
    assert search.name == "保洁 方便接送孩子"
