"""The public search page, the post page and the employer profile's link to its posts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers.models import RegistryEdition, RegistryEntry
from employers.selectors_public import employer_open_post_counts
from jobs.models import Job
from jobs.schedule import Window, windows_for
from jobs.services import job_close
from tests.accounts.factories import UserFactory
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

LIST_URL = "/jobs/"


def _get(client, url: str, **params):
    response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK
    return response, response.content.decode()


def _result_ids(response) -> list[int]:
    return [card.job.pk for card in response.context["cards"]]


def test_job_list_route_names_are_kept():
    assert reverse("jobs:job-list") == LIST_URL
    assert reverse("jobs:job-detail", kwargs={"pk": 7}) == "/jobs/7/"


# The list page ----------------------------------------------------------------


def test_job_list_shows_cards_with_pay_times_place_and_badges(client, shenzhen_guangzhou):
    job = make_job(title="电商直播主播招聘")

    response, html = _get(client, LIST_URL)

    assert _result_ids(response) == [job.pk]
    assert "电商直播主播招聘" in html
    assert job.employer.name in html
    assert "宝安区" in html
    assert "25–30元/小时" in html
    assert "周一至周五 09:00–15:00" in html
    assert "方便接送" in html
    assert "宝妈班组（自选时段）" in html
    assert "共 1 个岗位" in html
    assert 'type="application/atom+xml"' in html


def test_job_list_shows_hourly_equivalent_when_not_paid_by_the_hour(client, shenzhen_guangzhou):
    make_job(
        title="手工串珠",
        pay_unit=Job.PayUnit.PIECE,
        pay_min=Decimal("1.50"),
        pay_max=Decimal("2.00"),
        pieces_per_hour=Decimal("20"),
        location_mode=Job.LocationMode.AT_HOME,
        windows=[],
    )

    _response, html = _get(client, LIST_URL)

    assert "1.5–2元/件" in html
    assert "折合约30–40元/小时" in html
    assert "时间自由安排" in html


def test_job_list_preset_is_one_link_that_fills_free(client, shenzhen_guangzhou):
    fits = make_job(title="上午班")
    late = make_job(title="晚班", windows=windows_for(range(5), 18 * 60, 21 * 60))

    response, _html = _get(client, LIST_URL, q="班")
    label, url, active = response.context["presets"][0]
    assert str(label) == "工作日 9:00–15:00"
    assert not active
    assert parse_qs(urlsplit(url).query) == {"q": ["班"], "free": ["1-5@09:00-15:00"]}

    response, html = _get(client, url)

    assert _result_ids(response) == [fits.pk]
    assert late.pk not in _result_ids(response)
    assert response.context["presets"][0][2] is True
    assert "空闲：周一至周五 09:00–15:00" in html


def test_job_list_custom_picker_redirects_to_a_shareable_free_url(client, shenzhen_guangzhou):
    response = client.get(
        LIST_URL,
        {"q": "客服", "fd": ["1", "3"], "ff": "08:30", "ft": "11:30", "free": "6-7@08:00-20:00"},
    )

    assert response.status_code == HTTPStatus.FOUND
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"q": ["客服"], "free": ["6-7@08:00-20:00", "1,3@08:30-11:30"]}


def test_job_list_custom_picker_without_a_day_shows_an_error(client, shenzhen_guangzhou):
    make_job()

    response, html = _get(client, LIST_URL, add_free="1", ff="09:00", ft="15:00")

    assert "请至少选择一天" in html
    assert _result_ids(response) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"free": "weekdays"}, "我的空闲时间"),
        ({"min_hourly": "lots"}, "最低时薪"),
        ({"district": "4403"}, "区县代码应为6位数字"),
        ({"mode": "nonsense"}, "妈妈岗类型"),
    ],
)
def test_job_list_invalid_filter_shows_message_and_no_results(
    client, shenzhen_guangzhou, params, message
):
    make_job()

    response, html = _get(client, LIST_URL, **params)

    assert response.context["valid"] is False
    assert _result_ids(response) == []
    assert "搜索条件有误" in html
    assert message in html
    assert "共 " not in html


def test_job_list_pagination_keeps_every_parameter(client, shenzhen_guangzhou):
    employer = listed_employer()
    for n in range(21):
        make_job(employer=employer, title=f"客服{n}")

    response, html = _get(
        client, LIST_URL, q="客服", free=["1-5@09:00-15:00", "6@09:00-10:00"], sort="pay"
    )

    assert len(_result_ids(response)) == 20
    assert "共 21 个岗位" in html
    next_url = response.context["page_obj"].next_page_number()
    assert next_url == 2
    link = (
        next(line for line in html.splitlines() if "下一页" in line and "href" in line)
        .split('href="')[1]
        .split('"')[0]
    )
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query == {
        "q": ["客服"],
        "free": ["1-5@09:00-15:00", "6@09:00-10:00"],
        "sort": ["pay"],
        "page": ["2"],
    }
    response, _html = _get(client, LIST_URL + "?" + urlsplit(link.replace("&amp;", "&")).query)
    assert len(_result_ids(response)) == 1


def test_job_list_offers_relevance_sort_only_with_keywords(client, shenzhen_guangzhou):
    make_job()

    response, _html = _get(client, LIST_URL)
    assert [str(label) for label, _url, _active in response.context["sorts"]] == [
        "最新发布",
        "时薪最高",
    ]

    response, _html = _get(client, LIST_URL, q="直播")
    sorts = response.context["sorts"]
    assert [str(label) for label, _url, _active in sorts] == ["最新发布", "时薪最高", "最相关"]
    assert sorts[2][2] is True  # relevance is the default with keywords


def test_job_list_facets_next_to_options(client, shenzhen_guangzhou):
    make_job(post_modes=[Job.PostMode.TAKE_HOME, Job.PostMode.SELF_CHOSEN_SLOTS])
    make_job()

    response, html = _get(client, LIST_URL)

    modes = {o[0]: o[2] for o in response.context["option_groups"][0]["options"]}
    assert modes[Job.PostMode.SELF_CHOSEN_SLOTS] == 2
    assert modes[Job.PostMode.TAKE_HOME] == 1
    assert modes[Job.PostMode.ON_DEMAND_LEAVE] == 0
    assert "宝安区 (2)" in html


def test_job_list_share_note_holds_the_url(client, shenzhen_guangzhou):
    _response, html = _get(client, LIST_URL, q="保洁", free="1-5@09:00-15:00")
    assert "分享这次搜索" in html
    assert "http://testserver/jobs/?q=" in html


def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["", "?q=客服&free=1-5@09:00-15:00&sort=pay"])
def test_job_list_query_count_is_independent_of_row_count(client, shenzhen_guangzhou, query):
    nanshan = shenzhen_guangzhou["440305"]
    make_job(title="客服0")
    one_row = _list_queries(client, LIST_URL + query)

    for n in range(14):
        district = nanshan if n % 2 else shenzhen_guangzhou["440306"]
        make_job(
            title=f"客服{n + 1}",
            district=district,
            employer=listed_employer(employer__district=district),
            windows=[Window(n % 5, 9 * 60, 12 * 60), Window(n % 5, 13 * 60, 15 * 60)],
        )

    assert _list_queries(client, LIST_URL + query) == one_row
    # facets (also the count) + page + windows + region options
    assert one_row == 4


# The post page ----------------------------------------------------------------


def test_job_detail_shows_everything_a_mother_needs(client, shenzhen_guangzhou):
    job = make_job(
        title="电商直播助理",
        windows=[*windows_for([0, 2], 9 * 60, 12 * 60), Window(4, 13 * 60, 15 * 60)],
        other_requirements="需要健康证",
        promotion_path="助理→主播",
    )

    response, html = _get(client, job.get_absolute_url())

    for text in (
        "电商直播助理",
        "周一",
        "09:00–12:00",
        "13:00–15:00",
        "休息",
        "在单位",
        "宝安区",
        "新安街道创业路1号",
        "25–30元/小时",
        "每 30 天结算一次",
        "签订，期限 12 个月",
        "工伤保险",
        "提供",
        "助理→主播",
        "需要健康证",
        "全日制（弹性工时）",
        "宝妈班组（自选时段）",
        "登录后申请",
        job.employer.name,
    ):
        assert text in html, text
    assert job.employer.contact_phone not in html
    assert reverse("employers:employer-public", kwargs={"pk": job.employer.pk}) in html
    assert f"{reverse('accounts:login')}?next=/jobs/{job.pk}/" in html
    assert reverse("accounts:register", kwargs={"kind": "mother"}) in html
    assert "即将开放" not in html
    assert response.context["ended"] is False


def test_job_detail_shows_the_latest_registry_edition_listing_the_employer(
    client, shenzhen_guangzhou
):
    job = make_job()
    employer = job.employer
    baoan, nanshan = shenzhen_guangzhou["440306"], shenzhen_guangzhou["440305"]

    def edition(region, number, usccs):
        RegistryEdition.objects.create(
            region=region,
            number=number,
            employer_count=len(usccs),
            content=[{"uscc": u, "name": "x"} for u in usccs],
            content_sha256="0" * 64,
            diff={},
        )

    edition(baoan, 1, [employer.uscc])
    edition(baoan, 2, ["91440300MA5XXXXX0X", employer.uscc])
    edition(baoan, 3, ["91440300MA5XXXXX0X"])  # left out of the newest one
    edition(nanshan, 9, [employer.uscc])  # another district's edition

    _response, html = _get(client, job.get_absolute_url())

    assert "已列入 宝安区 第2期名录" in html
    assert (
        reverse("employers:registry-edition", kwargs={"region_code": "440306", "number": 2}) in html
    )


def test_job_detail_says_when_not_in_a_published_edition_yet(client, shenzhen_guangzhou):
    job = make_job()
    _response, html = _get(client, job.get_absolute_url())
    assert "尚未出现在已发布的名录中" in html


def _hide(job: Job, how: str) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    if how == "taken_down":
        Job.objects.filter(pk=job.pk).update(status=Job.Status.TAKEN_DOWN)
    elif how == "submitted":
        Job.objects.filter(pk=job.pk).update(status=Job.Status.SUBMITTED, published_at=None)
    elif how == "suspended_employer":
        RegistryEntry.objects.filter(employer=job.employer).update(
            status=RegistryEntry.Status.SUSPENDED
        )
    elif how == "not_started":
        Job.objects.filter(pk=job.pk).update(
            valid_from=yesterday + datetime.timedelta(days=5),
            valid_until=yesterday + datetime.timedelta(days=30),
        )
    elif how == "expired_never_published":
        Job.objects.filter(pk=job.pk).update(status=Job.Status.EXPIRED, published_at=None)


@pytest.mark.parametrize(
    "how",
    [
        "draft",
        "submitted",
        "taken_down",
        "suspended_employer",
        "not_started",
        "expired_never_published",
    ],
)
def test_job_detail_is_404_for_posts_that_are_not_public(client, shenzhen_guangzhou, how):
    job = make_job(publish=how != "draft")
    _hide(job, how)

    assert client.get(job.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert job.pk not in _result_ids(client.get(LIST_URL))


def test_job_detail_of_an_expired_post_shows_the_ended_notice(client, shenzhen_guangzhou):
    job = make_job()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.EXPIRED, valid_from=yesterday, valid_until=yesterday
    )

    response, html = _get(client, job.get_absolute_url())

    assert response.context["ended"] is True
    assert "已结束" in html
    assert "已于" in html
    assert "登录后申请" not in html
    assert job.pk not in _result_ids(client.get(LIST_URL))


def test_job_detail_of_a_post_past_its_end_date_shows_the_ended_notice(client, shenzhen_guangzhou):
    job = make_job()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Job.objects.filter(pk=job.pk).update(valid_from=yesterday, valid_until=yesterday)

    response, html = _get(client, job.get_absolute_url())

    assert response.context["ended"] is True
    assert "登录后申请" not in html


def test_job_detail_of_a_closed_post_shows_the_ended_notice(client, shenzhen_guangzhou):
    job = make_job()
    job_close(job=job, closed_by=UserFactory(), reason=Job.CloseReason.FILLED)

    _response, html = _get(client, job.get_absolute_url())

    assert "已结束" in html
    assert "已招满" in html
    assert "登录后申请" not in html


def test_job_detail_of_a_closed_post_of_a_delisted_employer_is_404(client, shenzhen_guangzhou):
    job = make_job()
    job_close(job=job, closed_by=UserFactory(), reason=Job.CloseReason.WITHDRAWN)
    RegistryEntry.objects.filter(employer=job.employer).update(status=RegistryEntry.Status.REMOVED)

    assert client.get(job.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_job_detail_query_count(client, shenzhen_guangzhou, django_assert_num_queries):
    job = make_job()
    # post + windows + registry edition
    with django_assert_num_queries(3):
        client.get(job.get_absolute_url())


# The employer profile's posts ---------------------------------------------------


def test_employer_open_post_counts_counts_public_posts_in_one_query(
    shenzhen_guangzhou, django_assert_num_queries
):
    employer = listed_employer()
    other = listed_employer()
    make_job(employer=employer)
    make_job(employer=employer)
    make_job(employer=employer, publish=False)  # draft
    closed = make_job(employer=employer)
    job_close(job=closed, closed_by=UserFactory(), reason=Job.CloseReason.FILLED)
    ended = make_job(employer=employer)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Job.objects.filter(pk=ended.pk).update(valid_from=yesterday, valid_until=yesterday)
    make_job(employer=other)

    with django_assert_num_queries(1):
        counts = employer_open_post_counts(employer_ids=[employer.pk, other.pk, 999999])

    assert counts == {employer.pk: 2, other.pk: 1}
    assert employer_open_post_counts(employer_ids=[]) == {}


def test_employer_profile_links_to_its_posts_in_search(client, shenzhen_guangzhou):
    job = make_job()
    make_job()  # another employer's

    _response, html = _get(
        client, reverse("employers:employer-public", kwargs={"pk": job.employer.pk})
    )
    url = f"/jobs/?employer={job.employer.pk}"
    assert url in html
    assert "该单位有 1 个在招妈妈岗" in html

    response, html = _get(client, url)
    assert _result_ids(response) == [job.pk]
    assert f"单位：{job.employer.name}" in html
