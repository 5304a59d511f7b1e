"""
The bureau's policy pages (补贴政策): the subsidy policies of the user's
regions with the rate in force today; one policy in plain Chinese with its
rate rows as a timeline and the audit history of the policy and its rows;
forms to create and edit a policy and to add, end or correct a rate row.

Scope: a user views the policies of her regions and, read-only, those of the
regions above them (the city policy that applies to her district); she
edits only policies whose region lies in her regions. Anything else is a
404, the same as a policy that does not exist. Every write goes through
subsidies.services.policies; nothing here re-decides claim lines. The
what-if page (subsidies.services.whatif) tries a draft change or a scenario
file with the real engine and keeps nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, ListView, TemplateView

from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.exceptions import DomainError
from mamagang.core.forms import add_service_errors
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region

from ..forms_policies import (
    PolicyCreateForm,
    PolicyFilterForm,
    PolicyForm,
    PolicyWhatIfForm,
    RateRowForm,
    ScenarioUploadForm,
)
from ..models import ClaimLine, RateRow, SubsidyPolicy, SubsidyType
from ..money import amount_text
from ..reasons import reason_labels
from ..selectors_policies import (
    HISTORY_LIMIT,
    rate_row_get_for_editor,
    rate_row_list_for_policy,
    region_list_for_policy_editor,
    subsidy_policy_filter,
    subsidy_policy_get_for_editor,
    subsidy_policy_get_for_viewer,
    subsidy_policy_history,
    subsidy_policy_list_for_staff,
    subsidy_policy_region_list,
)
from ..services.policies import (
    RATE_PROTECTED_FIELDS,
    rate_row_create,
    rate_row_update,
    subsidy_policy_create,
    subsidy_policy_update,
    uses_recognition_year,
)
from ..services.whatif import (
    MAX_SCENARIO_BYTES,
    LineState,
    PolicyDraft,
    WhatIfResult,
    policy_whatif,
    scenario_try,
    whatif_months,
)
from .employer import day_label, rate_summary, yuan

VIEW = "subsidies.view_subsidypolicy"
ADD = "subsidies.add_subsidypolicy"
CHANGE = "subsidies.change_subsidypolicy"
ADD_RATE = "subsidies.add_raterow"
CHANGE_RATE = "subsidies.change_raterow"

# Which form field a service's DomainError belongs to (None: the whole form).
ERROR_FIELDS = {"rate_row_overlaps": "valid_from"}

ACTION_LABELS = {
    "subsidy_policy.created": _("新建政策"),
    "subsidy_policy.changed": _("修改政策"),
    "subsidy_policy.deleted": _("删除政策"),
    "rate_row.created": _("新增标准"),
    "rate_row.changed": _("修改标准"),
    "rate_row.deleted": _("删除标准"),
}

# Timeline groups of rate rows, in page order.
PAST, CURRENT, FUTURE = "past", "current", "future"
TIMELINE_TITLES = {
    CURRENT: _("正在执行"),
    FUTURE: _("将来执行"),
    PAST: _("已经失效"),
}


# ---------------------------------------------------------------------------
# Plain-Chinese descriptions (no queries: read what the selectors loaded)


def _label(model: type, name: str) -> str:
    field = model._meta.get_field(name)
    # A reverse relation (the loader's snapshot names a policy's "rates") has no verbose name.
    label = getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name_plural
    return str(label)


def _rate_snapshot_text(snap: Any) -> str:
    """A rate row as the policy loader's audit snapshot holds it, in words."""
    if not isinstance(snap, dict):
        return str(snap)
    kind = snap.get("kind")
    text = gettext("%(from)s起") % {"from": snap.get("valid_from", "?")}
    if snap.get("valid_until"):
        text += gettext("，%(until)s起失效") % {"until": snap["valid_until"]}
    if kind in RateRow.Kind.values:
        text += " " + str(RateRow.Kind(kind).label)
    if snap.get("amount"):
        text += " " + yuan(Decimal(str(snap["amount"])))
    if snap.get("share"):
        text += f" {(Decimal(str(snap['share'])) * 100).normalize():f}%"
    if snap.get("recognition_year"):
        text += gettext("（认定第%(n)s年）") % {"n": snap["recognition_year"]}
    return text


def _yes_no(value: bool) -> str:
    return gettext("是") if value else gettext("否")


def region_label(region: Region) -> str:
    """A region as "深圳市 宝安区（440306）"."""
    parent = ""
    if region.level == Region.Level.DISTRICT and region.parent_id:
        parent = f"{region.parent.name} "
    return f"{parent}{region.name}（{region.code}）"


def policy_facts(policy: SubsidyPolicy) -> list[tuple[str, str]]:
    """Every field of `policy` as (label, value) rows in plain Chinese."""
    p = policy

    def months(n: int | None, empty: str) -> str:
        return gettext("%(n)s 个月") % {"n": n} if n else empty

    rows = [
        ("region", f"{region_label(p.region)} · {p.region.get_level_display()}"),
        (
            "subsidy_type",
            gettext("%(name)s（补贴对象：%(payee)s）")
            % {"name": p.subsidy_type.name, "payee": p.subsidy_type.get_payee_display()},
        ),
        ("legal_reference", p.legal_reference),
        ("reference_day", gettext("每月 %(d)s 日") % {"d": p.reference_day}),
        ("max_months", months(p.max_months, gettext("不限"))),
        (
            "retirement_extension_years",
            gettext("首次享受时距法定退休年龄不足 %(n)s 年的，可延长享受至退休")
            % {"n": p.retirement_extension_years}
            if p.retirement_extension_years
            else gettext("不延长"),
        ),
        (
            "claim_window_months",
            gettext("所属月份结束后 %(n)s 个月内") % {"n": p.claim_window_months},
        ),
        ("requires_listing", _yes_no(p.requires_listing)),
        ("requires_declaration", _yes_no(p.requires_declaration)),
        ("requires_labour_contract", _yes_no(p.requires_labour_contract)),
        ("min_contract_months", months(p.min_contract_months, gettext("不限"))),
        ("requires_contribution", _yes_no(p.requires_contribution)),
        (
            "second_approval_above",
            gettext("单条明细超过 %(a)s 须两人先后审核") % {"a": yuan(p.second_approval_above)}
            if p.second_approval_above is not None
            else gettext("不需要"),
        ),
        (
            "publicity_days",
            ngettext("%(n)s 天", "%(n)s 天", p.publicity_days) % {"n": p.publicity_days},
        ),
        ("auto_generate", _yes_no(p.auto_generate)),
        ("active", gettext("启用") if p.active else gettext("已停用")),
        ("created_at", timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M")),
        ("updated_at", timezone.localtime(p.updated_at).strftime("%Y-%m-%d %H:%M")),
    ]
    return [(_label(SubsidyPolicy, name), value) for name, value in rows]


def rate_dates(row: RateRow) -> str:
    """ "2025年1月1日起执行，2026年4月1日起失效" (valid_until is exclusive)."""
    text = gettext("%(from)s起执行") % {"from": day_label(row.valid_from)}
    if row.valid_until:
        text += gettext("，%(until)s起失效") % {"until": day_label(row.valid_until)}
    else:
        text += gettext("，长期有效")
    return text


def rate_text(row: RateRow) -> str:
    """A rate row in words, with its recognition year for base awards."""
    text = rate_summary(row)
    if row.recognition_year:
        text = gettext("认定第%(n)s年：%(rate)s") % {"n": row.recognition_year, "rate": text}
    return text


def rate_status(row: RateRow, today: datetime.date) -> str:
    if row.valid_from > today:
        return FUTURE
    if row.valid_until is not None and row.valid_until <= today:
        return PAST
    return CURRENT


def rate_timeline(rows: list[RateRow], today: datetime.date) -> list[dict[str, Any]]:
    """The rows grouped as in force, future and past; past ones newest first."""
    groups: dict[str, list[RateRow]] = {CURRENT: [], FUTURE: [], PAST: []}
    for row in rows:
        row.text = rate_text(row)
        row.dates = rate_dates(row)
        row.status = rate_status(row, today)
        row.used_count = row.used_lines + row.used_awards
        row.used = bool(row.used_count or row.used_in_decisions)
        groups[row.status].append(row)
    groups[PAST].sort(key=lambda r: (r.valid_from, r.pk), reverse=True)
    groups[FUTURE].sort(key=lambda r: (r.valid_from, r.pk))
    return [
        {"key": key, "title": TIMELINE_TITLES[key], "rows": groups[key]}
        for key in (CURRENT, FUTURE, PAST)
    ]


def _history_value(
    name: str, value: Any, regions: dict[int, Region], types: dict[int, SubsidyType]
) -> str:
    if value is None or value == "":
        return gettext("（空）")
    if isinstance(value, list):
        return "；".join(_rate_snapshot_text(item) for item in value) or gettext("（空）")
    if isinstance(value, bool):
        return _yes_no(value)
    if name == "region":
        region = regions.get(value)
        return region_label(region) if region else str(value)
    if name == "subsidy_type":
        subsidy_type = types.get(value)
        return subsidy_type.name if subsidy_type else str(value)
    if name == "kind" and value in RateRow.Kind.values:
        return str(RateRow.Kind(value).label)
    if name in ("amount", "cap", "second_approval_above"):
        try:
            return yuan(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if name == "share":
        try:
            percent = (Decimal(str(value)) * 100).normalize()
        except InvalidOperation:
            return str(value)
        return f"{percent:f}%"
    return str(value)


def _history_label(object_type: str, name: str) -> str:
    model = RateRow if object_type == RateRow._meta.label_lower else SubsidyPolicy
    try:
        return _label(model, name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return name


def history_entries(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """
    The events as entries for the page: who, when, what, and the fields
    that changed with their old and new values (two queries at most, for
    the regions and types the snapshots name).
    """
    region_ids: set[int] = set()
    for event in events:
        for snap in (event.before or {}, event.after or {}):
            if isinstance(snap.get("region"), int):
                region_ids.add(snap["region"])
    regions = Region.objects.select_related("parent").in_bulk(region_ids) if region_ids else {}
    types = SubsidyType.objects.in_bulk() if events else {}
    entries = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        names = [n for n in dict.fromkeys([*after, *before]) if n != "policy"]
        changes = []
        for name in names:
            old, new = before.get(name), after.get(name)
            if event.before is not None and event.after is not None and old == new:
                continue
            if event.before is None and new in (None, ""):
                continue  # a new object's empty fields say nothing
            changes.append(
                {
                    "label": _history_label(event.object_type, name),
                    "before": _history_value(name, old, regions, types)
                    if event.before is not None
                    else "",
                    "after": _history_value(name, new, regions, types)
                    if event.after is not None
                    else "",
                }
            )
        snap = after or before
        subject = ""
        if event.object_type == RateRow._meta.label_lower and snap.get("valid_from"):
            subject = gettext("%(from)s起的标准") % {"from": snap["valid_from"]}
            if snap.get("recognition_year"):
                subject += gettext("（认定第%(n)s年）") % {"n": snap["recognition_year"]}
        entries.append(
            {
                "event": event,
                "action": ACTION_LABELS.get(event.action, event.action),
                "actor": event.actor.display_name if event.actor else gettext("系统"),
                "subject": subject,
                "changes": changes,
                "show_before": event.before is not None,
                "show_after": event.after is not None,
            }
        )
    return entries


# ---------------------------------------------------------------------------
# Pages


class StaffPolicyListView(PermissionRequiredMixin, ListView):
    """Policies the user may view, by region and type, with today's rates."""

    permission_required = VIEW
    template_name = "subsidies/staff/policy_list.html"
    context_object_name = "policies"
    paginate_by = 50

    def get_queryset(self):
        self.today = timezone.localdate()
        base = subsidy_policy_list_for_staff(user=self.request.user, today=self.today)
        self.filter_form = PolicyFilterForm(
            self.request.GET, regions=subsidy_policy_region_list(base)
        )
        if not self.filter_form.is_valid():
            return base.none()
        data = self.filter_form.cleaned_data
        return subsidy_policy_filter(
            base,
            subsidy_type=data["subsidy_type"],
            region=data["region"],
            active=self.filter_form.active_value(),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may_change = user.has_perm(CHANGE)
        for policy in context["policies"]:
            policy.rate_texts = [rate_text(row) for row in policy.rates_today]
            policy.editable = may_change and user_may_act_on_region(
                user=user, region_code=policy.region.code
            )
            policy.region_text = region_label(policy.region)
        context.update(
            filter_form=self.filter_form,
            filter_errors=not self.filter_form.is_valid(),
            filtered=any(self.request.GET.get(k) for k in ("subsidy_type", "region", "active")),
            today=self.today,
            may_create=user.has_perm(ADD),
        )
        return context


class StaffPolicyDetailView(PermissionRequiredMixin, TemplateView):
    """One policy in plain Chinese, its rate rows as a timeline, and its history."""

    permission_required = VIEW
    template_name = "subsidies/staff/policy_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        try:
            policy = subsidy_policy_get_for_viewer(user=user, pk=self.kwargs["pk"])
        except SubsidyPolicy.DoesNotExist:
            raise Http404 from None
        today = timezone.localdate()
        rows = list(rate_row_list_for_policy(policy=policy))
        in_scope = user_may_act_on_region(user=user, region_code=policy.region.code)
        events = subsidy_policy_history(policy=policy, rate_ids=[row.pk for row in rows])
        return super().get_context_data(
            policy=policy,
            region_text=region_label(policy.region),
            facts=policy_facts(policy),
            timeline=rate_timeline(rows, today),
            rate_count=len(rows),
            today=today,
            uses_recognition_year=uses_recognition_year(policy),
            in_scope=in_scope,
            may_change=in_scope and user.has_perm(CHANGE),
            may_add_rate=in_scope and user.has_perm(ADD_RATE),
            may_change_rate=in_scope and user.has_perm(CHANGE_RATE),
            history=history_entries(events),
            history_limited=len(events) >= HISTORY_LIMIT,
            **kwargs,
        )


class _SavedByService:
    """
    form_valid for the edit pages: `save` calls the service; its errors go back on
    the form, success returns to the policy's page with `success_message`.
    """

    policy: SubsidyPolicy
    success_message: Any = ""

    def save(self, form: Any) -> None:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.save(form)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_FIELDS)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return redirect("subsidies:staff-policy-detail", pk=self.policy.pk)


class StaffPolicyCreateView(PermissionRequiredMixin, FormView):
    permission_required = ADD
    template_name = "subsidies/staff/policy_form.html"
    form_class = PolicyCreateForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "regions": region_list_for_policy_editor(user=self.request.user),
        }

    def form_valid(self, form: PolicyCreateForm) -> HttpResponse:
        try:
            policy = subsidy_policy_create(
                created_by=self.request.user,
                region=form.cleaned_data["region"],
                subsidy_type=form.cleaned_data["subsidy_type"],
                reason=form.cleaned_data["reason"],
                **form.service_kwargs(),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, ERROR_FIELDS)
            return self.form_invalid(form)
        messages.success(
            self.request, gettext("已新建补贴政策。请为它新增补贴标准（金额和有效期）。")
        )
        return redirect("subsidies:staff-policy-detail", pk=policy.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(policy=None, **kwargs)


class StaffPolicyEditView(_SavedByService, PermissionRequiredMixin, FormView):
    permission_required = CHANGE
    template_name = "subsidies/staff/policy_form.html"
    form_class = PolicyForm

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        try:
            self.policy = subsidy_policy_get_for_editor(user=request.user, pk=kwargs["pk"])
        except SubsidyPolicy.DoesNotExist:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        # A copy: the form writes cleaned values onto its instance.
        instance = SubsidyPolicy.objects.get(pk=self.policy.pk)
        return {**super().get_form_kwargs(), "instance": instance}

    success_message = _("已保存政策的修改。")

    def save(self, form: PolicyForm) -> None:
        subsidy_policy_update(
            policy=self.policy,
            changed_by=self.request.user,
            reason=form.cleaned_data["reason"],
            **form.service_kwargs(),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            policy=self.policy, region_text=region_label(self.policy.region), **kwargs
        )


class _RateFormView(_SavedByService, PermissionRequiredMixin, FormView):
    template_name = "subsidies/staff/policy_rate_form.html"
    form_class = RateRowForm
    policy: SubsidyPolicy
    row: RateRow | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "policy": self.policy}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            policy=self.policy,
            region_text=region_label(self.policy.region),
            row=self.row,
            **kwargs,
        )


class StaffRateCreateView(_RateFormView):
    permission_required = ADD_RATE

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        try:
            self.policy = subsidy_policy_get_for_editor(user=request.user, pk=kwargs["pk"])
        except SubsidyPolicy.DoesNotExist:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": RateRow(policy=self.policy)}

    success_message = _("已新增补贴标准。")

    def save(self, form: RateRowForm) -> None:
        rate_row_create(
            policy=self.policy,
            created_by=self.request.user,
            reason=form.cleaned_data["reason"],
            **form.service_kwargs(),
        )


class StaffRateEditView(_RateFormView):
    permission_required = CHANGE_RATE

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        try:
            self.row = rate_row_get_for_editor(user=request.user, pk=kwargs["pk"])
        except RateRow.DoesNotExist:
            raise Http404 from None
        self.policy = self.row.policy
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        # A copy: the form writes cleaned values onto its instance.
        instance = RateRow.objects.get(pk=self.row.pk)
        return {**super().get_form_kwargs(), "instance": instance}

    success_message = _("已保存补贴标准的修改。")

    def save(self, form: RateRowForm) -> None:
        rate_row_update(
            row=self.row,
            changed_by=self.request.user,
            reason=form.cleaned_data["reason"],
            **form.service_kwargs(),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        row = self.row
        row.used_count = row.used_lines + row.used_awards
        used = bool(row.used_count or row.used_in_decisions)
        protected = [
            _label(RateRow, name)
            for name in RATE_PROTECTED_FIELDS
            if name != "recognition_year" or uses_recognition_year(self.policy)
        ]
        return super().get_context_data(
            used=used, protected_labels=protected, rate_text=rate_text(row), **kwargs
        )


# ---------------------------------------------------------------------------
# Trying a change (issue 13): nothing on these pages is saved.

# Which what-if form field a service's DomainError belongs to (None: the whole form).
WHATIF_ERROR_FIELDS = {
    "whatif_amount": "rate_amount",
    "whatif_rate_from": "rate_from",
    "whatif_max_months": "max_months",
    "whatif_child_age": "child_age_limit",
    "whatif_no_lines": "month",
    "whatif_month_not_decided": "month",
}


def signed_yuan(amount: Decimal) -> str:
    """A difference as "+100.00 元", "-50.00 元" or "0.00 元"."""
    sign = "+" if amount > 0 else ""
    return gettext("%(amount)s 元") % {"amount": sign + amount_text(amount)}


def _state_view(state: LineState) -> dict[str, Any]:
    return {
        "decision": state.decision,
        "decision_label": ClaimLine.Decision(state.decision).label,
        "amount": yuan(state.amount),
        "reasons": reason_labels(state.reasons),
    }


def draft_texts(result: WhatIfResult) -> list[str]:
    """The draft in words, one line per change."""
    draft, texts = result.draft, []
    if draft.rate_amount is not None:
        text = gettext("%(from)s起每人每月 %(amount)s") % {
            "from": day_label(draft.rate_from or result.month),
            "amount": yuan(draft.rate_amount),
        }
        if result.ended_rate:
            text += gettext("（%(row)s到前一天为止）") % {"row": result.ended_rate}
        texts.append(text)
    if draft.max_months_unlimited:
        texts.append(gettext("每人最长享受月数：不限"))
    elif draft.max_months is not None:
        texts.append(gettext("每人最长享受 %(n)s 个月") % {"n": draft.max_months})
    if draft.child_age_limit is not None:
        reading = gettext("含上限年龄") if draft.child_age_inclusive else gettext("不含上限年龄")
        texts.append(
            gettext("子女年龄上限 %(n)s 周岁（%(reading)s）")
            % {"n": draft.child_age_limit, "reading": reading}
        )
    return texts


def whatif_view(result: WhatIfResult) -> dict[str, Any]:
    """What the result part of the page shows (no queries)."""
    return {
        "result": result,
        "month_label": gettext("%(y)s年%(m)s月")
        % {"y": result.month.year, "m": result.month.month},
        "day_label": day_label(result.reference_day),
        "draft_texts": draft_texts(result),
        "total_before": yuan(result.total_before),
        "total_after": yuan(result.total_after),
        "difference": signed_yuan(result.difference),
        "changes": [
            {
                "change": change,
                "before": _state_view(change.before),
                "after": _state_view(change.after),
                "difference": signed_yuan(change.difference),
            }
            for change in result.changes
        ],
    }


class _PolicyWhatIfBase(PermissionRequiredMixin, TemplateView):
    """The what-if page of a policy the user may edit (the edit pages' rule: else 403/404)."""

    permission_required = CHANGE
    template_name = "subsidies/staff/policy_whatif.html"
    policy: SubsidyPolicy

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        try:
            self.policy = subsidy_policy_get_for_editor(user=request.user, pk=kwargs["pk"])
        except SubsidyPolicy.DoesNotExist:
            raise Http404 from None
        self.months = whatif_months(policy=self.policy)
        return super().dispatch(request, *args, **kwargs)

    def whatif_form(self, data: Any = None) -> PolicyWhatIfForm:
        return PolicyWhatIfForm(data, months=self.months, prefix="whatif")

    def scenario_form(self, data: Any = None, files: Any = None) -> ScenarioUploadForm:
        return ScenarioUploadForm(data, files, prefix="scenario")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("whatif_form", self.whatif_form())
        kwargs.setdefault("scenario_form", self.scenario_form())
        return super().get_context_data(
            policy=self.policy,
            region_text=region_label(self.policy.region),
            has_months=bool(self.months),
            max_scenario_kb=MAX_SCENARIO_BYTES // 1024,
            **kwargs,
        )


class StaffPolicyWhatIfView(_PolicyWhatIfBase):
    """GET: the forms; POST: a draft change tried against a decided month."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        form = self.whatif_form(request.POST)
        context: dict[str, Any] = {"whatif_form": form}
        if form.is_valid():
            try:
                result = policy_whatif(
                    policy=self.policy,
                    month=form.month_value(),
                    by=request.user,
                    draft=PolicyDraft(**form.draft_kwargs()),
                )
            except DomainError as exc:
                field = WHATIF_ERROR_FIELDS.get(exc.code)
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                context["whatif"] = whatif_view(result)
        return self.render_to_response(self.get_context_data(**context))


class StaffPolicyScenarioView(_PolicyWhatIfBase):
    """POST: an uploaded scenario file run against the real engine (rolled back)."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return redirect("subsidies:staff-policy-whatif", pk=self.policy.pk)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        form = self.scenario_form(request.POST, request.FILES)
        context: dict[str, Any] = {"scenario_form": form}
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # One byte past the cap is enough for the service to refuse a large file.
            data = upload.read(MAX_SCENARIO_BYTES + 1)
            try:
                result = scenario_try(data=data, file_name=upload.name, by=request.user)
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                context["scenario"] = {
                    "result": result,
                    "passed": sum(o.passed for o in result.outcomes),
                    "failed": sum(not o.passed for o in result.outcomes),
                }
        return self.render_to_response(self.get_context_data(**context))


urlpatterns = [
    path("staff/subsidies/policies/", StaffPolicyListView.as_view(), name="staff-policy-list"),
    path(
        "staff/subsidies/policies/new/",
        StaffPolicyCreateView.as_view(),
        name="staff-policy-create",
    ),
    path(
        "staff/subsidies/policies/<int:pk>/",
        StaffPolicyDetailView.as_view(),
        name="staff-policy-detail",
    ),
    path(
        "staff/subsidies/policies/<int:pk>/edit/",
        StaffPolicyEditView.as_view(),
        name="staff-policy-edit",
    ),
    path(
        "staff/subsidies/policies/<int:pk>/rates/new/",
        StaffRateCreateView.as_view(),
        name="staff-rate-create",
    ),
    path(
        "staff/subsidies/policies/<int:pk>/whatif/",
        StaffPolicyWhatIfView.as_view(),
        name="staff-policy-whatif",
    ),
    path(
        "staff/subsidies/policies/<int:pk>/scenario/",
        StaffPolicyScenarioView.as_view(),
        name="staff-policy-scenario",
    ),
    path(
        "staff/subsidies/rates/<int:pk>/edit/",
        StaffRateEditView.as_view(),
        name="staff-rate-edit",
    ),
]
