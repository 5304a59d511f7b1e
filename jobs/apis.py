"""
REST API of the jobs app for employers' members (their posts: create,
preview, edit, submit, close, renew, duplicate) and for district staff
(moderation). Reads go through selectors, writes through one service each.
The public search API is `apis_public.py`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from employers.models import Employer
from employers.permissions import CanManageEmployer
from employers.selectors import employer_list_for_member
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

from .models import Job, JobEvent
from .permissions import CanModerateJob
from .schedule import LabourWarning, Window, parse_time, windows_for
from .selectors import job_list_for_employer, job_list_for_staff
from .serializers import (
    JobDetailSerializer,
    JobSummarySerializer,
    LabourWarningSerializer,
    StaffJobDetailSerializer,
)
from .services import (
    INPUT_FIELDS,
    job_approve,
    job_check,
    job_close,
    job_create,
    job_duplicate,
    job_renew,
    job_return,
    job_submit,
    job_take_down,
    job_update,
)

# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


class RegionCodeField(serializers.CharField):
    """A current region given by its code: county-level, or a street."""

    def __init__(self, *, level: str, **kwargs: Any) -> None:
        self.level = level
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Region | None:
        code = super().run_validation(data)
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


class TimeOfDayField(serializers.CharField):
    """A time "HH:MM" (24:00 allowed), as minutes after midnight."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> int:
        text = super().run_validation(data)  # the string's own checks (length) first
        try:
            return parse_time(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid_time") from None


class JobWindowInputSerializer(serializers.Serializer):
    """One shift on some weekdays; an end not after the start runs overnight."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        min_length=1,
        max_length=7,
        help_text=_("星期：1=周一 … 7=周日"),
    )
    start = TimeOfDayField(help_text=_("开始时间 时:分，例如 09:00"))
    end = TimeOfDayField(help_text=_("结束时间 时:分；不晚于开始时间表示跨夜到次日"))

    class Meta:
        ref_name = "JobWindowInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError(
                {"end": _("开始和结束时间不能相同。")}, code="empty_window"
            )
        return attrs


class JobInputSerializer(serializers.Serializer):
    """Everything an employer sets on a post; an update replaces all of it."""

    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000)
    sector = serializers.ChoiceField(choices=Employer.Sector.choices)
    occupation = serializers.CharField(max_length=50)
    post_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=Job.PostMode.choices), min_length=1, max_length=5
    )
    employment_form = serializers.ChoiceField(choices=Job.EmploymentForm.choices)
    location_mode = serializers.ChoiceField(choices=Job.LocationMode.choices)
    district = RegionCodeField(level=Region.Level.DISTRICT, help_text=_("区县6位代码"))
    street = RegionCodeField(
        level=Region.Level.STREET,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("街道9位代码"),
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pay_unit = serializers.ChoiceField(choices=Job.PayUnit.choices)
    pay_min = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=Decimal("0.01"))
    pay_max = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=Decimal("0.01"))
    pieces_per_hour = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("计件岗位必填：每小时约可完成件数"),
    )
    pay_cycle_days = serializers.IntegerField(min_value=1, max_value=31, default=30)
    headcount = serializers.IntegerField(min_value=1, max_value=32767, default=1)
    education = serializers.ChoiceField(choices=Job.Education.choices, default=Job.Education.NONE)
    certificates = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    other_requirements = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    has_labour_contract = serializers.BooleanField(default=False)
    contract_months = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True, default=None
    )
    social_insurance = serializers.BooleanField(default=False)
    work_injury_insurance = serializers.BooleanField(default=False)
    training_provided = serializers.BooleanField(default=False)
    promotion_path = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    windows = JobWindowInputSerializer(many=True, required=False, default=list)

    class Meta:
        ref_name = "JobInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if attrs["pay_max"] < attrs["pay_min"]:
            errors["pay_max"] = _("最高报酬不能低于最低报酬。")
        if attrs["valid_until"] < attrs["valid_from"]:
            errors["valid_until"] = _("截止日期不能早于开始日期。")
        if attrs["pay_unit"] == Job.PayUnit.PIECE and not attrs.get("pieces_per_hour"):
            errors["pieces_per_hour"] = _("计件岗位请填写每小时约可完成的件数。")
        street = attrs.get("street")
        if street is not None and street.parent_id != attrs["district"].pk:
            errors["street"] = _("所选街道/乡镇不属于该区县。")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_arguments(self) -> tuple[dict[str, Any], list[Window]]:
        """Return the validated data as the services take it: fields and windows."""
        data = dict(self.validated_data)
        windows: list[Window] = []
        for shift in data.pop("windows"):
            # Weekdays come as 1 (Monday) to 7; the schedule counts 0 to 6.
            weekdays = sorted({day - 1 for day in shift["weekdays"]})
            windows.extend(windows_for(weekdays, shift["start"], shift["end"]))
        data["post_modes"] = sorted(set(data["post_modes"]))
        return {name: data[name] for name in INPUT_FIELDS}, windows


# ---------------------------------------------------------------------------
# Employer members
# ---------------------------------------------------------------------------


def _warnings_now(job: Job) -> list[LabourWarning]:
    """Return the labour-law warnings the post's current data gives today."""
    fields = {name: getattr(job, name) for name in INPUT_FIELDS}
    windows = [Window(w.weekday, w.start_minute, w.end_minute) for w in job.windows.all()]
    try:
        return job_check(fields=fields, windows=windows, today=timezone.localdate()).warnings
    except DomainError as exc:
        return [LabourWarning(exc.code, exc.message)]


def _with_events(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return jobs.prefetch_related(
        Prefetch("events", queryset=JobEvent.objects.select_related("actor"))
    )


class JobStatusFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Job.Status.choices, label=_("状态"))

    class Meta:
        model = Job
        fields: ClassVar[list[str]] = ["status"]


class _MemberEmployerApi(APIView):
    """Base of the APIs on one employer the user belongs to (else 404)."""

    permission_classes = [IsAuthenticated, CanManageEmployer]

    def get_employer(self, employer_id: int) -> Employer:
        employer = get_object_or_404(
            employer_list_for_member(user=self.request.user), pk=employer_id
        )
        self.check_object_permissions(self.request, employer)
        return employer


def _member_job_response(
    employer: Employer,
    job: Job,
    *,
    warnings: list[LabourWarning] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    """Answer with the post as its employer's members see it, fully loaded."""
    job = _with_events(job_list_for_employer(employer=employer)).get(pk=job.pk)
    context = {"warnings": _warnings_now(job) if warnings is None else warnings}
    return Response(JobDetailSerializer(job, context=context).data, status=status_code)


class _MemberJobApi(APIView):
    """Base of the APIs on one post of an employer the user belongs to (else 404)."""

    permission_classes = [IsAuthenticated, CanManageEmployer]
    employer: Employer

    def get_job(self, job_id: int) -> Job:
        self.employer = get_object_or_404(
            employer_list_for_member(user=self.request.user), jobs__pk=job_id
        )
        self.check_object_permissions(self.request, self.employer)
        return get_object_or_404(job_list_for_employer(employer=self.employer), pk=job_id)

    def job_response(
        self,
        job: Job,
        *,
        warnings: list[LabourWarning] | None = None,
        status_code: int = status.HTTP_200_OK,
    ) -> Response:
        return _member_job_response(self.employer, job, warnings=warnings, status_code=status_code)


class JobListForMemberApi(ListAPIView):
    """The employer's posts in every status, newest first."""

    permission_classes = [IsAuthenticated, CanManageEmployer]
    serializer_class = JobSummarySerializer
    filterset_class = JobStatusFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Job.objects.none()
        employer = get_object_or_404(
            employer_list_for_member(user=self.request.user), pk=self.kwargs["employer_id"]
        )
        self.check_object_permissions(self.request, employer)
        return job_list_for_employer(employer=employer)


class JobCreateApi(_MemberEmployerApi):
    """Create a draft post; the answer lists the labour-law warnings to show."""

    @extend_schema(request=JobInputSerializer, responses={201: JobDetailSerializer})
    def post(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        serializer = JobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, windows = serializer.service_arguments()
        job, warnings = job_create(
            employer=employer, created_by=request.user, fields=fields, windows=windows
        )
        return _member_job_response(
            employer, job, warnings=warnings, status_code=status.HTTP_201_CREATED
        )


class JobPreviewApi(_MemberEmployerApi):
    """Derive a post's figures and warnings from the create input, saving nothing."""

    class OutputSerializer(serializers.Serializer):
        hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
        hourly_min = serializers.DecimalField(max_digits=8, decimal_places=2)
        hourly_max = serializers.DecimalField(max_digits=8, decimal_places=2)
        school_run_friendly = serializers.BooleanField()
        warnings = LabourWarningSerializer(many=True)

        class Meta:
            ref_name = "JobPreview"

    @extend_schema(request=JobInputSerializer, responses=OutputSerializer)
    def post(self, request: Request, employer_id: int) -> Response:
        self.get_employer(employer_id)
        serializer = JobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, windows = serializer.service_arguments()
        check = job_check(fields=fields, windows=windows, today=timezone.localdate())
        return Response(self.OutputSerializer(check).data)


class JobDetailForMemberApi(_MemberJobApi):
    """One of the employer's posts with its history and current warnings."""

    @extend_schema(responses=JobDetailSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return self.job_response(self.get_job(job_id))


class JobUpdateApi(_MemberJobApi):
    """
    Replace a post's fields and windows. A published post in a region that
    reviews posts goes back to review unless only headcount or end date changed.
    """

    @extend_schema(request=JobInputSerializer, responses=JobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.get_job(job_id)
        serializer = JobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, windows = serializer.service_arguments()
        job, warnings = job_update(job=job, updated_by=request.user, fields=fields, windows=windows)
        return self.job_response(job, warnings=warnings)


class JobSubmitApi(_MemberJobApi):
    """Submit a draft or returned post: published at once, or after review."""

    @extend_schema(request=None, responses=JobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = job_submit(job=self.get_job(job_id), submitted_by=request.user)
        return self.job_response(job)


class JobCloseApi(_MemberJobApi):
    """End a published or expired post: filled, not filled or withdrawn."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=Job.CloseReason.choices)

        class Meta:
            ref_name = "JobCloseInput"

    @extend_schema(request=InputSerializer, responses=JobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.get_job(job_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_close(job=job, closed_by=request.user, reason=serializer.validated_data["reason"])
        return self.job_response(job)


class JobRenewApi(_MemberJobApi):
    """Move a published or expired post's end date later (published again)."""

    class InputSerializer(serializers.Serializer):
        valid_until = serializers.DateField(help_text=_("新的截止日期"))

        class Meta:
            ref_name = "JobRenewInput"

    @extend_schema(request=InputSerializer, responses=JobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.get_job(job_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_renew(
            job=job, renewed_by=request.user, valid_until=serializer.validated_data["valid_until"]
        )
        return self.job_response(job)


class JobDuplicateApi(_MemberJobApi):
    """Copy a post (any status) into a new draft."""

    @extend_schema(request=None, responses={201: JobDetailSerializer})
    def post(self, request: Request, job_id: int) -> Response:
        copy = job_duplicate(job=self.get_job(job_id), created_by=request.user)
        return self.job_response(copy, status_code=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# District staff: moderation
# ---------------------------------------------------------------------------


class ModeratesJobs(BasePermission):
    message = _("您没有审核岗位的权限。")

    def has_permission(self, request, view):
        return request.user.has_perm("jobs.moderate_job")


def _region_prefix(code: str) -> str:
    """Return the prefix a code stands for: 440300 → 4403, 440000 → 44 (GB/T 2260)."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


class StaffJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Job.Status.choices, label=_("状态"))
    district = django_filters.CharFilter(
        method="filter_district",
        validators=[
            RegexValidator(
                r"^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2})?)?$",
                _("请填写2位（省）、4位（市）或6位（区县）数字区划代码。"),
                code="invalid_region_code",
            )
        ],
        max_length=6,
        label=_("区县代码，或市（4位）、省（2位）代码前缀"),
    )
    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=100, label=_("岗位名称包含")
    )

    class Meta:
        model = Job
        fields: ClassVar[list[str]] = ["status", "district", "q"]

    def filter_district(self, queryset, name, value):
        return queryset.filter(district__code__startswith=_region_prefix(value))


class JobListForStaffApi(ListAPIView):
    """The posts in the user's districts, most recently submitted first."""

    permission_classes = [IsAuthenticated, ModeratesJobs]
    serializer_class = JobSummarySerializer
    filterset_class = StaffJobFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Job.objects.none()
        return job_list_for_staff(user=self.request.user)


class _StaffJobApi(APIView):
    """Base of the staff APIs on one post in the user's districts (else 404)."""

    # CanModerateJob is an object permission: checked only by get_job_to_decide.
    permission_classes = [IsAuthenticated, ModeratesJobs, CanModerateJob]

    def get_job(self, job_id: int) -> Job:
        return get_object_or_404(job_list_for_staff(user=self.request.user), pk=job_id)

    def get_job_to_decide(self, job_id: int) -> Job:
        """The post, if the user may decide on it (four-eyes), else 403."""
        job = self.get_job(job_id)
        self.check_object_permissions(self.request, job)
        return job

    def job_response(self, job: Job) -> Response:
        job = _with_events(job_list_for_staff(user=self.request.user)).get(pk=job.pk)
        context = {"warnings": _warnings_now(job)}
        return Response(StaffJobDetailSerializer(job, context=context).data)


class JobDetailForStaffApi(_StaffJobApi):
    """One post with its history (naming who acted) and the warnings it gives today."""

    @extend_schema(responses=StaffJobDetailSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return self.job_response(self.get_job(job_id))


class JobApproveApi(_StaffJobApi):
    """Publish a post waiting for review."""

    @extend_schema(request=None, responses=StaffJobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = job_approve(job=self.get_job_to_decide(job_id), decided_by=request.user)
        return self.job_response(job)


class _StaffJobReasonApi(_StaffJobApi):
    """Base of the staff decisions that need a reason the employer sees."""

    service: ClassVar[Any]

    class InputSerializer(serializers.Serializer):
        # Left to the service to require, so the answer carries its code.
        reason = serializers.CharField(
            max_length=1000,
            required=False,
            allow_blank=True,
            default="",
            help_text=_("原因（必填），单位会看到这段说明。"),
        )

        class Meta:
            ref_name = "JobModerationReasonInput"

    @extend_schema(request=InputSerializer, responses=StaffJobDetailSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.get_job_to_decide(job_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = type(self).service(
            job=job, decided_by=request.user, reason=serializer.validated_data["reason"]
        )
        return self.job_response(job)


class JobReturnApi(_StaffJobReasonApi):
    """Send a post waiting for review back for changes, with the reason."""

    service = staticmethod(job_return)


class JobTakeDownApi(_StaffJobReasonApi):
    """Take a published post out of search, with the reason."""

    service = staticmethod(job_take_down)


urlpatterns = [
    # Employer members.
    path(
        "me/employers/<int:employer_id>/jobs/",
        JobListForMemberApi.as_view(),
        name="my-job-list",
    ),
    path(
        "me/employers/<int:employer_id>/jobs/create/",
        JobCreateApi.as_view(),
        name="my-job-create",
    ),
    path(
        "me/employers/<int:employer_id>/jobs/preview/",
        JobPreviewApi.as_view(),
        name="my-job-preview",
    ),
    path("me/jobs/<int:job_id>/", JobDetailForMemberApi.as_view(), name="my-job-detail"),
    *(
        path(f"me/jobs/<int:job_id>/{action}/", view.as_view(), name=f"my-job-{action}")
        for action, view in (
            ("update", JobUpdateApi),
            ("submit", JobSubmitApi),
            ("close", JobCloseApi),
            ("renew", JobRenewApi),
            ("duplicate", JobDuplicateApi),
        )
    ),
    # District staff.
    path("staff/jobs/", JobListForStaffApi.as_view(), name="staff-job-list"),
    path("staff/jobs/<int:job_id>/", JobDetailForStaffApi.as_view(), name="staff-job-detail"),
    *(
        path(f"staff/jobs/<int:job_id>/{action}/", view.as_view(), name=f"staff-job-{action}")
        for action, view in (
            ("approve", JobApproveApi),
            ("return", JobReturnApi),
            ("take-down", JobTakeDownApi),
        )
    ),
]
