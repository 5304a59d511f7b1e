"""
The bureau staff's subsidy pages (补贴审核, 判定批次): the queue of claim
lines in the user's regions with filters, counts and bulk approval; one
line with everything its decisions were based on and the actions allowed
(approve, reject, decide again); the eligibility runs with their progress.

Every read goes through subsidies.selectors_staff, so a line or run
outside the user's regions is a 404, the same as one that does not exist.
The maker-checker rules live in the review services; the pages show their
refusals and, before any click, why approving is not possible.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from applicants.models import Applicant
from employers.selectors_staff import district_choice_list_for_user
from mamagang.core.exceptions import DomainError

from ..forms_review import (
    BULK_MAX,
    BulkApproveForm,
    LineApproveForm,
    LineRejectForm,
    RunStartForm,
    StaffLineFilterForm,
)
from ..models import ClaimLine, DecisionRecord, EligibilityRun, RateRow
from ..reasons import Reason, reason_labels
from ..selectors_staff import (
    claim_line_counts,
    claim_line_filter,
    claim_line_get_for_staff,
    claim_line_list_for_staff,
    policy_list_for_staff,
    run_get_for_staff,
    run_list_for_staff,
    run_may_act,
    subsidy_type_choice_list,
)
from ..services import line_approve, line_redecide, line_reject, run_resume, run_start

REVIEW = "subsidies.review_claimline"
RUN = "subsidies.run_eligibility"
Decision = ClaimLine.Decision
Status = ClaimLine.Status
RUN_ACTIVE = (EligibilityRun.Status.PENDING, EligibilityRun.Status.RUNNING)
# Seconds between reloads of a run's page while it is running (no JavaScript needed).
RUN_REFRESH_SECONDS = 5


def month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _needs_second(line: ClaimLine) -> bool:
    threshold = line.policy.second_approval_above
    return threshold is not None and line.amount is not None and line.amount > threshold


def _annotate_line(line: ClaimLine) -> ClaimLine:
    """Attach what the templates show (no queries: the selector loaded it all)."""
    line.reason_labels = reason_labels(line.reasons)
    line.needs_second = _needs_second(line)
    line.awaits_second = line.status == Status.OPEN and line.approved_by_id is not None
    line.selectable = line.status == Status.OPEN and line.decision == Decision.ELIGIBLE
    return line


# ---------------------------------------------------------------------------
# The queue


class StaffLineMixin(PermissionRequiredMixin):
    permission_required = REVIEW

    def get_line(self) -> ClaimLine:
        try:
            return claim_line_get_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        except ClaimLine.DoesNotExist:
            raise Http404 from None


# Filters that narrow the counts shown on the decision and status tabs.
_FACET_FREE = ("month", "subsidy_type", "district", "employer", "second")


class StaffLineQueueView(StaffLineMixin, ListView):
    """Claim lines in the user's regions, waiting longest first, with filters and counts."""

    template_name = "subsidies/staff/line_queue.html"
    context_object_name = "lines"
    paginate_by = 20

    def get_queryset(self):
        user = self.request.user
        self.filter_form = StaffLineFilterForm(
            self.request.GET,
            districts=district_choice_list_for_user(user=user),
            subsidy_types=subsidy_type_choice_list(),
        )
        if not self.filter_form.is_valid():
            self.counts = claim_line_counts(ClaimLine.objects.none())
            return ClaimLine.objects.none()
        data = self.filter_form.cleaned_data
        base = claim_line_filter(
            claim_line_list_for_staff(user=user),
            month=data["month"],
            subsidy_type=data["subsidy_type"],
            district_code=data["district"].code if data["district"] else "",
            employer_name=data["employer"],
            second=data["second"],
        )
        # The decision and status tabs are counted apart from their own filters.
        self.counts = claim_line_counts(base)
        lines = claim_line_filter(base, decision=data["decision"], status=data["status"])
        # Lines still to review come first, longest waiting first; lines already
        # approved, rejected or paid follow instead of pushing them down the page.
        return lines.alias(
            settled=Case(When(status=Status.OPEN, then=Value(0)), default=Value(1))
        ).order_by("settled", "created_at", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for line in context["lines"]:
            _annotate_line(line)
        data = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        decision, status = data.get("decision", ""), data.get("status", "")
        # Each tab row counts under the other row's choice, so a tab says what a click shows.
        by_decision = self.counts.by_decision(status=status)
        by_status = self.counts.by_status(decision=decision)
        context.update(
            filter_form=self.filter_form,
            filtered=any(self.request.GET.get(k) for k in (*_FACET_FREE, "decision", "status")),
            decision_tabs=[
                {"value": None, "label": gettext("全部"), "count": by_decision.total()},
                *(
                    {"value": value, "label": label, "count": by_decision[value]}
                    for value, label in Decision.choices
                ),
            ],
            status_tabs=[
                {"value": None, "label": gettext("全部"), "count": by_status.total()},
                *(
                    {"value": value, "label": label, "count": by_status[value]}
                    for value, label in Status.choices
                ),
            ],
            decision=decision,
            status=status,
            bulk_max=BULK_MAX,
            any_selectable=any(line.selectable for line in context["lines"]),
            query=self.request.GET.urlencode(),
        )
        return context


class StaffLineBulkApproveView(StaffLineMixin, View):
    """
    Approve the ticked lines, each through line_approve (locked, checked,
    audited) inside one transaction; a refusal for one line is reported
    and does not undo the others.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        back = reverse("subsidies:staff-line-queue")
        query = QueryDict(request.POST.get("query", "")).urlencode()
        if query:
            back = f"{back}?{query}"
        form = BulkApproveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        ids = form.cleaned_data["lines"]
        note = form.cleaned_data["note"]
        found = {
            line.pk: line
            for line in claim_line_list_for_staff(user=request.user).filter(pk__in=ids)
        }
        approved = first_only = 0
        refusals: list[tuple[str, str]] = []
        with transaction.atomic():
            for pk in ids:
                line = found.get(pk)
                if line is None:
                    refusals.append((f"#{pk}", gettext("明细不存在或不在您的辖区内。")))
                    continue
                try:
                    # line_approve is atomic (a savepoint here): a refusal undoes only its line.
                    line = line_approve(line=line, by=request.user, note=note)
                except DomainError as exc:
                    refusals.append((_line_title(line), exc.message))
                else:
                    if line.status == Status.APPROVED:
                        approved += 1
                    else:
                        first_only += 1
        if approved:
            messages.success(request, gettext("已审核通过 %(n)d 条明细。") % {"n": approved})
        if first_only:
            messages.info(
                request,
                gettext("%(n)d 条明细金额超过二次审批标准，已记录初审，须由另一名工作人员复核。")
                % {"n": first_only},
            )
        for title, message in refusals:
            messages.error(
                request,
                gettext("%(line)s 未通过：%(message)s") % {"line": title, "message": message},
            )
        return redirect(back)


def _line_title(line: ClaimLine) -> str:
    return f"#{line.pk} {line.applicant.full_name} {month_label(line.month)}"


# ---------------------------------------------------------------------------
# One line


def _date(value: str | None) -> str:
    if not value:
        return "—"
    return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")


def _yes_no(value: Any) -> str:
    return gettext("是") if value else gettext("否")


def _money(value: Any) -> str:
    return gettext("%(amount)s 元") % {"amount": f"{Decimal(str(value)):.2f}"}


def describe_rate_row(rate: RateRow | None, *, legal_reference: str = "") -> str:
    """
    The rate row in words: its amount, its dates and its legal reference
    (the policy's `legal_reference` when the row names none).
    """
    if rate is None:
        return gettext("该月没有有效的补贴标准")
    if rate.kind == RateRow.Kind.PER_MONTH:
        text = gettext("每人每月 %(amount)s") % {"amount": _money(rate.amount)}
    elif rate.kind == RateRow.Kind.PER_YEAR:
        text = gettext("每年 %(amount)s（按月折算为十二分之一）") % {"amount": _money(rate.amount)}
    else:
        text = gettext("按实际缴费的 %(share)s%%，每月最多 %(cap)s") % {
            "share": f"{rate.share * 100:.2f}".rstrip("0").rstrip("."),
            "cap": _money(rate.cap),
        }
    since = formats.date_format(rate.valid_from, "DATE_FORMAT")
    if rate.valid_until:
        until = formats.date_format(rate.valid_until, "DATE_FORMAT")
        text += gettext("（%(since)s起，%(until)s止）") % {"since": since, "until": until}
    else:
        text += gettext("（%(since)s起）") % {"since": since}
    reference = rate.legal_reference or legal_reference
    if reference:
        text += gettext("，依据：%(ref)s") % {"ref": reference}
    return text


def _describe_employment(rows: list[dict] | None) -> str:
    if not rows:
        return gettext("判定日没有在该单位的有效就业登记")
    parts = []
    for row in rows:
        text = gettext("%(start)s起") % {"start": _date(row.get("start"))}
        text += (
            gettext("至%(end)s") % {"end": _date(row["end"])}
            if row.get("end")
            else gettext("，至今")
        )
        text += gettext("；已申明妈妈岗") if row.get("declared") else gettext("；未申明妈妈岗")
        if row.get("contract"):
            months = row.get("contract_months")
            text += (
                gettext("；签订劳动合同 %(n)s 个月") % {"n": months}
                if months
                else gettext("；签订劳动合同")
            )
        else:
            text += gettext("；未签订劳动合同")
        parts.append(text)
    return "\n".join(parts)


def _describe_contribution(value: dict | None) -> str:
    if not value:
        return gettext("没有当月社会保险缴费记录")
    kinds = sorted({k for group in value.get("insurance_types") or [] for k in group or []})
    text = gettext("单位缴费 %(employer)s，个人缴费 %(person)s") % {
        "employer": _money(value.get("employer_amount") or 0),
        "person": _money(value.get("person_amount") or 0),
    }
    if kinds:
        text += gettext("（险种：%(kinds)s）") % {"kinds": "、".join(kinds)}
    return text


def _describe_children(children: list | None) -> str:
    if not children:
        return gettext("没有登记子女")
    return "\n".join(
        gettext("%(y)s年%(m)s月出生，%(v)s")
        % {"y": y, "m": m, "v": gettext("材料已核验") if verified else gettext("材料未核验")}
        for y, m, verified in children
    )


def _describe_policy(value: dict | None) -> str:
    if not value:
        return "—"
    text = gettext("子女未满 %(n)s 周岁") % {"n": value.get("child_age_limit")}
    if value.get("inclusive"):
        text = gettext("子女不超过 %(n)s 周岁") % {"n": value.get("child_age_limit")}
    if value.get("require_verified"):
        text += gettext("，须核验子女证明材料")
    return text


def decision_inputs_rows(
    record: DecisionRecord, *, employer_line: bool, legal_reference: str = ""
) -> list[tuple[str, str]]:
    """The decision's input snapshot as (label, value) rows in plain Chinese."""
    inputs = record.inputs or {}
    category = inputs.get("category")
    rows: list[tuple[Any, str]] = [
        (_("判定日"), _date(inputs.get("reference_day"))),
        (_("出生日期"), _date(inputs.get("birth_date"))),
        (_("法定退休日期"), _date(inputs.get("retirement_on"))),
        (
            _("人员类别"),
            str(Applicant.Category(category).label)
            if category in Applicant.Category.values
            else (category or "—"),
        ),
        (_("子女"), _describe_children(inputs.get("children"))),
        (_("子女年龄条件"), _describe_policy(inputs.get("eligibility_policy"))),
    ]
    if employer_line:
        rows += [
            (_("判定日用人单位在名录内"), _yes_no(inputs.get("listed"))),
            (_("就业登记"), _describe_employment(inputs.get("employment"))),
        ]
    rows += [
        (_("社保缴费"), _describe_contribution(inputs.get("contribution"))),
        (
            _("此前已享受月数"),
            gettext("%(n)s 个月") % {"n": inputs.get("months_used") or 0},
        ),
    ]
    if inputs.get("first_month"):
        first = datetime.date.fromisoformat(inputs["first_month"])
        rows.append((_("首次享受月份"), month_label(first)))
    rows.append((_("申报日期"), _date(inputs.get("submitted_on"))))
    if inputs.get("window_end"):
        last_day = datetime.date.fromisoformat(inputs["window_end"]) - datetime.timedelta(days=1)
        rows.append((_("申领期限至"), formats.date_format(last_day, "DATE_FORMAT")))
    rows.append(
        (_("适用标准"), describe_rate_row(record.rate_row, legal_reference=legal_reference))
    )
    return [(str(label), value) for label, value in rows]


def _decision_label(value: str) -> str:
    return str(Decision(value).label) if value in Decision.values else value


# Maker-checker refusals, shown before any click (the service enforces them).
_BLOCKS = {
    "review_own_claim": _("这份申报是您本人提交的，不能由您审核。请由其他工作人员处理。"),
    "review_own_employer": _("您是该用人单位的成员，不能审核本单位的申报。请由其他工作人员处理。"),
    "review_same_person": _("金额超过二次审批标准，您已做过初审，须由另一名工作人员复核。"),
    "review_not_eligible": _(
        "只有判定为“符合”的明细可以审核通过。请先核实材料（如子女证明），再点“重新判定”。"
    ),
}


def approval_blocks(user: Any, line: ClaimLine) -> list[dict[str, str]]:
    """Why `user` cannot approve `line` now (codes and messages); empty if nothing blocks."""
    codes = []
    if line.claim.submitted_by_id == user.pk:
        codes.append("review_own_claim")
    if line.employer_id and line.employer.memberships.filter(user=user).exists():
        codes.append("review_own_employer")
    if line.status == Status.OPEN:
        if line.needs_second and line.approved_by_id == user.pk:
            codes.append("review_same_person")
        if line.decision != Decision.ELIGIBLE:
            codes.append("review_not_eligible")
    return [{"code": code, "message": str(_BLOCKS[code])} for code in codes]


class StaffLineDetailView(StaffLineMixin, TemplateView):
    template_name = "subsidies/staff/line_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        line = _annotate_line(self.get_line())
        user = self.request.user
        employer_line = line.employer_id is not None
        decisions = [
            {
                "record": record,
                "decision_label": _decision_label(record.decision),
                "reason_labels": reason_labels(record.reasons),
                "rows": decision_inputs_rows(
                    record,
                    employer_line=employer_line,
                    legal_reference=line.policy.legal_reference,
                ),
            }
            for record in line.decision_list
        ]
        blocks = approval_blocks(user, line)
        verify_child_url = ""
        if Reason.CHILD_NOT_VERIFIED in line.reasons and user.has_perm("applicants.verify_child"):
            # Her papers are checked on her page; the verification brings staff back here.
            here = reverse("subsidies:staff-line-detail", args=[line.pk])
            verify_child_url = (
                reverse("applicants:staff-applicant-detail", args=[line.applicant_id])
                + "?"
                + urlencode({"next": here})
            )
        personal_block = any(
            b["code"] in ("review_own_claim", "review_own_employer") for b in blocks
        )
        live = line.status in (Status.OPEN, Status.APPROVED)
        return super().get_context_data(
            line=line,
            decisions=decisions,
            blocks=blocks,
            may_approve=line.status == Status.OPEN and not blocks,
            may_reject=live and not personal_block,
            may_redecide=live,
            verify_child_url=verify_child_url,
            approve_form=LineApproveForm(auto_id="id_approve_%s"),
            reject_form=LineRejectForm(auto_id="id_reject_%s"),
            rate_text=(
                describe_rate_row(line.rate_row, legal_reference=line.policy.legal_reference)
                if line.rate_row_id
                else ""
            ),
            **kwargs,
        )


class _StaffLineActionView(StaffLineMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = self.get_line()
        try:
            self.act(line)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("subsidies:staff-line-detail", pk=line.pk)

    def act(self, line: ClaimLine) -> None:
        raise NotImplementedError


class StaffLineApproveView(_StaffLineActionView):
    def act(self, line: ClaimLine) -> None:
        form = LineApproveForm(self.request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        line = line_approve(line=line, by=self.request.user, note=note)
        if line.status == Status.APPROVED:
            messages.success(
                self.request,
                gettext("已审核通过，金额 %(amount)s。") % {"amount": _money(line.amount)},
            )
        else:
            messages.info(
                self.request,
                gettext("已记录初审。金额超过二次审批标准，须由另一名工作人员复核后生效。"),
            )


class StaffLineRejectView(_StaffLineActionView):
    def act(self, line: ClaimLine) -> None:
        form = LineRejectForm(self.request.POST)
        if not form.is_valid():
            messages.error(
                self.request,
                gettext("请填写驳回原因，申报人会看到这段说明。"),
            )
            return
        line_reject(line=line, by=self.request.user, reason=form.cleaned_data["reason"])
        messages.success(self.request, gettext("已驳回该明细。"))


class StaffLineRedecideView(_StaffLineActionView):
    def act(self, line: ClaimLine) -> None:
        before = (line.decision, line.amount, list(line.reasons))
        line = line_redecide(line=line, by=self.request.user)
        label = Decision(line.decision).label
        if (line.decision, line.amount, list(line.reasons)) == before:
            messages.info(self.request, gettext("已重新判定，结果未变：%(d)s。") % {"d": label})
        else:
            messages.success(self.request, gettext("已重新判定，结果为：%(d)s。") % {"d": label})


# ---------------------------------------------------------------------------
# Eligibility runs


class StaffRunMixin(PermissionRequiredMixin):
    permission_required = RUN

    def get_run(self, *, with_chunks: bool = False) -> EligibilityRun:
        try:
            return run_get_for_staff(
                user=self.request.user, pk=self.kwargs["pk"], with_chunks=with_chunks
            )
        except EligibilityRun.DoesNotExist:
            raise Http404 from None


class StaffRunListView(StaffRunMixin, ListView):
    """The runs of policies in scope with their progress, and a form to start one."""

    template_name = "subsidies/staff/run_list.html"
    context_object_name = "runs"
    paginate_by = 20
    start_form: RunStartForm | None = None

    def get_queryset(self):
        return run_list_for_staff(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = self.start_form or RunStartForm(
            policies=policy_list_for_staff(user=self.request.user)
        )
        return super().get_context_data(start_form=form, run_active=RUN_ACTIVE, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RunStartForm(request.POST, policies=policy_list_for_staff(user=request.user))
        if not form.is_valid():
            self.start_form = form
            return self.get(request, *args, **kwargs)
        started = timezone.now()
        policy, month = form.cleaned_data["policy"], form.cleaned_data["month"]
        run = run_start(
            policy=policy, month=month, kind=EligibilityRun.Kind.MANUAL, by=request.user
        )
        what = {"policy": str(form.fields["policy"].label_from_instance(policy))}
        what["month"] = month_label(month)
        if run.created_at < started:
            messages.info(
                request,
                gettext("%(policy)s %(month)s 已有未完成的判定批次，已继续执行。") % what,
            )
        else:
            messages.success(request, gettext("已开始判定 %(policy)s %(month)s。") % what)
        return redirect("subsidies:staff-run-detail", pk=run.pk)


class StaffRunDetailView(StaffRunMixin, TemplateView):
    template_name = "subsidies/staff/run_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        run = self.get_run(with_chunks=True)
        chunks = list(run.chunks.all())
        resumable = [c for c in chunks if c.status != c.Status.DONE]
        return super().get_context_data(
            run=run,
            chunks=chunks,
            running=run.status in RUN_ACTIVE,
            refresh_seconds=RUN_REFRESH_SECONDS,
            may_resume=bool(resumable)
            and run.status != EligibilityRun.Status.DONE
            and run_may_act(user=self.request.user, run=run),
            read_only=not run_may_act(user=self.request.user, run=run),
            **kwargs,
        )


class StaffRunResumeView(StaffRunMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.get_run()
        if not run_may_act(user=request.user, run=run):
            raise PermissionDenied
        queued = run_resume(run=run)
        if queued:
            messages.success(request, gettext("已重新排队 %(n)d 个分块。") % {"n": queued})
        else:
            messages.info(request, gettext("没有需要继续的分块。"))
        return redirect("subsidies:staff-run-detail", pk=run.pk)


class StaffRunProgressView(StaffRunMixin, View):
    """The run's progress as JSON, for the page's progressive-enhancement script."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        run = self.get_run()
        response = JsonResponse(
            {
                "status": run.status,
                "status_label": str(run.get_status_display()),
                "percent": run.percent,
                "done_chunks": run.done_chunks,
                "total_chunks": run.total_chunks,
                "lines_decided": run.lines_decided,
                "lines_changed": run.lines_changed,
                "text": gettext("已完成 %(x)s/%(y)s 分块（%(p)s%%）")
                % {"x": run.done_chunks, "y": run.total_chunks, "p": run.percent},
            }
        )
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("staff/subsidies/", StaffLineQueueView.as_view(), name="staff-line-queue"),
    path(
        "staff/subsidies/lines/approve/",
        StaffLineBulkApproveView.as_view(),
        name="staff-line-bulk-approve",
    ),
    path(
        "staff/subsidies/lines/<int:pk>/", StaffLineDetailView.as_view(), name="staff-line-detail"
    ),
    path(
        "staff/subsidies/lines/<int:pk>/approve/",
        StaffLineApproveView.as_view(),
        name="staff-line-approve",
    ),
    path(
        "staff/subsidies/lines/<int:pk>/reject/",
        StaffLineRejectView.as_view(),
        name="staff-line-reject",
    ),
    path(
        "staff/subsidies/lines/<int:pk>/redecide/",
        StaffLineRedecideView.as_view(),
        name="staff-line-redecide",
    ),
    path("staff/subsidies/runs/", StaffRunListView.as_view(), name="staff-run-list"),
    path("staff/subsidies/runs/<int:pk>/", StaffRunDetailView.as_view(), name="staff-run-detail"),
    path(
        "staff/subsidies/runs/<int:pk>/resume/",
        StaffRunResumeView.as_view(),
        name="staff-run-resume",
    ),
    path(
        "staff/subsidies/runs/<int:pk>/progress.json",
        StaffRunProgressView.as_view(),
        name="staff-run-progress",
    ),
]
