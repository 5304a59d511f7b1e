"""
The bureau's eligibility policy pages (资格政策): the dated rows of the
user's regions and of the regions above them; one row in plain Chinese with
its audit history (pages and admin); forms to create a row and to edit one.

Scope: a user views the rows of her regions and, read-only, those of the
province and city above them (they apply to her districts when these have
none of their own); she edits only rows whose region lies in her regions.
Anything else is a 404, the same as a row that does not exist. Every write
goes through applicants.services.eligibility_policies.
"""

from __future__ import annotations

import ast
import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, ListView, TemplateView

from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.exceptions import DomainError
from mamagang.core.forms import add_service_errors
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region

from ..forms_policies import (
    EligibilityPolicyCreateForm,
    EligibilityPolicyForm,
    eligibility_policy_initial,
)
from ..models import Applicant, EligibilityPolicy
from ..selectors_policies import (
    HISTORY_LIMIT,
    eligibility_policy_get_for_editor,
    eligibility_policy_get_for_viewer,
    eligibility_policy_history,
    eligibility_policy_is_superseded,
    eligibility_policy_list_for_staff,
    region_list_for_eligibility_policy_editor,
)
from ..services import eligibility_policy_create, eligibility_policy_update

VIEW = "applicants.view_eligibilitypolicy"
ADD = "applicants.add_eligibilitypolicy"
CHANGE = "applicants.change_eligibilitypolicy"

# Which form field a service's DomainError belongs to (None: the whole form).
ERROR_FIELDS = {
    "eligibility_policy_duplicate": "valid_from",
    "eligibility_policy_out_of_scope": "region",
}

ACTION_LABELS = {
    "eligibility_policy.created": _("新建资格政策"),
    "eligibility_policy.changed": _("修改资格政策"),
    "eligibility_policy.deleted": _("删除资格政策"),
}

# Where a row stands today.
CURRENT, FUTURE, SUPERSEDED = "current", "future", "superseded"
STATUS_LABELS = {
    CURRENT: _("正在执行"),
    FUTURE: _("将来执行"),
    SUPERSEDED: _("已被后来的政策取代"),
}
STATUS_CLASSES = {CURRENT: "policy-active", FUTURE: "", SUPERSEDED: "policy-inactive"}


# ---------------------------------------------------------------------------
# Plain-Chinese descriptions (no queries: read what the selectors loaded)


def _label(name: str) -> str:
    return str(EligibilityPolicy._meta.get_field(name).verbose_name)


def _yes_no(value: bool) -> str:
    return gettext("是") if value else gettext("否")


def day_label(day: datetime.date) -> str:
    return gettext("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def region_label(region: Region) -> str:
    """A region as "深圳市 宝安区（440306）"."""
    parent = ""
    if region.level == Region.Level.DISTRICT and region.parent_id:
        parent = f"{region.parent.name} "
    return f"{parent}{region.name}（{region.code}）"


def age_text(limit: int, inclusive: bool) -> str:
    """The child age condition: "子女不超过 12 周岁（含），满 13 周岁前均符合"."""
    if inclusive:
        return gettext("子女不超过 %(n)s 周岁（含）") % {"n": limit} + gettext(
            "，满 %(n)s 周岁前均符合"
        ) % {"n": limit + 1}
    return gettext("子女未满 %(n)s 周岁") % {"n": limit} + gettext("，满 %(n)s 周岁起不再符合") % {
        "n": limit
    }


def categories_text(values: list[str]) -> str:
    return "、".join(
        str(Applicant.Category(v).label) if v in Applicant.Category.values else str(v)
        for v in values
    ) or gettext("（空）")


def evidence_text(required: bool) -> str:
    return gettext("子女材料须经核验") if required else gettext("子女材料无须核验")


def policy_status(policy: EligibilityPolicy, today: datetime.date, superseded: bool) -> str:
    if policy.valid_from > today:
        return FUTURE
    return SUPERSEDED if superseded else CURRENT


def describe(policy: EligibilityPolicy, today: datetime.date, superseded: bool) -> None:
    """Put the texts the list and detail pages show on `policy`."""
    policy.region_text = region_label(policy.region)
    policy.status = policy_status(policy, today, superseded)
    policy.status_text = STATUS_LABELS[policy.status]
    policy.status_class = STATUS_CLASSES[policy.status]
    policy.dates_text = gettext("%(from)s起执行") % {"from": day_label(policy.valid_from)}
    policy.age_text = age_text(policy.child_age_limit, policy.child_age_inclusive)
    policy.categories_text = categories_text(policy.admitted_categories)
    policy.evidence_text = evidence_text(policy.require_verified_evidence)


def policy_facts(policy: EligibilityPolicy) -> list[tuple[str, str]]:
    """Every field of `policy` (after describe()) as (label, value) rows in plain Chinese."""
    p = policy
    return [
        (_label("region"), f"{p.region_text} · {p.region.get_level_display()}"),
        (_label("valid_from"), p.dates_text),
        (gettext("状态"), p.status_text),
        (gettext("子女年龄条件"), p.age_text),
        (_label("admitted_categories"), p.categories_text),
        (_label("require_verified_evidence"), _yes_no(p.require_verified_evidence)),
        (_label("legal_reference"), p.legal_reference or gettext("（空）")),
        (_label("created_by"), p.created_by.display_name if p.created_by else gettext("系统")),
        (_label("created_at"), timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M")),
        (_label("updated_at"), timezone.localtime(p.updated_at).strftime("%Y-%m-%d %H:%M")),
    ]


def _categories(value: Any) -> list[str]:
    # The admin's snapshots hold the list as its repr ("['mother']").
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return [value]
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _history_value(name: str, value: Any, regions: dict[Any, Region]) -> str:
    if value is None or value == "":
        return gettext("（空）")
    if isinstance(value, bool):
        return _yes_no(value)
    if name == "region":
        region = regions.get(value)
        return region_label(region) if region else str(value)
    if name == "valid_from":
        try:
            return day_label(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if name == "admitted_categories":
        return categories_text(_categories(value))
    return str(value)


def _history_label(name: str) -> str:
    try:
        return _label(name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return name


def history_entries(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """
    The events as entries for the page: who, when, what, and the fields
    that changed with their old and new values (one query at most, for the
    regions the snapshots name: by id, or by code in the demo's rows).
    """
    ids: set[int] = set()
    codes: set[str] = set()
    for event in events:
        for snap in (event.before or {}, event.after or {}):
            region = snap.get("region")
            if isinstance(region, int) and not isinstance(region, bool):
                ids.add(region)
            elif isinstance(region, str):
                codes.add(region)
    regions: dict[Any, Region] = {}
    if ids or codes:
        for region in Region.objects.filter(Q(pk__in=ids) | Q(code__in=codes)).select_related(
            "parent"
        ):
            regions[region.pk] = regions[region.code] = region
    entries = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        changes = []
        for name in dict.fromkeys([*after, *before]):
            old, new = before.get(name), after.get(name)
            if name == "admitted_categories" and old is not None and new is not None:
                same = _categories(old) == _categories(new)
            else:
                same = old == new
            if event.before is not None and event.after is not None and same:
                continue
            if event.before is None and new in (None, ""):
                continue  # a new row's empty fields say nothing
            changes.append(
                {
                    "label": _history_label(name),
                    "before": _history_value(name, old, regions)
                    if event.before is not None
                    else "",
                    "after": _history_value(name, new, regions) if event.after is not None else "",
                }
            )
        entries.append(
            {
                "event": event,
                "action": ACTION_LABELS.get(event.action, event.action),
                "actor": event.actor.display_name if event.actor else gettext("系统"),
                "changes": changes,
                "show_before": event.before is not None,
                "show_after": event.after is not None,
            }
        )
    return entries


# ---------------------------------------------------------------------------
# Pages


class StaffEligibilityPolicyListView(PermissionRequiredMixin, ListView):
    """The rows the user may view, by region and newest first, with where each stands today."""

    permission_required = VIEW
    template_name = "applicants/staff/eligibility_policy_list.html"
    context_object_name = "policies"
    paginate_by = 50

    def get_queryset(self):
        self.today = timezone.localdate()
        return eligibility_policy_list_for_staff(user=self.request.user, today=self.today)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for policy in context["policies"]:
            describe(policy, self.today, policy.superseded)
        context.update(today=self.today, may_create=self.request.user.has_perm(ADD))
        return context


class StaffEligibilityPolicyDetailView(PermissionRequiredMixin, TemplateView):
    """One row in plain Chinese and its history."""

    permission_required = VIEW
    template_name = "applicants/staff/eligibility_policy_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        try:
            policy = eligibility_policy_get_for_viewer(user=user, pk=self.kwargs["pk"])
        except EligibilityPolicy.DoesNotExist:
            raise Http404 from None
        today = timezone.localdate()
        describe(policy, today, eligibility_policy_is_superseded(policy=policy, today=today))
        in_scope = user_may_act_on_region(user=user, region_code=policy.region.code)
        events = eligibility_policy_history(policy=policy)
        return super().get_context_data(
            policy=policy,
            facts=policy_facts(policy),
            in_scope=in_scope,
            may_change=in_scope and user.has_perm(CHANGE),
            history=history_entries(events),
            history_limited=len(events) >= HISTORY_LIMIT,
            **kwargs,
        )


class StaffEligibilityPolicyCreateView(PermissionRequiredMixin, FormView):
    permission_required = ADD
    template_name = "applicants/staff/eligibility_policy_form.html"
    form_class = EligibilityPolicyCreateForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "regions": region_list_for_eligibility_policy_editor(user=self.request.user),
        }

    def form_valid(self, form: EligibilityPolicyCreateForm) -> HttpResponse:
        try:
            policy = eligibility_policy_create(
                created_by=self.request.user,
                region=form.cleaned_data["region"],
                reason=form.cleaned_data["reason"],
                **form.service_kwargs(),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_FIELDS)
            return self.form_invalid(form)
        messages.success(self.request, gettext("已新建资格政策。"))
        return redirect("applicants:staff-eligibility-policy-detail", pk=policy.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(policy=None, **kwargs)


class StaffEligibilityPolicyEditView(PermissionRequiredMixin, FormView):
    permission_required = CHANGE
    template_name = "applicants/staff/eligibility_policy_form.html"
    form_class = EligibilityPolicyForm

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        try:
            self.policy = eligibility_policy_get_for_editor(user=request.user, pk=kwargs["pk"])
        except EligibilityPolicy.DoesNotExist:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return eligibility_policy_initial(self.policy)

    def form_valid(self, form: EligibilityPolicyForm) -> HttpResponse:
        try:
            eligibility_policy_update(
                policy=self.policy,
                changed_by=self.request.user,
                reason=form.cleaned_data["reason"],
                **form.service_kwargs(),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_FIELDS)
            return self.form_invalid(form)
        messages.success(self.request, gettext("已保存资格政策的修改。"))
        return redirect("applicants:staff-eligibility-policy-detail", pk=self.policy.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        return super().get_context_data(
            policy=self.policy,
            region_text=region_label(self.policy.region),
            dates_text=gettext("%(from)s起执行") % {"from": day_label(self.policy.valid_from)},
            started=self.policy.valid_from <= today,
            **kwargs,
        )


urlpatterns = [
    path(
        "staff/applicants/eligibility-policies/",
        StaffEligibilityPolicyListView.as_view(),
        name="staff-eligibility-policy-list",
    ),
    path(
        "staff/applicants/eligibility-policies/new/",
        StaffEligibilityPolicyCreateView.as_view(),
        name="staff-eligibility-policy-create",
    ),
    path(
        "staff/applicants/eligibility-policies/<int:pk>/",
        StaffEligibilityPolicyDetailView.as_view(),
        name="staff-eligibility-policy-detail",
    ),
    path(
        "staff/applicants/eligibility-policies/<int:pk>/edit/",
        StaffEligibilityPolicyEditView.as_view(),
        name="staff-eligibility-policy-edit",
    ),
]
