"""
The claimant side of subsidies: an employer claims for its employees in the
employer workspace (补贴申报), and a mother claims for herself as a flexible
worker in her area (/me/subsidies/). Both see each line's decision with its
reasons in plain words.

Every row is read through a claimant-scoped selector, so another
employer's claim or line is a 404. The employer sees the people masked
(name and masked ID number) and, of the decision's inputs, only what
concerns the job: never her birth date nor her children's birth months,
only whether she has a qualifying child and whether its papers are checked.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import ListView, TemplateView

from applicants.eligibility import CHILD_CATEGORIES
from applicants.models import Applicant
from applicants.views.employer import EmployerPrivateMixin
from applicants.views.me import ApplicantAreaMixin
from mamagang.core.exceptions import DomainError

from ..engine import window_end
from ..forms_claims import ClaimMonthsForm, EmployerClaimForm, month_label, recent_months
from ..models import Claim, ClaimLine, DecisionRecord, RateRow, SubsidyPolicy, SubsidyType
from ..reasons import Reason, reason_explanations
from ..selectors_claims import (
    claim_counts,
    claim_get_for_employer,
    claim_line_get_for_employer,
    claim_line_list_about_applicant,
    claim_line_list_for_claim,
    claim_list_for_applicant,
    claim_list_for_employer,
    claim_people_for_employer,
    decision_latest_for_line,
    rates_in_force,
)
from ..services import claim_submit_for_employer, claim_submit_for_person, policies_for

UNCHANGED_CLAIM_MESSAGE = gettext_lazy(
    "所选月份和人员已经申报过，本次没有新增明细，原申报及其判定结果不变。"
)
Decision = ClaimLine.Decision
Status = ClaimLine.Status
LINES_PER_PAGE = 50


# Presentation ---------------------------------------------------------------------


def yuan(amount: Decimal | None) -> str:
    """Return an amount as "300.00 元", or "—" when there is none."""
    if amount is None:
        return "—"
    return gettext("%(amount)s 元") % {"amount": f"{amount.quantize(Decimal('0.01')):f}"}


def day_label(day: datetime.date) -> str:
    return gettext("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def rate_summary(rate: RateRow | None) -> str:
    """Return a rate row in words: "每人每月 300.00 元"."""
    if rate is None:
        return gettext("暂无有效的补贴标准")
    if rate.kind == RateRow.Kind.PER_MONTH:
        return gettext("每人每月 %(a)s") % {"a": yuan(rate.amount)}
    if rate.kind == RateRow.Kind.PER_YEAR:
        return gettext("每年 %(a)s（按月计发十二分之一）") % {"a": yuan(rate.amount)}
    percent = f"{(rate.share * 100).normalize():f}"
    return gettext("按实际缴费的 %(p)s%%，每月最多 %(cap)s") % {"p": percent, "cap": yuan(rate.cap)}


def rate_in_force_text(rate: RateRow | None) -> str:
    """A rate row with its dates and legal reference, for a decision's facts."""
    if rate is None:
        return gettext("该月没有有效的补贴标准")
    text = gettext("%(rate)s（%(from)s起执行") % {
        "rate": rate_summary(rate),
        "from": day_label(rate.valid_from),
    }
    if rate.valid_until:
        text += gettext("，%(until)s起失效") % {"until": day_label(rate.valid_until)}
    text += "）"
    if rate.legal_reference:
        text += gettext("，依据：%(ref)s") % {"ref": rate.legal_reference}
    return text


def policy_rows(policies: list[SubsidyPolicy], today: datetime.date) -> list[dict[str, Any]]:
    """What the claim pages say about each subsidy that applies, with today's rate."""
    rates = rates_in_force(policies=policies, day=today)
    return [
        {
            "policy": policy,
            "name": policy.subsidy_type.name,
            "rate": rate_summary(rates[policy.pk]),
            "window": gettext("所属月份结束后 %(n)s 个月内申报")
            % {"n": policy.claim_window_months},
            "max_months": policy.max_months,
            "legal_reference": policy.legal_reference,
            "region": policy.region.name,
        }
        for policy in policies
    ]


def month_notes(policies: list[SubsidyPolicy], today: datetime.date) -> dict[datetime.date, str]:
    """Say which offered months are already past (some of) the policies' claim windows."""
    notes = {}
    for month in recent_months(today):
        late = [p for p in policies if window_end(p, month) <= today]
        if late and len(late) == len(policies):
            notes[month] = gettext("已超过申领期限")
        elif late:
            names = "、".join(p.subsidy_type.name for p in late)
            notes[month] = gettext("%(names)s已超过申领期限") % {"names": names}
    return notes


def line_row(line: ClaimLine, *, employer: bool = False) -> dict[str, Any]:
    """A line for the claimant's pages: its reasons with what to do next (for `employer`)."""
    return {
        "line": line,
        "month": month_label(line.month),
        "reasons": reason_explanations(line.reasons, employer=employer),
        "amount": yuan(line.amount),
    }


def counts_rows(claim: Claim) -> dict[str, list[dict[str, Any]]]:
    """The non-zero counts of an annotated claim, labelled, for the badges."""
    counts = claim_counts(claim)
    return {
        "decisions": [
            {"value": value, "label": Decision(value).label, "count": n}
            for value, n in counts["decision"].items()
            if n
        ],
        "statuses": [
            {"value": value, "label": Status(value).label, "count": n}
            for value, n in counts["status"].items()
            if n
        ],
    }


def claim_row(claim: Claim) -> dict[str, Any]:
    return {
        "claim": claim,
        "months": [month_label(m) for m in claim.months],
        "types": claim.type_names,
        "total": yuan(claim.eligible_amount or Decimal("0")),
        **counts_rows(claim),
    }


def _yes_no(value: Any) -> str:
    return gettext("是") if value else gettext("否")


def _iso_day(value: str | None) -> str:
    return day_label(datetime.date.fromisoformat(value)) if value else ""


def child_statement(reasons: list[str], category: str | None) -> str:
    """
    Whether she has a qualifying child, without anything about the child:
    the employer never learns the children's birth months.
    """
    if Reason.NO_QUALIFYING_CHILD in reasons:
        return gettext("没有符合条件的子女")
    if Reason.CHILD_NOT_VERIFIED in reasons:
        return gettext("有符合条件的子女，子女材料待核验")
    if category in CHILD_CATEGORIES:
        return gettext("有符合条件的子女")
    return gettext("不适用（按家庭照护条件认定）")


def _employment_text(row: dict[str, Any]) -> str:
    start = _iso_day(row.get("start"))
    end = _iso_day(row.get("end")) or gettext("至今")
    declared = gettext("已申明妈妈岗") if row.get("declared") else gettext("未申明妈妈岗")
    if row.get("contract"):
        months = row.get("contract_months")
        contract = (
            gettext("已签订劳动合同（%(m)s 个月）") % {"m": months}
            if months
            else gettext("已签订劳动合同")
        )
    else:
        contract = gettext("未签订劳动合同")
    return f"{start} – {end}；{declared}；{contract}"


def _eligibility_policy_text(rules: dict[str, Any]) -> str:
    if not rules:
        return "—"
    categories = "、".join(
        str(Applicant.Category(c).label) if c in Applicant.Category.values else c
        for c in rules.get("admitted", [])
    )
    limit = gettext("子女未满 %(n)s 周岁") % {"n": rules.get("child_age_limit")}
    if rules.get("inclusive"):
        limit = gettext("子女不超过 %(n)s 周岁（含）") % {"n": rules.get("child_age_limit")}
    verified = (
        gettext("子女材料须经核验")
        if rules.get("require_verified")
        else gettext("子女材料无须核验")
    )
    source = gettext("本地人员条件政策") if rules.get("id") else gettext("全国默认条件")
    return f"{source}：{limit}；{gettext('适用人员类别')}：{categories or '—'}；{verified}"


def decision_facts(line: ClaimLine, record: DecisionRecord) -> list[tuple[str, str]]:
    """
    The key inputs of a decision in plain words, as (label, text) pairs, for
    the employer: her birth date and her children's records are left out.
    """
    inputs = record.inputs or {}
    reasons = list(record.reasons)
    policy = line.policy
    facts = [
        (gettext("判定日"), _iso_day(inputs.get("reference_day"))),
        (gettext("判定时间"), timezone.localtime(record.decided_at).strftime("%Y-%m-%d %H:%M")),
        (gettext("规则版本"), record.rule_version),
    ]
    if line.employer_id:
        facts.append((gettext("判定日单位在妈妈岗名录内"), _yes_no(inputs.get("listed"))))
        employments = inputs.get("employment") or []
        facts.append(
            (
                gettext("判定日有效的就业登记"),
                "；".join(_employment_text(row) for row in employments)
                if employments
                else gettext("没有覆盖判定日的就业登记"),
            )
        )
    facts.append(
        (
            gettext("在法定劳动年龄内"),
            _yes_no(Reason.NOT_WORKING_AGE not in reasons),
        )
    )
    facts.append((gettext("子女条件"), child_statement(reasons, inputs.get("category"))))
    contribution = inputs.get("contribution")
    if contribution:
        facts.append(
            (
                gettext("当月社保缴费"),
                gettext("单位缴费 %(e)s，个人缴费 %(p)s")
                % {
                    "e": yuan(Decimal(str(contribution.get("employer_amount", "0")))),
                    "p": yuan(Decimal(str(contribution.get("person_amount", "0")))),
                },
            )
        )
    else:
        facts.append((gettext("当月社保缴费"), gettext("没有当月缴费记录")))
    used = inputs.get("months_used") or 0
    clock = gettext("此前已享受 %(n)s 个月") % {"n": used}
    if policy.max_months:
        clock += gettext("（本政策每人最长 %(max)s 个月，跨单位累计）") % {"max": policy.max_months}
    facts.append((gettext("已享受月数"), clock))
    if inputs.get("window_end"):
        last_day = datetime.date.fromisoformat(inputs["window_end"]) - datetime.timedelta(days=1)
        facts.append(
            (
                gettext("申报日期 / 申领截止"),
                f"{_iso_day(inputs.get('submitted_on'))} / {day_label(last_day)}",
            )
        )
    facts.append((gettext("适用补贴标准"), rate_in_force_text(record.rate_row)))
    facts.append(
        (gettext("人员条件政策"), _eligibility_policy_text(inputs.get("eligibility_policy") or {}))
    )
    return facts


# Employer workspace -------------------------------------------------------------------


class EmployerClaimListView(EmployerPrivateMixin, ListView):
    template_name = "subsidies/employer/claim_list.html"
    context_object_name = "claims"
    paginate_by = 20

    def get_queryset(self):
        return claim_list_for_employer(employer=self.employer)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [claim_row(claim) for claim in context["claims"]]
        return context


class EmployerClaimCreateView(EmployerPrivateMixin, TemplateView):
    template_name = "subsidies/employer/claim_form.html"

    def setup_page(self) -> None:
        self.today = timezone.localdate()
        self.policies = policies_for(
            region=self.employer.district, payee=SubsidyType.Payee.EMPLOYER
        )

    def make_form(self, data=None) -> EmployerClaimForm:
        return EmployerClaimForm(
            data,
            today=self.today,
            month_notes=month_notes(self.policies, self.today),
            people=claim_people_for_employer(employer=self.employer),
        )

    def render_page(self, form: EmployerClaimForm) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(
                form=form,
                policies=policy_rows(self.policies, self.today),
                has_people=bool(form.fields["applicants"].choices),
            )
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_page()
        return self.render_page(self.make_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_page()
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                claim = claim_submit_for_employer(
                    employer=self.employer,
                    submitted_by=request.user,
                    months=form.cleaned_months(),
                    applicant_ids=form.applicant_ids(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if getattr(claim, "unchanged", False):
                    messages.info(request, UNCHANGED_CLAIM_MESSAGE)
                else:
                    messages.success(
                        request,
                        gettext("申报已提交并完成自动判定。请查看每条明细的判定结果和原因。"),
                    )
                return redirect("subsidies:employer-claim-detail", pk=claim.pk)
        return self.render_page(form)


class EmployerClaimDetailView(EmployerPrivateMixin, TemplateView):
    template_name = "subsidies/employer/claim_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            claim = claim_get_for_employer(employer=self.employer, pk=self.kwargs["pk"])
        except Claim.DoesNotExist as exc:
            raise Http404 from exc
        page = Paginator(claim_line_list_for_claim(claim=claim), LINES_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(
            claim=claim,
            summary=claim_row(claim),
            page_obj=page,
            rows=[line_row(line, employer=True) for line in page.object_list],
            **kwargs,
        )


class EmployerClaimLineView(EmployerPrivateMixin, TemplateView):
    template_name = "subsidies/employer/line_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            line = claim_line_get_for_employer(employer=self.employer, pk=self.kwargs["pk"])
        except ClaimLine.DoesNotExist as exc:
            raise Http404 from exc
        record = decision_latest_for_line(line=line)
        # A line refused as a duplicate was never decided on its merits: its
        # record names only the live line (another claimant's), never shown.
        decided = record is not None and "reference_day" in (record.inputs or {})
        return super().get_context_data(
            line=line,
            row=line_row(line, employer=True),
            record=record,
            facts=decision_facts(line, record) if decided else [],
            **kwargs,
        )


# Her area -----------------------------------------------------------------------------


def _person_policies(applicant: Applicant) -> list[SubsidyPolicy]:
    return policies_for(region=applicant.residence_district, payee=SubsidyType.Payee.PERSON)


class MeClaimListView(ApplicantAreaMixin, TemplateView):
    template_name = "subsidies/me/claim_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        policies = _person_policies(self.applicant)
        claims = list(claim_list_for_applicant(applicant=self.applicant))
        about_me = [
            line_row(line) for line in claim_line_list_about_applicant(applicant=self.applicant)
        ]
        context.update(
            policies=policy_rows(policies, today),
            claims=[
                {**claim_row(claim), "lines": [line_row(line) for line in claim.lines.all()]}
                for claim in claims
            ],
            about_me=about_me,
            has_employments=bool(about_me) or self.applicant.employments.exists(),
        )
        return context


class MeClaimCreateView(ApplicantAreaMixin, TemplateView):
    template_name = "subsidies/me/claim_form.html"

    def setup_page(self) -> None:
        self.today = timezone.localdate()
        self.policies = _person_policies(self.applicant)

    def make_form(self, data=None) -> ClaimMonthsForm:
        return ClaimMonthsForm(
            data, today=self.today, month_notes=month_notes(self.policies, self.today)
        )

    def render_page(self, form: ClaimMonthsForm) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(form=form, policies=policy_rows(self.policies, self.today))
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_page()
        return self.render_page(self.make_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_page()
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                claim = claim_submit_for_person(
                    applicant=self.applicant,
                    submitted_by=request.user,
                    months=form.cleaned_months(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if getattr(claim, "unchanged", False):
                    messages.info(request, UNCHANGED_CLAIM_MESSAGE)
                else:
                    messages.success(
                        request, gettext("申报已提交并完成自动判定。结果和原因见下方列表。")
                    )
                return redirect("subsidies:me-claim-list")
        return self.render_page(form)


urlpatterns = [
    path("employer/subsidies/", EmployerClaimListView.as_view(), name="employer-claim-list"),
    path("employer/subsidies/new/", EmployerClaimCreateView.as_view(), name="employer-claim-new"),
    path(
        "employer/subsidies/<int:pk>/",
        EmployerClaimDetailView.as_view(),
        name="employer-claim-detail",
    ),
    path(
        "employer/subsidies/lines/<int:pk>/",
        EmployerClaimLineView.as_view(),
        name="employer-claim-line",
    ),
    path("me/subsidies/", MeClaimListView.as_view(), name="me-claim-list"),
    path("me/subsidies/new/", MeClaimCreateView.as_view(), name="me-claim-new"),
]
