"""
manage.py jobs_benchmark: latency and SQL queries of realistic public searches
against the current database (e.g. after `jobs_generate --posts 200000`).

When the public search page (`jobs:job-list`) and API (`api:job-list`) are real
views, each search is requested over HTTP with Django's test Client. Until then
the same searches run as querysets: `job_list_public` plus the filters written
inline, one page of 20 rows and the total count, as a list page does. Speed
targets are measured here, not asserted in tests.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from jobs.models import Job, JobWindow
from jobs.search import search_query
from jobs.selectors import job_list_public

PAGE_SIZE = 20
BAOAN = "440306"
FREE_DAYS, FREE_START, FREE_END = (0, 1, 2, 3, 4), 9 * 60, 15 * 60


@dataclass(frozen=True)
class Search:
    label: str
    params: dict[str, str]  # query string for the HTML page and the API
    apply: Callable[[QuerySet[Job]], QuerySet[Job]]  # the same search as a queryset


def _keyword(text: str) -> Callable[[QuerySet[Job]], QuerySet[Job]]:
    def apply(jobs: QuerySet[Job]) -> QuerySet[Job]:
        query = search_query(text)
        return jobs.filter(search_vector=query) if query is not None else jobs

    return apply


def _fits_weekdays_9_to_3(jobs: QuerySet[Job]) -> QuerySet[Job]:
    # Every window of the post lies inside Mon-Fri 09:00-15:00 (no window outside it).
    outside = JobWindow.objects.filter(job=OuterRef("pk")).exclude(
        weekday__in=FREE_DAYS, start_minute__gte=FREE_START, end_minute__lte=FREE_END
    )
    return jobs.filter(~Exists(outside))


def _by_pay(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return jobs.order_by("-hourly_max", "-pk")


FREE_PARAMS = {"free": "1-5@09:00-15:00"}  # jobs.filters.parse_free format

SEARCHES = [
    Search("newest (no filter)", {}, lambda jobs: jobs),
    Search("keyword 直播", {"q": "直播"}, _keyword("直播")),
    Search("keyword 保洁", {"q": "保洁"}, _keyword("保洁")),
    Search("keyword 客服", {"q": "客服"}, _keyword("客服")),
    Search("district 宝安", {"district": BAOAN}, lambda jobs: jobs.filter(district__code=BAOAN)),
    Search("fits Mon-Fri 09-15", FREE_PARAMS, _fits_weekdays_9_to_3),
    Search(
        "school-run friendly", {"school_run": "1"}, lambda j: j.filter(school_run_friendly=True)
    ),
    Search("sort by pay", {"sort": "pay"}, _by_pay),
    Search(
        "保洁 + 宝安 + fits + pay",
        {"q": "保洁", "district": BAOAN, **FREE_PARAMS, "sort": "pay"},
        lambda jobs: _by_pay(
            _fits_weekdays_9_to_3(_keyword("保洁")(jobs.filter(district__code=BAOAN)))
        ),
    ),
]


def _real_view_url(name: str) -> str | None:
    """Return the URL of `name` if it is a real view, not missing or a placeholder."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    view_class = getattr(resolve(url).func, "view_class", None)
    return None if view_class is TemplateView else url


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


class Command(BaseCommand):
    help = (
        "Measure p50/p95 latency and SQL queries per request of realistic public job "
        "searches against the current database; prints a table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="per search (200)")
        parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first")
        parser.add_argument(
            "--querysets", action="store_true", help="benchmark the querysets even if views exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["requests"]
        if n < 1:
            raise CommandError("--requests must be positive.")
        targets: list[tuple[str, Callable[[Search], int]]] = []
        client = Client()
        for kind, name in (("html", "jobs:job-list"), ("api", "api:job-list")):
            url = None if options["querysets"] else _real_view_url(name)
            if url is not None:
                targets.append((f"{kind} {url}", _http(client, url)))
        if not targets:
            self.stdout.write(
                "Benchmarking the querysets (no public search views, or --querysets)."
            )
            targets.append(("queryset", _queryset))
        # The test environment lets the Client reach the views ("testserver" host) and
        # exposes the rendered context (the page's row count); pytest has set it up already.
        try:
            setup_test_environment()
        except RuntimeError:
            own_environment = False
        else:
            own_environment = True
        try:
            self._measure(targets, options["requests"], options["warmup"])
        finally:
            if own_environment:
                teardown_test_environment()

    def _measure(self, targets: list[tuple[str, Callable[[Search], int]]], n: int, warmup: int):
        today = timezone.localdate()
        public = Job.objects.public(today=today).count()
        self.stdout.write(f"Public posts: {public:,} (all posts: {Job.objects.count():,})")
        header = f"{'target':<22} {'search':<26} {'rows':>7} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for target, run in targets:
            for search in SEARCHES:
                for _ in range(warmup):
                    run(search)
                timings, queries, rows = [], 0, 0
                for _ in range(n):
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        rows = run(search)
                        timings.append((time.perf_counter() - started) * 1000)
                    queries = len(ctx.captured_queries)
                self.stdout.write(
                    f"{target:<22} {search.label:<26} {rows:>7} "
                    f"{statistics.median(timings):>8.1f} {_percentile(timings, 95):>8.1f} "
                    f"{queries:>4}"
                )


def _queryset(search: Search) -> int:
    """One list page: the first PAGE_SIZE rows (with windows prefetched) and the count."""
    jobs = search.apply(job_list_public(today=timezone.localdate()))
    total = jobs.count()
    page = list(jobs[:PAGE_SIZE])
    for job in page:
        list(job.windows.all())  # what the list renders: already prefetched
    return total


def _http(client: Client, url: str) -> Callable[[Search], int]:
    def run(search: Search) -> int:
        response = client.get(url, search.params)
        if response.status_code != 200:
            raise CommandError(f"GET {url} {search.params} -> {response.status_code}")
        data = getattr(response, "data", None)
        if isinstance(data, dict) and "count" in data:
            return int(data["count"])
        paginator = (response.context or {}).get("paginator") if response.context else None
        return paginator.count if paginator is not None else -1

    return run
