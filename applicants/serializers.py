"""
Serializers shared by the applicants REST API (`apis.py`). Serializers used
by one API only stay nested in that API class.

Weekdays are 1 (Monday) to 7 (Sunday) and times "HH:MM", as in the jobs
API. No serializer here carries a full ID number: her own profile and the
employer's view show the masked copy only; employers never see children's
records.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from employers.serializers import RegionRefSerializer
from jobs.schedule import Window, parse_time, windows_for
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

from .eligibility import REASON_LABELS
from .fit import fit_for, windows_from_rows
from .models import Applicant, Application, Child, Employment


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _codes(values: list[str]) -> str:
    return ", ".join(value for value in values if value)


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """
    A code from a fixed set, documented as a plain string whose description
    lists the codes. A bare ChoiceField would add an enum component named
    after the field ("status", "category", "source"), which clashes in the
    schema with other apps' enums of the same name (drf-spectacular warns).
    """

    def __init__(self, *, choices: Any, what: Any = "", **kwargs: Any) -> None:
        values = [value for value, _label in choices]
        kwargs.setdefault(
            "help_text", _("%(what)s代码：%(codes)s") % {"what": what, "codes": _codes(values)}
        )
        super().__init__(choices=choices, **kwargs)


class ApplicationStatusField(CodeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Application.Status.choices, what=_("申请状态"), **kwargs)


class RegionCodeField(serializers.CharField):
    """A current region given by its code: county-level, or a street."""

    def __init__(self, *, level: str, **kwargs: Any) -> None:
        self.level = level
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Region | None:
        code = super().run_validation(data)  # the string's own checks (length) first
        if code is None:
            return None
        # A city without districts (东莞, 中山) stands in for a district.
        level_q = county_level_q() if self.level == Region.Level.DISTRICT else Q(level=self.level)
        region = Region.objects.current().filter(level_q, code=code).first()
        if region is None:
            raise serializers.ValidationError(
                _("没有这个区划代码：%(code)s") % {"code": code}, code="invalid_region"
            )
        return region


# ---------------------------------------------------------------------------
# Weekly windows
# ---------------------------------------------------------------------------


class TimeOfDayField(serializers.CharField):
    """A time "HH:MM" (24:00 allowed), as minutes after midnight."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> int:
        text = super().run_validation(data)
        try:
            return parse_time(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid_time") from None


class WindowInputSerializer(serializers.Serializer):
    """One weekly window; an end not after the start runs overnight into the next day."""

    weekday = serializers.IntegerField(
        min_value=1, max_value=7, help_text=_("星期：1=周一 … 7=周日")
    )
    start = TimeOfDayField(help_text=_("开始时间 时:分，例如 09:00"))
    end = TimeOfDayField(help_text=_("结束时间 时:分，例如 15:00；24:00 为午夜"))

    class Meta:
        ref_name = "ApplicantWindowInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError(
                {"end": _("开始和结束时间不能相同。")}, code="empty_window"
            )
        return attrs


def windows_from_input(rows: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """Return validated WindowInputSerializer rows as (weekday 0-6, start, end) tuples."""
    windows: list[Window] = []
    for row in rows:
        windows.extend(windows_for([row["weekday"] - 1], row["start"], row["end"]))
    return [(w.weekday, w.start, w.end) for w in windows]


class WindowSerializer(serializers.Serializer):
    """One weekly window as stored, end exclusive; overnight shows as two windows."""

    weekday = serializers.IntegerField(help_text=_("星期：1=周一 … 7=周日"))
    start = serializers.CharField(help_text=_("开始时间 时:分"))
    end = serializers.CharField(help_text=_("结束时间 时:分，24:00 为午夜"))

    class Meta:
        ref_name = "ApplicantWindow"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        (window,) = windows_from_rows([instance])
        return {
            "weekday": window.weekday + 1,
            "start": _hhmm(window.start),
            "end": _hhmm(window.end),
        }


# ---------------------------------------------------------------------------
# Her own profile, children and eligibility
# ---------------------------------------------------------------------------


class ProfileSerializer(serializers.Serializer):
    """Her profile as she sees it: the ID number masked. Needs prefetched free windows."""

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    id_number_masked = serializers.CharField(help_text=_("脱敏的身份证号码"))
    birth_date = serializers.DateField()
    category = CodeField(choices=Applicant.Category.choices, what=_("人员类别"))
    retirement_category = CodeField(
        choices=Applicant.RetirementCategory.choices, what=_("退休年龄类别（空为不清楚）")
    )
    residence_district = RegionRefSerializer()
    residence_street = RegionRefSerializer(allow_null=True)
    education = CodeField(choices=Applicant.Education.choices, what=_("学历（空为未填）"))
    skills = serializers.ListField(child=serializers.CharField())
    certificates = serializers.ListField(child=serializers.CharField())
    care_duties = serializers.ListField(child=serializers.CharField())
    intended_post_modes = serializers.ListField(child=serializers.CharField())
    intended_location_modes = serializers.ListField(child=serializers.CharField())
    intended_employment_forms = serializers.ListField(child=serializers.CharField())
    hours_per_week = serializers.IntegerField(allow_null=True)
    intended_sectors = serializers.ListField(child=serializers.CharField())
    training_needs = serializers.ListField(child=serializers.CharField())
    training_other = serializers.CharField()
    free_windows = WindowSerializer(many=True)
    eligibility = CodeField(choices=Applicant.Eligibility.choices, what=_("最近一次核查的资格"))
    eligible_until = serializers.DateField(allow_null=True)
    eligibility_checked_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ApplicantProfile"


class ChildSerializer(serializers.Serializer):
    """A child's minimal record (no name, no ID number)."""

    id = serializers.IntegerField()
    birth_year = serializers.IntegerField()
    birth_month = serializers.IntegerField()
    relationship = CodeField(choices=Child.Relationship.choices, what=_("关系"))
    evidence = CodeField(choices=Child.Evidence.choices, what=_("证明材料"))
    verified = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "ApplicantChild"

    def get_verified(self, child: Child) -> bool:
        return child.verified_at is not None


class EligibilityReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "ApplicantEligibilityReason"


class EligibilitySerializer(serializers.Serializer):
    """Her eligibility today under her district's policy (an EligibilityResult)."""

    eligible = serializers.BooleanField()
    reasons = serializers.SerializerMethodField()
    until = serializers.DateField(
        allow_null=True, help_text=_("符合条件时，资格截止日期（不含当日）")
    )

    class Meta:
        ref_name = "ApplicantEligibility"

    @extend_schema_field(EligibilityReasonSerializer(many=True))
    def get_reasons(self, result: Any) -> Any:
        return [
            {"code": code, "label": str(REASON_LABELS.get(code, code))} for code in result.reasons
        ]


# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------


class ApplicationEmployerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "ApplicationEmployerRef"


class ApplicationJobRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    employer = ApplicationEmployerRefSerializer()
    district = RegionRefSerializer()

    class Meta:
        ref_name = "ApplicationJobRef"


class ApplicationEventSerializer(serializers.Serializer):
    """One status change; both sides see it, without who made it."""

    from_status = ApplicationStatusField(allow_blank=True)
    to_status = ApplicationStatusField()
    note = serializers.CharField()
    occurred_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ApplicationEvent"


class MyApplicationSerializer(serializers.Serializer):
    """One of her applications in her list."""

    id = serializers.IntegerField()
    job = ApplicationJobRefSerializer()
    status = ApplicationStatusField()
    status_label = serializers.CharField(source="get_status_display")
    interview_at = serializers.DateTimeField(allow_null=True)
    interview_place = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()

    class Meta:
        ref_name = "MyApplication"


class MyApplicationDetailSerializer(MyApplicationSerializer):
    """One of her applications with what she sent and its history (events prefetched)."""

    message = serializers.CharField()
    offered_windows = WindowSerializer(many=True)
    reject_reason = serializers.CharField()
    events = ApplicationEventSerializer(many=True)

    class Meta:
        ref_name = "MyApplicationDetail"


class MaskedApplicantSerializer(serializers.Serializer):
    """
    The person as an employer sees her: no full ID number, no birth date,
    no children, no contact data (the portal notifies her).
    """

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    id_number_masked = serializers.CharField(help_text=_("脱敏的身份证号码"))
    age = serializers.SerializerMethodField(help_text=_("周岁"))
    residence_district = RegionRefSerializer()
    education = CodeField(choices=Applicant.Education.choices, what=_("学历（空为未填）"))
    skills = serializers.ListField(child=serializers.CharField())
    certificates = serializers.ListField(child=serializers.CharField())
    eligibility = CodeField(
        choices=Applicant.Eligibility.choices, what=_("最近一次核查的妈妈岗资格")
    )

    class Meta:
        ref_name = "MaskedApplicant"

    def get_age(self, applicant: Applicant) -> int:
        today = timezone.localdate()
        born = applicant.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class FitSerializer(serializers.Serializer):
    overlap_percent = serializers.IntegerField(
        allow_null=True,
        help_text=_("岗位每周工作时间落在她可工作时间段内的百分比；岗位无固定时段时为空"),
    )
    same_district = serializers.BooleanField()
    skills = serializers.ListField(
        child=serializers.CharField(), help_text=_("岗位要求中提到的她的技能和证书")
    )
    schedule_fits = serializers.BooleanField()

    class Meta:
        ref_name = "ApplicationFit"


class EmployerApplicationSerializer(serializers.Serializer):
    """
    An application in the employer's list, with the person masked and how
    well her offered windows, district and skills fit the post. Needs the
    member selectors' select_related and prefetched post windows.
    """

    id = serializers.IntegerField()
    job = ApplicationJobRefSerializer()
    applicant = MaskedApplicantSerializer()
    status = ApplicationStatusField()
    status_label = serializers.CharField(source="get_status_display")
    fit = serializers.SerializerMethodField()
    interview_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()

    class Meta:
        ref_name = "EmployerApplication"

    @extend_schema_field(FitSerializer)
    def get_fit(self, application: Application) -> Any:
        job = application.job
        her = application.applicant
        fit = fit_for(
            job_windows=windows_from_rows(job.windows.all()),
            her_windows=windows_from_rows(application.offered_windows),
            job_district_id=job.district_id,
            her_district_id=her.residence_district_id,
            skills=[*her.skills, *her.certificates],
            post_text=" ".join(
                [
                    job.title,
                    job.occupation,
                    job.description,
                    job.certificates,
                    job.other_requirements,
                ]
            ),
        )
        return FitSerializer(
            {
                "overlap_percent": fit.overlap_percent,
                "same_district": fit.same_district,
                "skills": list(fit.skills),
                "schedule_fits": fit.schedule_fits,
            }
        ).data


class EmployerApplicationDetailSerializer(EmployerApplicationSerializer):
    """One application with her message, offered windows, history and employment."""

    message = serializers.CharField()
    offered_windows = WindowSerializer(many=True)
    interview_place = serializers.CharField()
    reject_reason = serializers.CharField()
    events = ApplicationEventSerializer(many=True)
    employment_id = serializers.SerializerMethodField(
        help_text=_("录用后的就业登记编号；未录用为空")
    )

    class Meta:
        ref_name = "EmployerApplicationDetail"

    def get_employment_id(self, application: Application) -> int | None:
        employment = getattr(application, "employment", None)  # select_related by the selector
        return employment.pk if employment is not None else None


# ---------------------------------------------------------------------------
# Employments
# ---------------------------------------------------------------------------


class EmploymentApplicantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    id_number_masked = serializers.CharField(help_text=_("脱敏的身份证号码"))

    class Meta:
        ref_name = "EmploymentApplicant"


class EmploymentJobRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()

    class Meta:
        ref_name = "EmploymentJobRef"


class EmploymentSerializer(serializers.Serializer):
    """An employment registration (就业登记) as the employer's members see it."""

    id = serializers.IntegerField()
    employer = ApplicationEmployerRefSerializer()
    applicant = EmploymentApplicantSerializer()
    job = EmploymentJobRefSerializer(allow_null=True)
    application_id = serializers.IntegerField(allow_null=True)
    source = CodeField(choices=Employment.Source.choices, what=_("来源"))
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    employment_form = serializers.CharField(help_text=_("用工形式代码（同岗位）"))
    has_labour_contract = serializers.BooleanField()
    contract_months = serializers.IntegerField(allow_null=True)
    social_insurance = serializers.BooleanField()
    declared_mamagang = serializers.BooleanField()
    declared_at = serializers.DateTimeField(allow_null=True)
    end_reason = CodeField(choices=Employment.EndReason.choices, what=_("离职原因（未离职为空）"))
    end_note = serializers.CharField()
    is_current = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Employment"

    def get_is_current(self, employment: Employment) -> bool:
        today: datetime.date = timezone.localdate()
        return employment.start_date <= today and (
            employment.end_date is None or employment.end_date >= today
        )
