"""
REST API of the bureau's subsidy work (/api/v1/staff/...): the claim-line
queue with the same filters as the page, one line with its decision
records, approve / reject / decide again, and the eligibility runs (list,
one, start). Reads go through subsidies.selectors_staff, so a line or run
outside the user's regions is a 404; writes call one service each.

DomainError becomes 400 with its code (mamagang.core.api); a maker-checker
refusal (own claim, own employer, the same reviewer twice) is a 403 with
its code, because the reviewer is authenticated but not allowed.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

import django_filters
from django.core.validators import RegexValidator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mamagang.core.exceptions import DomainError

from .models import ClaimLine, EligibilityRun
from .selectors_staff import (
    SECOND_AWAITING,
    SECOND_NEEDED,
    claim_line_filter,
    claim_line_get_for_staff,
    claim_line_list_for_staff,
    policy_list_for_staff,
    run_get_for_staff,
    run_list_for_staff,
)
from .serializers_staff import (
    ClaimLineStaffDetailSerializer,
    ClaimLineStaffSerializer,
    MonthField,
    RunSerializer,
)
from .services import line_approve, line_redecide, line_reject, run_start

# Refusals of the four-eyes rule: the reviewer may not act on this line.
MAKER_CHECKER_CODES = frozenset({"review_own_claim", "review_own_employer", "review_same_person"})


class ReviewsClaimLines(BasePermission):
    message = _("只有人社部门工作人员可以审核补贴。")

    def has_permission(self, request, view):
        return request.user.has_perm("subsidies.review_claimline")


class RunsEligibility(BasePermission):
    message = _("只有人社部门工作人员可以查看和发起资格判定。")

    def has_permission(self, request, view):
        return request.user.has_perm("subsidies.run_eligibility")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()

    class Meta:
        ref_name = "StaffSubsidyError"


class ClaimLineStaffFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(
        method="filter_month",
        max_length=7,
        validators=[RegexValidator(r"^[0-9]{4}-(0[1-9]|1[0-2])$", _("请按 YYYY-MM 填写月份。"))],
        label=_("所属月份（YYYY-MM）"),
    )
    subsidy_type = django_filters.CharFilter(
        field_name="subsidy_type__code", max_length=40, label=_("补贴类型代码")
    )
    decision = django_filters.ChoiceFilter(choices=ClaimLine.Decision.choices, label=_("判定"))
    status = django_filters.ChoiceFilter(choices=ClaimLine.Status.choices, label=_("状态"))
    district = django_filters.CharFilter(
        method="filter_district",
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", _("请填写6位数字区县代码。"))],
        label=_("区县代码（申报所在地或用人单位所在区县）"),
    )
    employer = django_filters.CharFilter(
        method="filter_employer", max_length=100, label=_("用人单位名称包含")
    )
    second = django_filters.ChoiceFilter(
        method="filter_second",
        choices=[
            (SECOND_NEEDED, _("超过二次审批标准（未审结）")),
            (SECOND_AWAITING, _("已初审，待另一人复核")),
        ],
        label=_("二次审批"),
    )

    class Meta:
        model = ClaimLine
        fields: ClassVar[list[str]] = [
            "month",
            "subsidy_type",
            "decision",
            "status",
            "district",
            "employer",
            "second",
        ]

    def filter_month(self, queryset, name, value):
        year, month = value.split("-")
        return queryset.filter(month=datetime.date(int(year), int(month), 1))

    def filter_district(self, queryset, name, value):
        return claim_line_filter(queryset, district_code=value)

    def filter_employer(self, queryset, name, value):
        return claim_line_filter(queryset, employer_name=value)

    def filter_second(self, queryset, name, value):
        return claim_line_filter(queryset, second=value)


class ClaimLineListForStaffApi(ListAPIView):
    """Claim lines in the user's regions, waiting longest first."""

    permission_classes = [IsAuthenticated, ReviewsClaimLines]
    serializer_class = ClaimLineStaffSerializer
    filterset_class = ClaimLineStaffFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ClaimLine.objects.none()
        return claim_line_list_for_staff(user=self.request.user)


class ClaimLineDetailForStaffApi(APIView):
    """One claim line in the user's regions with every decision record, newest first."""

    permission_classes = [IsAuthenticated, ReviewsClaimLines]

    @extend_schema(responses=ClaimLineStaffDetailSerializer)
    def get(self, request: Request, line_id: int) -> Response:
        try:
            line = claim_line_get_for_staff(user=request.user, pk=line_id)
        except ClaimLine.DoesNotExist:
            raise Http404 from None
        return Response(ClaimLineStaffDetailSerializer(line).data)


class _ClaimLineActionApi(APIView):
    """Find the line in the user's regions (else 404), call the service, return the line."""

    permission_classes = [IsAuthenticated, ReviewsClaimLines]

    def act(self, request: Request, line: ClaimLine) -> None:
        raise NotImplementedError

    def respond(self, request: Request, line_id: int) -> Response:
        lines = claim_line_list_for_staff(user=request.user)
        line = get_object_or_404(lines, pk=line_id)
        try:
            self.act(request, line)
        except DomainError as exc:
            if exc.code in MAKER_CHECKER_CODES:
                return Response(
                    {"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN
                )
            raise
        return Response(ClaimLineStaffSerializer(lines.get(pk=line.pk)).data)


_ACTION_RESPONSES: dict[int | str, Any] = {
    200: ClaimLineStaffSerializer,
    400: OpenApiResponse(ErrorSerializer, description=_("不符合条件（错误代码见 code）")),
    403: OpenApiResponse(
        ErrorSerializer,
        description=_(
            "双人复核规则不允许（review_own_claim、review_own_employer、review_same_person）"
        ),
    ),
    404: OpenApiResponse(description=_("明细不存在或不在辖区内")),
}


class ClaimLineApproveApi(_ClaimLineActionApi):
    """
    Approve an eligible line. Above the policy's threshold the first call
    records the first approval (status stays open) and a second, different
    reviewer completes it.
    """

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            max_length=1000, required=False, allow_blank=True, default="", help_text=_("审核意见")
        )

        class Meta:
            ref_name = "StaffClaimLineApproveInput"

    def act(self, request: Request, line: ClaimLine) -> None:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line_approve(line=line, by=request.user, note=serializer.validated_data["note"])

    @extend_schema(request=InputSerializer, responses=_ACTION_RESPONSES)
    def post(self, request: Request, line_id: int) -> Response:
        return self.respond(request, line_id)


class ClaimLineRejectApi(_ClaimLineActionApi):
    """Reject a line with a reason the claimant sees."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, help_text=_("驳回原因，申报人会看到"))

        class Meta:
            ref_name = "StaffClaimLineRejectInput"

    def act(self, request: Request, line: ClaimLine) -> None:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line_reject(line=line, by=request.user, reason=serializer.validated_data["reason"])

    @extend_schema(request=InputSerializer, responses=_ACTION_RESPONSES)
    def post(self, request: Request, line_id: int) -> Response:
        return self.respond(request, line_id)


class ClaimLineRedecideApi(_ClaimLineActionApi):
    """Decide one line again now (after evidence was verified, say)."""

    def act(self, request: Request, line: ClaimLine) -> None:
        line_redecide(line=line, by=request.user)

    @extend_schema(request=None, responses=_ACTION_RESPONSES)
    def post(self, request: Request, line_id: int) -> Response:
        return self.respond(request, line_id)


class RunListForStaffApi(ListAPIView):
    """
    GET: the runs of policies in the user's regions, newest first. POST:
    start deciding a policy's month (if a run of that policy and month is
    unfinished, it is continued and returned with 200).
    """

    permission_classes = [IsAuthenticated, RunsEligibility]
    serializer_class = RunSerializer

    class InputSerializer(serializers.Serializer):
        policy = serializers.IntegerField(help_text=_("补贴政策编号（辖区内）"))
        month = MonthField()

        class Meta:
            ref_name = "StaffRunStartInput"

        def validate_month(self, value):
            if value >= timezone.localdate().replace(day=1):
                raise serializers.ValidationError(_("只能判定已结束的月份。"))
            return value

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return EligibilityRun.objects.none()
        return run_list_for_staff(user=self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RunSerializer,
            200: OpenApiResponse(RunSerializer, description=_("继续已有的未完成批次")),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy = policy_list_for_staff(user=request.user).filter(pk=data["policy"]).first()
        if policy is None:
            raise serializers.ValidationError({"policy": [_("补贴政策不存在或不在您的辖区内。")]})
        started = timezone.now()
        run = run_start(
            policy=policy, month=data["month"], kind=EligibilityRun.Kind.MANUAL, by=request.user
        )
        run = run_get_for_staff(user=request.user, pk=run.pk)
        code = status.HTTP_200_OK if run.created_at < started else status.HTTP_201_CREATED
        return Response(RunSerializer(run).data, status=code)


class RunDetailForStaffApi(APIView):
    """One run of a policy in the user's regions, with its progress."""

    permission_classes = [IsAuthenticated, RunsEligibility]

    @extend_schema(responses=RunSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        try:
            run = run_get_for_staff(user=request.user, pk=run_id)
        except EligibilityRun.DoesNotExist:
            raise Http404 from None
        return Response(RunSerializer(run).data)


# Appended to subsidies/api_urls.py by the lead: `*apis_staff.urlpatterns`.
urlpatterns = [
    path(
        "staff/claim-lines/",
        ClaimLineListForStaffApi.as_view(),
        name="subsidies-staff-claim-line-list",
    ),
    path(
        "staff/claim-lines/<int:line_id>/",
        ClaimLineDetailForStaffApi.as_view(),
        name="subsidies-staff-claim-line-detail",
    ),
    *(
        path(
            f"staff/claim-lines/<int:line_id>/{action}/",
            view.as_view(),
            name=f"subsidies-staff-claim-line-{action}",
        )
        for action, view in (
            ("approve", ClaimLineApproveApi),
            ("reject", ClaimLineRejectApi),
            ("redecide", ClaimLineRedecideApi),
        )
    ),
    path("staff/runs/", RunListForStaffApi.as_view(), name="subsidies-staff-run-list"),
    path(
        "staff/runs/<int:run_id>/",
        RunDetailForStaffApi.as_view(),
        name="subsidies-staff-run-detail",
    ),
]
