"""
The public search of 妈妈岗 posts: one FilterSet for the HTML page and the
API, so a search URL means the same thing to both, and the facet counts of
a result set in one grouped query.

Every piece of a search lives in the query string (shareable links). Invalid
values are errors, never silently dropped: the page shows a message and the
API answers 400 (check `is_valid()` before using `.qs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.validators import RegexValidator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from employers.models import Employer

from .models import Job, JobWindow
from .schedule import MINUTES_PER_DAY, Window, normalise, parse_time, windows_for
from .search import search_query

MAX_FREE_WINDOWS = 14

# "1-5@09:00-15:00", "1,3,5@08:30-11:30", "6-7@00:00-24:00" (1 = Monday … 7 = Sunday).
_FREE_RE = re.compile(
    r"^(?P<days>[1-7](?:-[1-7])?(?:,[1-7](?:-[1-7])?)*)@(?P<start>[0-9:]+)-(?P<end>[0-9:]+)$"
)
FREE_FORMAT_HELP = _("格式：星期@开始-结束，例如 1-5@09:00-15:00（1=周一 … 7=周日）。")


def parse_free(text: str) -> list[Window]:
    """
    Return the windows of one `free` value such as "1-5@09:00-15:00" (weekdays
    1 = Monday … 7 = Sunday, ranges and commas allowed); an end not after the
    start runs overnight. Raise ValueError with a readable message.
    """
    match = _FREE_RE.match(text.strip())
    if not match:
        raise ValueError(_("空闲时间“%(v)s”格式不对。") % {"v": text} + str(FREE_FORMAT_HELP))
    days: set[int] = set()
    for part in match.group("days").split(","):
        first, _sep, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ValueError(_("空闲时间“%(v)s”的星期范围应从小到大。") % {"v": text})
        days.update(range(low - 1, high))
    start, end = parse_time(match.group("start")), parse_time(match.group("end"))
    if start == MINUTES_PER_DAY:
        raise ValueError(_("空闲时间“%(v)s”的开始时间不能是 24:00。") % {"v": text})
    return windows_for(sorted(days), start, end)


class FreeWindowsField(forms.Field):
    """Several `free` query parameters → one normalised list of windows."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[Window]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        values = [v for v in value if v.strip()]
        if len(values) > MAX_FREE_WINDOWS:
            raise forms.ValidationError(
                _("空闲时间最多填写%(n)s段。") % {"n": MAX_FREE_WINDOWS}, code="too_many"
            )
        windows: list[Window] = []
        for text in values:
            try:
                windows.extend(parse_free(text))
            except ValueError as exc:
                raise forms.ValidationError(str(exc), code="invalid") from exc
        return normalise(windows)


class StrictBooleanField(forms.Field):
    """A yes/no parameter: "1", "true", "on" or "0", "false"; anything else is an error."""

    TRUE = frozenset({"1", "true", "on", "yes"})
    FALSE = frozenset({"0", "false", "off", "no"})

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("请填写 true 或 false。"), code="invalid")


@extend_schema_field({"type": "array", "items": {"type": "string", "example": "1-5@09:00-15:00"}})
class FreeWindowsFilter(django_filters.Filter):
    field_class = FreeWindowsField


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class Sort:
    NEWEST = "newest"
    PAY = "pay"
    RELEVANCE = "relevance"
    CHOICES = (
        (NEWEST, _("最新发布")),
        (PAY, _("时薪最高")),
        (RELEVANCE, _("最相关")),
    )


_city_code = RegexValidator(r"^[0-9]{2}(?!00)[0-9]{2}00$", _("城市代码应为6位数字，例如 440300。"))
_district_code = RegexValidator(r"^[0-9]{6}$", _("区县代码应为6位数字，例如 440306。"))
_street_code = RegexValidator(r"^[0-9]{9}$", _("街道代码应为9位数字，例如 440306017。"))


class JobFilter(django_filters.FilterSet):
    """
    The filters of the public post search. Sorting is part of it (`sort`):
    newest first by default, by relevance when there are keywords; ties are
    broken by publication time, then id, so pages are stable.
    """

    q = django_filters.CharFilter(
        method="filter_q", label=_("关键词"), max_length=100, help_text=_("例如：直播、保洁、客服")
    )
    city = django_filters.CharFilter(
        method="filter_city", label=_("城市"), validators=[_city_code], help_text=_("6位城市代码")
    )
    district = django_filters.CharFilter(
        field_name="district__code",
        label=_("区县"),
        validators=[_district_code],
        help_text=_("6位区县代码"),
    )
    street = django_filters.CharFilter(
        field_name="street__code",
        label=_("街道/乡镇"),
        validators=[_street_code],
        help_text=_("9位街道代码"),
    )
    mode = django_filters.MultipleChoiceFilter(
        choices=Job.PostMode.choices, method="filter_mode", label=_("妈妈岗类型")
    )
    location = django_filters.MultipleChoiceFilter(
        choices=Job.LocationMode.choices,
        field_name="location_mode",
        distinct=False,
        label=_("工作地点"),
    )
    form = django_filters.MultipleChoiceFilter(
        choices=Job.EmploymentForm.choices,
        field_name="employment_form",
        distinct=False,
        label=_("用工形式"),
    )
    sector = django_filters.MultipleChoiceFilter(
        choices=Employer.Sector.choices, field_name="sector", distinct=False, label=_("行业")
    )
    min_hourly = django_filters.NumberFilter(
        field_name="hourly_max",
        lookup_expr="gte",
        label=_("最低时薪（元）"),
        min_value=0,
        max_value=100000,
        help_text=_("折合时薪上限不低于此数的岗位"),
    )
    school_run = StrictBooleanFilter(method="filter_school_run", label=_("方便接送孩子"))
    employer = IntegerFilter(
        field_name="employer_id", label=_("用人单位"), min_value=1, help_text=_("单位编号")
    )
    free = FreeWindowsFilter(
        method="filter_free", label=_("我的空闲时间"), help_text=FREE_FORMAT_HELP
    )
    sort = django_filters.ChoiceFilter(
        choices=Sort.CHOICES, method="filter_sort", label=_("排序"), empty_label=None
    )

    class Meta:
        model = Job
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search: SearchQuery | None = None

    # Filters ---------------------------------------------------------------

    def filter_q(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        self.search = search_query(value)
        if self.search is None:  # punctuation only: nothing to search for
            return queryset
        return queryset.filter(search_vector=self.search)

    def filter_city(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        # A city's districts share its first 4 digits (440300 → 4403xx).
        return queryset.filter(district__code__startswith=value[:4])

    def filter_mode(self, queryset: QuerySet[Job], name: str, value: list[str]) -> QuerySet[Job]:
        return queryset.filter(post_modes__overlap=list(value))

    def filter_school_run(self, queryset: QuerySet[Job], name: str, value: bool) -> QuerySet[Job]:
        return queryset.filter(school_run_friendly=True) if value else queryset

    def filter_free(self, queryset: QuerySet[Job], name: str, value: list[Window]) -> QuerySet[Job]:
        """
        Keep posts whose every window lies inside one free window of the same
        day (jobs.schedule.fits_inside in SQL): no window of the post may be
        outside all free windows. Posts without windows always fit.
        """
        if not value:
            return queryset
        inside = reduce(
            or_,
            (Q(weekday=w.weekday, start_minute__gte=w.start, end_minute__lte=w.end) for w in value),
        )
        outside = JobWindow.objects.filter(job=OuterRef("pk")).exclude(inside)
        return queryset.filter(~Exists(outside))

    def filter_sort(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        return queryset  # applied last, in filter_queryset, once `q` is known

    # Sorting ---------------------------------------------------------------

    def filter_queryset(self, queryset: QuerySet[Job]) -> QuerySet[Job]:
        queryset = super().filter_queryset(queryset)
        return self.sort_queryset(queryset, self.form.cleaned_data.get("sort") or "")

    @property
    def sort_value(self) -> str:
        """
        Return the sort in effect (after `.qs`): the chosen one, else relevance
        with keywords, else newest; relevance without keywords is newest.
        """
        chosen = getattr(self.form, "cleaned_data", {}).get("sort") or ""
        return self._sort(chosen)

    def _sort(self, chosen: str) -> str:
        if self.search is None:
            return Sort.NEWEST if chosen in ("", Sort.RELEVANCE) else chosen
        return chosen or Sort.RELEVANCE

    def sort_queryset(self, queryset: QuerySet[Job], chosen: str) -> QuerySet[Job]:
        sort = self._sort(chosen)
        if sort == Sort.RELEVANCE and self.search is not None:
            return queryset.annotate(rank=SearchRank(F("search_vector"), self.search)).order_by(
                "-rank", "-published_at", "-pk"
            )
        if sort == Sort.PAY:
            return queryset.order_by("-hourly_max", "-published_at", "-pk")
        # Newest; relevance without keywords is newest (every rank would be equal).
        return queryset.order_by("-published_at", "-pk")


# Facets -------------------------------------------------------------------


@dataclass
class FacetOption:
    value: str
    label: str
    count: int


@dataclass
class JobFacets:
    """Counts of a result set (before pagination) per option of each filter."""

    total: int = 0
    post_modes: list[FacetOption] = field(default_factory=list)
    location_modes: list[FacetOption] = field(default_factory=list)
    employment_forms: list[FacetOption] = field(default_factory=list)
    sectors: list[FacetOption] = field(default_factory=list)
    school_run_friendly: int = 0
    districts: list[FacetOption] = field(default_factory=list)

    def counts(self, facet: str) -> dict[str, int]:
        return {option.value: option.count for option in getattr(self, facet)}


_FACET_CHOICES: dict[str, tuple[str, Any]] = {
    # facet → (lookup building the condition, choices)
    "post_modes": ("post_modes__contains", Job.PostMode.choices),
    "location_modes": ("location_mode", Job.LocationMode.choices),
    "employment_forms": ("employment_form", Job.EmploymentForm.choices),
    "sectors": ("sector", Employer.Sector.choices),
}


def job_facets(queryset: QuerySet[Job]) -> JobFacets:
    """
    Return the facet counts of `queryset` in ONE query: grouped by district,
    each group carries conditional counts for every fixed option (post
    modes, location modes, employment forms, sectors, school-run friendly);
    the totals over all districts are the sums, since a post has exactly one
    district. Ordering, rank annotations and prefetches are dropped first.
    """
    conditions: dict[str, Count] = {"n": Count("pk")}
    for facet, (lookup, choices) in _FACET_CHOICES.items():
        for value, _label in choices:
            operand = [value] if lookup.endswith("__contains") else value
            conditions[f"{facet}__{value}"] = Count("pk", filter=Q(**{lookup: operand}))
    conditions["school_run"] = Count("pk", filter=Q(school_run_friendly=True))
    rows = list(
        queryset.order_by()
        .prefetch_related(None)
        .values("district__code", "district__name")
        .annotate(**conditions)
        .order_by("district__code")
    )
    facets = JobFacets(
        total=sum(row["n"] for row in rows),
        school_run_friendly=sum(row["school_run"] for row in rows),
        districts=[
            FacetOption(row["district__code"], row["district__name"], row["n"]) for row in rows
        ],
    )
    for facet, (_lookup, choices) in _FACET_CHOICES.items():
        setattr(
            facets,
            facet,
            [
                FacetOption(value, str(label), sum(row[f"{facet}__{value}"] for row in rows))
                for value, label in choices
            ],
        )
    return facets
