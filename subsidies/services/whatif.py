"""
Trying a policy change before it goes live (issue 13, deliverable 4).

`policy_whatif` applies a draft change of one policy (a new per-month
amount from a date, a different entitlement limit, a different child age
limit) inside a transaction, decides one already decided month with the
real engine, reads what changed and rolls everything back: no claim line,
rate row, decision record or audit event is kept.

`scenario_try` runs an uploaded scenario file (docs/subsidy-scenarios.md)
through subsidies.scenario.scenario_run, which rolls back by itself.

Lines the engine does not decide again (paid, rejected, or in a payment
batch past its public notice) keep their decision in the trial too.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from applicants.models import EligibilityPolicy
from applicants.selectors import PolicyBook
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.exceptions import DomainError

from ..engine import lines_decide, reference_day
from ..models import ClaimLine, PaymentBatch, RateRow, SubsidyPolicy
from ..scenario import ScenarioError, ScenarioResult, scenario_load, scenario_run
from .policies import rate_row_describe, rate_row_find_overlap, uses_recognition_year

if TYPE_CHECKING:
    from mamagang.accounts.models import User

CHANGE_POLICY = "subsidies.change_subsidypolicy"
# An uploaded scenario file is small text; the shipped ones are a few KB.
MAX_SCENARIO_BYTES = 200 * 1024
# The largest per-month amount a draft may name (RateRow.amount has 12 digits, 2 decimals).
MAX_AMOUNT = Decimal("9999999999.99")
CHILD_AGE_RANGE = (1, 18)  # the EligibilityPolicy check constraint
# The months a trial may use, newest first.
MONTH_LIMIT = 36


@dataclass(frozen=True)
class PolicyDraft:
    """
    A draft change of a policy; None (False) leaves that part as it is.

    rate_amount: a new per-month amount from rate_from (the 1st of the
    month tried when None); max_months: a new entitlement limit, or no
    limit with max_months_unlimited; child_age_limit with its reading.
    """

    rate_amount: Decimal | None = None
    rate_from: datetime.date | None = None
    max_months: int | None = None
    max_months_unlimited: bool = False
    child_age_limit: int | None = None
    child_age_inclusive: bool = True

    @property
    def is_empty(self) -> bool:
        return (
            self.rate_amount is None
            and self.max_months is None
            and not self.max_months_unlimited
            and self.child_age_limit is None
        )


@dataclass(frozen=True)
class LineState:
    decision: str
    amount: Decimal | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LineChange:
    """A line whose decision, amount or reasons the draft changes."""

    line_id: int
    full_name: str
    id_number_masked: str
    employer_name: str
    before: LineState
    after: LineState
    # The line changes under today's policy too (its inputs changed since it was decided).
    changes_without_draft: bool = False

    @property
    def difference(self) -> Decimal:
        return (self.after.amount or Decimal("0")) - (self.before.amount or Decimal("0"))


@dataclass(frozen=True)
class WhatIfResult:
    policy: SubsidyPolicy
    month: datetime.date
    draft: PolicyDraft
    reference_day: datetime.date
    line_count: int
    not_redecided: int
    total_before: Decimal
    total_after: Decimal
    changes: list[LineChange] = field(default_factory=list)
    # The draft rate row ended this row the day before it starts (None: none was).
    ended_rate: str | None = None

    @property
    def changed_count(self) -> int:
        return len(self.changes)

    @property
    def difference(self) -> Decimal:
        return self.total_after - self.total_before

    @property
    def changed_without_draft(self) -> int:
        return sum(c.changes_without_draft for c in self.changes)


# ---------------------------------------------------------------------------
# Checks


def _assert_may_edit(by: User, policy: SubsidyPolicy) -> None:
    # The same rule as the policy edit pages: the change permission and the policy's region.
    if not (
        by.has_perm(CHANGE_POLICY)
        and user_may_act_on_region(user=by, region_code=policy.region.code)
    ):
        raise DomainError(
            _("您不能修改这项政策，因此也不能试算它的调整。"), code="whatif_not_allowed"
        )


def _check_draft(draft: PolicyDraft, policy: SubsidyPolicy, day: datetime.date) -> None:
    if draft.is_empty:
        raise DomainError(
            _("请至少填写一项调整：新的补贴金额、最长享受月数或子女年龄上限。"),
            code="whatif_empty_draft",
        )
    if draft.rate_amount is not None:
        amount = draft.rate_amount
        if not amount.is_finite() or amount <= 0:
            raise DomainError(_("新的补贴金额须大于0。"), code="whatif_amount")
        if amount != amount.quantize(Decimal("0.01")) or amount > MAX_AMOUNT:
            raise DomainError(_("新的补贴金额最多两位小数（元、角、分）。"), code="whatif_amount")
        if uses_recognition_year(policy):
            raise DomainError(
                _("就业基地奖补按认定年度设置标准，不能在这里试算新的金额。"),
                code="whatif_amount",
            )
        if draft.rate_from is not None and draft.rate_from > day:
            raise DomainError(
                _(
                    "新标准的生效日期晚于该月的判定日（%(day)s），对该月没有影响。"
                    "请选择更晚的月份，或把生效日期提前。"
                )
                % {"day": day.isoformat()},
                code="whatif_rate_from",
            )
    if draft.max_months is not None and not draft.max_months_unlimited and draft.max_months < 1:
        raise DomainError(
            _("最长享受月数至少为1个月；不限月数请勾选“不限”。"), code="whatif_max_months"
        )
    if draft.child_age_limit is not None:
        low, high = CHILD_AGE_RANGE
        if not low <= draft.child_age_limit <= high:
            raise DomainError(
                _("子女年龄上限须在%(low)s到%(high)s周岁之间。") % {"low": low, "high": high},
                code="whatif_child_age",
            )


# ---------------------------------------------------------------------------
# Reading


def whatif_months(*, policy: SubsidyPolicy) -> list[datetime.date]:
    """Return the months with decided lines of `policy`, newest first (at most MONTH_LIMIT)."""
    months = (
        ClaimLine.objects.filter(policy=policy, decided_at__isnull=False)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )
    return list(months[:MONTH_LIMIT])


def _states(policy: SubsidyPolicy, month: datetime.date) -> dict[int, LineState]:
    rows = ClaimLine.objects.filter(policy=policy, month=month).values_list(
        "pk", "decision", "amount", "reasons"
    )
    return {
        pk: LineState(decision=decision, amount=amount, reasons=tuple(sorted(reasons)))
        for pk, decision, amount, reasons in rows
    }


def _not_redecided(policy: SubsidyPolicy, month: datetime.date) -> int:
    """Lines the engine leaves as they are: settled, or in a batch past its public notice."""
    settled = ~Q(status__in=[ClaimLine.Status.OPEN, ClaimLine.Status.APPROVED]) | (
        Q(batch__isnull=False) & ~Q(batch__status=PaymentBatch.Status.PUBLICITY)
    )
    return ClaimLine.objects.filter(settled, policy=policy, month=month).count()


def _total(states: dict[int, LineState]) -> Decimal:
    return sum((s.amount for s in states.values() if s.amount is not None), Decimal("0.00"))


# ---------------------------------------------------------------------------
# Applying a draft (only ever inside the rolled-back transaction)


def _apply_rate(policy: SubsidyPolicy, amount: Decimal, valid_from: datetime.date) -> str | None:
    """
    Add the draft's per-month row from `valid_from`; a row running on that day
    ends the day before (valid_until is exclusive), and the new row ends where
    the next later row starts. Return the ended row's description.
    """
    rows = RateRow.objects.select_for_update().filter(policy=policy, recognition_year=None)
    same_day = rows.filter(valid_from=valid_from).first()
    if same_day is not None:
        raise DomainError(
            _("已有%(row)s从同一天起执行，请换一个生效日期。")
            % {"row": rate_row_describe(same_day)},
            code="whatif_rate_from",
        )
    running = (
        rows.filter(valid_from__lt=valid_from)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from))
        .order_by("valid_from")
        .first()
    )
    ended = None
    if running is not None:
        ended = rate_row_describe(running)
        running.valid_until = valid_from
        running.save(update_fields=["valid_until"])
    later = rows.filter(valid_from__gt=valid_from).order_by("valid_from").first()
    valid_until = later.valid_from if later is not None else None
    other = rate_row_find_overlap(
        policy=policy, valid_from=valid_from, valid_until=valid_until, recognition_year=None
    )
    if other is not None:
        raise DomainError(
            _("草拟的标准与%(row)s重叠，无法试算。请换一个生效日期。")
            % {"row": rate_row_describe(other)},
            code="whatif_rate_from",
        )
    RateRow.objects.create(
        policy=policy,
        valid_from=valid_from,
        valid_until=valid_until,
        kind=RateRow.Kind.PER_MONTH,
        amount=amount,
        legal_reference=_("试算（不保存）"),
    )
    return ended


def _apply_child_age(
    policy: SubsidyPolicy, day: datetime.date, limit: int, inclusive: bool
) -> None:
    """
    Put an eligibility policy row for the policy's region valid from `day`,
    keeping the other facts of the row in force then; the engine
    (applicants.selectors.PolicyBook) takes the latest row valid on the day.
    """
    facts = PolicyBook().policy_for(policy.region.code, day)
    EligibilityPolicy.objects.update_or_create(
        region=policy.region,
        valid_from=day,
        defaults={
            "child_age_limit": limit,
            "child_age_inclusive": inclusive,
            "admitted_categories": sorted(facts.admitted_categories),
            "require_verified_evidence": facts.require_verified_evidence,
            "legal_reference": _("试算（不保存）"),
        },
    )


# ---------------------------------------------------------------------------
# Services


def policy_whatif(
    *, policy: SubsidyPolicy, month: datetime.date, by: User, draft: PolicyDraft
) -> WhatIfResult:
    """
    Decide `policy`'s lines of `month` (an already decided month) under
    `draft` and return how each changed line's decision, amount and reasons
    would change, with the totals. Nothing is written: the draft and the
    engine's writes run in a transaction that is rolled back.

    Raise DomainError when `by` may not edit the policy, the month has no
    decided lines, or the draft is empty or invalid.
    """
    _assert_may_edit(by, policy)
    month = month.replace(day=1)
    day = reference_day(policy, month)
    lines = ClaimLine.objects.filter(policy=policy, month=month)
    if not lines.exists():
        raise DomainError(
            _("%(y)s年%(m)s月没有这项政策的补贴明细，无法试算。")
            % {"y": month.year, "m": month.month},
            code="whatif_no_lines",
        )
    if not lines.filter(decided_at__isnull=False).exists():
        raise DomainError(
            _("%(y)s年%(m)s月的明细还没有判定。请等判定完成后再试算。")
            % {"y": month.year, "m": month.month},
            code="whatif_month_not_decided",
        )
    _check_draft(draft, policy, day)

    ended = None
    with transaction.atomic():
        try:
            before = _states(policy, month)
            # Today's policy first: a line whose inputs changed since it was decided would
            # change without the draft too, and the page says so.
            lines_decide(policy=policy, month=month)
            baseline = _states(policy, month)
            work = SubsidyPolicy.objects.select_related("region", "subsidy_type").get(pk=policy.pk)
            if draft.rate_amount is not None:
                ended = _apply_rate(work, draft.rate_amount, draft.rate_from or month)
            if draft.max_months_unlimited or draft.max_months is not None:
                work.max_months = None if draft.max_months_unlimited else draft.max_months
                work.save(update_fields=["max_months"])
            if draft.child_age_limit is not None:
                _apply_child_age(work, day, draft.child_age_limit, draft.child_age_inclusive)
            lines_decide(policy=work, month=month)
            after = _states(policy, month)
        finally:
            transaction.set_rollback(True)

    changed_ids = [pk for pk, state in after.items() if before.get(pk) != state]
    people = {
        pk: (name, masked, employer or "")
        for pk, name, masked, employer in ClaimLine.objects.filter(pk__in=changed_ids).values_list(
            "pk", "applicant__full_name", "applicant__id_number_masked", "employer__name"
        )
    }
    changes = [
        LineChange(
            line_id=pk,
            full_name=people[pk][0],
            id_number_masked=people[pk][1],
            employer_name=people[pk][2],
            before=before[pk],
            after=after[pk],
            changes_without_draft=baseline.get(pk) != before[pk],
        )
        for pk in sorted(changed_ids)
    ]
    return WhatIfResult(
        policy=policy,
        month=month,
        draft=draft,
        reference_day=day,
        line_count=len(before),
        not_redecided=_not_redecided(policy, month),
        total_before=_total(before),
        total_after=_total(after),
        changes=changes,
        ended_rate=ended,
    )


def scenario_try(*, data: bytes, file_name: str, by: User) -> ScenarioResult:
    """
    Run the uploaded scenario file `data` (YAML, docs/subsidy-scenarios.md)
    and return its result; the runner rolls back everything it built.

    Raise DomainError when `by` may not change policies, or for a file that
    is too large, not UTF-8, not YAML or not in the scenario format.
    """
    if not by.has_perm(CHANGE_POLICY):
        raise DomainError(
            _("您没有修改补贴政策的权限，不能运行情景文件。"), code="whatif_not_allowed"
        )
    if len(data) > MAX_SCENARIO_BYTES:
        raise DomainError(
            _("情景文件超过%(kb)s KB，请拆成几个小文件。") % {"kb": MAX_SCENARIO_BYTES // 1024},
            code="scenario_too_large",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            _("情景文件须是UTF-8编码的文本文件（YAML）。请在编辑器中另存为UTF-8后再上传。"),
            code="scenario_not_utf8",
        ) from None
    if not text.strip():
        raise DomainError(_("情景文件是空的。"), code="scenario_empty")
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("第%(line)s行附近") % {"line": mark.line + 1} if mark is not None else ""
        raise DomainError(
            _("情景文件不是有效的YAML%(where)s：请检查缩进、冒号和引号。")
            % {"where": where and f"（{where}）"},
            code="scenario_bad_yaml",
        ) from None

    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed before the runner reads it)
        mode="w", encoding="utf-8", suffix=".yaml", prefix="scenario-", delete=False
    )
    try:
        with handle:
            handle.write(text)
        try:
            scenario_load(handle.name)
        except ScenarioError as exc:
            detail = str(exc)
            if "unknown key" in detail:
                message = _("情景文件中有不认识的键（可能拼写有误），没有运行：%(detail)s")
            else:
                message = _(
                    "情景文件的内容不符合格式（见 docs/subsidy-scenarios.md），没有运行：%(detail)s"
                )
            raise DomainError(message % {"detail": detail}, code="scenario_invalid") from None
        result = scenario_run(handle.name)
    finally:
        os.unlink(handle.name)
    upload = Path(os.path.basename(file_name or "scenario.yaml"))
    if result.name == Path(handle.name).stem:
        result.name = upload.stem
    result.path = upload
    result.error_trace = ""  # never shown on a page
    return result
