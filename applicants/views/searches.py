"""
Her job hunting in /me/: "jobs for me" (public posts ranked by how well
they fit her free time and intentions) and her saved searches with daily
or weekly digests. A saved search is saved from the public search page.

Saved searches are fetched through saved_search_get_for_user, so another
user's search is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from employers.models import Employer
from jobs.filters import parse_free
from jobs.models import Job
from jobs.views.public import JobCard, job_card, windows_summary
from mamagang.core.exceptions import DomainError

from ..fit import Fit
from ..models import Applicant, FreeWindow, SavedSearch
from ..selectors_jobs import (
    QueryNames,
    applicant_get_for_user,
    intention_match,
    jobs_for_applicant,
    query_names,
    saved_search_get_for_user,
    saved_search_list_for_user,
)
from ..services.saved_searches import (
    MAX_SAVED_SEARCHES,
    saved_search_create,
    saved_search_delete,
    saved_search_normalise_query,
    saved_search_update,
)

APPLICANT_PERMISSION = "accounts.use_applicant_area"
NAME_MAX_LENGTH = SavedSearch._meta.get_field("name").max_length or 50

_CHOICE_LABELS = {
    "mode": dict(Job.PostMode.choices),
    "location": dict(Job.LocationMode.choices),
    "form": dict(Job.EmploymentForm.choices),
    "sector": dict(Employer.Sector.choices),
}


# Presentation -------------------------------------------------------------------


def _free_label(value: str) -> str:
    try:
        return "；".join(windows_summary(parse_free(value)))
    except ValueError:
        return value


def describe_query(query: str, names: QueryNames, *, short: bool = False) -> list[str]:
    """
    Return the filters of a /jobs/ query string as readable parts, e.g.
    ["关键词：保洁", "宝安区", "方便接送孩子"]; `short` drops the prefixes
    (["保洁", "宝安区", …]) for a default name. No filters: ["全部岗位"].
    """
    params = QueryDict(query.lstrip("?"))
    parts: list[str] = []
    for value in params.getlist("q"):
        parts.append(value if short else gettext("关键词：%(v)s") % {"v": value})
    for key in ("city", "district", "street"):
        parts.extend(names.regions.get(value, value) for value in params.getlist(key))
    for key, labels in _CHOICE_LABELS.items():
        parts.extend(str(labels.get(value, value)) for value in params.getlist(key))
    for value in params.getlist("min_hourly"):
        parts.append(gettext("时薪不低于%(v)s元") % {"v": value})
    if params.get("school_run", "").lower() in {"1", "true", "on", "yes"}:
        parts.append(gettext("方便接送孩子"))
    for value in params.getlist("employer"):
        name = names.employers.get(value) or gettext("单位编号 %(id)s") % {"id": value}
        parts.append(name if short else gettext("单位：%(name)s") % {"name": name})
    for value in params.getlist("free"):
        parts.append(gettext("空闲：%(v)s") % {"v": _free_label(value)})
    return [part for part in parts if part] or [gettext("全部岗位")]


def default_name(query: str, names: QueryNames) -> str:
    """Return a name for a new saved search: its filters, shortened to fit."""
    name = " ".join(describe_query(query, names, short=True))
    return name if len(name) <= NAME_MAX_LENGTH else name[: NAME_MAX_LENGTH - 1] + "…"


def search_url(query: str) -> str:
    """Return the public search page for a saved query ("run it now")."""
    return reverse("jobs:job-list") + (f"?{query}" if query else "")


def fit_parts(*, fit: Fit, job: Job, applicant: Applicant, has_windows: bool) -> list[str]:
    """
    Return the fit line of a post for her, e.g. ["时间完全匹配", "同区",
    "意向行业"]. The time part is left out while she has no free windows.
    """
    parts: list[str] = []
    if fit.overlap_percent is None:
        parts.append(gettext("时间自由安排"))
    elif has_windows:
        if fit.overlap_percent == 100:
            parts.append(gettext("时间完全匹配"))
        else:
            parts.append(gettext("时间匹配 %(p)s%%") % {"p": fit.overlap_percent})
    if fit.same_district:
        parts.append(gettext("同区"))
    match = intention_match(applicant=applicant, job=job)
    if match.location_mode:
        parts.append(gettext("意向地点"))
    if match.sector:
        parts.append(gettext("意向行业"))
    if match.post_mode:
        parts.append(gettext("意向岗位类型"))
    if match.employment_form:
        parts.append(gettext("意向用工形式"))
    if fit.skills:
        parts.append(gettext("用得上：%(s)s") % {"s": "、".join(fit.skills)})
    return parts


@dataclass
class FitCard:
    card: JobCard
    fit_line: str
    full_fit: bool
    score: int


@dataclass
class SavedSearchRow:
    search: SavedSearch
    description: list[str]
    url: str


# Forms --------------------------------------------------------------------------


_FREQUENCY_CHOICES = SavedSearch.Frequency.choices


class SavedSearchSaveForm(forms.Form):
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)
    name = forms.CharField(
        label=_("名称"),
        required=False,
        max_length=NAME_MAX_LENGTH,
        help_text=_("不填写时按搜索条件自动命名。"),
    )
    frequency = forms.ChoiceField(
        label=_("新岗位提醒"), choices=_FREQUENCY_CHOICES, initial=SavedSearch.Frequency.DAILY
    )


class SavedSearchEditForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": _("请填写名称，方便您认出这个搜索。")},
    )
    frequency = forms.ChoiceField(label=_("新岗位提醒"), choices=_FREQUENCY_CHOICES)


def _add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields and field != "query" else None, errors)
    else:
        form.add_error(None, exc.messages)


# Views --------------------------------------------------------------------------


class ApplicantAreaMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Her area: logged in, with the applicant permission (403 otherwise)."""

    permission_required = APPLICANT_PERMISSION


class MyJobsView(ApplicantAreaMixin, TemplateView):
    """ "Jobs for me": her best-fitting public posts with a fit line each."""

    template_name = "applicants/searches/my_jobs.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        applicant = applicant_get_for_user(user=self.request.user)
        if applicant is None:
            return context | {"applicant": None}
        has_windows = FreeWindow.objects.filter(applicant=applicant).exists()
        results = jobs_for_applicant(applicant=applicant, today=timezone.localdate())
        cards = []
        for job, fit, score in results:
            parts = fit_parts(fit=fit, job=job, applicant=applicant, has_windows=has_windows)
            cards.append(
                FitCard(
                    card=job_card(job),
                    fit_line=" · ".join(parts),
                    full_fit=has_windows and fit.schedule_fits,
                    score=score,
                )
            )
        has_intentions = any(
            (
                applicant.intended_post_modes,
                applicant.intended_location_modes,
                applicant.intended_employment_forms,
                applicant.intended_sectors,
            )
        )
        return context | {
            "applicant": applicant,
            "cards": cards,
            "has_windows": has_windows,
            "has_intentions": has_intentions,
        }


class SavedSearchListView(ApplicantAreaMixin, TemplateView):
    template_name = "applicants/searches/search_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        searches = saved_search_list_for_user(user=self.request.user)
        names = query_names(queries=[s.query for s in searches])
        rows = [
            SavedSearchRow(
                search=s, description=describe_query(s.query, names), url=search_url(s.query)
            )
            for s in searches
        ]
        return super().get_context_data(rows=rows, limit=MAX_SAVED_SEARCHES, **kwargs)


class SavedSearchSaveView(ApplicantAreaMixin, TemplateView):
    """
    Save the search the job list shows (its query string comes in a hidden
    field); GET shows the same form for a `query` parameter.
    """

    template_name = "applicants/searches/search_save.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = saved_search_normalise_query(request.GET.get("query", ""))
        form = SavedSearchSaveForm(initial={"query": query})
        return self.render_to_response(self.get_context_data(form=form, query=query))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SavedSearchSaveForm(request.POST)
        query = saved_search_normalise_query(request.POST.get("query", ""))
        if form.is_valid():
            name = form.cleaned_data["name"].strip()
            if not name:
                name = default_name(query, query_names(queries=[query]))
            try:
                saved_search_create(
                    user=request.user,
                    name=name,
                    query=form.cleaned_data["query"],
                    frequency=form.cleaned_data["frequency"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, gettext("已保存搜索“%(name)s”。") % {"name": name})
                return redirect("applicants:me-search-list")
        return self.render_to_response(self.get_context_data(form=form, query=query))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = kwargs["query"]
        names = query_names(queries=[query])
        return super().get_context_data(
            description=describe_query(query, names),
            suggested_name=default_name(query, names),
            url=search_url(query),
            **kwargs,
        )


class _OwnSearchMixin(ApplicantAreaMixin):
    def get_search(self) -> SavedSearch:
        try:
            return saved_search_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        except SavedSearch.DoesNotExist:
            raise Http404(gettext("没有找到这个保存的搜索。")) from None


class SavedSearchEditView(_OwnSearchMixin, TemplateView):
    template_name = "applicants/searches/search_edit.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        search = self.get_search()
        form = SavedSearchEditForm(initial={"name": search.name, "frequency": search.frequency})
        return self.render_to_response(self.get_context_data(form=form, search=search))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        search = self.get_search()
        form = SavedSearchEditForm(request.POST)
        if form.is_valid():
            try:
                saved_search_update(saved_search=search, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, gettext("已保存修改。"))
                return redirect("applicants:me-search-list")
        return self.render_to_response(self.get_context_data(form=form, search=search))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        search = kwargs["search"]
        names = query_names(queries=[search.query])
        return super().get_context_data(
            description=describe_query(search.query, names), url=search_url(search.query), **kwargs
        )


class SavedSearchDeleteView(_OwnSearchMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        search = self.get_search()
        try:
            saved_search_delete(saved_search=search, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("已删除搜索“%(name)s”。") % {"name": search.name})
        return redirect("applicants:me-search-list")


urlpatterns = [
    path("me/jobs/", MyJobsView.as_view(), name="me-jobs"),
    path("me/searches/", SavedSearchListView.as_view(), name="me-search-list"),
    path("me/searches/save/", SavedSearchSaveView.as_view(), name="me-search-save"),
    path("me/searches/<int:pk>/", SavedSearchEditView.as_view(), name="me-search-edit"),
    path("me/searches/<int:pk>/delete/", SavedSearchDeleteView.as_view(), name="me-search-delete"),
]
