"""
Subsidy policies and their dated rate rows, edited by bureau admins on the
staff pages (issue 6, item 1). Every write locks the policy row, checks the
rules below, saves and records an audit event with before/after values
under the same action names the admin uses, so one history covers both.

Rules of a rate row:
- its kind decides its fields: a fixed amount (per month, per year) or a
  share of the actual contribution with a monthly cap; the others stay empty;
- it ends (valid_until, exclusive) after it starts;
- the rows of one policy (per recognition year) never overlap: checked first
  for a message that names the other row, the exclusion constraint is the
  guard against a concurrent edit;
- once a claim line was decided with it, its amount, share, cap, kind, start
  and recognition year are history: it may only be ended or have its legal
  reference corrected, and a new dated row carries the change.

Nothing here re-decides claim lines: the nightly run re-decides unpaid ones.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region

from ..models import BaseAward, ClaimLine, RateRow, SubsidyPolicy, SubsidyType

if TYPE_CHECKING:
    from mamagang.accounts.models import User

# The type whose rate rows carry a recognition year (认定年度): the caps of the
# first and later years of an employment base.
BASE_AWARD_TYPE = SubsidyType.BASE_AWARD
OVERLAP_CONSTRAINT = "raterow_no_overlap"

# Snapshot fields of the audit events (the same names the admin records).
POLICY_FIELDS = [
    "region",
    "subsidy_type",
    "legal_reference",
    "reference_day",
    "max_months",
    "retirement_extension_years",
    "claim_window_months",
    "requires_listing",
    "requires_declaration",
    "requires_labour_contract",
    "min_contract_months",
    "requires_contribution",
    "second_approval_above",
    "publicity_days",
    "auto_generate",
    "active",
]
# Region and type are fixed once a policy exists: claim lines point at it.
POLICY_EDITABLE_FIELDS = [f for f in POLICY_FIELDS if f not in ("region", "subsidy_type")]
RATE_FIELDS = [
    "policy",
    "valid_from",
    "valid_until",
    "kind",
    "amount",
    "share",
    "cap",
    "recognition_year",
    "legal_reference",
]
RATE_EDITABLE_FIELDS = [f for f in RATE_FIELDS if f != "policy"]
# What a decided line relied on; only valid_until and legal_reference stay open.
RATE_PROTECTED_FIELDS = ["kind", "valid_from", "amount", "share", "cap", "recognition_year"]


# ---------------------------------------------------------------------------
# Checks shared with the forms


def uses_recognition_year(policy: SubsidyPolicy) -> bool:
    """Return True if `policy`'s rate rows carry a recognition year (base awards)."""
    return policy.subsidy_type.code == BASE_AWARD_TYPE


def policy_region_levels(subsidy_type: SubsidyType) -> tuple[str, ...]:
    """
    Return the region levels a policy of `subsidy_type` may belong to: a
    city or district, and for employment-base awards also a province (the
    province recognises bases too).
    """
    if subsidy_type.code == BASE_AWARD_TYPE:
        return (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT)
    return (Region.Level.CITY, Region.Level.DISTRICT)


def policy_region_message(subsidy_type: SubsidyType) -> str:
    if subsidy_type.code == BASE_AWARD_TYPE:
        return _("就业基地奖补政策只能属于省、地市或区县。")
    return _("这种补贴的政策只能属于地市或区县；省级只能设置就业基地奖补政策。")


def rate_row_field_errors(
    *,
    policy: SubsidyPolicy,
    kind: str | None,
    valid_from: datetime.date | None,
    valid_until: datetime.date | None,
    amount: Decimal | None,
    share: Decimal | None,
    cap: Decimal | None,
    recognition_year: int | None,
) -> dict[str, str]:
    """
    Return {field: message} for the rules of one rate row taken alone: the
    fields its kind needs and forbids, its dates and its recognition year.
    An empty dict means the row is fine on its own.
    """
    errors: dict[str, str] = {}
    if kind == RateRow.Kind.CONTRIBUTION_SHARE:
        if share is None or not (0 < share <= 1):
            errors["share"] = _("按实际缴费比例计算时，须填写大于0且不超过1的比例（如0.5即50%）。")
        # The database (raterow_kind_fields) requires a cap for a share.
        if cap is None or cap <= 0:
            errors["cap"] = _("按实际缴费比例计算时，须填写大于0的每月上限。")
        if amount is not None:
            errors["amount"] = _("按实际缴费比例计算时不填固定金额，请清空。")
    elif kind in (RateRow.Kind.PER_MONTH, RateRow.Kind.PER_YEAR):
        if amount is None or amount <= 0:
            errors["amount"] = _("固定金额的标准须填写大于0的金额。")
        if share is not None:
            errors["share"] = _("固定金额的标准不填比例，请清空。")
        if cap is not None:
            errors["cap"] = _("固定金额的标准不填每月上限，请清空。")
    if valid_from and valid_until and valid_until <= valid_from:
        errors["valid_until"] = _("失效日期须晚于生效日期。")
    if uses_recognition_year(policy):
        if recognition_year is not None and recognition_year < 1:
            errors["recognition_year"] = _("认定年度从1开始：1表示认定后第一年。")
    elif recognition_year is not None:
        errors["recognition_year"] = _("认定年度只用于就业基地奖补，请清空。")
    return errors


def rate_row_describe(row: RateRow) -> str:
    """Name a rate row for messages: "2025年1月1日起（第1年）的标准"."""
    text = _("%(y)s年%(m)s月%(d)s日起") % {
        "y": row.valid_from.year,
        "m": row.valid_from.month,
        "d": row.valid_from.day,
    }
    if row.valid_until:
        until = row.valid_until
        text += _("、%(y)s年%(m)s月%(d)s日失效") % {
            "y": until.year,
            "m": until.month,
            "d": until.day,
        }
    if row.recognition_year:
        text += _("（认定第%(n)s年）") % {"n": row.recognition_year}
    return _("%(dates)s的标准") % {"dates": text}


def rate_row_find_overlap(
    *,
    policy: SubsidyPolicy,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    recognition_year: int | None,
    exclude_pk: int | None = None,
) -> RateRow | None:
    """
    Return the first row of `policy` whose dates overlap [valid_from,
    valid_until) for the same recognition year (none counts as one), or None.
    """
    # Mirrors the constraint's Coalesce(recognition_year, 0); `= None` is IS NULL.
    rows = RateRow.objects.filter(policy=policy, recognition_year=recognition_year)
    rows = rows.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from))
    if valid_until is not None:
        rows = rows.filter(valid_from__lt=valid_until)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("valid_from", "pk").first()


def rate_row_use_count(*, row: RateRow) -> int:
    """
    Return how many claim lines (now or in an earlier decision) and
    employment-base awards were decided with `row`.
    """
    lines = (
        ClaimLine.objects.filter(Q(rate_row=row) | Q(decisions__rate_row=row))
        .values("pk")
        .distinct()
        .count()
    )
    return lines + BaseAward.objects.filter(rate_row=row).count()


def _overlap_error(other: RateRow | None) -> DomainError:
    if other is None:
        message = _(
            "与本政策已有的标准有效期重叠（可能有人刚刚修改了标准），没有保存。请刷新页面后重试。"
        )
    else:
        message = _(
            "有效期与%(row)s重叠，没有保存。同一政策的标准有效期不能重叠："
            "请先设置那一条的失效日期，或调整本条的日期。"
        ) % {"row": rate_row_describe(other)}
    return DomainError(message, code="rate_row_overlaps")


def _is_overlap_error(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT or (
        OVERLAP_CONSTRAINT in str(exc)
    )


def _assert_may_edit(actor: User, policy: SubsidyPolicy) -> None:
    # Defense in depth: the pages already scope by region (404 outside).
    if not user_may_act_on_region(user=actor, region_code=policy.region.code):
        raise DomainError(_("您只能修改本辖区的补贴政策。"), code="policy_out_of_scope")


def _lock_policy(policy: SubsidyPolicy) -> SubsidyPolicy:
    # Rate edits of one policy take turns, so the overlap pre-check holds.
    return (
        SubsidyPolicy.objects.select_for_update(of=("self",))
        .select_related("region", "subsidy_type")
        .get(pk=policy.pk)
    )


# ---------------------------------------------------------------------------
# Policies


@transaction.atomic
def subsidy_policy_create(
    *,
    created_by: User,
    region: Region,
    subsidy_type: SubsidyType,
    reason: str = "",
    **fields: Any,
) -> SubsidyPolicy:
    """
    Create the policy of `subsidy_type` in `region` (a city or district in
    `created_by`'s regions) with `fields` (see POLICY_EDITABLE_FIELDS).

    Raise DomainError outside her regions, ValidationError for a region of
    the wrong level (policy_region_levels), a second policy of the type in
    the region or invalid fields. Rate rows are added separately (rate_row_create).
    """
    unknown = set(fields) - set(POLICY_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown policy fields: {sorted(unknown)}")
    policy = SubsidyPolicy(region=region, subsidy_type=subsidy_type, **fields)
    _assert_may_edit(created_by, policy)
    if region.level not in policy_region_levels(subsidy_type):
        raise ValidationError({"region": policy_region_message(subsidy_type)})
    if SubsidyPolicy.objects.filter(region=region, subsidy_type=subsidy_type).exists():
        raise ValidationError(
            {
                "subsidy_type": _("%(region)s已有“%(type)s”政策，请在政策列表中打开它修改。")
                % {"region": region.name, "type": subsidy_type.name}
            }
        )
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        # Two admins creating the same policy at once: the unique constraint decides.
        if "subsidypolicy_one_per_region_type" not in str(exc):
            raise
        raise ValidationError(
            {
                "subsidy_type": _("%(region)s已有“%(type)s”政策，请在政策列表中打开它修改。")
                % {"region": region.name, "type": subsidy_type.name}
            }
        ) from exc
    audit_record(
        actor=created_by,
        action="subsidy_policy.created",
        obj=policy,
        after=snapshot(policy, POLICY_FIELDS),
        reason=reason,
    )
    return policy


@transaction.atomic
def subsidy_policy_update(
    *, policy: SubsidyPolicy, changed_by: User, reason: str = "", **fields: Any
) -> SubsidyPolicy:
    """
    Change `fields` of `policy` (any of POLICY_EDITABLE_FIELDS; region and
    type stay) and audit the change. Changing nothing writes nothing.

    Raise DomainError outside `changed_by`'s regions and ValidationError for
    invalid values. Claim lines are not re-decided here.
    """
    unknown = set(fields) - set(POLICY_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown or fixed policy fields: {sorted(unknown)}")
    policy = _lock_policy(policy)
    _assert_may_edit(changed_by, policy)
    before = snapshot(policy, POLICY_FIELDS)
    changed = [name for name, value in fields.items() if getattr(policy, name) != value]
    if not changed:
        return policy
    for name in changed:
        setattr(policy, name, fields[name])
    policy.full_clean()
    policy.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=changed_by,
        action="subsidy_policy.changed",
        obj=policy,
        before=before,
        after=snapshot(policy, POLICY_FIELDS),
        reason=reason,
    )
    return policy


# ---------------------------------------------------------------------------
# Rate rows


def _check_rate_row(policy: SubsidyPolicy, row: RateRow) -> None:
    errors = rate_row_field_errors(
        policy=policy,
        kind=row.kind,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        amount=row.amount,
        share=row.share,
        cap=row.cap,
        recognition_year=row.recognition_year,
    )
    if errors:
        raise ValidationError(errors)
    other = rate_row_find_overlap(
        policy=policy,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        recognition_year=row.recognition_year,
        exclude_pk=row.pk,
    )
    if other is not None:
        raise _overlap_error(other)
    row.full_clean()


def _save_rate_row(row: RateRow, **kwargs: Any) -> None:
    """Save `row`; the exclusion constraint guards against a concurrent overlap."""
    try:
        with transaction.atomic():
            row.save(**kwargs)
    except IntegrityError as exc:
        if not _is_overlap_error(exc):
            raise
        other = rate_row_find_overlap(
            policy=row.policy,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            recognition_year=row.recognition_year,
            exclude_pk=row.pk,
        )
        raise _overlap_error(other) from exc


@transaction.atomic
def rate_row_create(
    *,
    policy: SubsidyPolicy,
    created_by: User,
    valid_from: datetime.date,
    kind: str,
    valid_until: datetime.date | None = None,
    amount: Decimal | None = None,
    share: Decimal | None = None,
    cap: Decimal | None = None,
    recognition_year: int | None = None,
    legal_reference: str = "",
    reason: str = "",
) -> RateRow:
    """
    Add a dated rate row to `policy` and audit it.

    Raise ValidationError for fields that break the row's own rules (see
    rate_row_field_errors), DomainError (code "rate_row_overlaps") when its
    dates overlap another row of the policy, naming that row, and
    DomainError outside `created_by`'s regions.
    """
    policy = _lock_policy(policy)
    _assert_may_edit(created_by, policy)
    row = RateRow(
        policy=policy,
        valid_from=valid_from,
        valid_until=valid_until,
        kind=kind,
        amount=amount,
        share=share,
        cap=cap,
        recognition_year=recognition_year,
        legal_reference=legal_reference,
    )
    _check_rate_row(policy, row)
    _save_rate_row(row)
    audit_record(
        actor=created_by,
        action="rate_row.created",
        obj=row,
        after=snapshot(row, RATE_FIELDS),
        reason=reason,
    )
    return row


@transaction.atomic
def rate_row_update(*, row: RateRow, changed_by: User, reason: str = "", **fields: Any) -> RateRow:
    """
    Change `fields` of `row` (any of RATE_EDITABLE_FIELDS) and audit it.
    Changing nothing writes nothing.

    Raise DomainError (code "rate_row_in_use") when a claim line or a base
    award was decided with the row and a field other than valid_until or legal_reference
    changes: its history must stay as decided, so a new dated row carries
    the change. Otherwise as rate_row_create.
    """
    unknown = set(fields) - set(RATE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown or fixed rate row fields: {sorted(unknown)}")
    policy = _lock_policy(row.policy)
    _assert_may_edit(changed_by, policy)
    row = RateRow.objects.select_for_update().get(pk=row.pk, policy=policy)
    row.policy = policy
    before = snapshot(row, RATE_FIELDS)
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    if not changed:
        return row
    protected = [name for name in changed if name in RATE_PROTECTED_FIELDS]
    if protected:
        used = rate_row_use_count(row=row)
        if used:
            raise DomainError(
                _(
                    "这条标准已用于 %(n)s 条补贴明细或基地奖补的判定，"
                    "不能再修改计算方式、金额、比例、上限、生效日期或认定年度，"
                    "只能设置失效日期或更正依据。"
                    "标准调整时，请设置本条的失效日期，再新增一条有日期的新标准。"
                )
                % {"n": used},
                code="rate_row_in_use",
            )
    for name in changed:
        setattr(row, name, fields[name])
    _check_rate_row(policy, row)
    _save_rate_row(row, update_fields=[*changed, "updated_at"])
    audit_record(
        actor=changed_by,
        action="rate_row.changed",
        obj=row,
        before=before,
        after=snapshot(row, RATE_FIELDS),
        reason=reason,
    )
    return row
