"""Atom feeds of the newest public posts (all, per city, per district) and the sitemap."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.feeds import FEED_SIZE
from jobs.models import Job
from tests.jobs.factories import listed_employer, make_job

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _entries(client, url: str) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def _links(entries: list[ET.Element]) -> list[str]:
    return [e.find(f"{ATOM}link").get("href") for e in entries]


@pytest.fixture
def three_regions(shenzhen_guangzhou):
    def post(code: str, title: str) -> Job:
        district = shenzhen_guangzhou[code]
        return make_job(
            title=title,
            district=district,
            employer=listed_employer(employer__district=district),
        )

    return {
        "baoan": post("440306", "宝安客服"),
        "nanshan": post("440305", "南山保洁"),
        "tianhe": post("440106", "天河直播"),
    }


def test_job_feed_lists_public_posts_newest_first(client, three_regions):
    draft = make_job(title="草稿", publish=False)

    root, entries = _entries(client, reverse("jobs:job-feed"))

    assert root.find(f"{ATOM}title").text == "妈妈岗 · 最新岗位"
    assert [e.find(f"{ATOM}title").text for e in entries] == ["天河直播", "南山保洁", "宝安客服"]
    assert all(link.startswith("http://testserver/jobs/") for link in _links(entries))
    assert f"/jobs/{draft.pk}/" not in str(_links(entries))
    baoan = entries[2]
    job = three_regions["baoan"]
    summary = baoan.find(f"{ATOM}summary").text
    assert job.employer.name in summary
    assert "宝安区" in summary
    assert "25–30元/小时" in summary
    assert "周一至周五 09:00–15:00" in summary
    assert baoan.find(f"{ATOM}published") is not None
    assert baoan.find(f"{ATOM}updated") is not None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("4403", {"baoan", "nanshan"}),
        ("440300", {"baoan", "nanshan"}),
        ("440306", {"baoan"}),
        ("440305", {"nanshan"}),
        ("440106", {"tianhe"}),
        ("4401", {"tianhe"}),
        ("440303", set()),
    ],
)
def test_job_feed_region_lists_the_region_posts(client, three_regions, code, expected):
    _root, entries = _entries(client, reverse("jobs:job-feed-region", kwargs={"region_code": code}))

    expected_links = {f"http://testserver/jobs/{three_regions[n].pk}/" for n in expected}
    assert set(_links(entries)) == expected_links


@pytest.mark.parametrize("code", ["44", "abcd", "999999", "440306017", "440000"])
def test_job_feed_region_is_404_for_unknown_regions(client, shenzhen_guangzhou, code):
    response = client.get(reverse("jobs:job-feed-region", kwargs={"region_code": code}))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_job_feed_holds_at_most_the_newest_fifty(client, shenzhen_guangzhou):
    first = make_job(title="最早")
    template = Job.objects.get(pk=first.pk)
    now = timezone.now()
    copies = []
    for n in range(FEED_SIZE):
        template.pk = None
        template.title = f"岗位{n}"
        template.published_at = now + datetime.timedelta(minutes=n + 1)
        copies.append(
            Job(
                **{
                    f.attname: getattr(template, f.attname)
                    for f in Job._meta.concrete_fields
                    if not f.generated
                }
            )
        )
    Job.objects.bulk_create(copies)

    _root, entries = _entries(client, reverse("jobs:job-feed"))

    assert len(entries) == FEED_SIZE
    assert "最早" not in [e.find(f"{ATOM}title").text for e in entries]


def test_job_feed_query_count_is_independent_of_row_count(client, shenzhen_guangzhou):
    url = reverse("jobs:job-feed-region", kwargs={"region_code": "4403"})
    make_job()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        make_job()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_sitemap_lists_public_posts_and_main_pages_only(client, shenzhen_guangzhou):
    public = make_job()
    draft = make_job(publish=False)
    taken_down = make_job()
    Job.objects.filter(pk=taken_down.pk).update(status=Job.Status.TAKEN_DOWN)

    response = client.get(reverse("jobs:sitemap"))

    assert response.status_code == HTTPStatus.OK
    assert reverse("jobs:sitemap") == "/sitemap.xml"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    locations = {url.find(f"{SITEMAP}loc").text for url in root.findall(f"{SITEMAP}url")}
    paths = {loc.split("testserver", 1)[1] for loc in locations}
    assert f"/jobs/{public.pk}/" in paths
    assert f"/jobs/{draft.pk}/" not in paths
    assert f"/jobs/{taken_down.pk}/" not in paths
    assert {"/", "/jobs/", "/registry/"} <= paths
    assert len(paths) == 4


def test_job_list_links_its_atom_feeds(client, shenzhen_guangzhou):
    html = client.get("/jobs/", {"district": "440306"}).content.decode()
    assert f'href="{reverse("jobs:job-feed")}"' in html
    assert 'href="/jobs/feed/440306/"' in html
