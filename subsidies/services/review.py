"""
Staff review of claim lines: approve (maker-checker: not whoever submitted
the claim, not a member of the employer; above the policy's threshold a
second, different approver), reject with a reason, or re-decide after new
evidence. Staff act only on lines of their regions.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError

from ..engine import lines_decide
from ..models import ClaimLine


def _locked(line: ClaimLine) -> ClaimLine:
    return (
        ClaimLine.objects.select_for_update(of=("self",))
        .select_related("claim", "policy__region", "policy__subsidy_type", "employer")
        .get(pk=line.pk)
    )


def _ensure_reviewer(user: User, line: ClaimLine) -> None:
    if not user.has_perm("subsidies.review_claimline"):
        raise DomainError(_("您没有审核补贴的权限。"), code="review_no_permission")
    if not user_may_act_on_region(user=user, region_code=line.claim.region.code):
        raise DomainError(_("该申报不在您的辖区内。"), code="review_out_of_scope")
    if line.claim.submitted_by_id == user.pk:
        raise DomainError(_("不能审核自己提交的申报。"), code="review_own_claim")
    if line.employer_id and line.employer.memberships.filter(user=user).exists():
        raise DomainError(_("不能审核本人所在单位的申报。"), code="review_own_employer")


@transaction.atomic
def line_approve(
    *, line: ClaimLine, by: User, note: str = "", now: datetime.datetime | None = None
) -> ClaimLine:
    """
    Approve an eligible line. Above the policy's threshold the first
    approval is recorded and a second, different reviewer completes it.
    """
    now = now or timezone.now()
    line = _locked(line)
    _ensure_reviewer(by, line)
    if line.status != ClaimLine.Status.OPEN:
        raise DomainError(_("该明细已处理。"), code="review_not_open")
    if line.decision != ClaimLine.Decision.ELIGIBLE or line.amount is None:
        raise DomainError(
            _("只有判定为“符合”的明细可以审核通过；请先核实材料并重新判定。"),
            code="review_not_eligible",
        )
    threshold = line.policy.second_approval_above
    needs_second = threshold is not None and line.amount > threshold
    if needs_second and line.approved_by_id is None:
        line.approved_by, line.approved_at = by, now
        line.save(update_fields=["approved_by", "approved_at", "updated_at"])
        audit_record(actor=by, action="claimline.first_approval", obj=line, reason=note)
        return line
    if needs_second:
        if line.approved_by_id == by.pk:
            raise DomainError(
                _("金额超过二次审批标准，须由另一名工作人员复核。"), code="review_same_person"
            )
        line.second_approved_by = by
    else:
        line.approved_by, line.approved_at = by, now
    line.status = ClaimLine.Status.APPROVED
    line.status_reason = note
    line.save(
        update_fields=[
            "status",
            "status_reason",
            "approved_by",
            "approved_at",
            "second_approved_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="claimline.approved",
        obj=line,
        after={"amount": str(line.amount)},
        reason=note,
    )
    return line


@transaction.atomic
def line_reject(*, line: ClaimLine, by: User, reason: str) -> ClaimLine:
    """Reject a line with a reason the claimant sees; the person-month becomes free again."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写驳回原因。"), code="review_reason_required")
    line = _locked(line)
    _ensure_reviewer(by, line)
    if line.status not in (ClaimLine.Status.OPEN, ClaimLine.Status.APPROVED):
        raise DomainError(_("该明细已处理。"), code="review_not_open")
    before = line.status
    line.status = ClaimLine.Status.REJECTED
    line.status_reason = reason
    line.approved_by = line.second_approved_by = None
    line.approved_at = None
    line.save(
        update_fields=[
            "status",
            "status_reason",
            "approved_by",
            "approved_at",
            "second_approved_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="claimline.rejected",
        obj=line,
        before={"status": before},
        after={"status": "rejected"},
        reason=reason,
    )
    return line


@transaction.atomic
def line_redecide(*, line: ClaimLine, by: User) -> ClaimLine:
    """Decide one line again now (after a child's evidence was verified, say)."""
    line = _locked(line)
    if not user_may_act_on_region(user=by, region_code=line.claim.region.code):
        raise DomainError(_("该申报不在您的辖区内。"), code="review_out_of_scope")
    lines_decide(policy=line.policy, month=line.month, first_id=line.pk, last_id=line.pk)
    line.refresh_from_db()
    return line
