"""
Public, read-only API of 妈妈岗 posts: the search (the same filters as the
HTML page, with facet counts next to the results) and one post.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .filters import JobFilter, job_facets
from .models import Job
from .selectors import job_list_public
from .views.public import job_summary_lines, pay_summary


class RegionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "JobsPublicRegion"


class EmployerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    district = RegionOutputSerializer()

    class Meta:
        ref_name = "JobsPublicEmployer"


class WindowOutputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday")
    start = serializers.CharField(source="start_label", help_text="HH:MM")
    end = serializers.CharField(source="end_label", help_text="HH:MM, end exclusive; 24:00")
    start_minute = serializers.IntegerField()
    end_minute = serializers.IntegerField()

    class Meta:
        ref_name = "JobsPublicWindow"


class PayOutputSerializer(serializers.Serializer):
    unit = serializers.CharField(source="pay_unit", help_text="hour | piece | day | month")
    min = serializers.DecimalField(source="pay_min", max_digits=9, decimal_places=2)
    max = serializers.DecimalField(source="pay_max", max_digits=9, decimal_places=2)
    hourly_min = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Hourly equivalent of the lower bound."
    )
    hourly_max = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Hourly equivalent of the upper bound."
    )
    pieces_per_hour = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    cycle_days = serializers.IntegerField(source="pay_cycle_days")
    summary = serializers.SerializerMethodField()

    class Meta:
        ref_name = "JobsPublicPay"

    def get_summary(self, job: Job) -> str:
        return pay_summary(job)


class TermsOutputSerializer(serializers.Serializer):
    has_labour_contract = serializers.BooleanField()
    contract_months = serializers.IntegerField(allow_null=True)
    social_insurance = serializers.BooleanField()
    work_injury_insurance = serializers.BooleanField()
    training_provided = serializers.BooleanField()
    promotion_path = serializers.CharField()

    class Meta:
        ref_name = "JobsPublicTerms"


class JobListOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")
    title = serializers.CharField()
    employer = EmployerOutputSerializer()
    district = RegionOutputSerializer()
    street = RegionOutputSerializer(allow_null=True)
    post_modes = serializers.ListField(
        child=serializers.CharField(), help_text="Values of the `mode` filter."
    )
    employment_form = serializers.CharField(help_text="Values of the `form` filter.")
    location_mode = serializers.CharField(help_text="Values of the `location` filter.")
    sector = serializers.CharField()
    pay = PayOutputSerializer(source="*")
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
    windows = WindowOutputSerializer(many=True)
    windows_summary = serializers.SerializerMethodField()
    school_run_friendly = serializers.BooleanField()
    published_at = serializers.DateTimeField()
    valid_until = serializers.DateField()

    class Meta:
        ref_name = "JobsPublicJobListItem"

    def get_windows_summary(self, job: Job) -> list[str]:
        return job_summary_lines(job)


class JobDetailOutputSerializer(JobListOutputSerializer):
    description = serializers.CharField()
    occupation = serializers.CharField()
    address = serializers.CharField()
    headcount = serializers.IntegerField()
    education = serializers.CharField()
    certificates = serializers.CharField()
    other_requirements = serializers.CharField()
    terms = TermsOutputSerializer(source="*")
    valid_from = serializers.DateField()

    class Meta:
        ref_name = "JobsPublicJobDetail"


class FacetOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()

    class Meta:
        ref_name = "JobsPublicFacetOption"


class FacetsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    post_modes = FacetOptionSerializer(many=True)
    location_modes = FacetOptionSerializer(many=True)
    employment_forms = FacetOptionSerializer(many=True)
    sectors = FacetOptionSerializer(many=True)
    school_run_friendly = serializers.IntegerField()
    districts = FacetOptionSerializer(many=True, help_text="value = district code")

    class Meta:
        ref_name = "JobsPublicFacets"


@extend_schema_serializer(many=False)
class JobSearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = JobListOutputSerializer(many=True)
    facets = FacetsSerializer()

    class Meta:
        ref_name = "JobsPublicJobSearch"


class JobListApi(ListAPIView):
    """
    Search public 妈妈岗 posts: the filters of the search page (`free` for
    "fits my time", e.g. `free=1-5@09:00-15:00`), 20 per page, with facet
    counts of the whole result set. Invalid filter values answer 400.
    """

    permission_classes = [AllowAny]
    serializer_class = JobListOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobFilter

    def get_queryset(self):
        return job_list_public(today=timezone.localdate())

    @extend_schema(responses=JobSearchOutputSerializer)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        jobs = self.filter_queryset(self.get_queryset())
        facets = job_facets(jobs)
        page = self.paginate_queryset(jobs)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["facets"] = FacetsSerializer(facets).data
        return response


class JobDetailApi(RetrieveAPIView):
    """One public post with its windows, pay (and hourly equivalents), terms and employer."""

    permission_classes = [AllowAny]
    serializer_class = JobDetailOutputSerializer

    def get_queryset(self):
        return job_list_public(today=timezone.localdate())


urlpatterns = [
    path("jobs/", JobListApi.as_view(), name="job-list"),
    path("jobs/<int:pk>/", JobDetailApi.as_view(), name="job-detail"),
]
