from django.contrib import admin
from django.http import HttpRequest

from .models import Region, RegionDataset


class _ReadOnlyAdmin(admin.ModelAdmin):
    # Rows come from versioned data files (manage.py regions_load), never by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(_ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to", "source_version")
    list_filter = ("level", "source_version")
    list_select_related = ("parent",)
    search_fields = ("^code", "name")
    raw_id_fields = ("parent",)


@admin.register(RegionDataset)
class RegionDatasetAdmin(_ReadOnlyAdmin):
    list_display = ("version", "sha256", "row_count", "valid_from", "loaded_at")
