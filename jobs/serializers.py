"""
Output serializers shared by the employer and staff job APIs (`apis.py`).
Serializers used by one API only stay nested in that API class.

These carry everything about a post, including its history and status
reasons: they are for the employer's members and district staff, not the
public search (`apis_public.py` has its own).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from employers.models import Employer
from employers.serializers import RegionRefSerializer

from .models import Job, JobWindow


class JobStatusField(serializers.CharField):
    """
    A post status code. Documented as a plain string: an enum named
    "status" here would clash with the registry entry's status enum in the
    schema (drf-spectacular warns unless ENUM_NAME_OVERRIDES names both).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text", _("岗位状态代码：%(codes)s") % {"codes": ", ".join(Job.Status.values)}
        )
        super().__init__(**kwargs)


class JobWindowSerializer(serializers.Serializer):
    """
    One weekly window as stored: weekday 1 (Monday) to 7 (Sunday), as the
    input takes it, and "HH:MM" times, end exclusive. An overnight shift
    shows as two windows split at midnight.
    """

    weekday = serializers.SerializerMethodField(help_text=_("星期：1=周一 … 7=周日"))
    start = serializers.CharField(source="start_label", help_text=_("开始时间 时:分"))
    end = serializers.CharField(source="end_label", help_text=_("结束时间 时:分，24:00 为午夜"))

    class Meta:
        ref_name = "JobScheduleWindow"

    def get_weekday(self, window: JobWindow) -> int:
        return window.weekday + 1


class LabourWarningSerializer(serializers.Serializer):
    """A labour-law rule a non-full-time post breaks: shown, not refused."""

    code = serializers.CharField()
    message = serializers.CharField()

    class Meta:
        ref_name = "JobLabourWarning"


class JobEmployerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "JobEmployerRef"


class JobSummarySerializer(serializers.Serializer):
    """
    A post in the employer's and the staff's lists. Needs the selectors'
    select_related and prefetched windows.
    """

    id = serializers.IntegerField()
    title = serializers.CharField()
    status = JobStatusField()
    employer = JobEmployerRefSerializer()
    district = RegionRefSerializer()
    employment_form = serializers.ChoiceField(choices=Job.EmploymentForm.choices)
    location_mode = serializers.ChoiceField(choices=Job.LocationMode.choices)
    pay_unit = serializers.ChoiceField(choices=Job.PayUnit.choices)
    pay_min = serializers.DecimalField(max_digits=9, decimal_places=2)
    pay_max = serializers.DecimalField(max_digits=9, decimal_places=2)
    hourly_min = serializers.DecimalField(max_digits=8, decimal_places=2)
    hourly_max = serializers.DecimalField(max_digits=8, decimal_places=2)
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
    school_run_friendly = serializers.BooleanField()
    headcount = serializers.IntegerField()
    window_count = serializers.SerializerMethodField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "JobSummary"

    def get_window_count(self, job: Job) -> int:
        return len(job.windows.all())  # prefetched by the selectors


class JobEventSerializer(serializers.Serializer):
    """One status change, without who made it (what the employer sees)."""

    from_status = JobStatusField(allow_blank=True)
    to_status = JobStatusField()
    reason = serializers.CharField()
    occurred_at = serializers.DateTimeField()

    class Meta:
        ref_name = "JobEvent"


class StaffJobEventSerializer(JobEventSerializer):
    """One status change with who made it (staff only)."""

    actor_name = serializers.CharField(source="actor.display_name", allow_null=True, default=None)

    class Meta:
        ref_name = "StaffJobEvent"


class JobDetailSerializer(serializers.Serializer):
    """
    A post with every field, its windows, derived figures, history and the
    labour-law warnings. Pass the warnings in the context as "warnings";
    the events must be prefetched.
    """

    id = serializers.IntegerField()
    status = JobStatusField()
    status_reason = serializers.CharField(help_text=_("退回或下架原因"))
    # A plain string: the close API's `reason` input already names this choice set.
    close_reason = serializers.CharField(
        help_text=_("结束原因代码：%(codes)s；未结束为空")
        % {"codes": ", ".join(Job.CloseReason.values)}
    )
    employer = JobEmployerRefSerializer()
    title = serializers.CharField()
    description = serializers.CharField()
    sector = serializers.ChoiceField(choices=Employer.Sector.choices)
    occupation = serializers.CharField()
    post_modes = serializers.ListField(child=serializers.ChoiceField(choices=Job.PostMode.choices))
    employment_form = serializers.ChoiceField(choices=Job.EmploymentForm.choices)
    location_mode = serializers.ChoiceField(choices=Job.LocationMode.choices)
    district = RegionRefSerializer()
    street = RegionRefSerializer(allow_null=True)
    address = serializers.CharField()
    pay_unit = serializers.ChoiceField(choices=Job.PayUnit.choices)
    pay_min = serializers.DecimalField(max_digits=9, decimal_places=2)
    pay_max = serializers.DecimalField(max_digits=9, decimal_places=2)
    pieces_per_hour = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    pay_cycle_days = serializers.IntegerField()
    headcount = serializers.IntegerField()
    education = serializers.ChoiceField(choices=Job.Education.choices)
    certificates = serializers.CharField()
    other_requirements = serializers.CharField()
    has_labour_contract = serializers.BooleanField()
    contract_months = serializers.IntegerField(allow_null=True)
    social_insurance = serializers.BooleanField()
    work_injury_insurance = serializers.BooleanField()
    training_provided = serializers.BooleanField()
    promotion_path = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    windows = JobWindowSerializer(many=True)
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
    hourly_min = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text=_("折合时薪下限（元）")
    )
    hourly_max = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text=_("折合时薪上限（元）")
    )
    school_run_friendly = serializers.BooleanField()
    warnings = serializers.SerializerMethodField()
    events = JobEventSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "JobDetail"

    @extend_schema_field(LabourWarningSerializer(many=True))
    def get_warnings(self, job: Job) -> Any:
        return LabourWarningSerializer(self.context.get("warnings", []), many=True).data


class StaffJobDetailSerializer(JobDetailSerializer):
    """A post as district staff see it: the history names who acted."""

    events = StaffJobEventSerializer(many=True)

    class Meta:
        ref_name = "StaffJobDetail"
