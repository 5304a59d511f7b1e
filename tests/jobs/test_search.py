"""The public search: JobFilter (keywords, filters, "fits my time", sorting) and facets."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from jobs.filters import JobFilter, job_facets, parse_free
from jobs.models import Job
from jobs.schedule import Window, fits_inside, windows_for
from jobs.selectors import job_list_public
from mamagang.regions.models import Region
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

H = 60


def _filterset(query: str) -> JobFilter:
    return JobFilter(QueryDict(query), queryset=job_list_public(today=timezone.localdate()))


def _search(query: str) -> list[Job]:
    filterset = _filterset(query)
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def _titles(query: str) -> set[str]:
    return {job.title for job in _search(query)}


def _plain(title: str, **overrides) -> Job:
    """A post whose indexed text contains nothing but `title` and neutral words."""
    overrides.setdefault("occupation", "普工")
    overrides.setdefault("description", "工作认真负责。")
    return make_job(title=title, **overrides)


# Keywords -------------------------------------------------------------------


@pytest.fixture
def keyword_posts(shenzhen_guangzhou):
    _plain("电商直播主播招聘")
    _plain("家政服务员")
    _plain("客服专员")
    _plain("写字楼保洁")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("直播", {"电商直播主播招聘"}),
        ("服务", {"家政服务员"}),
        ("家政服务员", {"家政服务员"}),
        ("客服", {"客服专员"}),
        ("保洁", {"写字楼保洁"}),
        ("会计", set()),
        ("直播 保洁", set()),  # every word must match
    ],
)
def test_job_filter_q_finds_two_character_words(keyword_posts, q, expected):
    assert _titles(f"q={q}") == expected


def test_job_filter_q_without_words_keeps_everything(keyword_posts):
    assert len(_titles("q=%EF%BC%81%EF%BC%81")) == 4  # "！！"


# Filters --------------------------------------------------------------------


@pytest.fixture
def varied(shenzhen_guangzhou):
    """Posts that differ in one attribute each, named after it."""
    nanshan = shenzhen_guangzhou["440305"]
    tianhe = shenzhen_guangzhou["440106"]
    street = Region.objects.filter(parent=shenzhen_guangzhou["440306"]).order_by("code").first()
    posts = {
        "baoan": _plain("baoan", street=street),
        "nanshan": _plain(
            "nanshan",
            district=nanshan,
            employer=listed_employer(employer__district=nanshan),
            post_modes=[Job.PostMode.TAKE_HOME, Job.PostMode.NEW_BUSINESS],
            location_mode=Job.LocationMode.AT_HOME,
            employment_form=Job.EmploymentForm.PIECEWORK,
            pay_unit=Job.PayUnit.PIECE,
            pay_min=Decimal("1.00"),
            pay_max=Decimal("2.00"),
            pieces_per_hour=Decimal("20"),
            sector="handcraft",
            windows=[],
        ),
        "tianhe": _plain(
            "tianhe",
            district=tianhe,
            employer=listed_employer(employer__district=tianhe),
            post_modes=[Job.PostMode.ON_DEMAND_LEAVE],
            location_mode=Job.LocationMode.COMMUNITY,
            employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
            pay_min=Decimal("20.00"),
            pay_max=Decimal("22.00"),
            sector="catering",
            windows=windows_for([5, 6], 18 * H, 22 * H),
        ),
    }
    return posts, street


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"baoan", "nanshan", "tianhe"}),
        ("city=440300", {"baoan", "nanshan"}),
        ("city=440100", {"tianhe"}),
        ("district=440305", {"nanshan"}),
        ("mode=take_home_piecework", {"nanshan"}),
        ("mode=on_demand_leave&mode=new_business_form", {"nanshan", "tianhe"}),
        ("location=at_home&location=community", {"nanshan", "tianhe"}),
        ("form=part_time_hourly", {"tianhe"}),
        ("sector=handcraft", {"nanshan"}),
        ("sector=catering&sector=ecommerce", {"baoan", "tianhe"}),
        ("min_hourly=30", {"baoan", "nanshan"}),  # piece: 2 × 20 = 40 an hour
        ("min_hourly=40.01", set()),
        ("min_hourly=22", {"baoan", "nanshan", "tianhe"}),
        ("school_run=true", {"baoan"}),  # no windows is not "school-run friendly"
        ("school_run=1", {"baoan"}),
        ("school_run=false", {"baoan", "nanshan", "tianhe"}),
    ],
)
def test_job_filter_filters_by_each_parameter(varied, query, expected):
    assert {job.title for job in _search(query)} == expected


def test_job_filter_school_run_keeps_only_friendly_posts(varied):
    posts, _street = varied
    assert posts["baoan"].school_run_friendly
    assert not posts["tianhe"].school_run_friendly
    titles = {job.title for job in _search("school_run=1")}
    assert "baoan" in titles
    assert "tianhe" not in titles


def test_job_filter_street_and_employer(varied):
    posts, street = varied
    assert {j.title for j in _search(f"street={street.code}")} == {"baoan"}
    assert {j.title for j in _search(f"employer={posts['tianhe'].employer_id}")} == {"tianhe"}


@pytest.mark.parametrize(
    "query",
    [
        "city=4403",
        "city=440306x",
        "city=440000",  # a province, not a city
        "district=44030",
        "street=440306",
        "mode=full_day",
        "location=moon",
        "form=slave",
        "sector=mining",
        "min_hourly=abc",
        "min_hourly=-1",
        "school_run=maybe",
        "employer=abc",
        "employer=0",
        "free=weekdays",
        "free=1-5@09:00",
        "free=8@09:00-15:00",
        "free=5-1@09:00-15:00",
        "free=1-5@09:00-09:00",
        "free=1-5@25:00-26:00",
        "sort=cheapest",
    ],
)
def test_job_filter_rejects_invalid_values(shenzhen_guangzhou, query):
    filterset = _filterset(query)
    assert not filterset.is_valid()
    assert filterset.errors


# "Fits my time" -------------------------------------------------------------

POST_WINDOWS = {
    "weekdays_9_15": windows_for(range(5), 9 * H, 15 * H),
    "mon_11_13": [Window(0, 11 * H, 13 * H)],
    "mon_two_shifts": [Window(0, 8 * H, 10 * H), Window(0, 14 * H, 16 * H)],
    "fri_night": windows_for([4], 22 * H, 2 * H),  # Fri 22-24 + Sat 0-2
    "sat_morning": [Window(5, 9 * H, 12 * H)],
    "take_home": [],
}


@pytest.fixture
def timed_posts(shenzhen_guangzhou):
    employer = listed_employer()
    posts = {}
    for name, windows in POST_WINDOWS.items():
        extra = {"location_mode": Job.LocationMode.AT_HOME} if not windows else {}
        posts[name] = _plain(name, employer=employer, windows=windows, **extra)
    return posts


@pytest.mark.parametrize(
    "free",
    [
        ["1-5@09:00-15:00"],  # touching edges fit
        ["1-5@09:00-14:59"],
        ["1-5@09:01-15:00"],
        ["1@09:00-12:00", "1@13:00-15:00"],  # Monday 11-13 spans the gap
        ["1@09:00-12:00", "1@12:00-15:00"],  # touching free windows join
        ["1@07:00-11:00", "1@13:00-17:00"],  # both Monday shifts
        ["1@07:00-11:00"],  # only the first shift
        ["5@20:00-24:00"],  # Friday night, but not the Saturday part
        ["5@20:00-24:00", "6@00:00-03:00"],
        ["5@20:00-03:00"],  # an overnight free window
        ["6-7@08:00-20:00"],
        ["1-7@00:00-24:00"],
        ["2,4@10:00-12:00"],
    ],
)
def test_job_filter_free_matches_fits_inside(timed_posts, free):
    free_windows = [w for text in free for w in parse_free(text)]
    expected = {
        name for name, windows in POST_WINDOWS.items() if fits_inside(windows, free_windows)
    }
    query = QueryDict(mutable=True)
    query.setlist("free", free)

    found = {job.title for job in _search(query.urlencode())}

    assert found == expected
    assert "take_home" in found  # no windows: always fits


def test_job_filter_free_touching_edges_fit(timed_posts):
    assert "weekdays_9_15" in {j.title for j in _search("free=1-5@09:00-15:00")}
    assert "weekdays_9_15" not in {j.title for j in _search("free=1-5@09:30-15:00")}


def test_parse_free_reads_ranges_commas_and_overnight():
    assert parse_free("1,3,5@08:30-11:30") == [
        Window(0, 510, 690),
        Window(2, 510, 690),
        Window(4, 510, 690),
    ]
    assert parse_free("6-7@00:00-24:00") == [Window(5, 0, 1440), Window(6, 0, 1440)]
    assert parse_free("7@22:00-06:00") == [Window(0, 0, 360), Window(6, 1320, 1440)]


# Sorting --------------------------------------------------------------------


@pytest.fixture
def sortable(shenzhen_guangzhou):
    now = timezone.now()
    posts = {
        "old_rich": _plain("客服 老", pay_min=Decimal("40"), pay_max=Decimal("50")),
        "new_poor": _plain("客服 新", pay_min=Decimal("20"), pay_max=Decimal("22")),
        "mid": _plain("客服客服 客服专员", pay_min=Decimal("30"), pay_max=Decimal("50")),
    }
    for hours_ago, name in ((30, "old_rich"), (1, "new_poor"), (10, "mid")):
        Job.objects.filter(pk=posts[name].pk).update(
            published_at=now - datetime.timedelta(hours=hours_ago)
        )
    return posts


def _order(query: str, posts: dict[str, Job]) -> list[str]:
    names = {job.pk: name for name, job in posts.items()}
    return [names[job.pk] for job in _search(query)]


def test_job_filter_sorts_newest_first_by_default(sortable):
    assert _order("", sortable) == ["new_poor", "mid", "old_rich"]


def test_job_filter_sorts_by_pay_with_newest_breaking_ties(sortable):
    # old_rich and mid both pay up to 50 an hour: the newer one first.
    assert _order("sort=pay", sortable) == ["mid", "old_rich", "new_poor"]


def test_job_filter_sorts_by_relevance_with_keywords(sortable):
    filterset = _filterset("q=客服")
    jobs = list(filterset.qs)
    assert filterset.sort_value == "relevance"
    assert [job.rank for job in jobs] == sorted((job.rank for job in jobs), reverse=True)
    assert jobs[0].pk == sortable["mid"].pk  # the word three times


def test_job_filter_relevance_without_keywords_is_newest(sortable):
    filterset = _filterset("sort=relevance")
    assert [j.pk for j in filterset.qs] == [j.pk for j in _search("")]
    assert filterset.sort_value == "newest"


# Facets ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "city=440300", "mode=take_home_piecework", "q=tianhe"])
def test_job_facets_equal_counts_computed_in_python(varied, query, django_assert_num_queries):
    jobs = _search(query)
    filterset = _filterset(query)
    assert filterset.is_valid()

    with django_assert_num_queries(1):
        facets = job_facets(filterset.qs)

    modes = Counter(mode for job in jobs for mode in job.post_modes)
    assert facets.total == len(jobs)
    assert facets.counts("post_modes") == {m: modes[m] for m in Job.PostMode.values}
    assert facets.counts("location_modes") == {
        m: sum(j.location_mode == m for j in jobs) for m in Job.LocationMode.values
    }
    assert facets.counts("employment_forms") == {
        f: sum(j.employment_form == f for j in jobs) for f in Job.EmploymentForm.values
    }
    assert facets.counts("sectors")["handcraft"] == sum(j.sector == "handcraft" for j in jobs)
    assert facets.school_run_friendly == sum(j.school_run_friendly for j in jobs)
    assert facets.counts("districts") == dict(Counter(j.district.code for j in jobs))


def test_job_facets_work_on_relevance_sorted_results(keyword_posts):
    filterset = _filterset("q=服务")
    facets = job_facets(filterset.qs)
    assert facets.total == 1
    assert facets.counts("districts") == {"440306": 1}


# Index ----------------------------------------------------------------------


def test_job_search_uses_the_gin_index(shenzhen_guangzhou):
    # given ~2,000 posts of 40 listed employers, 5 of them about 直播, and
    # fresh planner statistics
    template = _plain("模板岗位")
    employers = [listed_employer() for _ in range(40)]
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Job._meta.concrete_fields
        if not f.primary_key and not f.generated
    }
    rows = []
    for n in range(2000):
        word = "直播 主播" if n % 400 == 0 else f"保洁 客服 包装{n} 质检{n % 50}"
        rows.append(
            Job(
                **{
                    **fields,
                    "employer_id": employers[n % 40].pk,
                    "title": f"岗位{n}",
                    "search_tokens": f"岗位 {n} {word}",
                }
            )
        )
    Job.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        # Bulk inserts sit in the GIN pending list until (auto)vacuum, which
        # cannot run in the test's transaction; this is what it would do.
        cursor.execute("SELECT gin_clean_pending_list('job_search_idx'::regclass)")
        for table in ("jobs_job", "employers_employer", "employers_registryentry"):
            cursor.execute(f"ANALYZE {table}")

    # when the search (all results, and the first page) is explained
    qs = _filterset("q=直播").qs
    assert qs.count() == 5
    plans = []
    for queryset in (qs, qs[:20]):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    # then PostgreSQL reads the GIN index
    for plan in plans:
        assert "job_search_idx" in plan, plan


@pytest.mark.parametrize(
    ("query", "expected"),
    [("district=440305", 5), ("mode=take_home_piecework", 5), ("street=440306017", 5)],
)
def test_selective_filters_read_an_index_not_the_whole_table(shenzhen_guangzhou, query, expected):
    # given ~2,000 posts, 5 of them in 南山, take-home or in 新安街道, and fresh statistics
    template = _plain("模板岗位")
    employers = [listed_employer() for _ in range(40)]
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Job._meta.concrete_fields
        if not f.primary_key and not f.generated
    }
    nanshan = shenzhen_guangzhou["440305"].pk
    xinan = shenzhen_guangzhou["440306017"].pk
    rows = []
    for n in range(2000):
        rare = n % 400 == 0
        rows.append(
            Job(
                **{
                    **fields,
                    "employer_id": employers[n % 40].pk,
                    "title": f"岗位{n}",
                    "search_tokens": f"岗位 {n}",
                    "district_id": nanshan
                    if rare and query.startswith("district")
                    else fields["district_id"],
                    "street_id": xinan if rare and query.startswith("street") else None,
                    "post_modes": (
                        ["take_home_piecework"]
                        if rare and query.startswith("mode")
                        else ["self_chosen_slots"]
                    ),
                }
            )
        )
    Job.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('job_post_modes_idx'::regclass)")
        for table in ("jobs_job", "employers_employer", "employers_registryentry"):
            cursor.execute(f"ANALYZE {table}")

    # when the filtered first page is explained
    qs = _filterset(query).qs
    assert qs.count() == expected
    sql, params = qs[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then PostgreSQL does not scan the whole posts table
    assert "Seq Scan on jobs_job" not in plan, plan
