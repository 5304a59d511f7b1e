"""
Read use-cases of the bureau's applicant pages (求职者查询, 子女材料核验,
需求调查). Every read starts from the applicants whose residence district
lies in the user's regions, so a person outside them is invisible, the
same as one who does not exist. Each function runs a fixed number of
queries, whatever the number of applicants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from employers.models import Employer
from jobs.models import Job
from jobs.selectors import DEFAULT_SCHOOL_DAY
from mamagang.accounts.selectors import region_list_for_user, region_prefixes_for_user
from mamagang.regions.models import Region

from .models import Applicant, Application, Child, Employment, FreeWindow

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User


def _scope_q(prefixes: list[str], lookup: str) -> Q:
    """Return a Q matching `lookup` (a region code) against any of `prefixes`."""
    if "" in prefixes:
        return Q()
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in prefixes))


def _child_count(**filters: Any) -> Coalesce:
    """Return a correlated count of the outer applicant's children matching `filters`."""
    rows = (
        Child.objects.filter(applicant=OuterRef("pk"), **filters)
        .order_by()
        .values("applicant")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _applicants_in_scope(
    user: User | AnonymousUser, *, include_anonymised: bool = False
) -> QuerySet[Applicant]:
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Applicant.objects.none()
    applicants = Applicant.objects.filter(_scope_q(prefixes, "residence_district__code"))
    if not include_anonymised:
        applicants = applicants.filter(anonymised_at__isnull=True)
    return applicants


def applicant_list_for_staff(
    *, user: User | AnonymousUser, include_anonymised: bool = False
) -> QuerySet[Applicant]:
    """
    Return the applicants living in the districts `user` may act on, newest
    first, each with `child_count` and `unverified_child_count`. People
    whose data was deleted at their request (anonymised) are left out
    unless `include_anonymised`: their remaining records are kept for
    subsidy audits only.
    """
    return (
        _applicants_in_scope(user, include_anonymised=include_anonymised)
        .select_related("residence_district", "residence_street")
        .annotate(
            child_count=_child_count(),
            unverified_child_count=_child_count(verified_at__isnull=True),
        )
        .order_by("-created_at", "-pk")
    )


def applicant_search_for_staff(
    *,
    user: User | AnonymousUser,
    name: str = "",
    district: Region | None = None,
    street: Region | None = None,
    eligibility: str = "",
    awaiting_verification: bool = False,
) -> QuerySet[Applicant]:
    """
    Return the applicants in `user`'s scope matching the filters. A name
    matches anywhere in the full name, names starting with it first. The ID
    number is never searched here: see applicant_find_by_id_number_for_staff.
    """
    applicants = applicant_list_for_staff(user=user)
    if district is not None:
        applicants = applicants.filter(residence_district=district)
    if street is not None:
        applicants = applicants.filter(residence_street=street)
    if eligibility:
        applicants = applicants.filter(eligibility=eligibility)
    if awaiting_verification:
        applicants = applicants.filter(
            Exists(Child.objects.filter(applicant=OuterRef("pk"), verified_at__isnull=True))
        )
    name = " ".join(name.split())
    if name:
        applicants = applicants.filter(full_name__icontains=name).order_by(
            Case(
                When(full_name__istartswith=name, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "full_name",
            "pk",
        )
    return applicants


def applicant_find_by_id_number_for_staff(
    *, user: User | AnonymousUser, id_number: str
) -> QuerySet[Applicant]:
    """
    Return the applicant in `user`'s scope registered with the complete
    `id_number` (zero or one row), found through the keyed hash: the
    number is never compared in clear, so a partial number finds nobody.
    """
    from .selectors import applicant_get_by_id_number

    found = applicant_get_by_id_number(id_number=id_number)
    if found is None:
        return Applicant.objects.none()
    return applicant_list_for_staff(user=user).filter(pk=found.pk)


def applicant_get_for_staff(*, user: User | AnonymousUser, pk: int) -> Applicant:
    """
    Return one applicant in `user`'s scope (anonymised ones included, for
    their audit records) with children (and who verified them), free
    windows, applications (with post and employer) and employments loaded.
    Raise Applicant.DoesNotExist otherwise.
    """
    return (
        applicant_list_for_staff(user=user, include_anonymised=True)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "children",
                queryset=Child.objects.select_related("verified_by").order_by(
                    "birth_year", "birth_month", "pk"
                ),
            ),
            Prefetch(
                "free_windows", queryset=FreeWindow.objects.order_by("weekday", "start_minute")
            ),
            Prefetch(
                "applications",
                queryset=Application.objects.select_related("job", "job__employer").order_by(
                    "-submitted_at", "-pk"
                ),
            ),
            Prefetch(
                "employments",
                queryset=Employment.objects.select_related("employer", "job").order_by(
                    "-start_date", "-pk"
                ),
            ),
        )
        .get(pk=pk)
    )


def child_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[Child]:
    """Return the children of the (not anonymised) applicants in `user`'s scope."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Child.objects.none()
    return Child.objects.filter(
        _scope_q(prefixes, "applicant__residence_district__code"),
        applicant__anonymised_at__isnull=True,
    ).select_related("applicant", "applicant__residence_district", "applicant__residence_street")


def child_queue_for_staff(*, user: User | AnonymousUser) -> QuerySet[Child]:
    """Return the children in `user`'s scope whose evidence awaits checking, oldest first."""
    return (
        child_list_for_staff(user=user)
        .filter(verified_at__isnull=True)
        .order_by("created_at", "pk")
    )


def child_unverified_count_for_staff(*, user: User | AnonymousUser) -> int:
    """Return how many children in `user`'s scope await verification (one query)."""
    return child_queue_for_staff(user=user).select_related(None).order_by().count()


def street_choice_list_for_staff(
    *, user: User | AnonymousUser, district_code: str
) -> QuerySet[Region]:
    """
    Return the current streets of the district `district_code` within
    `user`'s regions, for a filter select; none without a district (a city
    has too many to list). An unknown or foreign code gives none.
    """
    if not district_code:
        return Region.objects.none()
    return (
        region_list_for_user(user=user)
        .current()
        .filter(level=Region.Level.STREET, parent__code=district_code)
        .order_by("code")
    )


# ---------------------------------------------------------------------------
# The demand survey (需求调查). Zoucheng's survey of mothers asks 48
# questions in five areas: personal data, family and care, the intended
# employment mode, the intended fields of work and training needs. The
# profile holds the answers; here they are counted per choice.

SCHOOL_START, SCHOOL_END = DEFAULT_SCHOOL_DAY  # 08:30-16:00
NOON = 12 * 60
EVENING = 18 * 60


@dataclass(frozen=True)
class SurveyRow:
    value: str
    label: str
    count: int
    share: Decimal | None  # percent of the applicants counted, one decimal


@dataclass(frozen=True)
class SurveyDimension:
    key: str
    area: str
    title: str
    rows: list[SurveyRow]
    # True when one person may give several answers (shares then add up to more than 100).
    multiple: bool = False


@dataclass
class DemandSurvey:
    total: int = 0
    dimensions: list[SurveyDimension] = field(default_factory=list)

    @property
    def areas(self) -> list[tuple[str, list[SurveyDimension]]]:
        grouped: dict[str, list[SurveyDimension]] = {}
        for dimension in self.dimensions:
            grouped.setdefault(dimension.area, []).append(dimension)
        return list(grouped.items())


AREA_PERSONAL = _("个人基本情况")
AREA_FAMILY = _("家庭与可工作时间")
AREA_MODE = _("就业意向")
AREA_FIELDS = _("意向行业")
AREA_TRAINING = _("培训需求")
NOT_GIVEN = _("未填写")


def _choice_rows(
    field_name: str, choices: list[tuple[str, Any]], *, array: bool, none_label: Any = NOT_GIVEN
) -> list[tuple[str, Any, Q]]:
    """Return (value, label, Q) per choice, and a last row for no answer."""
    lookup = f"{field_name}__contains" if array else field_name
    rows = [(value, label, Q(**{lookup: [value] if array else value})) for value, label in choices]
    rows.append(("", none_label, Q(**{field_name: [] if array else ""})))
    return rows


def _free_time_rows() -> list:
    windows = FreeWindow.objects.filter(applicant=OuterRef("pk"))
    outside_school = windows.filter(
        Q(weekday__gte=5) | Q(start_minute__lt=SCHOOL_START) | Q(end_minute__gt=SCHOOL_END)
    )
    weekday = windows.filter(weekday__lte=4)
    return [
        (
            "school_hours_only",
            _("只在工作日上学时段（08:30–16:00）"),
            Q(Exists(windows)) & ~Q(Exists(outside_school)),
        ),
        ("weekday_mornings", _("工作日上午"), Q(Exists(weekday.filter(start_minute__lt=NOON)))),
        (
            "weekday_afternoons",
            _("工作日下午"),
            Q(Exists(weekday.filter(start_minute__lt=EVENING, end_minute__gt=NOON))),
        ),
        ("evenings", _("晚上（18:00以后）"), Q(Exists(windows.filter(end_minute__gt=EVENING)))),
        ("weekends", _("周末"), Q(Exists(windows.filter(weekday__gte=5)))),
        ("none", _("未填写可工作时间"), ~Q(Exists(windows))),
    ]


HOURS_BANDS: list[tuple[str, Any, int, int]] = [
    ("1-10", _("10小时及以下"), 1, 10),
    ("11-20", _("11–20小时"), 11, 20),
    # 24 hours a week is the ceiling for non-full-time work (劳动合同法 Art. 68).
    ("21-24", _("21–24小时"), 21, 24),
    ("25-40", _("25–40小时"), 25, 40),
    ("41+", _("40小时以上"), 41, 32767),
]


def _dimensions() -> list[tuple[str, Any, Any, bool, list]]:
    """Return (key, area, title, multiple, [(value, label, Q)]) of every counted question."""
    hours = [(key, label, Q(hours_per_week__range=(lo, hi))) for key, label, lo, hi in HOURS_BANDS]
    hours.append(("", NOT_GIVEN, Q(hours_per_week__isnull=True)))
    return [
        (
            "education",
            AREA_PERSONAL,
            _("学历"),
            False,
            _choice_rows("education", Applicant.Education.choices, array=False),
        ),
        (
            "care_duties",
            AREA_FAMILY,
            _("其他照护责任"),
            True,
            _choice_rows("care_duties", Applicant.CareDuty.choices, array=True, none_label=_("无")),
        ),
        ("free_time", AREA_FAMILY, _("可工作时间"), True, _free_time_rows()),
        (
            "post_mode",
            AREA_MODE,
            _("意向妈妈岗类型"),
            True,
            _choice_rows("intended_post_modes", Job.PostMode.choices, array=True),
        ),
        (
            "location_mode",
            AREA_MODE,
            _("意向工作地点"),
            True,
            _choice_rows("intended_location_modes", Job.LocationMode.choices, array=True),
        ),
        (
            "employment_form",
            AREA_MODE,
            _("意向用工形式"),
            True,
            _choice_rows("intended_employment_forms", Job.EmploymentForm.choices, array=True),
        ),
        ("hours", AREA_MODE, _("每周可工作小时"), False, hours),
        (
            "sector",
            AREA_FIELDS,
            _("意向行业"),
            True,
            _choice_rows("intended_sectors", Employer.Sector.choices, array=True),
        ),
        (
            "training",
            AREA_TRAINING,
            _("培训需求"),
            True,
            _choice_rows("training_needs", Applicant.TrainingNeed.choices, array=True),
        ),
    ]


def _share(count: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(100) * count / total).quantize(Decimal("0.1"))


def demand_survey_for_staff(
    *, user: User | AnonymousUser, district: Region | None = None, category: str = ""
) -> DemandSurvey:
    """
    Count the answers of the (not anonymised) applicants in `user`'s scope,
    optionally of one district and one category: every question with fixed
    choices in one conditional aggregate (array answers with `@>`, free-time
    patterns with EXISTS over the free windows), plus one grouped query by
    district. Two queries, plus what the scope lookup costs.
    """
    applicants = _applicants_in_scope(user)
    if district is not None:
        applicants = applicants.filter(residence_district=district)
    if category:
        applicants = applicants.filter(category=category)

    dimensions = _dimensions()
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for index, (_key, _area, _title, _multiple, rows) in enumerate(dimensions):
        for row_index, (_value, _label, condition) in enumerate(rows):
            aggregates[f"d{index}_{row_index}"] = Count("pk", filter=condition)
    counts = applicants.aggregate(**aggregates)
    total = counts["total"]

    by_district = (
        applicants.values("residence_district__code", "residence_district__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "residence_district__code")
    )
    survey = DemandSurvey(total=total)
    survey.dimensions.append(
        SurveyDimension(
            key="district",
            area=str(AREA_PERSONAL),
            title=str(_("居住区县")),
            rows=[
                SurveyRow(
                    row["residence_district__code"],
                    row["residence_district__name"],
                    row["n"],
                    _share(row["n"], total),
                )
                for row in by_district
            ],
        )
    )
    for index, (key, area, title, multiple, rows) in enumerate(dimensions):
        survey.dimensions.append(
            SurveyDimension(
                key=key,
                area=str(area),
                title=str(title),
                multiple=multiple,
                rows=[
                    SurveyRow(
                        value,
                        str(label),
                        counts[f"d{index}_{row_index}"],
                        _share(counts[f"d{index}_{row_index}"], total),
                    )
                    for row_index, (value, label, _condition) in enumerate(rows)
                ],
            )
        )
    return survey
