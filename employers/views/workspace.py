"""
The employer workspace (单位工作台): a member's own employers, their data,
members and invitations, and the registry application.

Every page acts on the user's *current* employer (employers/context.py), so
ids in URLs are looked up inside that employer only: another employer's
membership or invitation is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from employers.context import current_employer, forget_current_employer, set_current_employer
from employers.forms.workspace import (
    EmployerProfileForm,
    EmployerRegisterForm,
    EmployerSwitchForm,
    InvitationCreateForm,
    RegistryDeclarationForm,
    RegistrySubmitForm,
    add_service_errors,
)
from employers.models import EmployerInvitation, ListingPeriod, RegistryEntry
from employers.permissions import can_admin_employer, can_manage_employer
from employers.selectors import (
    employer_list_for_member,
    invitation_list_open,
    membership_list_for_employer,
    registry_entry_get_for_employer,
)
from employers.services import (
    employer_register,
    employer_update,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    invitation_token_hash,
    membership_remove,
    registry_entry_apply,
    registry_entry_create,
)
from mamagang.core.exceptions import DomainError

WORKSPACE_PERMISSION = "accounts.use_employer_workspace"
# The link of a new invitation, kept until the members page has shown it once.
NEW_INVITATION_SESSION_KEY = "employers_new_invitation"

Status = RegistryEntry.Status

# What each registry status means for the employer, and what happens next.
STATUS_HELP = {
    None: _(
        "本单位还没有申报妈妈岗用人单位名录。申报后由单位所在区的人社局审核，"
        "通过后本单位会出现在下一期公开发布的名录中。"
    ),
    Status.DRAFT: _(
        "申报尚未提交。请在下面核对拟设妈妈岗数量和申报说明，勾选承诺后提交审核，"
        "区人社局才会开始审核。"
    ),
    Status.SUBMITTED: _(
        "已提交，正在等待区人社局审核。审核期间不能修改申报内容；"
        "审核结果会通过站内消息和电子邮件通知本单位成员。"
    ),
    Status.RETURNED: _("区人社局已将申报退回修改。请根据下面的意见修改申报内容，保存后重新提交。"),
    Status.APPROVED: _(
        "本单位已纳入妈妈岗用人单位名录，自入录日期起生效，并会出现在每期公开发布的名录中。"
        "名录资格是享受部分妈妈岗扶持政策的前提。"
    ),
    Status.REJECTED: _("本次申报未通过。请阅读下面的原因；情况改善后可以重新发起一份新的申报。"),
    Status.SUSPENDED: _(
        "本单位的名录资格已暂停：暂停期间不在名录中，依赖名录资格的政策也会暂停。"
        "请按下面的原因整改，并联系区人社局或就业服务专员申请恢复。"
    ),
    Status.REMOVED: _(
        "本单位已被移出名录，依赖名录资格的政策随之停止。如有异议或情况已变化，请联系区人社局。"
    ),
}
# Statuses whose decision reason the employer must see first.
REASON_STATUSES = (Status.RETURNED, Status.REJECTED, Status.SUSPENDED, Status.REMOVED)


def registry_status_context(entry: RegistryEntry | None) -> dict[str, Any]:
    """Return what templates need to explain an employer's registry status."""
    status = entry.status if entry is not None else None
    return {
        "entry": entry,
        "status_label": entry.get_status_display() if entry else gettext("未申报"),
        "status_help": STATUS_HELP[status],
        "show_reason": bool(entry and status in REASON_STATUSES and entry.decision_reason),
    }


class WorkspaceMixin(PermissionRequiredMixin):
    """
    Require the workspace permission and load the current employer into
    `self.employer`; without one, send the user to the workspace start page.
    """

    permission_required = WORKSPACE_PERMISSION
    employer_required = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.employer = current_employer(request)
        if self.employer is None:
            if self.employer_required:
                messages.info(request, gettext("请先登记用人单位，或通过邀请链接加入单位。"))
                return redirect("employers:workspace")
        elif not can_manage_employer(request.user, self.employer):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(employer=self.employer, **kwargs)


class WorkspaceView(WorkspaceMixin, TemplateView):
    template_name = "employers/workspace/home.html"
    employer_required = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.employer is None:
            return context
        employers = list(employer_list_for_member(user=self.request.user))
        context.update(
            employers=employers,
            member_count=self.employer.memberships.count(),
            is_admin=can_admin_employer(self.request.user, self.employer),
            **registry_status_context(registry_entry_get_for_employer(employer=self.employer)),
        )
        return context


class WorkspaceSwitchView(WorkspaceMixin, View):
    employer_required = False

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EmployerSwitchForm(request.POST)
        if not form.is_valid():
            raise Http404
        employer = get_object_or_404(
            employer_list_for_member(user=request.user), pk=form.cleaned_data["employer"]
        )
        set_current_employer(request, employer)
        messages.success(request, gettext("已切换到“%(name)s”。") % {"name": employer.name})
        return redirect("employers:workspace")


class EmployerRegisterView(WorkspaceMixin, FormView):
    template_name = "employers/workspace/employer_form.html"
    form_class = EmployerRegisterForm
    employer_required = False

    def form_valid(self, form: EmployerRegisterForm) -> HttpResponse:
        try:
            employer = employer_register(
                registered_by=self.request.user,
                uscc=form.cleaned_data["uscc"],
                **form.employer_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        set_current_employer(self.request, employer)
        messages.success(
            self.request,
            gettext("“%(name)s”已登记，您是本单位的管理员。") % {"name": employer.name},
        )
        return redirect("employers:workspace")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(registering=True, **kwargs)


class EmployerProfileView(WorkspaceMixin, FormView):
    template_name = "employers/workspace/employer_form.html"
    form_class = EmployerProfileForm

    def get_initial(self) -> dict[str, Any]:
        return EmployerProfileForm.initial_for(self.employer)

    def form_valid(self, form: EmployerProfileForm) -> HttpResponse:
        try:
            employer_update(
                employer=self.employer, updated_by=self.request.user, **form.employer_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, gettext("单位信息已保存。"))
        return redirect("employers:workspace-profile")


class MembersView(WorkspaceMixin, TemplateView):
    template_name = "employers/workspace/members.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        members = list(membership_list_for_employer(employer=self.employer))
        is_admin = any(m.user_id == user.pk and m.is_admin for m in members)
        new_invitation = None
        if self.request.method == "GET":
            # Shown once: the token exists nowhere else (only its hash is stored).
            stored = self.request.session.pop(NEW_INVITATION_SESSION_KEY, None)
            if stored and stored.get("employer") == self.employer.pk:
                new_invitation = stored
        context.update(
            members=members,
            is_admin=is_admin,
            # Every member sees the open invitations; only admins get revoke buttons.
            invitations=list(invitation_list_open(employer=self.employer).order_by("-created_at")),
            invite_form=kwargs.get("invite_form") or InvitationCreateForm(),
            new_invitation=new_invitation,
        )
        return context


class InvitationCreateView(MembersView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("employers:workspace-members")

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_admin_employer(request.user, self.employer):
            raise PermissionDenied
        form = InvitationCreateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(invite_form=form))
        try:
            invitation, token = invitation_create(
                employer=self.employer, invited_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("employers:workspace-members")
        request.session[NEW_INVITATION_SESSION_KEY] = {
            "employer": self.employer.pk,
            "link": request.build_absolute_uri(
                reverse("employers:invitation-accept", args=[token])
            ),
            "role": invitation.get_role_display(),
            "expires_at": invitation.expires_at.isoformat(),
        }
        return redirect("employers:workspace-members")


class InvitationRevokeView(WorkspaceMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invitation = get_object_or_404(invitation_list_open(employer=self.employer), pk=pk)
        if not can_admin_employer(request.user, self.employer):
            raise PermissionDenied
        try:
            invitation_revoke(invitation=invitation, revoked_by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("邀请已撤销，该链接不能再使用。"))
        return redirect("employers:workspace-members")


class MemberRemoveView(WorkspaceMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = get_object_or_404(membership_list_for_employer(employer=self.employer), pk=pk)
        leaving = membership.user_id == request.user.pk
        if not leaving and not can_admin_employer(request.user, self.employer):
            raise PermissionDenied
        try:
            membership_remove(membership=membership, removed_by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("employers:workspace-members")
        if leaving:
            forget_current_employer(request)
            messages.success(
                request, gettext("您已退出“%(name)s”。") % {"name": self.employer.name}
            )
            return redirect("employers:workspace")
        messages.success(
            request,
            gettext("已将%(name)s移出本单位。") % {"name": membership.user.display_name},
        )
        return redirect("employers:workspace-members")


@method_decorator(never_cache, name="dispatch")
class InvitationAcceptView(LoginRequiredMixin, View):
    """
    Open an invitation link. Any logged-in user may accept (an applicant
    becomes an employer member too). Unknown, used, revoked and expired
    links all get the same 404 page, so the link reveals nothing.
    """

    template_name = "employers/workspace/invitation_accept.html"
    invalid_template_name = "employers/workspace/invitation_invalid.html"

    def _usable_invitation(self, token: str) -> EmployerInvitation | None:
        invitation = (
            EmployerInvitation.objects.select_related("employer", "employer__district")
            .filter(token_hash=invitation_token_hash(token))
            .first()
        )
        return invitation if invitation is not None and invitation.is_usable() else None

    def _invalid(self, request: HttpRequest) -> HttpResponse:
        return self._private(render(request, self.invalid_template_name, status=404))

    @staticmethod
    def _private(response: HttpResponse) -> HttpResponse:
        # The token is in this page's URL: keep it out of Referer headers.
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._usable_invitation(token)
        if invitation is None:
            return self._invalid(request)
        already_member = invitation.employer.memberships.filter(user=request.user).exists()
        return self._private(
            render(
                request,
                self.template_name,
                {"invitation": invitation, "already_member": already_member},
            )
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            membership = invitation_accept(token=token, user=request.user)
        except DomainError as exc:
            if exc.code == "invitation_not_usable":
                return self._invalid(request)
            messages.error(request, exc.message)
            return redirect("employers:workspace")
        set_current_employer(request, membership.employer)
        messages.success(
            request,
            gettext("您已加入“%(name)s”，角色：%(role)s。")
            % {"name": membership.employer.name, "role": membership.get_role_display()},
        )
        return redirect("employers:workspace")


class RegistryView(WorkspaceMixin, TemplateView):
    template_name = "employers/workspace/registry.html"

    def get_entry(self) -> RegistryEntry | None:
        if not hasattr(self, "_entry"):
            self._entry = registry_entry_get_for_employer(employer=self.employer)
        return self._entry

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        entry = self.get_entry()
        context = super().get_context_data(**kwargs)
        context.update(registry_status_context(entry))
        editable = entry is not None and entry.is_editable_by_employer
        can_start = entry is None or entry.status == Status.REJECTED
        if editable or can_start:
            # One form fills in and submits the application; a new application after a
            # rejection starts from the rejected one's content.
            initial = (
                {"declared_posts": entry.declared_posts, "declaration": entry.declaration}
                if entry is not None
                else {}
            )
            context.setdefault("declaration_form", RegistryDeclarationForm(initial=initial))
            context.setdefault("submit_form", RegistrySubmitForm())
        events = []
        if entry is not None:
            for event in entry.events.all():
                events.append(
                    {
                        "occurred_at": event.occurred_at,
                        "from_label": event.get_from_status_display(),
                        "to_label": event.get_to_status_display(),
                        "reason": event.reason,
                        # Staff names stay inside the bureau; the employer sees the office.
                        "by": gettext("本单位")
                        if event.to_status == Status.SUBMITTED
                        else gettext("区人社局"),
                    }
                )
        context.update(
            editable=editable,
            can_start=can_start,
            events=events,
            listing_periods=list(
                ListingPeriod.objects.filter(employer=self.employer).order_by("-listed_from", "-pk")
            ),
        )
        return context


class RegistryStartView(WorkspaceMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            registry_entry_create(employer=self.employer, created_by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("已创建名录申报草稿，请填写申报内容。"))
        return redirect("employers:workspace-registry")


class _RegistryActionView(RegistryView):
    """
    A POST on the current employer's application; form errors re-render the
    page. Without a live application (none yet, or the last one rejected) the
    same form starts a new one, so filling in, saving and submitting take one
    screen.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("employers:workspace-registry")

    def may_write(self) -> bool:
        entry = self.get_entry()
        if entry is None or entry.status == Status.REJECTED or entry.is_editable_by_employer:
            return True
        messages.error(self.request, gettext("只有草稿或退回修改的申报可以修改或提交。"))
        return False



class RegistrySaveView(_RegistryActionView):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.may_write():
            return redirect("employers:workspace-registry")
        form = RegistryDeclarationForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(declaration_form=form))
        try:
            registry_entry_apply(
                employer=self.employer,
                entry=self.get_entry(),
                by=request.user,
                **form.cleaned_data,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(declaration_form=form))
        else:
            messages.success(request, gettext("申报内容已保存为草稿。确认无误后请提交审核。"))
        return redirect("employers:workspace-registry")


class RegistrySubmitView(_RegistryActionView):
    """
    Submit the application. When the POST carries the declaration too (the
    page's one form), save it first, in the same transaction: what was typed
    is what is submitted, or nothing changes.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.may_write():
            return redirect("employers:workspace-registry")
        with_content = "declared_posts" in request.POST
        declaration_form = RegistryDeclarationForm(request.POST) if with_content else None
        form = RegistrySubmitForm(request.POST)
        content_valid = declaration_form is None or declaration_form.is_valid()
        if not (form.is_valid() and content_valid):
            return self.render_to_response(
                self.get_context_data(
                    submit_form=form,
                    **({"declaration_form": declaration_form} if declaration_form else {}),
                )
            )
        try:
            registry_entry_apply(
                employer=self.employer,
                entry=self.get_entry(),
                by=request.user,
                **(declaration_form.cleaned_data if declaration_form is not None else {}),
                submit=True,
                declaration_confirmed=form.cleaned_data["declaration_confirmed"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            if declaration_form is None:
                raise
            add_service_errors(declaration_form, exc)
            return self.render_to_response(
                self.get_context_data(submit_form=form, declaration_form=declaration_form)
            )
        else:
            messages.success(request, gettext("申报已提交，区人社局审核后会通过站内消息通知您。"))
        return redirect("employers:workspace-registry")


urlpatterns = [
    path("employer/", WorkspaceView.as_view(), name="workspace"),
    path("employer/switch/", WorkspaceSwitchView.as_view(), name="workspace-switch"),
    path("employer/new/", EmployerRegisterView.as_view(), name="workspace-employer-new"),
    path("employer/profile/", EmployerProfileView.as_view(), name="workspace-profile"),
    path("employer/members/", MembersView.as_view(), name="workspace-members"),
    path("employer/members/invite/", InvitationCreateView.as_view(), name="workspace-invite"),
    path(
        "employer/members/<int:pk>/remove/",
        MemberRemoveView.as_view(),
        name="workspace-member-remove",
    ),
    path(
        "employer/invitations/<int:pk>/revoke/",
        InvitationRevokeView.as_view(),
        name="workspace-invitation-revoke",
    ),
    path(
        "employer/invitations/<str:token>/",
        InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path("employer/registry/", RegistryView.as_view(), name="workspace-registry"),
    path("employer/registry/start/", RegistryStartView.as_view(), name="workspace-registry-start"),
    path("employer/registry/save/", RegistrySaveView.as_view(), name="workspace-registry-save"),
    path(
        "employer/registry/submit/",
        RegistrySubmitView.as_view(),
        name="workspace-registry-submit",
    ),
]
