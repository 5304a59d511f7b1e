"""
Admin for the applicants app. Personal records are written by their
services (consents, audit); here they are read, with the ID number masked.
Eligibility policies are edited here by bureau admins, and every change is
audited.
"""

from django.contrib import admin

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.core.admin import ReadOnlyAdmin
from mamagang.core.audit import audit_record
from mamagang.regions.selectors import region_scope_q

from .models import (
    Applicant,
    Application,
    ApplicationEvent,
    Child,
    Consent,
    EligibilityPolicy,
    Employment,
    FreeWindow,
    SavedSearch,
    WorkExperience,
)
from .services.eligibility_policies import eligibility_policy_snapshot


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyAdmin):
    """Only the masked ID number is ever shown here."""

    list_display = [
        "full_name",
        "id_number_masked",
        "category",
        "residence_district",
        "eligibility",
        "eligible_until",
    ]
    list_filter = ["category", "eligibility"]
    search_fields = ["full_name"]
    list_select_related = ["residence_district"]
    exclude = ["id_number_encrypted", "id_number_hash"]


@admin.register(Child)
class ChildAdmin(ReadOnlyAdmin):
    list_display = [
        "applicant",
        "birth_year",
        "birth_month",
        "relationship",
        "evidence",
        "verified_at",
    ]
    list_select_related = ["applicant"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "kind", "text_version", "given_at", "withdrawn_at"]
    list_select_related = ["applicant"]


@admin.register(FreeWindow)
class FreeWindowAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "weekday", "start_minute", "end_minute"]
    list_select_related = ["applicant"]


@admin.register(WorkExperience)
class WorkExperienceAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "organisation", "role", "start_year", "end_year"]
    list_select_related = ["applicant"]


@admin.register(EligibilityPolicy)
class EligibilityPolicyAdmin(admin.ModelAdmin):
    """Dated per-region rules (DOMAIN.md §1.3, §1.4); each save is audited."""

    list_display = [
        "region",
        "valid_from",
        "child_age_limit",
        "child_age_inclusive",
        "require_verified_evidence",
        "legal_reference",
    ]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    readonly_fields = ["created_by"]

    # Bureau admins maintain their regions' policies on the staff page
    # (/staff/applicants/eligibility-policies/, scoped and validated by the service);
    # here they only see those of their regions. Only a superuser writes in the admin.
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        prefixes = region_prefixes_for_user(user=request.user)
        if not prefixes:
            return queryset.none()
        return queryset.filter(region_scope_q(prefixes))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = eligibility_policy_snapshot(EligibilityPolicy.objects.get(pk=obj.pk))
        else:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="eligibility_policy.changed" if change else "eligibility_policy.created",
            obj=obj,
            before=before,
            after=eligibility_policy_snapshot(obj),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action="eligibility_policy.deleted",
            obj=obj,
            before=eligibility_policy_snapshot(obj),
        )
        super().delete_model(request, obj)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["job", "applicant", "status", "submitted_at", "status_changed_at"]
    list_filter = ["status"]
    list_select_related = ["job", "applicant"]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdmin):
    list_display = ["application", "from_status", "to_status", "actor", "occurred_at"]
    list_select_related = ["actor"]


@admin.register(Employment)
class EmploymentAdmin(ReadOnlyAdmin):
    list_display = [
        "employer",
        "applicant",
        "start_date",
        "end_date",
        "employment_form",
        "declared_mamagang",
        "source",
    ]
    list_filter = ["declared_mamagang", "source", "employment_form"]
    list_select_related = ["employer", "applicant"]


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "frequency", "last_sent_at"]
    list_select_related = ["user"]
