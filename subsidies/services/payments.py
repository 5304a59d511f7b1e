"""
Paying approved lines: a payment batch per city or district is first put
on public notice (公示), then approved by someone other than whoever made
it, exported to the bank with control totals (declared count and amount,
checked against the lines every time), and marked paid. Paid lines found
ineligible later get a proposed recovery (追回) that staff confirm, mark
recovered or waive (EXPECTATIONS.md "Subsidies and eligibility", 7-9;
DOMAIN.md §5.6).

Control totals are fixed when a batch is made and published on the notice.
Lines rejected or re-opened during the notice leave the batch when it is
approved, and the totals are lowered by what they were declared at; any
other difference between the lines and the totals refuses the step.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.rules import CHILD_CATEGORIES, RULES_BY_REASON, Reason, reasons_sql
from applicants.selectors import PolicyBook
from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from ..engine import child_qualifies_sql, listed_sql, reference_day
from ..models import ClaimLine, PaymentBatch, Recovery, SubsidyPolicy, SubsidyType
from ..selectors_payments import PayeeRow, batch_payee_rows

REVIEW = "subsidies.review_claimline"
ZERO = Decimal("0.00")
Status = PaymentBatch.Status
LineStatus = ClaimLine.Status
EXPORT_FORMATS = ("xlsx", "csv")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Subsidies that pay for the same thing: the person's social insurance for a
# month, paid to her employer or to her as a flexible worker. Paying both for
# one person-month is stacking (不得重复享受), a duplicate (DOMAIN.md §5.6).
SAME_PURPOSE_TYPES = ("employer_social_insurance", "flexible_social_insurance")


def _ensure_staff(user: User, region_code: str) -> None:
    if not user.has_perm(REVIEW):
        raise DomainError(_("您没有办理补贴发放的权限。"), code="payment_no_permission")
    if not user_may_act_on_region(user=user, region_code=region_code):
        raise DomainError(_("该地区不在您的辖区内。"), code="payment_out_of_scope")


def _locked(batch: PaymentBatch) -> PaymentBatch:
    return (
        PaymentBatch.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=batch.pk)
    )


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# ---------------------------------------------------------------------------
# Making and approving a batch


@transaction.atomic
def batch_create(
    *,
    region: Region,
    by: User,
    line_ids: Iterable[int] | None = None,
    publicity_days: int | None = None,
    today: datetime.date | None = None,
) -> PaymentBatch:
    """
    Put the approved lines not yet in a batch whose claim lies in `region`
    (a city or district; a city takes its districts' lines), or the chosen
    `line_ids` among them, into a new batch numbered next for the region.
    Its notice runs from tomorrow for `publicity_days`, by default the
    longest of the lines' policies (at least one day). The declared count
    and amount are the lines'.

    Raise DomainError outside the user's regions, for no lines, or when a
    chosen line is not approved, already batched or elsewhere.
    """
    today = today or timezone.localdate()
    _ensure_staff(by, region.code)
    if region.level not in (Region.Level.CITY, Region.Level.DISTRICT):
        raise DomainError(_("发放批次只能按地市或区县编制。"), code="batch_region_level")
    if publicity_days is not None and publicity_days < 1:
        raise DomainError(_("公示期至少为1天。"), code="batch_publicity_days")
    # Numbers are per region: batches of one region are made one at a time.
    # NO KEY UPDATE does not block rows that reference the region meanwhile.
    Region.objects.select_for_update(no_key=True).filter(pk=region.pk).first()
    lines = ClaimLine.objects.select_for_update(of=("self",)).filter(
        status=LineStatus.APPROVED,
        batch__isnull=True,
        claim__region__code__startswith=region_code_prefix(region),
    )
    if line_ids is not None:
        wanted = set(line_ids)
        lines = lines.filter(pk__in=wanted)
    rows = list(lines.values_list("pk", "amount", "policy__publicity_days"))
    if line_ids is not None and len(rows) != len(wanted):
        raise DomainError(
            _("有 %(n)d 条所选明细不是本地区已审核通过、尚未编入批次的明细。")
            % {"n": len(wanted) - len(rows)},
            code="batch_lines_unavailable",
        )
    if not rows:
        raise DomainError(_("没有已审核通过、尚未编入批次的明细。"), code="batch_empty")
    days = publicity_days or max(1, *(days for _, _, days in rows))
    number = PaymentBatch.objects.filter(region=region).aggregate(n=Max("number"))["n"] or 0
    batch = PaymentBatch(
        region=region,
        number=number + 1,
        publicity_from=today + datetime.timedelta(days=1),
        publicity_until=today + datetime.timedelta(days=days),
        declared_count=len(rows),
        declared_amount=sum((amount for _, amount, _ in rows), ZERO),
        created_by=by,
    )
    batch.full_clean()
    batch.save()
    ClaimLine.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        batch=batch, updated_at=timezone.now()
    )
    audit_record(
        actor=by,
        action="paymentbatch.created",
        obj=batch,
        after={
            "count": batch.declared_count,
            "amount": _money(batch.declared_amount),
            "publicity_from": batch.publicity_from.isoformat(),
            "publicity_until": batch.publicity_until.isoformat(),
        },
    )
    return batch


# Each line of a batch with the amount it was declared at: the amount of its
# latest decision up to the batch's creation (a re-opened line may have been
# decided again since, with another amount). Locks the batch's lines.
_BATCH_LINES_SQL = """
SELECT cl.id, cl.status, cl.amount, cl.approved_at,
       coalesce((SELECT dr.amount FROM subsidies_decisionrecord dr
                  WHERE dr.line_id = cl.id AND dr.decided_at <= %(created)s
                  ORDER BY dr.decided_at DESC, dr.id DESC LIMIT 1), cl.amount) AS declared
  FROM subsidies_claimline cl
 WHERE cl.batch_id = %(batch)s
 ORDER BY cl.id
   FOR UPDATE OF cl
"""


def batch_approve(
    *, batch: PaymentBatch, by: User, today: datetime.date | None = None
) -> PaymentBatch:
    """
    Approve a batch whose notice period is over, by someone other than
    whoever made it (also a database constraint). Lines rejected or
    re-opened during the notice (including one approved again since) first
    leave the batch and the declared totals are lowered by what they were
    declared at; the audit names them. Then the lines must match the
    declared totals exactly.

    Raise DomainError before the notice is over, for the batch's maker, when
    the lines do not match the declared totals, or when no line is left (the
    lines that left are released all the same, to join a later batch).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        batch = _locked(batch)
        _ensure_staff(by, batch.region.code)
        if batch.status != Status.PUBLICITY:
            raise DomainError(_("该批次已审批。"), code="batch_not_in_publicity")
        if today <= batch.publicity_until:
            raise DomainError(
                _("公示期至%(until)s结束，公示期满后才能审批。")
                % {"until": batch.publicity_until.isoformat()},
                code="batch_publicity_running",
            )
        if batch.created_by_id == by.pk:
            raise DomainError(
                _("制单人不能审批自己编制的批次，请由另一名工作人员审批。"), code="batch_own"
            )
        with connection.cursor() as cursor:
            cursor.execute(_BATCH_LINES_SQL, {"batch": batch.pk, "created": batch.created_at})
            rows = cursor.fetchall()
        declared = sum((row[4] for row in rows), ZERO)
        if len(rows) != batch.declared_count or declared != batch.declared_amount:
            raise _mismatch(batch, len(rows), declared)
        kept, dropped = [], []
        for pk, status, amount, approved_at, at_creation in rows:
            if status == LineStatus.APPROVED and approved_at and approved_at <= batch.created_at:
                if amount != at_creation:
                    raise _mismatch(batch, len(rows), declared - at_creation + amount)
                kept.append((pk, amount))
            else:
                dropped.append((pk, status, at_creation))
        before = {"count": batch.declared_count, "amount": _money(batch.declared_amount)}
        if dropped:
            ClaimLine.objects.filter(pk__in=[pk for pk, _, _ in dropped]).update(
                batch=None, updated_at=timezone.now()
            )
            batch.declared_count = len(kept)
            batch.declared_amount = sum((amount for _, amount in kept), ZERO)
        after: dict[str, Any] = {
            "count": batch.declared_count,
            "amount": _money(batch.declared_amount),
            "dropped": [
                {"line": pk, "status": status, "amount": _money(amount)}
                for pk, status, amount in dropped
            ],
        }
        if kept:
            batch.status = Status.APPROVED
            batch.approved_by, batch.approved_at = by, timezone.now()
        batch.save(
            update_fields=[
                "status",
                "approved_by",
                "approved_at",
                "declared_count",
                "declared_amount",
                "updated_at",
            ]
        )
        reason = (
            _("公示期间有 %(n)d 条明细被驳回或重新审核，已移出本批次，控制数已重新计算。")
            % {"n": len(dropped)}
            if dropped
            else ""
        )
        audit_record(
            actor=by,
            action="paymentbatch.approved" if kept else "paymentbatch.emptied",
            obj=batch,
            before=before,
            after=after,
            reason=reason,
        )
    if not kept:
        raise DomainError(
            _("本批次的明细在公示期间均已被驳回或重新审核，已全部移出，批次无可发放的明细。"),
            code="batch_nothing_left",
        )
    return batch


def _mismatch(batch: PaymentBatch, count: int, amount: Decimal) -> DomainError:
    return DomainError(
        _(
            "批次明细与控制数不符：控制数 %(dc)d 笔、%(da)s 元，明细 %(c)d 笔、%(a)s 元。"
            "请核查后再办理。"
        )
        % {
            "dc": batch.declared_count,
            "da": _money(batch.declared_amount),
            "c": count,
            "a": _money(amount),
        },
        code="batch_totals_mismatch",
    )


def _check_payable(batch: PaymentBatch, rows: list[PayeeRow]) -> None:
    """Raise DomainError unless the payable lines add up to the declared totals."""
    count = sum(row.lines for row in rows)
    amount = sum((row.amount for row in rows), ZERO)
    if count != batch.declared_count or amount != batch.declared_amount:
        raise _mismatch(batch, count, amount)


# ---------------------------------------------------------------------------
# Export and payment

# The file's fixed Chinese headings (a bank's import reads them, whatever the
# page language).
PAYEE_LABELS = {SubsidyType.Payee.EMPLOYER: "用人单位", SubsidyType.Payee.PERSON: "个人"}
TABLE_HEADERS = (
    "序号",
    "收款方类型",
    "收款方名称",
    "统一社会信用代码/身份证号（脱敏）",
    "明细笔数",
    "金额（元）",
)
ID_NOTE = (
    "个人收款方只列脱敏身份证号。银行代发所需的完整身份证号不在本文件中，"
    "须经授权后在系统内逐人查看核对。"
)
# A cell starting with one of these is a formula to spreadsheet programs
# (CSV injection, https://owasp.org/www-community/attacks/CSV_Injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _file_rows(batch: PaymentBatch, rows: list[PayeeRow]) -> list[list[Any]]:
    """The file's rows: the control totals, the note, the table, the totals row."""
    count = sum(row.lines for row in rows)
    amount = sum((row.amount for row in rows), ZERO)
    header: list[list[Any]] = [
        ["发放批次", f"{batch.region.name}第{batch.number}批"],
        ["行政区划代码", batch.region.code],
        ["控制笔数（明细）", batch.declared_count],
        ["控制金额（元）", batch.declared_amount],
        ["公示期", f"{batch.publicity_from.isoformat()} 至 {batch.publicity_until.isoformat()}"],
        ["说明", ID_NOTE],
        [],
        list(TABLE_HEADERS),
    ]
    body = [
        [i, PAYEE_LABELS[row.payee], row.name, row.identifier, row.lines, row.amount]
        for i, row in enumerate(rows, start=1)
    ]
    return [*header, *body, ["合计", "", "", "", count, amount]]


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, Decimal):
        return _money(value)
    return value


def _render_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_safe(value) for value in row])
    # The BOM makes Excel read the file as UTF-8 instead of the local code page.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _render_xlsx(batch: PaymentBatch, rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"第{batch.number}批"
    workbook.properties.title = f"{batch.region.name}补贴发放第{batch.number}批"
    bold = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # A name starting with "=" is text here, never a formula.
                cell.data_type = "s"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
        if row and row[0] in ("序号", "合计", "控制笔数（明细）", "控制金额（元）"):
            for cell in sheet[sheet.max_row]:
                cell.font = bold
    for column, width in zip("ABCDEF", (16, 12, 36, 34, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def batch_export(*, batch: PaymentBatch, by: User, fmt: str) -> tuple[str, bytes]:
    """
    Return (file name, content) of the approved batch's payees as XLSX or
    CSV (UTF-8 with BOM): employers with their USCC and persons with their
    masked ID number (the bank would need the full number; it is never
    exported), each with its line count and amount, a totals row, and the
    control totals at the top. The first export marks the batch exported.

    Raise DomainError before approval, for an unknown format, or when the
    rows do not add up to the declared count and amount.
    """
    if fmt not in EXPORT_FORMATS:
        raise DomainError(_("导出格式只能是XLSX或CSV。"), code="batch_export_format")
    batch = _locked(batch)
    _ensure_staff(by, batch.region.code)
    if batch.status == Status.PUBLICITY:
        raise DomainError(_("批次审批后才能导出。"), code="batch_not_approved")
    rows = batch_payee_rows(batch=batch)
    _check_payable(batch, rows)
    table = _file_rows(batch, rows)
    content = _render_xlsx(batch, table) if fmt == "xlsx" else _render_csv(table)
    first = batch.exported_at is None
    if first:
        batch.exported_at = timezone.now()
    if batch.status == Status.APPROVED:
        batch.status = Status.EXPORTED
    batch.save(update_fields=["status", "exported_at", "updated_at"])
    audit_record(
        actor=by,
        action="paymentbatch.exported",
        obj=batch,
        after={
            "format": fmt,
            "first": first,
            "count": batch.declared_count,
            "amount": _money(batch.declared_amount),
        },
    )
    return f"payment-batch-{batch.region.code}-{batch.number}.{fmt}", content


@transaction.atomic
def batch_mark_paid(*, batch: PaymentBatch, by: User, paid_on: datetime.date) -> PaymentBatch:
    """
    Record that the bank paid an exported batch on `paid_on`: every line
    becomes paid, then the batch.

    Raise DomainError unless the batch was exported, for a day in the
    future or before the export, or when the lines no longer add up to the
    declared totals.
    """
    batch = _locked(batch)
    _ensure_staff(by, batch.region.code)
    if batch.status != Status.EXPORTED:
        raise DomainError(_("批次导出后才能登记发放。"), code="batch_not_exported")
    now = timezone.now()
    today = timezone.localdate(now)
    exported_on = timezone.localdate(batch.exported_at) if batch.exported_at else today
    if paid_on > today or paid_on < exported_on:
        raise DomainError(
            _("发放日期应在导出日期（%(exported)s）与今天之间。")
            % {"exported": exported_on.isoformat()},
            code="batch_paid_on",
        )
    lines = ClaimLine.objects.select_for_update().filter(batch=batch)
    approved = list(lines.filter(status=LineStatus.APPROVED).values_list("amount", flat=True))
    if len(approved) != batch.declared_count or sum(approved, ZERO) != batch.declared_amount:
        raise _mismatch(batch, len(approved), sum(approved, ZERO))
    paid_at = (
        now
        if paid_on == today
        else timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(12)))
    )
    lines.filter(status=LineStatus.APPROVED).update(
        status=LineStatus.PAID, paid_at=paid_at, updated_at=now
    )
    batch.status, batch.paid_at = Status.PAID, paid_at
    batch.save(update_fields=["status", "paid_at", "updated_at"])
    audit_record(
        actor=by,
        action="paymentbatch.paid",
        obj=batch,
        after={
            "paid_on": paid_on.isoformat(),
            "count": batch.declared_count,
            "amount": _money(batch.declared_amount),
        },
    )
    return batch


# ---------------------------------------------------------------------------
# Recoveries

_PROPOSE_SQL = """
WITH g(policy_id, month, day, child_years) AS (
    SELECT * FROM unnest(%(policies)s::bigint[], %(months)s::date[], %(days)s::date[],
                         %(child_years)s::int[])
),
l AS (
    SELECT cl.id, cl.applicant_id, cl.employer_id, cl.subsidy_type_id, cl.month,
           cl.amount, cl.paid_at, g.day, g.child_years, p.requires_listing,
           st.payee, st.code AS type_code, a.category,
           a.evidence_withdrawn_at IS NOT NULL AS evidence_withdrawn
      FROM subsidies_claimline cl
      JOIN g ON g.policy_id = cl.policy_id AND g.month = cl.month
      JOIN subsidies_subsidypolicy p ON p.id = cl.policy_id
      JOIN subsidies_subsidytype st ON st.id = cl.subsidy_type_id
      JOIN applicants_applicant a ON a.id = cl.applicant_id
     WHERE cl.status = 'paid'
       AND cl.amount > 0
       AND (cl.paid_at IS NULL OR (cl.paid_at AT TIME ZONE %(tz)s)::date <= %(today)s)
       AND NOT EXISTS (SELECT 1 FROM subsidies_recovery r WHERE r.line_id = cl.id)
),
f AS (
    -- The facts the recoverable rules read (applicants.rules), named as the engine names them.
    SELECT l.*,
           l.payee = 'employer' AND l.employer_id IS NOT NULL AS employer_line,
           __LISTED__ AS listed,
           l.category = ANY(%(child_categories)s::varchar[]) AS needs_child,
           EXISTS (SELECT 1 FROM applicants_child k
                    WHERE k.applicant_id = l.applicant_id AND __CHILD_QUALIFIES__) AS qualifying
      FROM l
),
r AS (
    SELECT l.id, l.amount, __RECOVERABLE__ || array_remove(ARRAY[
               CASE WHEN EXISTS (
                             SELECT 1 FROM subsidies_claimline o
                               JOIN subsidies_subsidytype ot ON ot.id = o.subsidy_type_id
                              WHERE o.applicant_id = l.applicant_id
                                AND o.month = l.month
                                AND o.status = 'paid'
                                AND o.id <> l.id
                                AND (o.subsidy_type_id = l.subsidy_type_id
                                     OR (ot.code = ANY(%(same_purpose)s::varchar[])
                                         AND l.type_code = ANY(%(same_purpose)s::varchar[])))
                                -- The line paid first stands; the later one is the duplicate.
                                AND (coalesce(o.paid_at, '-infinity'), o.id)
                                    < (coalesce(l.paid_at, '-infinity'), l.id))
                    THEN 'duplicate_person_month' END
           ]::varchar[], NULL) AS reasons
      FROM f AS l
)
INSERT INTO subsidies_recovery (line_id, reasons, amount, status, note, created_at, updated_at)
SELECT r.id, r.reasons, r.amount, 'proposed', '', %(now)s, %(now)s
  FROM r
 WHERE cardinality(r.reasons) > 0
    ON CONFLICT DO NOTHING
"""
# Of the engine's rules, the ones a settled payment is checked against again; the
# withdrawal of consent is never one of them (no_qualifying_child excludes it).
RECOVERABLE_RULES = (
    RULES_BY_REASON[Reason.EMPLOYER_NOT_LISTED],
    RULES_BY_REASON[Reason.NO_QUALIFYING_CHILD],
)
_PROPOSE_SQL = (
    _PROPOSE_SQL.replace("__RECOVERABLE__", reasons_sql(RECOVERABLE_RULES, row="l"))
    .replace("__LISTED__", listed_sql("l.employer_id", "l.day"))
    .replace("__CHILD_QUALIFIES__", child_qualifies_sql("k", "l.day", "l.child_years"))
)


def recoveries_propose(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> int:
    """
    Propose a recovery (追回) of each paid line, paid on or before `today`,
    that now fails one of these checks on its policy's reference day of its
    month, and return how many were proposed. Set-based: one query for the
    policy-months involved, one for the eligibility policies, one INSERT.

    Checks covered (and only these; lines_decide does not re-decide paid
    lines): the RECOVERABLE_RULES, rendered from their one declaration in
    applicants.rules over the same facts the engine computes:
    - `employer_not_listed` (an employer delisted retroactively);
    - `no_qualifying_child` (a child's birth month corrected), under the
      eligibility policy of the line's policy region; never when she
      withdrew her consent or removed the record (a privacy action is not
      evidence); evidence verification is not re-checked;
    - `duplicate_person_month`: another paid line, paid earlier, for the
      same person and month and the same subsidy type (barred for live
      lines by the database, so a safety net), or the other social-insurance
      subsidy of SAME_PURPOSE_TYPES (stacking).
    Not covered: employment, working age, contributions, the entitlement
    clock, the claim window and the rate.

    A line that already has a recovery, in any status, is skipped: a waived
    one is not proposed again. The amount proposed is the line's amount.
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    groups = list(
        ClaimLine.objects.filter(status=LineStatus.PAID, amount__gt=0, recoveries__isnull=True)
        .order_by()
        .values_list("policy_id", "month")
        .distinct()
    )
    if not groups:
        return 0
    policies = {
        p.pk: p
        for p in SubsidyPolicy.objects.select_related("region").filter(
            pk__in={policy_id for policy_id, _ in groups}
        )
    }
    book = PolicyBook()
    params: dict[str, Any] = {"policies": [], "months": [], "days": [], "child_years": []}
    for policy_id, month in groups:
        policy = policies[policy_id]
        day = reference_day(policy, month)
        facts = book.policy_for(policy.region.code, day)
        params["policies"].append(policy_id)
        params["months"].append(month)
        params["days"].append(day)
        params["child_years"].append(
            facts.child_age_limit + (1 if facts.child_age_inclusive else 0)
        )
    params.update(
        today=today,
        now=now,
        tz=timezone.get_current_timezone_name(),
        child_categories=sorted(CHILD_CATEGORIES),
        same_purpose=list(SAME_PURPOSE_TYPES),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PROPOSE_SQL, params)
        return cursor.rowcount


# Who may move a recovery where: confirm or waive a proposal; then record the
# money back, or waive it after all.
RECOVERY_TRANSITIONS = {
    Recovery.Status.PROPOSED: (Recovery.Status.CONFIRMED, Recovery.Status.WAIVED),
    Recovery.Status.CONFIRMED: (Recovery.Status.RECOVERED, Recovery.Status.WAIVED),
}


@transaction.atomic
def recovery_decide(*, recovery: Recovery, by: User, status: str, note: str) -> Recovery:
    """
    Confirm or waive a proposed recovery, or record a confirmed one as
    recovered (or waive it), with a note that is kept.

    Raise DomainError without a note, outside the user's regions, or for a
    move that RECOVERY_TRANSITIONS does not allow.
    """
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写处理说明。"), code="recovery_note_required")
    recovery = (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("line__claim__region")
        .get(pk=recovery.pk)
    )
    _ensure_staff(by, recovery.line.claim.region.code)
    if status not in RECOVERY_TRANSITIONS.get(recovery.status, ()):
        raise DomainError(_("该追回记录不能这样处理。"), code="recovery_transition")
    before = recovery.status
    recovery.status = status
    recovery.note = note
    recovery.decided_by, recovery.decided_at = by, timezone.now()
    recovery.save(update_fields=["status", "note", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=by,
        action=f"recovery.{status}",
        obj=recovery,
        before={"status": before},
        after={"status": status, "amount": _money(recovery.amount)},
        reason=note,
    )
    return recovery


__all__ = [
    "EXPORT_FORMATS",
    "RECOVERY_TRANSITIONS",
    "batch_approve",
    "batch_create",
    "batch_export",
    "batch_mark_paid",
    "recoveries_propose",
    "recovery_decide",
]
