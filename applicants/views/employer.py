"""
The employer's side of applications (申请管理) and employment registration
(就业登记) in the employer workspace.

Every row is fetched through the current employer's selectors, so another
employer's application or employment is a 404, the same as one that does
not exist. Employers see her masked data only: name, masked ID number,
district, profile, and whether she meets the 妈妈岗 conditions (the status,
never her children or the reasons about them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from employers.forms.workspace import add_service_errors
from employers.views.workspace import WorkspaceMixin
from jobs.forms import describe_windows, windows_of
from jobs.models import Job
from mamagang.core.exceptions import DomainError

from ..fit import Fit, windows_from_rows
from ..forms_employer import (
    ApplicationFilter,
    EmploymentEndForm,
    HireForm,
    InterviewForm,
    OfferForm,
    OfflineEmploymentForm,
    RejectForm,
)
from ..models import Application, Employment
from ..selectors_employer import (
    ELIGIBILITY_WARNING_DAYS,
    application_counts_by_status,
    application_fit,
    application_get_for_employer,
    application_list_for_employer,
    employment_get_for_employer,
    employment_list_for_employer,
    job_list_for_application_filter,
)
from ..services import (
    EMPLOYER_MOVES,
    application_hire,
    application_invite_interview,
    application_mark_viewed,
    application_offer,
    application_reject,
    employment_end,
    employment_register_offline,
)

Status = Application.Status


def fit_summary(fit: Fit) -> list[str]:
    """Return the fit as short phrases, e.g. ["时间匹配 100%", "同区", "技能：育婴师证"]."""
    parts = []
    if fit.overlap_percent is None:
        parts.append(gettext("岗位时间自由安排"))
    else:
        parts.append(gettext("时间匹配 %(p)s%%") % {"p": fit.overlap_percent})
    parts.append(gettext("同区") if fit.same_district else gettext("不同区"))
    if fit.skills:
        parts.append(gettext("技能：%(s)s") % {"s": "、".join(fit.skills)})
    return parts


def employment_form_label(value: str) -> str:
    if value in Job.EmploymentForm.values:
        return str(Job.EmploymentForm(value).label)
    return value


@method_decorator(never_cache, name="dispatch")
class EmployerPrivateMixin(WorkspaceMixin):
    """The workspace permission and current employer; pages with personal data are not cached."""


# Applications


class EmployerApplicationListView(EmployerPrivateMixin, ListView):
    template_name = "applicants/employer/application_list.html"
    context_object_name = "applications"
    paginate_by = 20

    def get_queryset(self):
        applications = application_list_for_employer(employer=self.employer)
        self.filterset = ApplicationFilter(
            self.request.GET,
            queryset=applications,
            jobs=job_list_for_application_filter(employer=self.employer),
        )
        self.filter_valid = self.filterset.is_valid()
        if not self.filter_valid:
            self.counted = applications.none()
            return applications.none()
        job = self.filterset.form.cleaned_data.get("job")
        # The counts follow the post filter, not the status filter, so every status stays a choice.
        self.counted = applications.filter(job=job) if job else applications
        self.selected_job = job
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = application_counts_by_status(applications=self.counted)
        job = getattr(self, "selected_job", None)
        selected_status = (
            self.filterset.form.cleaned_data.get("status") if self.filter_valid else ""
        )
        context.update(
            filterset=self.filterset,
            filter_valid=self.filter_valid,
            selected_job=job,
            selected_status=selected_status,
            status_counts=[
                {
                    "value": status,
                    "label": Status(status).label,
                    "count": counts[status],
                    "selected": status == selected_status,
                }
                for status in Status.values
                if counts[status]
            ],
            total=sum(counts.values()),
            rows=[
                {"application": a, "fit": fit_summary(application_fit(a))}
                for a in context["applications"]
            ],
            page_query=self._page_query(),
        )
        return context

    def _page_query(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


class EmployerApplicationMixin(EmployerPrivateMixin):
    def get_application(self) -> Application:
        try:
            return application_get_for_employer(employer=self.employer, pk=self.kwargs["pk"])
        except Application.DoesNotExist as exc:
            raise Http404 from exc


class EmployerApplicationDetailView(EmployerApplicationMixin, TemplateView):
    template_name = "applicants/employer/application_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        application = self.get_application()
        if application.status == Status.SUBMITTED:
            # Opening it is the read receipt she is told about.
            application_mark_viewed(application=application, by=request.user)
            application = self.get_application()
        return self.render_detail(application)

    def render_detail(self, application: Application, **overrides: Any) -> HttpResponse:
        context = {**self.detail_context(application), **overrides}
        return self.render_to_response(self.get_context_data(**context))

    def detail_context(self, application: Application) -> dict[str, Any]:
        job = application.job
        applicant = application.applicant
        allowed = EMPLOYER_MOVES.get(application.status, set())
        interview_initial = {}
        if application.interview_at:
            interview_initial = {
                "at": timezone.localtime(application.interview_at).replace(tzinfo=None),
                "place": application.interview_place,
            }
        events = [
            {
                "occurred_at": event.occurred_at,
                "from_label": Status(event.from_status).label if event.from_status else "",
                "to_label": Status(event.to_status).label,
                "note": event.note,
                "by_applicant": event.actor_id == applicant.user_id,
            }
            for event in application.events.all()
        ]
        return {
            "application": application,
            "job": job,
            "applicant": applicant,
            "experiences": list(applicant.experiences.all()),
            "education_label": applicant.get_education_display() if applicant.education else "",
            "job_windows": describe_windows(windows_of(job)),
            "her_windows": describe_windows(windows_from_rows(application.offered_windows)),
            "fit": fit_summary(application_fit(application)),
            "events": events,
            "allowed": allowed,
            "can_interview": Status.INTERVIEW in allowed,
            "can_offer": Status.OFFERED in allowed,
            "can_hire": Status.HIRED in allowed,
            "can_reject": Status.REJECTED in allowed,
            "is_final": not allowed,
            "interview_form": InterviewForm(initial=interview_initial, auto_id="id_interview_%s"),
            "offer_form": OfferForm(auto_id="id_offer_%s"),
            "hire_form": HireForm.for_job(job, auto_id="id_hire_%s"),
            "reject_form": RejectForm(auto_id="id_reject_%s"),
        }


class _ApplicationActionView(EmployerApplicationDetailView):
    """A POST moving one of the current employer's applications; back to its page."""

    http_method_names = ["post"]
    move: str
    form_name: str
    auto_id: str

    def make_form(self, application: Application):
        raise NotImplementedError

    def act(self, application: Application, form) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        application = self.get_application()
        form = self.make_form(application)
        action_error = ""
        if form.is_valid():
            try:
                message = self.act(application, form)
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("applicants:employer-application-detail", pk=application.pk)
        application = self.get_application()
        if self.move not in EMPLOYER_MOVES.get(application.status, set()):
            # Its form is not on the page any more (the status moved on): say why at the top.
            action_error = " ".join(str(e) for e in form.non_field_errors()) or gettext(
                "该申请当前状态下不能进行此操作。"
            )
        return self.render_detail(application, action_error=action_error, **{self.form_name: form})


class EmployerApplicationInterviewView(_ApplicationActionView):
    move = Status.INTERVIEW
    form_name = "interview_form"

    def make_form(self, application: Application) -> InterviewForm:
        return InterviewForm(self.request.POST, auto_id="id_interview_%s")

    def act(self, application: Application, form: InterviewForm) -> str:
        data = form.cleaned_data
        application_invite_interview(
            application=application,
            by=self.request.user,
            at=data["at"],
            place=data["place"],
            note=data["note"],
        )
        return gettext("已发出面试邀请，求职者会收到通知。")


class EmployerApplicationOfferView(_ApplicationActionView):
    move = Status.OFFERED
    form_name = "offer_form"

    def make_form(self, application: Application) -> OfferForm:
        return OfferForm(self.request.POST, auto_id="id_offer_%s")

    def act(self, application: Application, form: OfferForm) -> str:
        application_offer(
            application=application, by=self.request.user, note=form.cleaned_data["note"]
        )
        return gettext("已通知求职者录用。她入职后，请在本页办理入职（就业登记）。")


class EmployerApplicationHireView(_ApplicationActionView):
    move = Status.HIRED
    form_name = "hire_form"

    def make_form(self, application: Application) -> HireForm:
        return HireForm(self.request.POST, auto_id="id_hire_%s")

    def act(self, application: Application, form: HireForm) -> str:
        employment = application_hire(application=application, by=self.request.user, **form.terms())
        if employment.declared_mamagang:
            return gettext("已办理入职和就业登记，并申明为妈妈岗。")
        return gettext("已办理入职和就业登记（未申明妈妈岗）。")


class EmployerApplicationRejectView(_ApplicationActionView):
    move = Status.REJECTED
    form_name = "reject_form"

    def make_form(self, application: Application) -> RejectForm:
        return RejectForm(self.request.POST, auto_id="id_reject_%s")

    def act(self, application: Application, form: RejectForm) -> str:
        application_reject(
            application=application, by=self.request.user, reason=form.cleaned_data["reason"]
        )
        return gettext("已告知求职者未通过及原因。")


# Employments


def employment_row(employment: Employment) -> dict[str, Any]:
    return {
        "employment": employment,
        "applicant": employment.applicant,
        "form_label": employment_form_label(employment.employment_form),
        "is_current": employment.current_rank == 0,
        "eligibility_ends_soon": bool(employment.ends_soon_rank),
    }


class EmployerEmploymentListView(EmployerPrivateMixin, ListView):
    template_name = "applicants/employer/employment_list.html"
    context_object_name = "employments"
    paginate_by = 30

    def get_queryset(self):
        return employment_list_for_employer(employer=self.employer, today=timezone.localdate())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = [employment_row(e) for e in context["employments"]]
        context.update(
            rows=rows,
            warning_days=ELIGIBILITY_WARNING_DAYS,
            any_ends_soon=any(row["eligibility_ends_soon"] for row in rows),
        )
        return context


class EmployerEmploymentCreateView(EmployerPrivateMixin, TemplateView):
    """Register a hire made outside the portal (线下招用登记), by her ID number."""

    template_name = "applicants/employer/employment_form.html"

    def make_form(self, data=None) -> OfflineEmploymentForm:
        return OfflineEmploymentForm(
            data, jobs=job_list_for_application_filter(employer=self.employer)
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        no_consent = False
        if form.is_valid():
            try:
                employment = employment_register_offline(
                    employer=self.employer,
                    registered_by=request.user,
                    id_number=form.cleaned_data["id_number"],
                    job=form.cleaned_data["job"],
                    **form.terms(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                no_consent = exc.code == "employment_no_consent"
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    gettext("已为%(name)s（%(id)s）办理就业登记。")
                    % {
                        "name": employment.applicant.full_name,
                        "id": employment.applicant.id_number_masked,
                    },
                )
                return redirect("applicants:employer-employment-list")
        return self.render_to_response(self.get_context_data(form=form, no_consent=no_consent))


class EmployerEmploymentEndView(EmployerPrivateMixin, TemplateView):
    template_name = "applicants/employer/employment_end.html"

    def get_employment(self) -> Employment:
        try:
            return employment_get_for_employer(
                employer=self.employer, pk=self.kwargs["pk"], today=timezone.localdate()
            )
        except Employment.DoesNotExist as exc:
            raise Http404 from exc

    def render_page(self, employment: Employment, form: EmploymentEndForm) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(form=form, **employment_row(employment))
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(self.get_employment(), EmploymentEndForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        employment = self.get_employment()
        form = EmploymentEndForm(request.POST)
        if form.is_valid():
            try:
                employment_end(
                    employment=employment,
                    ended_by=request.user,
                    end_date=form.cleaned_data["end_date"],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    gettext("已登记%(name)s的离职，本人会收到通知。")
                    % {"name": employment.applicant.full_name},
                )
                return redirect("applicants:employer-employment-list")
        return self.render_page(employment, form)


urlpatterns = [
    path(
        "employer/applications/",
        EmployerApplicationListView.as_view(),
        name="employer-application-list",
    ),
    path(
        "employer/applications/<int:pk>/",
        EmployerApplicationDetailView.as_view(),
        name="employer-application-detail",
    ),
    path(
        "employer/applications/<int:pk>/interview/",
        EmployerApplicationInterviewView.as_view(),
        name="employer-application-interview",
    ),
    path(
        "employer/applications/<int:pk>/offer/",
        EmployerApplicationOfferView.as_view(),
        name="employer-application-offer",
    ),
    path(
        "employer/applications/<int:pk>/hire/",
        EmployerApplicationHireView.as_view(),
        name="employer-application-hire",
    ),
    path(
        "employer/applications/<int:pk>/reject/",
        EmployerApplicationRejectView.as_view(),
        name="employer-application-reject",
    ),
    path(
        "employer/employments/",
        EmployerEmploymentListView.as_view(),
        name="employer-employment-list",
    ),
    path(
        "employer/employments/new/",
        EmployerEmploymentCreateView.as_view(),
        name="employer-employment-new",
    ),
    path(
        "employer/employments/<int:pk>/end/",
        EmployerEmploymentEndView.as_view(),
        name="employer-employment-end",
    ),
]
