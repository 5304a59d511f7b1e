from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from mamagang.core.exceptions import DomainError
from mamagang.core.selectors import notification_unread_count

from .forms import PhoneLoginForm, RegisterForm
from .roles import Role
from .selectors import district_list_for_user, staff_scope_list_for_user
from .services import user_register

REGISTER_ROLES = {"mother": Role.APPLICANT, "employer": Role.EMPLOYER_MEMBER}
# Where a new account goes when no `next` was given: a mother straight to her profile
# (the next thing she has to do before she can apply); an employer to the home page.
# After registering: a mother fills in her profile; an employer member goes to the
# workspace, which starts with registering the employer by its credit code.
REGISTER_NEXT_STEP = {
    "mother": "applicants:me-profile-create",
    "employer": "employers:workspace",
}


class UserLoginView(auth_views.LoginView):
    form_class = PhoneLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class UserRegisterView(FormView):
    form_class = RegisterForm
    template_name = "accounts/register.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in REGISTER_ROLES:
            raise Http404
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            kind=self.kwargs["kind"], next=self._safe_next() or "", **kwargs
        )

    def _safe_next(self) -> str | None:
        """Return the `next` URL if it points back at this site (e.g. an invitation)."""
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return target
        return None

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_register(
                phone=data["phone"],
                password=data["password1"],
                display_name=data["display_name"],
                email=data["email"],
                role=REGISTER_ROLES[self.kwargs["kind"]],
            )
        except (DomainError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or exc.messages[0])
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = self._safe_next()
        messages.success(
            self.request, _("%(name)s，欢迎您！账户已创建。") % {"name": user.display_name}
        )
        return redirect(next_url or REGISTER_NEXT_STEP[self.kwargs["kind"]])


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "email/accounts/password_reset_body.txt"
    subject_template_name = "email/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        role_labels = dict(Role.choices)
        roles = [
            role_labels[name]
            for name in user.groups.values_list("name", flat=True)
            if name in role_labels
        ]
        return super().get_context_data(
            roles=roles,
            unread_count=notification_unread_count(user=user),
            scopes=staff_scope_list_for_user(user=user),
            **kwargs,
        )


class StaffWorkspaceView(PermissionRequiredMixin, TemplateView):
    permission_required = "accounts.use_staff_workspace"
    template_name = "accounts/staff_workspace.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            scopes=staff_scope_list_for_user(user=user),
            districts=district_list_for_user(user=user),
            **kwargs,
        )
