"""
Eligibility policies (资格政策: who counts in a region from a date), edited
by bureau admins on the staff pages (issue 13). Every write checks the rules
below, saves and records an audit event with before/after values under the
action names the admin uses, so one history covers both.

Rules of a policy row:
- its region is a province, city or district in the actor's regions;
- the child age limit lies between 1 and 18 years;
- it admits at least one category of person (Applicant.Category);
- a region has at most one row per start date: checked first for a message
  that names the other row, the unique constraint is the guard against a
  concurrent create.

A row that has already started may still be corrected (the change is
audited). Nothing here re-checks applicants or re-decides claim lines: the
daily re-check and the nightly run read the rows as they are then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region

from ..models import Applicant, EligibilityPolicy

if TYPE_CHECKING:
    from mamagang.accounts.models import User

UNIQUE_CONSTRAINT = "eligibilitypolicy_unique"
CHILD_AGE_MIN, CHILD_AGE_MAX = 1, 18
# A policy belongs to a province, a city or a district (applicants.selectors.PolicyBook
# looks them up in this order, the district first).
POLICY_REGION_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT)

# Snapshot fields of the audit events (the same names the admin records).
POLICY_FIELDS = [
    "region",
    "valid_from",
    "child_age_limit",
    "child_age_inclusive",
    "admitted_categories",
    "require_verified_evidence",
    "legal_reference",
]
# The region is fixed once a row exists: decision records name the row it decided with.
POLICY_EDITABLE_FIELDS = [f for f in POLICY_FIELDS if f != "region"]


def _day(day: datetime.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def eligibility_policy_snapshot(policy: EligibilityPolicy) -> dict[str, Any]:
    """`policy`'s fields for an audit event, the categories as a list."""
    data = snapshot(policy, POLICY_FIELDS)
    data["admitted_categories"] = list(policy.admitted_categories or [])
    return data


def eligibility_policy_field_errors(
    *, child_age_limit: int | None, admitted_categories: Iterable[str] | None
) -> dict[str, str]:
    """
    Return {field: message} for the rules of one row taken alone: the age
    limit and the admitted categories. An empty dict means they are fine.
    """
    errors: dict[str, str] = {}
    if child_age_limit is None or not (CHILD_AGE_MIN <= child_age_limit <= CHILD_AGE_MAX):
        errors["child_age_limit"] = _("子女年龄上限须在%(min)s到%(max)s周岁之间。") % {
            "min": CHILD_AGE_MIN,
            "max": CHILD_AGE_MAX,
        }
    categories = list(admitted_categories or [])
    if not categories:
        errors["admitted_categories"] = _("请至少选择一类适用人员。")
    elif set(categories) - set(Applicant.Category.values):
        errors["admitted_categories"] = _("请从列出的人员类别中选择。")
    return errors


def _categories_in_order(categories: Iterable[str]) -> list[str]:
    # Stored in the order of Applicant.Category, each once, so equal choices compare equal.
    chosen = set(categories)
    return [value for value in Applicant.Category.values if value in chosen]


def eligibility_policy_find_duplicate(
    *, region: Region, valid_from: datetime.date, exclude_pk: int | None = None
) -> EligibilityPolicy | None:
    """Return the row of `region` starting on `valid_from` (other than `exclude_pk`), or None."""
    rows = EligibilityPolicy.objects.filter(region=region, valid_from=valid_from)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.first()


def _duplicate_error(region: Region, valid_from: datetime.date, other: Any) -> DomainError:
    if other is None:
        message = _(
            "%(region)s已有一条%(day)s起生效的资格政策（可能有人刚刚新建），没有保存。"
            "请刷新政策列表后重试。"
        ) % {"region": region.name, "day": _day(valid_from)}
    else:
        reference = other.legal_reference or _("未填写政策依据")
        message = _(
            "%(region)s已有一条%(day)s起生效的资格政策（编号 %(pk)s，%(reference)s），"
            "没有保存。同一地区同一生效日期只能有一条资格政策：请在列表中打开那一条修改，"
            "或另选生效日期。"
        ) % {"region": region.name, "day": _day(valid_from), "pk": other.pk, "reference": reference}
    return DomainError(message, code="eligibility_policy_duplicate")


def _is_duplicate_error(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == UNIQUE_CONSTRAINT or (
        UNIQUE_CONSTRAINT in str(exc)
    )


def _assert_may_edit(actor: User, region: Region) -> None:
    # Defense in depth: the pages already scope by region (404 outside).
    if not user_may_act_on_region(user=actor, region_code=region.code):
        raise DomainError(
            _("您只能新建或修改本辖区的资格政策。"), code="eligibility_policy_out_of_scope"
        )


def _check(policy: EligibilityPolicy) -> None:
    """Check `policy` as it is about to be saved (raise ValidationError or DomainError)."""
    if policy.region.level not in POLICY_REGION_LEVELS:
        raise ValidationError({"region": _("资格政策只能属于省、地市或区县。")})
    errors = eligibility_policy_field_errors(
        child_age_limit=policy.child_age_limit, admitted_categories=policy.admitted_categories
    )
    if errors:
        raise ValidationError(errors)
    if policy.valid_from is None:
        raise ValidationError({"valid_from": _("请填写生效日期。")})
    other = eligibility_policy_find_duplicate(
        region=policy.region, valid_from=policy.valid_from, exclude_pk=policy.pk
    )
    if other is not None:
        raise _duplicate_error(policy.region, policy.valid_from, other)
    policy.full_clean()


def _save(policy: EligibilityPolicy, **kwargs: Any) -> None:
    """Save `policy`; the unique constraint guards against a concurrent row of the same day."""
    try:
        with transaction.atomic():
            policy.save(**kwargs)
    except IntegrityError as exc:
        if not _is_duplicate_error(exc):
            raise
        other = eligibility_policy_find_duplicate(
            region=policy.region, valid_from=policy.valid_from, exclude_pk=policy.pk
        )
        raise _duplicate_error(policy.region, policy.valid_from, other) from exc


@transaction.atomic
def eligibility_policy_create(
    *,
    created_by: User,
    region: Region,
    valid_from: datetime.date,
    child_age_limit: int,
    child_age_inclusive: bool,
    admitted_categories: Iterable[str],
    require_verified_evidence: bool,
    legal_reference: str = "",
    reason: str = "",
) -> EligibilityPolicy:
    """
    Create the eligibility policy of `region` from `valid_from` and audit it.

    Raise DomainError outside `created_by`'s regions or when the region has a
    row of the same day already (the message names it), ValidationError for
    a region of the wrong level, an age limit outside 1–18 or no category.
    """
    policy = EligibilityPolicy(
        region=region,
        valid_from=valid_from,
        child_age_limit=child_age_limit,
        child_age_inclusive=child_age_inclusive,
        admitted_categories=_categories_in_order(admitted_categories),
        require_verified_evidence=require_verified_evidence,
        legal_reference=legal_reference,
        created_by=created_by,
    )
    _assert_may_edit(created_by, region)
    _check(policy)
    _save(policy)
    audit_record(
        actor=created_by,
        action="eligibility_policy.created",
        obj=policy,
        after=eligibility_policy_snapshot(policy),
        reason=reason,
    )
    return policy


def _current(policy: EligibilityPolicy, name: str) -> Any:
    value = getattr(policy, name)
    # A row entered in the admin may hold its categories in another order.
    return _categories_in_order(value) if name == "admitted_categories" else value


@transaction.atomic
def eligibility_policy_update(
    *, policy: EligibilityPolicy, changed_by: User, reason: str = "", **fields: Any
) -> EligibilityPolicy:
    """
    Change `fields` of `policy` (any of POLICY_EDITABLE_FIELDS; the region
    stays) and audit the change with before/after. Changing nothing writes
    nothing. A row already in force may be changed too.

    Raise DomainError outside `changed_by`'s regions or when the new start
    date is taken by another row of the region, ValidationError for invalid
    values.
    """
    unknown = set(fields) - set(POLICY_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown or fixed eligibility policy fields: {sorted(unknown)}")
    if "admitted_categories" in fields:
        fields["admitted_categories"] = _categories_in_order(fields["admitted_categories"])
    policy = (
        EligibilityPolicy.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=policy.pk)
    )
    _assert_may_edit(changed_by, policy.region)
    before = eligibility_policy_snapshot(policy)
    changed = [name for name, value in fields.items() if _current(policy, name) != value]
    if not changed:
        return policy
    for name in changed:
        setattr(policy, name, fields[name])
    _check(policy)
    _save(policy, update_fields=[*changed, "updated_at"])
    audit_record(
        actor=changed_by,
        action="eligibility_policy.changed",
        obj=policy,
        before=before,
        after=eligibility_policy_snapshot(policy),
        reason=reason,
    )
    return policy
