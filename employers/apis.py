"""
REST API of the employers app (/api/v1/): the public registry, the
employer members' own data and registry application, and the district
staff's registry decisions. Reads go through selectors, writes through one
service each.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mamagang.core.identifiers import normalize_uscc
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

from .models import Employer, RegistryEdition, RegistryEntry
from .permissions import CanDecideRegistryEntry, CanManageEmployer, can_decide_registry_entry
from .selectors import (
    employer_list_public,
    registry_entry_get_for_employer,
    registry_entry_get_for_staff,
    registry_entry_list_for_staff,
)
from .selectors_api import (
    employer_list_for_member_with_role,
    listing_period_list_for_employer,
    registry_edition_get_public,
    registry_edition_list_public,
)
from .serializers import (
    EmployerForMemberSerializer,
    EmployerPublicDetailSerializer,
    EmployerPublicSerializer,
    EmployerSerializer,
    FacilitiesField,
    ListingPeriodSerializer,
    RegionRefSerializer,
    RegistryEditionDetailSerializer,
    RegistryEditionSerializer,
    RegistryEntryForMemberSerializer,
    StatusCodeField,
)
from .services import (
    employer_register,
    employer_update,
    registry_entry_approve,
    registry_entry_create,
    registry_entry_reinstate,
    registry_entry_reject,
    registry_entry_remove,
    registry_entry_return,
    registry_entry_submit,
    registry_entry_suspend,
    registry_entry_update,
)

# ---------------------------------------------------------------------------
# Filters and permissions used only by these APIs
# ---------------------------------------------------------------------------

# A province (2 digits), city (4) or district (6) code or code prefix.
region_prefix_validator = RegexValidator(
    r"^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2})?)?$",
    _("请填写2位（省）、4位（市）或6位（区县）数字区划代码。"),
    code="invalid_region_code",
)


def _region_prefix(code: str) -> str:
    """
    Return the prefix a region code stands for: a 6-digit city or province
    code (440300, 440000) covers its districts (4403, 44), GB/T 2260.
    """
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def _region_prefix_filter(**kwargs: Any) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="filter_region_prefix",
        validators=[region_prefix_validator],
        max_length=6,
        label=_("区县代码，或市（4位）、省（2位）代码前缀"),
        **kwargs,
    )


class EmployerPublicFilter(django_filters.FilterSet):
    district = _region_prefix_filter()
    sector = django_filters.ChoiceFilter(choices=Employer.Sector.choices, label=_("行业"))
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=100, label=_("单位名称包含")
    )

    class Meta:
        model = Employer
        fields: ClassVar[list[str]] = ["district", "sector", "q"]

    def filter_region_prefix(self, queryset, name, value):
        return queryset.in_regions([_region_prefix(value)])


class RegistryEntryStaffFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RegistryEntry.Status.choices, label=_("状态"))
    district = _region_prefix_filter()
    q = django_filters.CharFilter(
        method="filter_text", max_length=100, label=_("单位名称或统一社会信用代码包含")
    )

    class Meta:
        model = RegistryEntry
        fields: ClassVar[list[str]] = ["status", "district", "q"]

    def filter_region_prefix(self, queryset, name, value):
        return queryset.in_regions([_region_prefix(value)])

    def filter_text(self, queryset, name, value):
        return queryset.filter(
            Q(employer__name__icontains=value) | Q(employer__uscc__contains=normalize_uscc(value))
        )


class RegistryEditionFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        field_name="region__code",
        validators=[RegexValidator(r"^[0-9]{6}$", _("请填写6位数字区划代码。"))],
        max_length=6,
        label=_("区划代码（区县或地级市）"),
    )

    class Meta:
        model = RegistryEdition
        fields: ClassVar[list[str]] = ["region"]


class UsesEmployerWorkspace(BasePermission):
    message = _("只有用人单位账号可以登记单位。")

    def has_permission(self, request, view):
        return request.user.has_perm("accounts.use_employer_workspace")


class DecidesRegistryEntries(BasePermission):
    message = _("您没有审核名录的权限。")

    def has_permission(self, request, view):
        return request.user.has_perm("employers.decide_registryentry")


class CanDecideThisRegistryEntry(CanDecideRegistryEntry):
    message = _("不能审核这份申报：须在您的辖区内，且不是您提交或您所在单位的申报。")


# ---------------------------------------------------------------------------
# Public registry (anyone)
# ---------------------------------------------------------------------------


class EmployerListPublicApi(ListAPIView):
    """The employers listed in the registry today. Public fields only."""

    permission_classes = [AllowAny]
    serializer_class = EmployerPublicSerializer
    filterset_class = EmployerPublicFilter

    def get_queryset(self):
        return employer_list_public()


class EmployerDetailPublicApi(RetrieveAPIView):
    """One listed employer's public profile; 404 unless listed today."""

    permission_classes = [AllowAny]
    serializer_class = EmployerPublicDetailSerializer

    def get_object(self):
        return get_object_or_404(employer_list_public(), pk=self.kwargs["employer_id"])


class RegistryEditionListApi(ListAPIView):
    """Published registry editions, newest first, without their content."""

    permission_classes = [AllowAny]
    serializer_class = RegistryEditionSerializer
    filterset_class = RegistryEditionFilter

    def get_queryset(self):
        return registry_edition_list_public()


class RegistryEditionDetailApi(APIView):
    """One published edition with the listed employers and the full diff."""

    permission_classes = [AllowAny]

    @extend_schema(responses=RegistryEditionDetailSerializer)
    def get(self, request: Request, region_code: str, number: int) -> Response:
        try:
            edition = registry_edition_get_public(region_code=region_code, number=number)
        except RegistryEdition.DoesNotExist:
            raise Http404 from None
        return Response(RegistryEditionDetailSerializer(edition).data)


# ---------------------------------------------------------------------------
# Employer members: their own employers and registry application
# ---------------------------------------------------------------------------


class RegionCodeField(serializers.CharField):
    """A current region of `level`, given by its code."""

    def __init__(self, *, level: str, **kwargs: Any) -> None:
        self.level = level
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Region | None:
        # Validate the code as a string first (length), then look it up.
        code = super().run_validation(data)
        if code is None:
            return None
        regions = Region.objects.current().filter(code=code)
        # A city without districts (东莞, 中山) stands in for a district.
        level_q = county_level_q() if self.level == Region.Level.DISTRICT else Q(level=self.level)
        region = regions.filter(level_q).first()
        if region is None:
            raise serializers.ValidationError(
                _("没有这个区划代码：%(code)s") % {"code": code}, code="invalid_region"
            )
        return region


class EmployerFieldsInputSerializer(serializers.Serializer):
    """The fields a member fills in at registration and may change later."""

    name = serializers.CharField(max_length=200)
    sector = serializers.ChoiceField(choices=Employer.Sector.choices)
    district = RegionCodeField(level=Region.Level.DISTRICT, help_text=_("区县6位代码"))
    street = RegionCodeField(
        level=Region.Level.STREET, required=False, allow_null=True, help_text=_("街道9位代码")
    )
    address = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(max_length=50)
    contact_phone = serializers.CharField(max_length=20)
    size = serializers.ChoiceField(choices=Employer.Size.choices)
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    facilities = FacilitiesField(required=False)
    facilities_note = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )


class _MemberEmployerApi(APIView):
    """Base of the APIs on one employer the user belongs to (else 404)."""

    permission_classes = [IsAuthenticated, CanManageEmployer]

    def get_employer(self, employer_id: int) -> Employer:
        employer = get_object_or_404(
            employer_list_for_member_with_role(user=self.request.user), pk=employer_id
        )
        self.check_object_permissions(self.request, employer)
        return employer

    def entry_response(self, employer: Employer, *, status_code: int = 200) -> Response:
        entry = registry_entry_get_for_employer(employer=employer)
        if entry is None:
            raise Http404
        periods = list(listing_period_list_for_employer(employer=employer))
        data = RegistryEntryForMemberSerializer(entry, context={"listing_periods": periods}).data
        return Response(data, status=status_code)


class EmployerListForMemberApi(ListAPIView):
    """The employers the user belongs to, with all their data and her role."""

    serializer_class = EmployerForMemberSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Employer.objects.none()
        return employer_list_for_member_with_role(user=self.request.user)


class EmployerRegisterApi(APIView):
    """Register an employer by its USCC; the user becomes its admin."""

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]

    class InputSerializer(EmployerFieldsInputSerializer):
        uscc = serializers.CharField(max_length=40, help_text=_("18位统一社会信用代码"))

        class Meta:
            ref_name = "EmployerRegisterInput"

    @extend_schema(request=InputSerializer, responses={201: EmployerForMemberSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        employer = employer_register(registered_by=request.user, **serializer.validated_data)
        employer = employer_list_for_member_with_role(user=request.user).get(pk=employer.pk)
        return Response(EmployerForMemberSerializer(employer).data, status=status.HTTP_201_CREATED)


class EmployerDetailForMemberApi(_MemberEmployerApi):
    """An employer the user belongs to: read it, or change its editable fields."""

    class InputSerializer(EmployerFieldsInputSerializer):
        # The USCC is fixed at registration and is not accepted here.
        class Meta:
            ref_name = "EmployerUpdateInput"

    @extend_schema(responses=EmployerForMemberSerializer)
    def get(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        return Response(EmployerForMemberSerializer(employer).data)

    @extend_schema(request=InputSerializer(partial=True), responses=EmployerForMemberSerializer)
    def patch(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        employer_update(employer=employer, updated_by=request.user, **serializer.validated_data)
        employer = self.get_employer(employer_id)
        return Response(EmployerForMemberSerializer(employer).data)


class RegistryEntryForMemberApi(_MemberEmployerApi):
    """The employer's registry entry, its history and listing periods."""

    @extend_schema(responses=RegistryEntryForMemberSerializer)
    def get(self, request: Request, employer_id: int) -> Response:
        return self.entry_response(self.get_employer(employer_id))


class RegistryEntryStartApi(_MemberEmployerApi):
    """Start a draft registry application for the employer."""

    @extend_schema(request=None, responses={201: RegistryEntryForMemberSerializer})
    def post(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        registry_entry_create(employer=employer, created_by=request.user)
        return self.entry_response(employer, status_code=status.HTTP_201_CREATED)


class RegistryEntryUpdateApi(_MemberEmployerApi):
    """Change the declaration of a draft or returned application."""

    class InputSerializer(serializers.Serializer):
        declared_posts = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
        declaration = serializers.CharField(max_length=2000, allow_blank=True, required=False)

        class Meta:
            ref_name = "RegistryEntryUpdateInput"

    @extend_schema(request=InputSerializer, responses=RegistryEntryForMemberSerializer)
    def post(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        entry = registry_entry_get_for_employer(employer=employer)
        if entry is None:
            raise Http404
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # A field left out keeps its value.
        registry_entry_update(
            entry=entry,
            updated_by=request.user,
            declared_posts=data.get("declared_posts", entry.declared_posts),
            declaration=data.get("declaration", entry.declaration),
        )
        return self.entry_response(employer)


class RegistryEntrySubmitApi(_MemberEmployerApi):
    """Submit the application to the district for a decision."""

    class InputSerializer(serializers.Serializer):
        declaration_confirmed = serializers.BooleanField(help_text=_("承诺所填信息真实"))

        class Meta:
            ref_name = "RegistryEntrySubmitInput"

    @extend_schema(request=InputSerializer, responses=RegistryEntryForMemberSerializer)
    def post(self, request: Request, employer_id: int) -> Response:
        employer = self.get_employer(employer_id)
        entry = registry_entry_get_for_employer(employer=employer)
        if entry is None:
            raise Http404
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registry_entry_submit(
            entry=entry,
            submitted_by=request.user,
            declaration_confirmed=serializer.validated_data["declaration_confirmed"],
        )
        return self.entry_response(employer)


# ---------------------------------------------------------------------------
# District staff: the registry queue and decisions
# ---------------------------------------------------------------------------


class RegistryEntryListForStaffApi(ListAPIView):
    """Registry entries in the user's regions, newest submission first."""

    permission_classes = [IsAuthenticated, DecidesRegistryEntries]
    filterset_class = RegistryEntryStaffFilter

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.ChoiceField(choices=RegistryEntry.Status.choices)
        employer_id = serializers.IntegerField()
        employer_name = serializers.CharField(source="employer.name")
        employer_uscc = serializers.CharField(source="employer.uscc")
        district = RegionRefSerializer()
        declared_posts = serializers.IntegerField()
        submitted_at = serializers.DateTimeField(allow_null=True)
        decided_at = serializers.DateTimeField(allow_null=True)

        class Meta:
            ref_name = "StaffRegistryEntry"

    serializer_class = OutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return RegistryEntry.objects.none()
        return registry_entry_list_for_staff(user=self.request.user)


class StaffRegistryEventSerializer(serializers.Serializer):
    """One transition of an entry, with who made it (staff view only)."""

    from_status = StatusCodeField(allow_blank=True)
    to_status = StatusCodeField()
    reason = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    actor_name = serializers.CharField(source="actor.display_name", allow_null=True, default=None)

    class Meta:
        ref_name = "StaffRegistryEvent"


class RegistryEntryDetailForStaffApi(APIView):
    """One entry in the user's regions, with the employer's full data and history."""

    permission_classes = [IsAuthenticated, DecidesRegistryEntries]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.ChoiceField(choices=RegistryEntry.Status.choices)
        source = serializers.ChoiceField(choices=RegistryEntry.Source.choices)
        district = RegionRefSerializer()
        declared_posts = serializers.IntegerField()
        declaration = serializers.CharField()
        declaration_confirmed = serializers.BooleanField()
        submitted_at = serializers.DateTimeField(allow_null=True)
        submitted_by_name = serializers.CharField(
            source="submitted_by.display_name", allow_null=True, default=None
        )
        decided_at = serializers.DateTimeField(allow_null=True)
        decided_by_name = serializers.CharField(
            source="decided_by.display_name", allow_null=True, default=None
        )
        decision_reason = serializers.CharField()
        employer = EmployerSerializer()
        events = StaffRegistryEventSerializer(many=True)
        listing_periods = ListingPeriodSerializer(source="employer.listing_periods", many=True)
        can_decide = serializers.SerializerMethodField()

        class Meta:
            ref_name = "StaffRegistryEntryDetail"

        def get_can_decide(self, entry: RegistryEntry) -> bool:
            return bool(self.context.get("can_decide", False))

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, entry_id: int) -> Response:
        try:
            entry = registry_entry_get_for_staff(user=request.user, pk=entry_id)
        except RegistryEntry.DoesNotExist:
            raise Http404 from None
        context = {"can_decide": can_decide_registry_entry(request.user, entry)}
        return Response(self.OutputSerializer(entry, context=context).data)


class _RegistryEntryDecisionApi(APIView):
    """
    Base of the six decision APIs: find the entry in the user's regions
    (else 404), apply the four-eyes policy (else 403), call `service`.
    """

    permission_classes = [IsAuthenticated, DecidesRegistryEntries, CanDecideThisRegistryEntry]
    service: ClassVar[Any]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=1000,
            required=False,
            allow_blank=True,
            default="",
            help_text=_("原因；除“通过”外必填，单位会看到这段说明。"),
        )

        class Meta:
            ref_name = "RegistryDecisionInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.ChoiceField(choices=RegistryEntry.Status.choices)
        decided_at = serializers.DateTimeField(allow_null=True)
        decision_reason = serializers.CharField()

        class Meta:
            ref_name = "RegistryDecisionOutput"

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, entry_id: int) -> Response:
        entry = get_object_or_404(registry_entry_list_for_staff(user=request.user), pk=entry_id)
        self.check_object_permissions(request, entry)  # APIView does not do this on its own
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = type(self).service(
            entry=entry, decided_by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self.OutputSerializer(entry).data)


class RegistryEntryApproveApi(_RegistryEntryDecisionApi):
    """List the employer from today (submitted → approved)."""

    service = staticmethod(registry_entry_approve)


class RegistryEntryReturnApi(_RegistryEntryDecisionApi):
    """Send the application back for changes, with the reason."""

    service = staticmethod(registry_entry_return)


class RegistryEntryRejectApi(_RegistryEntryDecisionApi):
    """Refuse the application, with the reason."""

    service = staticmethod(registry_entry_reject)


class RegistryEntrySuspendApi(_RegistryEntryDecisionApi):
    """Suspend a listed employer, with the reason."""

    service = staticmethod(registry_entry_suspend)


class RegistryEntryRemoveApi(_RegistryEntryDecisionApi):
    """Remove an employer from the registry, with the reason."""

    service = staticmethod(registry_entry_remove)


class RegistryEntryReinstateApi(_RegistryEntryDecisionApi):
    """List a suspended or removed employer again, with the reason."""

    service = staticmethod(registry_entry_reinstate)
