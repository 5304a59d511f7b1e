from django.contrib import admin

from .models import Applicant, Child, Consent


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    """Only the masked ID number is ever shown here."""

    list_display = ["full_name", "id_number_masked", "category", "residence_district"]
    search_fields = ["full_name"]
    list_select_related = ["residence_district"]
    exclude = ["id_number_encrypted", "id_number_hash"]
    readonly_fields = ["id_number_masked", "birth_date"]

    def has_add_permission(self, request):
        return False  # profiles are created by their owners, with consent


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = [
        "applicant",
        "birth_year",
        "birth_month",
        "relationship",
        "evidence",
        "verified_at",
    ]
    list_select_related = ["applicant"]

    def has_add_permission(self, request):
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["applicant", "kind", "text_version", "given_at", "withdrawn_at"]
    list_select_related = ["applicant"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
