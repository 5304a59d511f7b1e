from django.contrib import admin

from .models import Job, JobEvent, JobRegionSetting, JobWindow, MinimumWage


class JobWindowInline(admin.TabularInline):
    model = JobWindow
    extra = 0
    readonly_fields = ["weekday", "start_minute", "end_minute"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "reason", "occurred_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: posts change through the employer and staff workspaces (services)."""

    list_display = ["title", "employer", "district", "status", "employment_form", "published_at"]
    list_filter = ["status", "employment_form", "location_mode", "school_run_friendly"]
    search_fields = ["title", "employer__name"]
    list_select_related = ["employer", "district"]
    inlines = [JobWindowInline, JobEventInline]
    exclude = ["search_tokens"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    list_display = ["job", "from_status", "to_status", "actor", "occurred_at"]
    list_select_related = ["job", "actor"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(JobWindow)
class JobWindowAdmin(admin.ModelAdmin):
    list_display = ["job", "weekday", "start_minute", "end_minute"]
    list_select_related = ["job"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(JobRegionSetting)
class JobRegionSettingAdmin(admin.ModelAdmin):
    list_display = ["region", "review_required", "school_day_start_minute", "school_day_end_minute"]
    autocomplete_fields = ["region"]


@admin.register(MinimumWage)
class MinimumWageAdmin(admin.ModelAdmin):
    list_display = ["region", "valid_from", "monthly", "hourly", "source"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
