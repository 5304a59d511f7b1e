from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from mamagang.core.exceptions import DomainError

from .models import StaffRegionScope, User


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("phone", "display_name")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class StaffRegionScopeInline(admin.TabularInline):
    model = StaffRegionScope
    fk_name = "user"
    autocomplete_fields = ["region"]
    extra = 0
    readonly_fields = ["granted_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a scope is granted or revoked, never edited


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["phone"]
    list_display = ["phone", "display_name", "email", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["phone", "display_name", "email"]
    inlines = [StaffRegionScopeInline]
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("个人资料"), {"fields": ("display_name", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("日期"), {"fields": ("last_login", "date_joined")}),
    )

    def save_formset(self, request, form, formset, change):
        """Grant and revoke region scopes through the audited services."""
        if formset.model is not StaffRegionScope:
            return super().save_formset(request, form, formset, change)
        from .services import staff_scope_grant, staff_scope_revoke

        scopes = formset.save(commit=False)
        for scope in formset.deleted_objects:
            staff_scope_revoke(scope=scope, revoked_by=request.user, reason="管理后台")
        for scope in scopes:
            if scope.pk is None:
                try:
                    staff_scope_grant(
                        user=form.instance, region=scope.region, granted_by=request.user
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
        return None

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "display_name", "password1", "password2", "usable_password"),
            },
        ),
    )


@admin.register(StaffRegionScope)
class StaffRegionScopeAdmin(admin.ModelAdmin):
    """Scopes are granted through services (audited); the admin only shows them."""

    list_display = ["user", "region", "granted_by", "created_at"]
    search_fields = ["user__display_name", "user__phone", "region__name", "region__code"]
    list_select_related = ["user", "region", "granted_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
