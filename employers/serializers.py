"""
Output serializers shared by several employer APIs. Serializers used by one
API only stay nested in that API class (`apis.py`).

Public serializers carry public fields only: never the contact person or
phone (EXPECTATIONS.md, job board 6).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mamagang.regions.models import Region

from .models import FACILITY_FLAGS, Employer, EmployerMembership, RegistryEntry

FACILITY_FIELDS = FACILITY_FLAGS


@extend_schema_field(
    serializers.ListField(child=serializers.ChoiceField(choices=list(FACILITY_FIELDS)))
)
class FacilitiesField(serializers.Field):
    """
    The employer's facilities as a list of codes. On input the list replaces
    the four `has_*` flags (a code left out clears its flag).
    """

    default_error_messages: ClassVar[dict[str, Any]] = {
        "invalid": _("请提供设施代码列表。"),
        "unknown": _("未知的设施代码：{codes}"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, employer: Employer) -> list[str]:
        return [code for code, field in FACILITY_FIELDS.items() if getattr(employer, field)]

    def to_internal_value(self, data: Any) -> dict[str, bool]:
        if not isinstance(data, list) or not all(isinstance(code, str) for code in data):
            self.fail("invalid")
        unknown = sorted(set(data) - set(FACILITY_FIELDS))
        if unknown:
            self.fail("unknown", codes=", ".join(unknown))
        return {field: code in data for code, field in FACILITY_FIELDS.items()}


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "EmployerRegionRef"


class RegionWithLevelSerializer(RegionRefSerializer):
    level = serializers.ChoiceField(choices=Region.Level.choices)

    class Meta:
        ref_name = "RegistryEditionRegion"


class ListingPeriodSerializer(serializers.Serializer):
    listed_from = serializers.DateField()
    listed_until = serializers.DateField(allow_null=True)

    class Meta:
        ref_name = "ListingPeriod"


class EmployerPublicSerializer(serializers.Serializer):
    """An employer in the public registry list. Needs prefetched listing periods."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()
    entity_type = serializers.ChoiceField(choices=Employer.EntityType.choices)
    sector = serializers.ChoiceField(choices=Employer.Sector.choices)
    district = RegionRefSerializer()
    street = RegionRefSerializer(allow_null=True)
    facilities = FacilitiesField(read_only=True)
    listed_from = serializers.SerializerMethodField()

    class Meta:
        ref_name = "EmployerPublic"

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_listed_from(self, employer: Employer) -> Any:
        # The prefetched periods; the open one is the current listing.
        for period in employer.listing_periods.all():
            if period.listed_until is None:
                return period.listed_from
        return None


class EmployerPublicDetailSerializer(EmployerPublicSerializer):
    description = serializers.CharField()
    size = serializers.ChoiceField(choices=Employer.Size.choices)
    facilities_note = serializers.CharField()
    listing_periods = ListingPeriodSerializer(many=True)

    class Meta:
        ref_name = "EmployerPublicDetail"


class EmployerSerializer(serializers.Serializer):
    """All of an employer's data, for its members and for district staff."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()
    entity_type = serializers.ChoiceField(choices=Employer.EntityType.choices)
    sector = serializers.ChoiceField(choices=Employer.Sector.choices)
    district = RegionRefSerializer()
    street = RegionRefSerializer(allow_null=True)
    address = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    size = serializers.ChoiceField(choices=Employer.Size.choices)
    description = serializers.CharField()
    facilities = FacilitiesField(read_only=True)
    facilities_note = serializers.CharField()
    specialist_name = serializers.CharField(
        source="specialist.display_name", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Employer"


class EmployerForMemberSerializer(EmployerSerializer):
    """An employer as its member sees it: `member_role` must be annotated."""

    role = serializers.ChoiceField(
        source="member_role", choices=EmployerMembership.Role.choices, allow_null=True
    )

    class Meta:
        ref_name = "EmployerForMember"


class StatusCodeField(serializers.CharField):
    """
    A registry entry status code in an event. Documented as a plain string:
    an enum here would give the status choice set a second and third name
    in the schema (from_status, to_status), which drf-spectacular warns about
    unless ENUM_NAME_OVERRIDES names it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            _("名录申报状态代码：%(codes)s") % {"codes": ", ".join(RegistryEntry.Status.values)},
        )
        super().__init__(**kwargs)


class RegistryEventSerializer(serializers.Serializer):
    """One transition, without the identity of the staff member who made it."""

    from_status = StatusCodeField(allow_blank=True)
    to_status = StatusCodeField()
    reason = serializers.CharField()
    occurred_at = serializers.DateTimeField()

    class Meta:
        ref_name = "RegistryEvent"


class RegistryEntryForMemberSerializer(serializers.Serializer):
    """
    An employer's registry entry as its members see it. Pass the employer's
    listing periods in the context as "listing_periods".
    """

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RegistryEntry.Status.choices)
    editable = serializers.BooleanField(source="is_editable_by_employer")
    district = RegionRefSerializer()
    declared_posts = serializers.IntegerField()
    declaration = serializers.CharField()
    declaration_confirmed = serializers.BooleanField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    events = RegistryEventSerializer(many=True)
    listing_periods = serializers.SerializerMethodField()

    class Meta:
        ref_name = "RegistryEntryForMember"

    @extend_schema_field(ListingPeriodSerializer(many=True))
    def get_listing_periods(self, entry: RegistryEntry) -> Any:
        periods = self.context.get("listing_periods", [])
        return ListingPeriodSerializer(periods, many=True).data


class DiffCountsSerializer(serializers.Serializer):
    """How many employers were added, removed and changed since the previous edition."""

    added = serializers.IntegerField(source="added_count")
    removed = serializers.IntegerField(source="removed_count")
    changed = serializers.IntegerField(source="changed_count")

    class Meta:
        ref_name = "RegistryEditionDiffCounts"


class RegistryEditionSerializer(serializers.Serializer):
    """
    A published edition without its content (lists stay light). Expects the
    diff counts annotated by the selectors.
    """

    region = RegionWithLevelSerializer()
    number = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    employer_count = serializers.IntegerField()
    content_sha256 = serializers.CharField()
    diff_counts = DiffCountsSerializer(source="*")

    class Meta:
        ref_name = "RegistryEdition"


class RegistryEditionDetailSerializer(RegistryEditionSerializer):
    """An edition with its stored content (the listed employers) and full diff."""

    employers = serializers.ListField(source="content", child=serializers.DictField())
    diff = serializers.DictField(child=serializers.ListField())

    class Meta:
        ref_name = "RegistryEditionDetail"
