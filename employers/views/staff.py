"""
The bureau staff's registry workspace (名录审核): the queue of entries by
status, one entry with its history and the decisions allowed now, the
employers in scope, on-demand publication, and bulk import.

Every read goes through a staff selector, so an entry outside the user's
regions is a 404 just like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from employers.forms.staff import (
    NO_ENTRY,
    QUEUE_STATUSES,
    DecisionNoteForm,
    DecisionReasonForm,
    EmployerFilterForm,
    EmployerImportForm,
    RegistryPublishForm,
    RegistryQueueFilterForm,
    SpecialistAssignForm,
)
from employers.models import Employer, RegistryEntry
from employers.permissions import can_assign_specialist, can_decide_registry_entry
from employers.selectors import (
    registry_entry_counts_for_staff,
    registry_entry_get_for_staff,
    registry_entry_list_for_staff,
)
from employers.selectors_staff import (
    district_choice_list_for_user,
    employer_list_with_entry_for_staff,
    publishable_region_list_for_user,
    specialist_candidate_list,
)
from employers.services import (
    employer_specialist_assign,
    registry_entry_approve,
    registry_entry_reinstate,
    registry_entry_reject,
    registry_entry_remove,
    registry_entry_return,
    registry_entry_suspend,
)
from employers.services.imports import (
    IMPORT_COLUMNS,
    MAX_ROWS,
    ImportFailed,
    employers_import,
    import_template_csv,
)
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import normalize_uscc

Status = RegistryEntry.Status
DECIDE = "employers.decide_registryentry"
# A submitted entry waiting longer than this is flagged in the queue.
STALE_AFTER_DAYS = 14


def _search_q(text: str) -> Q:
    """Match an employer by part of its name or of its USCC."""
    return Q(employer__name__icontains=text) | Q(employer__uscc__icontains=normalize_uscc(text))


class StaffRegistryQueueView(PermissionRequiredMixin, ListView):
    """Entries in the user's regions by status; submitted ones oldest first."""

    permission_required = DECIDE
    template_name = "employers/staff/registry_queue.html"
    context_object_name = "entries"
    paginate_by = 20

    def get_queryset(self):
        user = self.request.user
        self.filter_form = RegistryQueueFilterForm(
            self.request.GET, districts=district_choice_list_for_user(user=user)
        )
        if not self.filter_form.is_valid():
            self.status = Status.SUBMITTED
            return RegistryEntry.objects.none()
        data = self.filter_form.cleaned_data
        self.status = data["status"] or Status.SUBMITTED
        entries = registry_entry_list_for_staff(user=user).filter(status=self.status)
        if data["q"]:
            entries = entries.filter(_search_q(data["q"].strip()))
        if data["district"]:
            entries = entries.filter(district=data["district"])
        if self.status == Status.SUBMITTED:
            # Oldest first, so nothing waits unseen at the bottom of the queue.
            return entries.order_by("submitted_at", "pk")
        return entries.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        counts = registry_entry_counts_for_staff(user=user)
        today = timezone.localdate()
        for entry in context["entries"]:
            entry.waiting_days = (
                (today - timezone.localdate(entry.submitted_at)).days
                if entry.submitted_at
                else None
            )
            entry.is_stale = (
                entry.status == Status.SUBMITTED
                and entry.waiting_days is not None
                and entry.waiting_days > STALE_AFTER_DAYS
            )
        context.update(
            filter_form=self.filter_form,
            status=self.status,
            status_label=Status(self.status).label,
            status_tabs=[
                {"value": s, "label": Status(s).label, "count": counts[s]} for s in QUEUE_STATUSES
            ],
            stale_after_days=STALE_AFTER_DAYS,
        )
        if user.has_perm("employers.publish_registryedition"):
            context["publish_form"] = RegistryPublishForm(
                regions=publishable_region_list_for_user(user=user)
            )
        return context


# Decisions: (URL name, button label, form, service, success message).
_ACTIONS: dict[str, tuple[Any, ...]] = {
    "approve": (
        "staff-registry-approve",
        gettext_lazy("通过，纳入名录"),
        DecisionNoteForm,
        registry_entry_approve,
        gettext_lazy("已通过“%(name)s”的申报，单位已纳入名录。"),
    ),
    "return": (
        "staff-registry-return",
        pgettext_lazy("decision button", "退回修改"),
        DecisionReasonForm,
        registry_entry_return,
        gettext_lazy("已将“%(name)s”的申报退回修改。"),
    ),
    "reject": (
        "staff-registry-reject",
        pgettext_lazy("decision button", "不予入录"),
        DecisionReasonForm,
        registry_entry_reject,
        gettext_lazy("已决定“%(name)s”不予入录。"),
    ),
    "suspend": (
        "staff-registry-suspend",
        pgettext_lazy("decision button", "暂停"),
        DecisionReasonForm,
        registry_entry_suspend,
        gettext_lazy("已暂停“%(name)s”的名录资格。"),
    ),
    "remove": (
        "staff-registry-remove",
        pgettext_lazy("decision button", "移出名录"),
        DecisionReasonForm,
        registry_entry_remove,
        gettext_lazy("已将“%(name)s”移出名录。"),
    ),
    "reinstate": (
        "staff-registry-reinstate",
        gettext_lazy("恢复入录"),
        DecisionReasonForm,
        registry_entry_reinstate,
        gettext_lazy("已恢复“%(name)s”的名录资格。"),
    ),
}
# The reason box of each decision says whose reason it is: several stand side by side.
_REASON_LABELS: dict[str, Any] = {
    "return": gettext_lazy("退回修改的原因"),
    "reject": gettext_lazy("不予入录的原因"),
    "suspend": gettext_lazy("暂停的原因"),
    "remove": gettext_lazy("移出名录的原因"),
    "reinstate": gettext_lazy("恢复入录的说明"),
}
# Which decisions each status allows (mirrors RegistryEntry.TRANSITIONS).
_ACTIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    Status.SUBMITTED: ("approve", "return", "reject"),
    Status.APPROVED: ("suspend", "remove"),
    Status.SUSPENDED: ("reinstate", "remove"),
    Status.REMOVED: ("reinstate",),
}


def _four_eyes_reason(user, entry: RegistryEntry, can_decide: bool) -> str:
    """Say why a user who reviews this district may not decide on this entry."""
    if can_decide or not user.has_perm(DECIDE):
        return ""
    if not user_may_act_on_region(user=user, region_code=entry.district.code):
        return ""
    if entry.submitted_by_id == user.pk:
        return _("您提交了此申报，不能自行审核，请由其他工作人员审核。")
    return _("您是该单位的成员，不能审核其申报，请由其他工作人员审核。")


class StaffRegistryEntryView(PermissionRequiredMixin, TemplateView):
    """Everything about one entry, and the decisions allowed in its status."""

    permission_required = DECIDE
    template_name = "employers/staff/registry_entry.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        try:
            entry = registry_entry_get_for_staff(user=user, pk=self.kwargs["pk"])
        except RegistryEntry.DoesNotExist as exc:
            raise Http404 from exc
        employer = entry.employer
        can_decide = can_decide_registry_entry(user, entry)
        actions = []
        for name in _ACTIONS_BY_STATUS.get(entry.status, ()):
            url_name, label, form_class, _service, _message = _ACTIONS[name]
            form = form_class(auto_id=f"id_{name}_%s")
            if name in _REASON_LABELS:
                form.fields["reason"].label = _REASON_LABELS[name]
                form.fields["reason"].help_text = _("单位会看到这段说明。")
            actions.append(
                {
                    "name": name,
                    "label": label,
                    "url": reverse(f"employers:{url_name}", kwargs={"pk": entry.pk}),
                    "form": form,
                    "primary": name in ("approve", "reinstate"),
                }
            )
        may_assign = can_assign_specialist(user, employer)
        specialist_form = None
        if may_assign:
            specialist_form = SpecialistAssignForm(
                candidates=specialist_candidate_list(district=employer.district),
                initial={"specialist": employer.specialist_id},
            )
        return super().get_context_data(
            entry=entry,
            employer=employer,
            events=list(entry.events.all()),
            listing_periods=list(employer.listing_periods.all()),
            actions=actions if can_decide else [],
            blocked_reason=_four_eyes_reason(user, entry, can_decide) if actions else "",
            specialist_form=specialist_form,
            **kwargs,
        )


class _RegistryDecisionView(PermissionRequiredMixin, View):
    """POST one decision; the subclasses name which (one view per action)."""

    permission_required = DECIDE
    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = get_object_or_404(registry_entry_list_for_staff(user=request.user), pk=pk)
        if not can_decide_registry_entry(request.user, entry):
            raise PermissionDenied
        _url_name, _label, form_class, service, success = _ACTIONS[self.action]
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        else:
            try:
                service(entry=entry, decided_by=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, success % {"name": entry.employer.name})
        return redirect("employers:staff-registry-entry", pk=entry.pk)


class StaffRegistryApproveView(_RegistryDecisionView):
    action = "approve"


class StaffRegistryReturnView(_RegistryDecisionView):
    action = "return"


class StaffRegistryRejectView(_RegistryDecisionView):
    action = "reject"


class StaffRegistrySuspendView(_RegistryDecisionView):
    action = "suspend"


class StaffRegistryRemoveView(_RegistryDecisionView):
    action = "remove"


class StaffRegistryReinstateView(_RegistryDecisionView):
    action = "reinstate"


class StaffRegistrySpecialistView(PermissionRequiredMixin, View):
    """Assign (or clear) the employer's employment-service specialist."""

    permission_required = "employers.assign_specialist_employer"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = get_object_or_404(
            registry_entry_list_for_staff(user=request.user).select_related("employer__district"),
            pk=pk,
        )
        employer = entry.employer
        if not can_assign_specialist(request.user, employer):
            raise PermissionDenied
        form = SpecialistAssignForm(
            request.POST, candidates=specialist_candidate_list(district=employer.district)
        )
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        else:
            specialist = form.cleaned_data["specialist"]
            try:
                employer_specialist_assign(
                    employer=employer, specialist=specialist, assigned_by=request.user
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if specialist is None:
                    messages.success(request, _("已取消该单位的就业服务专员。"))
                else:
                    messages.success(
                        request,
                        _("已指定%(name)s为该单位的就业服务专员。")
                        % {"name": specialist.display_name},
                    )
        return redirect("employers:staff-registry-entry", pk=entry.pk)


class StaffRegistryPublishView(PermissionRequiredMixin, View):
    """Publish an edition of a district's or city's registry now."""

    permission_required = "employers.publish_registryedition"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        # Imported here so this module loads even where editions are absent.
        from employers.services.editions import registry_edition_publish

        form = RegistryPublishForm(
            request.POST, regions=publishable_region_list_for_user(user=request.user)
        )
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("employers:staff-registry-queue")
        region = form.cleaned_data["region"]
        try:
            edition = registry_edition_publish(region=region, published_by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if edition is None:
                messages.info(
                    request,
                    _("%(region)s名录内容没有变化，未发布新一期。") % {"region": region.name},
                )
            else:
                url = reverse(
                    "employers:registry-edition",
                    kwargs={"region_code": region.code, "number": edition.number},
                )
                messages.success(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("已发布%(region)s名录第%(n)s期。")
                        % {"region": region.name, "n": edition.number},
                        url,
                        _("查看"),
                    ),
                )
        return redirect("employers:staff-registry-queue")


class StaffEmployerListView(PermissionRequiredMixin, ListView):
    """Employers registered in the user's regions, searchable and filterable."""

    permission_required = DECIDE
    template_name = "employers/staff/employer_list.html"
    context_object_name = "employers"
    paginate_by = 20

    def get_queryset(self):
        user = self.request.user
        self.filter_form = EmployerFilterForm(
            self.request.GET, districts=district_choice_list_for_user(user=user)
        )
        if not self.filter_form.is_valid():
            return Employer.objects.none()
        data = self.filter_form.cleaned_data
        employers = employer_list_with_entry_for_staff(user=user)
        if data["q"]:
            text = data["q"].strip()
            employers = employers.filter(
                Q(name__icontains=text) | Q(uscc__icontains=normalize_uscc(text))
            )
        if data["sector"]:
            employers = employers.filter(sector=data["sector"])
        if data["district"]:
            employers = employers.filter(district=data["district"])
        if data["status"] == NO_ENTRY:
            employers = employers.filter(current_entry_status__isnull=True)
        elif data["status"]:
            employers = employers.filter(current_entry_status=data["status"])
        return employers

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for employer in context["employers"]:
            employer.current_entry_label = (
                Status(employer.current_entry_status).label
                if employer.current_entry_status
                else _("未申报")
            )
        context["filter_form"] = self.filter_form
        return context


class StaffEmployerImportView(PermissionRequiredMixin, FormView):
    """Upload a CSV/XLSX of employers; all rows are listed, or none."""

    permission_required = "employers.import_employer"
    template_name = "employers/staff/employer_import.html"
    form_class = EmployerImportForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            columns=IMPORT_COLUMNS,
            sector_labels=Employer.Sector.labels,
            size_labels=Employer.Size.labels,
            max_rows=MAX_ROWS,
            **kwargs,
        )

    def form_valid(self, form: EmployerImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            result = employers_import(
                file=upload,
                filename=upload.name,
                imported_by=self.request.user,
                listed_from=form.cleaned_data["listed_from"],
            )
        except ImportFailed as exc:
            return self.render_to_response(self.get_context_data(form=form, failure=exc))
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("已导入%(n)s家用人单位，均已纳入名录。") % {"n": result.created},
                reverse("employers:staff-employer-list"),
                _("查看用人单位"),
            ),
        )
        return redirect("employers:staff-employer-import")


class StaffEmployerImportTemplateView(PermissionRequiredMixin, View):
    """The import template: a CSV with the expected Chinese headers."""

    permission_required = "employers.import_employer"

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(import_template_csv(), content_type="text/csv; charset=utf-8")
        local_name = quote(_("用人单位导入模板") + ".csv")
        response["Content-Disposition"] = (
            f"attachment; filename=\"employer-import-template.csv\"; filename*=UTF-8''{local_name}"
        )
        return response


urlpatterns = [
    path("staff/registry/", StaffRegistryQueueView.as_view(), name="staff-registry-queue"),
    path(
        "staff/registry/publish/", StaffRegistryPublishView.as_view(), name="staff-registry-publish"
    ),
    path("staff/registry/<int:pk>/", StaffRegistryEntryView.as_view(), name="staff-registry-entry"),
    path(
        "staff/registry/<int:pk>/approve/",
        StaffRegistryApproveView.as_view(),
        name="staff-registry-approve",
    ),
    path(
        "staff/registry/<int:pk>/return/",
        StaffRegistryReturnView.as_view(),
        name="staff-registry-return",
    ),
    path(
        "staff/registry/<int:pk>/reject/",
        StaffRegistryRejectView.as_view(),
        name="staff-registry-reject",
    ),
    path(
        "staff/registry/<int:pk>/suspend/",
        StaffRegistrySuspendView.as_view(),
        name="staff-registry-suspend",
    ),
    path(
        "staff/registry/<int:pk>/remove/",
        StaffRegistryRemoveView.as_view(),
        name="staff-registry-remove",
    ),
    path(
        "staff/registry/<int:pk>/reinstate/",
        StaffRegistryReinstateView.as_view(),
        name="staff-registry-reinstate",
    ),
    path(
        "staff/registry/<int:pk>/specialist/",
        StaffRegistrySpecialistView.as_view(),
        name="staff-registry-specialist",
    ),
    path("staff/employers/", StaffEmployerListView.as_view(), name="staff-employer-list"),
    path(
        "staff/employers/import/",
        StaffEmployerImportView.as_view(),
        name="staff-employer-import",
    ),
    path(
        "staff/employers/import/template.csv",
        StaffEmployerImportTemplateView.as_view(),
        name="staff-employer-import-template",
    ),
]
