"""
Public pages of the jobs app: the search (with "fits my time"), the post
page, the Atom feeds and the sitemap. Nothing here needs a login; contact
happens through the portal only, so no phone number is ever rendered.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.sitemaps.views import sitemap
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView

from employers.models import Employer, RegistryEdition, RegistryEntry
from mamagang.regions.models import Region

from ..feeds import JobFeed, RegionJobFeed
from ..filters import JobFacets, JobFilter, Sort, job_facets, parse_free
from ..models import Job, JobWindow
from ..schedule import Window, parse_time
from ..selectors import job_list_public
from ..sitemaps import SITEMAPS

PAGE_SIZE = 20

WEEKDAY_LABELS = [str(label) for _value, label in JobWindow.Weekday.choices]
PAY_UNIT_SUFFIX = {
    Job.PayUnit.HOUR: gettext_lazy("元/小时"),
    Job.PayUnit.PIECE: gettext_lazy("元/件"),
    Job.PayUnit.DAY: gettext_lazy("元/天"),
    Job.PayUnit.MONTH: gettext_lazy("元/月"),
}

# One tap for a mother: each preset only fills `free`.
FREE_PRESETS = (
    (gettext_lazy("工作日 9:00–15:00"), "1-5@09:00-15:00"),
    (gettext_lazy("工作日上午 8:00–12:00"), "1-5@08:00-12:00"),
    (gettext_lazy("工作日下午 13:00–18:00"), "1-5@13:00-18:00"),
    (gettext_lazy("周末 8:00–20:00"), "6-7@08:00-20:00"),
)


# Presentation -----------------------------------------------------------------


def money(amount: Decimal) -> str:
    """Return `amount` without trailing zeros: 25.00 → "25", 25.50 → "25.5"."""
    text = f"{amount.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _range(low: Decimal, high: Decimal) -> str:
    return money(low) if low == high else f"{money(low)}–{money(high)}"


def pay_summary(job: Job) -> str:
    """Return the pay as posted: "25–30元/小时"."""
    return f"{_range(job.pay_min, job.pay_max)}{PAY_UNIT_SUFFIX[job.pay_unit]}"


def hourly_summary(job: Job) -> str:
    """Return "折合约X元/小时" for posts not paid by the hour, else ""."""
    if job.pay_unit == Job.PayUnit.HOUR:
        return ""
    return _("折合约%(pay)s元/小时") % {"pay": _range(job.hourly_min, job.hourly_max)}


def weekdays_label(days: Iterable[int]) -> str:
    """Return weekdays as words: [0..4] → "周一至周五", [0, 2, 5, 6] → "周一、周三、周六、周日"."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(
                _("%(a)s至%(b)s") % {"a": WEEKDAY_LABELS[run[0]], "b": WEEKDAY_LABELS[run[-1]]}
            )
        else:
            parts.extend(WEEKDAY_LABELS[day] for day in run)
    return "、".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def windows_summary(windows: Sequence[Window | JobWindow]) -> list[str]:
    """
    Return the weekly windows as lines such as "周一至周五 09:00–15:00": one
    line per distinct time span, with the days that have it. An empty list
    means the post has no fixed hours (take-home or task-based work).
    """
    spans: dict[tuple[int, int], list[int]] = {}
    for window in windows:
        if isinstance(window, JobWindow):
            window = Window(window.weekday, window.start_minute, window.end_minute)
        spans.setdefault((window.start, window.end), []).append(window.weekday)
    ordered = sorted(spans.items(), key=lambda item: (min(item[1]), item[0]))
    return [f"{weekdays_label(days)} {_hhmm(start)}–{_hhmm(end)}" for (start, end), days in ordered]


def job_summary_lines(job: Job) -> list[str]:
    """Return what a list or feed shows of a post's hours ("时间自由安排" without windows)."""
    return windows_summary(list(job.windows.all())) or [_("时间自由安排")]


@dataclass
class JobCard:
    job: Job
    pay: str
    hourly: str
    windows: list[str]
    modes: list[str]
    place: str


def job_card(job: Job) -> JobCard:
    place = job.district.name + (f" · {job.street.name}" if job.street_id else "")
    return JobCard(
        job=job,
        pay=pay_summary(job),
        hourly=hourly_summary(job),
        windows=job_summary_lines(job),
        modes=[str(Job.PostMode(mode).label) for mode in job.post_modes],
        place=place,
    )


# Query strings ----------------------------------------------------------------


def _url(params: QueryDict, **changes: list[str] | str | None) -> str:
    """Return the list URL with `params` changed (None drops a key); page is reset."""
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value is None:
            continue
        query.setlist(key, [value] if isinstance(value, str) else list(value))
    encoded = query.urlencode()
    return reverse("jobs:job-list") + (f"?{encoded}" if encoded else "")


def _without(params: QueryDict, key: str, value: str) -> str:
    remaining = [v for v in params.getlist(key) if v != value]
    return _url(params, **{key: remaining or None})


def _free_from_picker(params: QueryDict) -> tuple[str | None, str | None]:
    """
    Return (the `free` value, error) of the custom time picker: weekday
    checkboxes `fd` (1-7) and times `ff`/`ft`. It counts only when a day is
    ticked or its button (`add_free`) was pressed.
    """
    days = [d for d in params.getlist("fd") if d.strip()]
    if not days and "add_free" not in params:
        return None, None
    if not days:
        return None, _("请至少选择一天。")
    if not all(d in {"1", "2", "3", "4", "5", "6", "7"} for d in days):
        return None, _("星期只能是周一到周日。")
    start, end = params.get("ff", "").strip(), params.get("ft", "").strip()
    try:
        parse_time(start)
        parse_time(end)
    except ValueError:
        return None, _("请填写开始和结束时间，例如 09:00 和 15:00。")
    return f"{','.join(sorted(set(days)))}@{start}-{end}", None


# The custom time picker's fields; the search form always sends them (with default times).
PICKER_KEYS = ("fd", "ff", "ft", "add_free")
# Filters inside the collapsed "更多筛选" panel: it opens when one of them is set.
PANEL_FILTERS = (
    "city",
    "district",
    "min_hourly",
    "school_run",
    "mode",
    "location",
    "form",
    "sector",
)


def _tidy_query(params: QueryDict) -> QueryDict | None:
    """
    Return `params` without blank values and the unused picker fields, or None when there
    are none: the search form sends every field (an empty city, the picker's default
    times), which made the address to bookmark or share long and unreadable.
    """
    query = params.copy()
    changed = False
    for key in list(query):
        values = query.getlist(key)
        kept = [] if key in PICKER_KEYS else [v for v in values if v.strip()]
        if kept != values:
            changed = True
            if kept:
                query.setlist(key, kept)
            else:
                query.pop(key)
    return query if changed else None


def _free_label(text: str) -> str:
    try:
        return "；".join(windows_summary(parse_free(text)))
    except ValueError:
        return text


# Views ------------------------------------------------------------------------


def _region_options(today: datetime.date) -> tuple[list[Region], list[Region]]:
    """Return (cities, districts) that have public posts today. One query."""
    districts = list(
        Region.objects.filter(pk__in=Job.objects.public(today=today).values("district_id"))
        .select_related("parent")
        .order_by("code")
    )
    cities: dict[str, Region] = {}
    for district in districts:
        # A city without districts (东莞 441900) is its own "district".
        city = district if district.level == Region.Level.CITY else district.parent
        if city is not None:
            cities.setdefault(city.code, city)
    return sorted(cities.values(), key=lambda c: c.code), districts


class JobListView(ListView):
    """The search: keywords, "fits my time", filters, facets, sorting, pages."""

    template_name = "jobs/public/job_list.html"
    context_object_name = "jobs"
    paginate_by = PAGE_SIZE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        value, self.picker_error = _free_from_picker(request.GET)
        if value is not None:
            # The picker's fields become one `free` value in a clean, shareable URL.
            params = request.GET.copy()
            for key in ("fd", "ff", "ft", "add_free"):
                params.pop(key, None)
            return redirect(_url(params, free=[*params.getlist("free"), value]))
        if self.picker_error is None and (tidy := _tidy_query(request.GET)) is not None:
            encoded = tidy.urlencode()
            return redirect(reverse("jobs:job-list") + (f"?{encoded}" if encoded else ""))
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Job]:
        self.today = timezone.localdate()
        self.filterset = JobFilter(self.request.GET, queryset=job_list_public(today=self.today))
        self.valid = self.filterset.is_valid() and not self.picker_error
        self.facets: JobFacets | None = None
        if not self.valid:
            return Job.objects.none()
        jobs = self.filterset.qs
        self.facets = job_facets(jobs)
        return jobs

    def get_paginator(self, queryset: QuerySet[Job], per_page: int, *args: Any, **kwargs: Any):
        paginator = super().get_paginator(queryset, per_page, *args, **kwargs)
        # The facet query already counted the results: no second COUNT(*).
        paginator.count = self.facets.total if self.facets is not None else 0
        return paginator

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        cities, districts = _region_options(self.today)
        facets = self.facets or JobFacets()
        district_counts = facets.counts("districts")
        search = self.filterset.search if self.valid else None
        current_sort = self.filterset.sort_value if self.valid else Sort.NEWEST
        free_values = params.getlist("free")
        context.update(
            filterset=self.filterset,
            valid=self.valid,
            errors=self._errors(),
            facets=facets,
            cards=[job_card(job) for job in context["jobs"]],
            cities=[(c, c.code == params.get("city")) for c in cities],
            districts=[
                (d, district_counts.get(d.code, 0), d.code == params.get("district"))
                for d in districts
            ],
            option_groups=self._option_groups(params, facets),
            school_run_checked=params.get("school_run", "") in {"1", "true", "on", "yes"},
            presets=[
                (label, _url(params, free=value), free_values == [value])
                for label, value in FREE_PRESETS
            ],
            weekdays=[(str(i + 1), label) for i, label in enumerate(WEEKDAY_LABELS)],
            free_values=free_values,
            free_chips=[(_free_label(v), _without(params, "free", v)) for v in free_values],
            chips=self._chips(params, cities, districts, context["jobs"]),
            filters_open=any(v.strip() for key in PANEL_FILTERS for v in params.getlist(key)),
            sorts=[
                (label, _url(params, sort=value), value == current_sort)
                for value, label in Sort.CHOICES
                if value != Sort.RELEVANCE or search is not None
            ],
            clear_url=reverse("jobs:job-list"),
            share_url=self.request.build_absolute_uri(_url(params)),
            region_feed=self._region_feed(params),
        )
        return context

    def _errors(self) -> list[str]:
        errors = [self.picker_error] if self.picker_error else []
        if not self.filterset.is_valid():
            form = self.filterset.form
            for name, messages in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                errors.extend(f"{label}：{message}" if label else message for message in messages)
        return errors

    def _option_groups(self, params: QueryDict, facets: JobFacets) -> list[dict[str, Any]]:
        groups = []
        for key, facet, legend, choices in (
            ("mode", "post_modes", _("妈妈岗类型"), Job.PostMode.choices),
            ("location", "location_modes", _("工作地点"), Job.LocationMode.choices),
            ("form", "employment_forms", _("用工形式"), Job.EmploymentForm.choices),
            ("sector", "sectors", _("行业"), Employer.Sector.choices),
        ):
            counts = facets.counts(facet)
            selected = set(params.getlist(key))
            groups.append(
                {
                    "key": key,
                    "legend": legend,
                    "options": [
                        (value, label, counts.get(value, 0), value in selected)
                        for value, label in choices
                    ],
                }
            )
        return groups

    def _chips(
        self,
        params: QueryDict,
        cities: list[Region],
        districts: list[Region],
        jobs: Sequence[Job],
    ) -> list[tuple[str, str]]:
        """Return (label, URL without it) for every active filter but `free` and `sort`."""
        names = {r.code: r.name for r in [*cities, *districts]}
        labels = {
            "mode": dict(Job.PostMode.choices),
            "location": dict(Job.LocationMode.choices),
            "form": dict(Job.EmploymentForm.choices),
            "sector": dict(Employer.Sector.choices),
        }
        employer_names = {str(job.employer_id): job.employer.name for job in jobs}
        chips: list[tuple[str, str]] = []
        for key in ("q", "city", "district", "street", *labels, "min_hourly", "school_run"):
            for value in params.getlist(key):
                if not value:
                    continue
                if key in labels:
                    text = str(labels[key].get(value, value))
                elif key == "q":
                    text = _("关键词：%(v)s") % {"v": value}
                elif key in ("city", "district", "street"):
                    text = names.get(value, value)
                elif key == "min_hourly":
                    text = _("时薪不低于%(v)s元") % {"v": value}
                else:
                    text = _("方便接送孩子")
                chips.append((text, _without(params, key, value)))
        for value in params.getlist("employer"):
            name = employer_names.get(value) or _("单位编号 %(id)s") % {"id": value}
            chips.append(
                (_("单位：%(name)s") % {"name": name}, _without(params, "employer", value))
            )
        return chips

    def _region_feed(self, params: QueryDict) -> str | None:
        code = params.get("district") or (params.get("city") or "")[:4]
        if code and code.isdigit() and len(code) in (4, 6):
            return reverse("jobs:job-feed-region", kwargs={"region_code": code})
        return None


def _job_get_for_page(*, pk: int, today: datetime.date) -> tuple[Job, bool]:
    """
    Return (post, ended) for the post page: a public post, or one that was
    published and has ended (expired, closed, or past its end date) while its
    employer is still listed. Raise Http404 for anything else (drafts,
    posts under review, taken down, suspended or removed employers).
    """
    listed = Q(employer__registry_entries__status=RegistryEntry.Status.APPROVED)
    public = Q(status=Job.Status.PUBLISHED, valid_from__lte=today, valid_until__gte=today)
    ended = Q(published_at__isnull=False) & (
        Q(status__in=[Job.Status.EXPIRED, Job.Status.CLOSED])
        | Q(status=Job.Status.PUBLISHED, valid_until__lt=today)
    )
    job = (
        Job.objects.filter(listed, public | ended, pk=pk)
        .select_related("employer", "employer__district", "district", "district__parent", "street")
        .prefetch_related(
            Prefetch("windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))
        )
        .first()
    )
    if job is None:
        raise Http404(_("没有找到这个岗位。"))
    is_public = job.status == Job.Status.PUBLISHED and job.valid_from <= today <= job.valid_until
    return job, not is_public


def _registry_listing(employer: Employer) -> RegistryEdition | None:
    """
    Return the latest published edition of the employer's district registry
    that lists it (by USCC), without content. One query (jsonb @>).
    """
    return (
        RegistryEdition.objects.filter(
            region_id=employer.district_id, content__contains=[{"uscc": employer.uscc}]
        )
        .select_related("region")
        .defer("content", "diff")
        .order_by("-number")
        .first()
    )


class JobDetailView(TemplateView):
    """A post, honestly: when, where, what it pays, terms, who, registry listing."""

    template_name = "jobs/public/job_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job, ended = _job_get_for_page(pk=self.kwargs["pk"], today=timezone.localdate())
        by_day: dict[int, list[str]] = {}
        for window in job.windows.all():
            by_day.setdefault(window.weekday, []).append(f"{window.start_label}–{window.end_label}")
        return super().get_context_data(
            job=job,
            ended=ended,
            card=job_card(job),
            week=[(label, by_day.get(day, [])) for day, label in enumerate(WEEKDAY_LABELS)],
            has_windows=bool(by_day),
            listing=_registry_listing(job.employer),
            my_application=self._my_application(job),
            **kwargs,
        )

    def _my_application(self, job):
        """Her live application to this post (one query, for applicants only)."""
        user = self.request.user
        if not user.is_authenticated or not user.has_perm("accounts.use_applicant_area"):
            return None
        # A reverse relation: no import of the applicants app (dependencies point one way).
        return (
            job.applications.filter(applicant__user=user)
            .exclude(status__in=["withdrawn", "rejected", "hired"])
            .only("pk")
            .first()
        )


urlpatterns = [
    path("jobs/", JobListView.as_view(), name="job-list"),
    path("jobs/<int:pk>/", JobDetailView.as_view(), name="job-detail"),
    path("jobs/feed/", JobFeed(), name="job-feed"),
    path("jobs/feed/<str:region_code>/", RegionJobFeed(), name="job-feed-region"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
