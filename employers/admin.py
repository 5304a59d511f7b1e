from django.contrib import admin

from mamagang.core.admin import ReadOnlyAdmin

from .models import (
    Employer,
    EmployerInvitation,
    EmployerMembership,
    ListingPeriod,
    RegistryEdition,
    RegistryEntry,
    RegistryEvent,
    RegistrySchedule,
)


class MembershipInline(admin.TabularInline):
    model = EmployerMembership
    extra = 0
    autocomplete_fields = ["user"]


class ListingPeriodInline(admin.TabularInline):
    model = ListingPeriod
    extra = 0
    readonly_fields = ["entry", "listed_from", "listed_until", "end_reason"]
    can_delete = False


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "entity_type", "sector", "district", "size", "created_at"]
    list_filter = ["sector", "entity_type", "size"]
    search_fields = ["name", "uscc"]
    autocomplete_fields = ["district", "street", "specialist", "created_by"]
    readonly_fields = ["entity_type", "created_at", "updated_at"]
    inlines = [MembershipInline, ListingPeriodInline]


class RegistryEventInline(admin.TabularInline):
    model = RegistryEvent
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "reason", "occurred_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RegistryEntry)
class RegistryEntryAdmin(ReadOnlyAdmin):
    """Read-only: transitions happen through the staff workspace (services, audit)."""

    list_display = ["employer", "district", "status", "source", "submitted_at", "decided_at"]
    list_filter = ["status", "source"]
    search_fields = ["employer__name", "employer__uscc"]
    inlines = [RegistryEventInline]


@admin.register(EmployerMembership)
class EmployerMembershipAdmin(admin.ModelAdmin):
    list_display = ["employer", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["employer__name", "user__display_name"]
    autocomplete_fields = ["employer", "user"]


@admin.register(EmployerInvitation)
class EmployerInvitationAdmin(admin.ModelAdmin):
    list_display = ["employer", "role", "invited_by", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["token_hash"]
    search_fields = ["employer__name"]


@admin.register(ListingPeriod)
class ListingPeriodAdmin(admin.ModelAdmin):
    list_display = ["employer", "listed_from", "listed_until", "end_reason"]
    search_fields = ["employer__name", "employer__uscc"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(RegistrySchedule)
class RegistryScheduleAdmin(admin.ModelAdmin):
    list_display = ["region", "enabled", "day_of_month", "hour"]
    autocomplete_fields = ["region"]


@admin.register(RegistryEdition)
class RegistryEditionAdmin(ReadOnlyAdmin):
    """Editions are immutable once published."""

    list_display = ["region", "number", "published_at", "employer_count", "content_sha256"]
    search_fields = ["region__name", "region__code"]


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin):
    """The registry's readable history; append-only, written by services."""

    list_display = ["entry", "from_status", "to_status", "actor", "occurred_at"]
    list_filter = ["to_status"]
    search_fields = ["entry__employer__name", "entry__employer__uscc"]
    list_select_related = ["entry__employer", "actor"]
