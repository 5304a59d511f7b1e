"""
A mother's own area (/me/): her dashboard, the profile in small sections,
her consents, a copy of her data and deleting it, her applications, and
applying to a post.

Every page needs the applicant-area permission; employers and staff get a
403, visitors the login page. Rows are looked up inside her own profile
(applicants.selectors_me), so another mother's application, child or work
history line is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, ListView, TemplateView

from jobs.filters import parse_free
from jobs.forms import describe_windows
from jobs.models import Job
from jobs.schedule import Window
from jobs.views.public import FREE_PRESETS, job_card
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError

from ..fit import schedule_overlap, windows_from_rows
from ..forms import (
    ApplyForm,
    ChildForm,
    ConsentChangeForm,
    DeleteForm,
    ExperienceForm,
    IntentionsForm,
    PersonalForm,
    ProfileCreateForm,
    TrainingForm,
    WithdrawForm,
    free_window_formset,
)
from ..models import Application, Consent
from ..rules import RULES_BY_REASON
from ..selectors_me import (
    applicant_dashboard,
    applicant_data_export,
    applicant_get_for_user,
    application_get_for_applicant,
    application_get_live_for_job,
    application_list_for_applicant,
    consent_list_for_applicant,
    employment_list_for_applicant,
    job_get_for_apply,
)
from ..services import (
    APPLICANT_MOVES,
    CONSENT_TEXT_VERSION,
    applicant_anonymise,
    applicant_free_windows_set,
    applicant_intentions_update,
    applicant_personal_update,
    applicant_profile_create,
    application_submit,
    application_withdraw,
    child_add,
    child_remove,
    consent_give,
    consent_withdraw,
    work_experience_add,
    work_experience_remove,
)

APPLICANT_PERMISSION = "accounts.use_applicant_area"
Status = Application.Status

# What each status means for her, and what happens next.
APPLICATION_STATUS_HELP = {
    Status.SUBMITTED: _("已投递，等待用人单位查看。"),
    Status.VIEWED: _("用人单位已查看您的申请，请留意站内消息和短信。"),
    Status.INTERVIEW: _(
        "用人单位邀请您面试，请按下面的时间和地点参加；如需改期，请通过平台消息联系单位。"
    ),
    Status.OFFERED: _("用人单位决定录用您，请与单位确认入职日期。入职后单位会为您办理就业登记。"),
    Status.HIRED: _("您已入职，用人单位已为您办理就业登记。"),
    Status.REJECTED: _("很遗憾，本次申请未通过。可以看看其他适合您的岗位。"),
    Status.WITHDRAWN: _("您已撤回这份申请。如仍有意向，可以在岗位招聘期内重新申请。"),
}

# The names of the profile areas, in the survey's order (selectors_me.profile_areas).
AREA_LABELS = {
    "personal": _("个人信息"),
    "children": _("子女和家庭照护"),
    "availability": _("空闲时间"),
    "intentions": _("求职意向"),
    "training": _("培训需求"),
    "experience": _("工作经历"),
}

# What she can do about each reason she does not qualify yet, and where (issue 7: a
# reason alone left her guessing). Working age has no step she could take.
# Service field names that the forms call differently.
FORM_FIELD_NAMES = {"residence_district": "district", "residence_street": "street"}


def add_errors(form: Form, exc: ValidationError | DomainError) -> None:
    """
    Put a service's error on `form`: a DomainError's message at the top, a
    ValidationError's field errors on the matching fields (by the form's
    names), anything else at the top.
    """
    if isinstance(exc, DomainError):
        form.add_error(None, exc.message)
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        name = FORM_FIELD_NAMES.get(field, field)
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def profile_create_url(next_url: str) -> str:
    return f"{reverse('applicants:me-profile-create')}?next={quote(next_url)}"


def _status_help(status: str) -> str:
    return str(APPLICATION_STATUS_HELP.get(status, ""))


def _window_lines(rows) -> list[str]:
    return describe_windows(windows_from_rows(rows))


@method_decorator(never_cache, name="dispatch")
class ApplicantAreaMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """
    Require a login and the applicant-area permission, and load her profile
    into `self.applicant`; pages that need one send her to create it first.
    """

    permission_required = APPLICANT_PERMISSION
    profile_required = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or not self.has_permission():
            return self.handle_no_permission()
        self.applicant = applicant_get_for_user(user=request.user)
        if self.applicant is None and self.profile_required:
            messages.info(request, gettext("请先填写求职档案。"))
            return redirect(profile_create_url(request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(applicant=self.applicant, **kwargs)


# Dashboard and profile --------------------------------------------------------


class MeHomeView(ApplicantAreaMixin, TemplateView):
    template_name = "applicants/me/home.html"
    profile_required = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.applicant is None:
            return context
        dashboard = applicant_dashboard(applicant=self.applicant, today=timezone.localdate())
        context.update(
            dashboard=dashboard,
            areas=[(area, AREA_LABELS[area.key]) for area in dashboard.areas],
            areas_done=sum(1 for area in dashboard.areas if area.done),
            reasons=[
                (
                    RULES_BY_REASON[code].label,
                    RULES_BY_REASON[code].next_step,
                    *(RULES_BY_REASON[code].link or ("", "")),
                )
                for code in dashboard.eligibility.reasons
            ],
            applications=[
                (application, _status_help(application.status))
                for application in dashboard.recent_applications
            ],
        )
        return context


class ProfileCreateView(ApplicantAreaMixin, FormView):
    template_name = "applicants/me/profile_create.html"
    form_class = ProfileCreateForm
    profile_required = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.applicant is not None:
            return redirect("applicants:me-home")
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.applicant is not None:
            return redirect("applicants:me-home")
        return super().post(request, *args, **kwargs)

    def next_url(self) -> str | None:
        return _safe_next(
            self.request, self.request.POST.get("next") or self.request.GET.get("next")
        )

    def form_valid(self, form: ProfileCreateForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            applicant_profile_create(
                user=self.request.user,
                full_name=data["full_name"].strip(),
                id_number=data["id_number"],
                residence_district=data["district"],
                residence_street=data["street"],
                category=data["category"],
                retirement_category=data["retirement_category"],
                sensitive_data_consent=data["sensitive_data_consent"],
            )
        except (DomainError, ValidationError) as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("求职档案已建立。请继续填写孩子、空闲时间和求职意向，方便为您推荐岗位。"),
        )
        return redirect(self.next_url() or "applicants:me-home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            next_url=self.next_url(), consent_version=CONSENT_TEXT_VERSION, **kwargs
        )


class ProfileSectionMixin(ApplicantAreaMixin):
    """A profile area's page: its heading and the profile sub-navigation."""

    area = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(area=self.area, area_label=AREA_LABELS[self.area], **kwargs)


class PersonalView(ProfileSectionMixin, FormView):
    template_name = "applicants/me/profile_personal.html"
    form_class = PersonalForm
    area = "personal"

    def get_initial(self) -> dict[str, Any]:
        return PersonalForm.initial_for(self.applicant)

    def form_valid(self, form: PersonalForm) -> HttpResponse:
        try:
            applicant_personal_update(
                applicant=self.applicant, updated_by=self.request.user, **form.personal_fields()
            )
        except (DomainError, ValidationError) as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, gettext("个人信息已保存。"))
        return redirect("applicants:me-personal")


class ChildrenView(ProfileSectionMixin, FormView):
    template_name = "applicants/me/profile_children.html"
    form_class = ChildForm
    area = "children"

    def form_valid(self, form: ChildForm) -> HttpResponse:
        try:
            child_add(applicant=self.applicant, added_by=self.request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("已登记。请带上证明材料原件到居住地区人社局或街道服务窗口核验。"),
        )
        return redirect("applicants:me-children")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(children=list(self.applicant.children.all()), **kwargs)


class ChildRemoveView(ApplicantAreaMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        child = get_object_or_404(self.applicant.children.all(), pk=pk)
        child_remove(child=child, removed_by=request.user)
        messages.success(request, gettext("已删除该子女的登记信息。"))
        return redirect("applicants:me-children")


class AvailabilityView(ProfileSectionMixin, TemplateView):
    template_name = "applicants/me/profile_availability.html"
    area = "availability"

    def current_windows(self) -> list[Window]:
        return windows_from_rows(self.applicant.free_windows.all())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        windows = self.current_windows()
        formset = free_window_formset(windows=windows)
        return self.render_to_response(self.get_context_data(formset=formset, windows=windows))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "preset" in request.POST:
            return self.add_preset(request, request.POST["preset"])
        formset = free_window_formset(request.POST)
        if formset.is_valid():
            try:
                applicant_free_windows_set(
                    applicant=self.applicant,
                    updated_by=request.user,
                    windows=[(w.weekday, w.start, w.end) for w in formset.windows()],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, gettext("空闲时间已保存。"))
                return redirect("applicants:me-availability")
        context = self.get_context_data(formset=formset, windows=self.current_windows())
        return self.render_to_response(context)

    def add_preset(self, request: HttpRequest, value: str) -> HttpResponse:
        """One tap: add a usual span (weekdays 09:00–15:00) to the windows she has."""
        if value not in {preset for _label, preset in FREE_PRESETS}:
            messages.error(request, gettext("请选择页面上列出的常用时间。"))
            return redirect("applicants:me-availability")
        added = parse_free(value)
        try:
            applicant_free_windows_set(
                applicant=self.applicant,
                updated_by=request.user,
                windows=[(w.weekday, w.start, w.end) for w in [*self.current_windows(), *added]],
            )
        except (DomainError, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))
        else:
            messages.success(
                request,
                gettext("已添加空闲时间：%(time)s。")
                % {"time": "；".join(describe_windows(added))},
            )
        return redirect("applicants:me-availability")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["window_lines"] = describe_windows(context["windows"])
        context["presets"] = FREE_PRESETS
        return context


class IntentionsView(ProfileSectionMixin, FormView):
    template_name = "applicants/me/profile_form.html"
    form_class = IntentionsForm
    area = "intentions"
    success_message = _("求职意向已保存。")

    def get_initial(self) -> dict[str, Any]:
        return self.form_class.initial_for(self.applicant)

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            applicant_intentions_update(
                applicant=self.applicant, updated_by=self.request.user, **form.cleaned_data
            )
        except (DomainError, ValidationError) as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return redirect(self.request.path)


class TrainingView(IntentionsView):
    template_name = "applicants/me/profile_form.html"
    form_class = TrainingForm
    area = "training"
    success_message = _("培训需求已保存。")


class ExperienceView(ProfileSectionMixin, FormView):
    template_name = "applicants/me/profile_experience.html"
    form_class = ExperienceForm
    area = "experience"

    def form_valid(self, form: ExperienceForm) -> HttpResponse:
        try:
            work_experience_add(
                applicant=self.applicant, added_by=self.request.user, **form.cleaned_data
            )
        except (DomainError, ValidationError) as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, gettext("工作经历已添加。"))
        return redirect("applicants:me-experience")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            experiences=list(self.applicant.experiences.all()), **kwargs
        )


class ExperienceRemoveView(ApplicantAreaMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        experience = get_object_or_404(self.applicant.experiences.all(), pk=pk)
        work_experience_remove(experience=experience, removed_by=request.user)
        messages.success(request, gettext("已删除该条工作经历。"))
        return redirect("applicants:me-experience")


# Privacy ------------------------------------------------------------------------


class ConsentsView(ApplicantAreaMixin, TemplateView):
    template_name = "applicants/me/consents.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ConsentChangeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        kind, action = form.cleaned_data["kind"], form.cleaned_data["action"]
        try:
            if action == ConsentChangeForm.GIVE:
                consent_give(applicant=self.applicant, kind=kind)
            else:
                consent_withdraw(applicant=self.applicant, kind=kind)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                gettext("已记录您的同意。")
                if action == ConsentChangeForm.GIVE
                else gettext("已撤回该项同意。"),
            )
        return redirect("applicants:me-consents")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        consents = list(consent_list_for_applicant(applicant=self.applicant))
        active = {c.kind for c in consents if c.withdrawn_at is None}
        kwargs.setdefault("form", ConsentChangeForm())
        return super().get_context_data(
            consents=consents,
            registration_active=Consent.Kind.EMPLOYMENT_REGISTRATION in active,
            guardian_active=Consent.Kind.GUARDIAN_CHILDREN in active,
            consent_version=CONSENT_TEXT_VERSION,
            **kwargs,
        )


class DataExportView(ApplicantAreaMixin, View):
    """Her data as a JSON download (PIPL Art. 45); every export is audited."""

    def get(self, request: HttpRequest) -> HttpResponse:
        data = applicant_data_export(self.applicant)
        with transaction.atomic():
            audit_record(actor=request.user, action="applicant.data_exported", obj=self.applicant)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Type"] = "application/json; charset=utf-8"
        filename = f"mamagang-my-data-{timezone.localdate():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class DeleteView(ApplicantAreaMixin, FormView):
    template_name = "applicants/me/delete.html"
    form_class = DeleteForm

    def form_valid(self, form: DeleteForm) -> HttpResponse:
        try:
            applicant = applicant_anonymise(
                applicant=self.applicant, requested_by=self.request.user
            )
        except DomainError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        logout(self.request)
        return render(
            self.request,
            "applicants/me/deleted.html",
            {"kept_for_audit": bool(applicant.id_number_encrypted)},
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            has_employments=employment_list_for_applicant(applicant=self.applicant).exists(),
            **kwargs,
        )


# Applications -------------------------------------------------------------------


class ApplicationListView(ApplicantAreaMixin, ListView):
    template_name = "applicants/me/application_list.html"
    context_object_name = "applications"
    paginate_by = 20

    def get_queryset(self):
        return application_list_for_applicant(applicant=self.applicant)


class ApplicationDetailView(ApplicantAreaMixin, TemplateView):
    template_name = "applicants/me/application_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            application = application_get_for_applicant(
                applicant=self.applicant, pk=self.kwargs["pk"]
            )
        except Application.DoesNotExist as exc:
            raise Http404(gettext("没有找到这份申请。")) from exc
        job = application.job
        return super().get_context_data(
            application=application,
            job=job,
            status_help=_status_help(application.status),
            offered_lines=_window_lines(application.offered_windows),
            job_lines=_window_lines(job.windows.all()),
            can_withdraw=bool(APPLICANT_MOVES.get(application.status)),
            withdraw_form=WithdrawForm(),
            history=[
                {
                    "event": event,
                    "label": Status(event.to_status).label
                    if event.from_status
                    else gettext("提交申请"),
                }
                for event in application.events.all()
            ],
            **kwargs,
        )


class ApplicationWithdrawView(ApplicantAreaMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = get_object_or_404(
            application_list_for_applicant(applicant=self.applicant), pk=pk
        )
        form = WithdrawForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            application_withdraw(application=application, by=request.user, note=note)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("申请已撤回。"))
        return redirect("applicants:me-application-detail", pk=application.pk)


class JobApplyView(ApplicantAreaMixin, TemplateView):
    """Apply to a post: her message and the free windows she offers."""

    template_name = "applicants/me/job_apply.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.today = timezone.localdate()
        return super().dispatch(request, *args, **kwargs)

    def load(self) -> None:
        try:
            self.job, self.accepts = job_get_for_apply(pk=self.kwargs["pk"], today=self.today)
        except Job.DoesNotExist as exc:
            raise Http404(gettext("没有找到这个岗位。")) from exc
        self.free = windows_from_rows(self.applicant.free_windows.all())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        existing = application_get_live_for_job(applicant=self.applicant, job=self.job)
        if existing is not None:
            messages.info(request, gettext("您已申请过该岗位，这里是申请进度。"))
            return redirect("applicants:me-application-detail", pk=existing.pk)
        form = ApplyForm(free_windows=self.free)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        form = ApplyForm(request.POST, free_windows=self.free)
        error_code = ""
        if form.is_valid():
            try:
                application = application_submit(
                    applicant=self.applicant,
                    job=self.job,
                    message=form.cleaned_data["message"],
                    offered_windows=form.offered_windows(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                error_code = exc.code
            else:
                messages.success(
                    request,
                    gettext("申请已提交。用人单位查看或回复后，会通过站内消息和短信通知您。"),
                )
                return redirect("applicants:me-application-detail", pk=application.pk)
        return self.render_to_response(self.get_context_data(form=form, error_code=error_code))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job_windows = windows_from_rows(self.job.windows.all())
        return super().get_context_data(
            job=self.job,
            card=job_card(self.job),
            accepts=self.accepts,
            job_lines=describe_windows(job_windows),
            free_lines=describe_windows(self.free),
            overlap=schedule_overlap(job_windows, self.free) if self.free else None,
            **kwargs,
        )


urlpatterns = [
    path("me/", MeHomeView.as_view(), name="me-home"),
    path("me/profile/new/", ProfileCreateView.as_view(), name="me-profile-create"),
    path("me/profile/personal/", PersonalView.as_view(), name="me-personal"),
    path("me/profile/children/", ChildrenView.as_view(), name="me-children"),
    path(
        "me/profile/children/<int:pk>/remove/",
        ChildRemoveView.as_view(),
        name="me-child-remove",
    ),
    path("me/profile/availability/", AvailabilityView.as_view(), name="me-availability"),
    path("me/profile/intentions/", IntentionsView.as_view(), name="me-intentions"),
    path("me/profile/training/", TrainingView.as_view(), name="me-training"),
    path("me/profile/experience/", ExperienceView.as_view(), name="me-experience"),
    path(
        "me/profile/experience/<int:pk>/remove/",
        ExperienceRemoveView.as_view(),
        name="me-experience-remove",
    ),
    path("me/privacy/", ConsentsView.as_view(), name="me-consents"),
    path("me/privacy/export.json", DataExportView.as_view(), name="me-data-export"),
    path("me/privacy/delete/", DeleteView.as_view(), name="me-delete"),
    path("me/applications/", ApplicationListView.as_view(), name="me-application-list"),
    path(
        "me/applications/<int:pk>/",
        ApplicationDetailView.as_view(),
        name="me-application-detail",
    ),
    path(
        "me/applications/<int:pk>/withdraw/",
        ApplicationWithdrawView.as_view(),
        name="me-application-withdraw",
    ),
    path("jobs/<int:pk>/apply/", JobApplyView.as_view(), name="job-apply"),
]
