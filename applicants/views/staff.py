"""
The bureau staff's applicant pages: the applicant search (by name, by the
complete ID number, by residence, eligibility and evidence awaiting
checks), one applicant with the audited unmasking of her ID number, the
queue of children's evidence to verify, and the demand survey of the
applicants in scope.

Every read goes through applicants.selectors_staff, so a person outside
the user's regions is a 404, the same as one who does not exist.
"""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views import View
from django.views.generic import ListView, TemplateView

from employers.models import Employer
from employers.selectors_staff import district_choice_list_for_user
from jobs.forms import describe_windows
from jobs.models import Job
from jobs.schedule import Window
from mamagang.core.exceptions import DomainError

from ..eligibility import REASON_LABELS
from ..forms_staff import (
    DemandSurveyFilterForm,
    IdNumberSearchForm,
    StaffApplicantFilterForm,
    UnmaskForm,
)
from ..models import Applicant, Child
from ..selectors import applicant_eligibility
from ..selectors_staff import (
    applicant_find_by_id_number_for_staff,
    applicant_get_for_staff,
    applicant_search_for_staff,
    child_list_for_staff,
    child_queue_for_staff,
    demand_survey_for_staff,
    street_choice_list_for_staff,
)
from ..services import applicant_id_number_unmask, child_verify

UNMASK = "applicants.unmask_applicant"
VERIFY = "applicants.verify_child"


class StaffApplicantMixin(PermissionRequiredMixin):
    """Bureau staff holding any of `any_permission`; anyone else gets a 403."""

    any_permission: tuple[str, ...] = (UNMASK, VERIFY)

    def has_permission(self) -> bool:
        user = self.request.user
        return any(user.has_perm(perm) for perm in self.any_permission)


# ---------------------------------------------------------------------------
# Search


class StaffApplicantListView(StaffApplicantMixin, ListView):
    """
    The applicants in scope, filtered by GET; a POST looks one up by the
    complete ID number (kept out of the URL).
    """

    template_name = "applicants/staff/applicant_list.html"
    context_object_name = "applicants"
    paginate_by = 20
    id_form: IdNumberSearchForm | None = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.id_form = IdNumberSearchForm(request.POST)
        response = self.get(request, *args, **kwargs)
        # The answer names a person found by her number: keep it out of caches.
        add_never_cache_headers(response)
        return response

    def _filter_form(self, data: Any) -> StaffApplicantFilterForm:
        user = self.request.user
        district_code = (data or {}).get("district", "")
        return StaffApplicantFilterForm(
            data,
            districts=district_choice_list_for_user(user=user),
            streets=street_choice_list_for_staff(user=user, district_code=district_code),
        )

    def get_queryset(self):
        user = self.request.user
        self.id_searched = self.id_form is not None
        if self.id_form is not None:
            self.filter_form = self._filter_form(None)
            if not self.id_form.is_valid():
                return Applicant.objects.none()
            return applicant_find_by_id_number_for_staff(
                user=user, id_number=self.id_form.cleaned_data["id_number"]
            )
        self.id_form = IdNumberSearchForm()
        self.filter_form = self._filter_form(self.request.GET)
        if not self.filter_form.is_valid():
            return Applicant.objects.none()
        data = self.filter_form.cleaned_data
        return applicant_search_for_staff(
            user=user,
            name=data["name"],
            district=data["district"],
            street=data["street"],
            eligibility=data["eligibility"],
            awaiting_verification=data["awaiting"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filtered = any(
            self.request.GET.get(k)
            for k in ("name", "district", "street", "eligibility", "awaiting")
        )
        id_looked_up = self.id_searched and self.id_form.is_valid()
        context.update(
            filter_form=self.filter_form,
            id_form=self.id_form,
            id_searched=self.id_searched,
            id_looked_up=id_looked_up,
            filtered=filtered,
        )
        return context


# ---------------------------------------------------------------------------
# One applicant


def _labels(values: list[str], choices: Any) -> list[str]:
    labels = dict(choices)
    return [str(labels.get(value, value)) for value in values]


def _eligibility_context(applicant: Applicant, today: datetime.date) -> dict[str, Any]:
    if applicant.anonymised_at is not None:
        return {"eligibility": None}
    result = applicant_eligibility(applicant=applicant, on=today)
    return {
        "eligibility": result,
        "eligibility_reasons": [str(REASON_LABELS.get(r, r)) for r in result.reasons],
        # `until` is the first day she no longer qualifies.
        "eligible_last_day": result.until - datetime.timedelta(days=1) if result.until else None,
    }


def render_applicant_detail(
    request: HttpRequest,
    applicant: Applicant,
    *,
    unmask_form: UnmaskForm | None = None,
    unmasked_id_number: str | None = None,
) -> HttpResponse:
    """Render one applicant (the unmasked number only when just unmasked)."""
    user = request.user
    today = timezone.localdate()
    windows = [
        Window(w.weekday, w.start_minute, w.end_minute) for w in applicant.free_windows.all()
    ]
    children = list(applicant.children.all())
    form_labels = dict(Job.EmploymentForm.choices)
    employments = list(applicant.employments.all())
    for employment in employments:
        employment.form_label = form_labels.get(
            employment.employment_form, employment.employment_form
        )
    # A page that sent staff here to check her papers (a claim line) asks to come back.
    back_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back_url = ""
    context = {
        "applicant": applicant,
        "back_url": back_url,
        "today": today,
        "children": children,
        "may_verify": user.has_perm(VERIFY) and applicant.anonymised_at is None,
        "may_unmask": user.has_perm(UNMASK) and bool(applicant.id_number_encrypted),
        "unmask_form": unmask_form or UnmaskForm(),
        "unmasked_id_number": unmasked_id_number,
        "windows_text": describe_windows(windows),
        "post_modes": _labels(applicant.intended_post_modes, Job.PostMode.choices),
        "location_modes": _labels(applicant.intended_location_modes, Job.LocationMode.choices),
        "employment_forms": _labels(
            applicant.intended_employment_forms, Job.EmploymentForm.choices
        ),
        "sectors": _labels(applicant.intended_sectors, Employer.Sector.choices),
        "training_needs": _labels(applicant.training_needs, Applicant.TrainingNeed.choices),
        "care_duties": _labels(applicant.care_duties, Applicant.CareDuty.choices),
        "applications": list(applicant.applications.all()),
        "employments": employments,
        **_eligibility_context(applicant, today),
    }
    response = render(request, "applicants/staff/applicant_detail.html", context)
    if unmasked_id_number is not None:
        # The full number is shown once: never stored by the browser or a proxy.
        add_never_cache_headers(response)
    return response


def _get_applicant(request: HttpRequest, pk: int) -> Applicant:
    try:
        return applicant_get_for_staff(user=request.user, pk=pk)
    except Applicant.DoesNotExist as exc:
        raise Http404 from exc


class StaffApplicantDetailView(StaffApplicantMixin, View):
    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_applicant_detail(request, _get_applicant(request, pk))


class StaffApplicantUnmaskView(StaffApplicantMixin, View):
    """
    Show the full ID number to staff who give a reason: the service audits
    it; the number is in this response only (no session, no redirect).
    """

    any_permission = (UNMASK,)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        applicant = _get_applicant(request, pk)
        form = UnmaskForm(request.POST)
        if not form.is_valid():
            return render_applicant_detail(request, applicant, unmask_form=form)
        if not applicant.id_number_encrypted:
            form.add_error(None, gettext("该求职者已注销，身份证号码已删除。"))
            return render_applicant_detail(request, applicant, unmask_form=form)
        try:
            number = applicant_id_number_unmask(
                applicant=applicant, requested_by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            return render_applicant_detail(request, applicant, unmask_form=form)
        return render_applicant_detail(
            request, applicant, unmask_form=UnmaskForm(), unmasked_id_number=number
        )


# ---------------------------------------------------------------------------
# Children's evidence


class StaffChildQueueView(StaffApplicantMixin, ListView):
    """Children whose evidence awaits checking, oldest first."""

    any_permission = (VERIFY,)
    template_name = "applicants/staff/child_queue.html"
    context_object_name = "children"
    paginate_by = 30

    def get_queryset(self):
        return child_queue_for_staff(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for child in context["children"]:
            child.waiting_days = (today - timezone.localdate(child.created_at)).days
        return context


class StaffChildVerifyView(StaffApplicantMixin, View):
    any_permission = (VERIFY,)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            child = child_list_for_staff(user=request.user).get(pk=pk)
        except Child.DoesNotExist as exc:
            raise Http404 from exc
        applicant = child.applicant
        try:
            child_verify(child=child, verified_by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                gettext("已核验 %(name)s 的子女（%(birth)s 出生）的证明材料。")
                % {
                    "name": applicant.full_name,
                    "birth": f"{child.birth_year}-{child.birth_month:02d}",
                },
            )
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("applicants:staff-child-queue")


# ---------------------------------------------------------------------------
# Demand survey


class StaffDemandSurveyView(StaffApplicantMixin, TemplateView):
    """The answers of the applicants in scope, counted per choice; ?format=csv downloads them."""

    template_name = "applicants/staff/demand_survey.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.filter_form = DemandSurveyFilterForm(
            request.GET, districts=district_choice_list_for_user(user=request.user)
        )
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            self.survey = demand_survey_for_staff(
                user=request.user, district=data["district"], category=data["category"]
            )
        else:
            self.survey = None
        if request.GET.get("format") == "csv" and self.survey is not None:
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def scope_label(self) -> str:
        data = self.filter_form.cleaned_data
        parts = [data["district"].name if data["district"] else gettext("辖区内全部区县")]
        if data["category"]:
            parts.append(str(Applicant.Category(data["category"]).label))
        return " · ".join(parts)

    def csv_response(self) -> HttpResponse:
        data = self.filter_form.cleaned_data
        today = timezone.localdate()
        scope = data["district"].code if data["district"] else "all"
        if data["category"]:
            scope += f"-{data['category']}"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="demand-survey-{scope}-{today:%Y%m%d}.csv"'
        )
        # A byte-order mark, so that Excel reads the file as UTF-8.
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(
            [
                gettext("调查部分"),
                gettext("问题"),
                gettext("选项"),
                gettext("人数"),
                gettext("占比（%）"),
            ]
        )
        writer.writerow(["", gettext("统计范围"), self.scope_label(), self.survey.total, ""])
        for dimension in self.survey.dimensions:
            for row in dimension.rows:
                share = "" if row.share is None else f"{row.share}"
                writer.writerow([dimension.area, dimension.title, row.label, row.count, share])
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        csv_query = self.request.GET.copy()
        csv_query["format"] = "csv"
        return super().get_context_data(
            filter_form=self.filter_form,
            survey=self.survey,
            scope_label=self.scope_label() if self.survey is not None else "",
            csv_url=f"{reverse('applicants:staff-demand-survey')}?{csv_query.urlencode()}",
            **kwargs,
        )


urlpatterns = [
    path("staff/applicants/", StaffApplicantListView.as_view(), name="staff-applicant-list"),
    path("staff/applicants/children/", StaffChildQueueView.as_view(), name="staff-child-queue"),
    path(
        "staff/applicants/children/<int:pk>/verify/",
        StaffChildVerifyView.as_view(),
        name="staff-child-verify",
    ),
    path("staff/applicants/survey/", StaffDemandSurveyView.as_view(), name="staff-demand-survey"),
    path(
        "staff/applicants/<int:pk>/",
        StaffApplicantDetailView.as_view(),
        name="staff-applicant-detail",
    ),
    path(
        "staff/applicants/<int:pk>/unmask/",
        StaffApplicantUnmaskView.as_view(),
        name="staff-applicant-unmask",
    ),
]
