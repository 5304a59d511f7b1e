"""
Employment bases (妈妈岗就业基地) and their awards (DOMAIN.md §2.6).

A city or the province recognises a listed employer as a base for one year;
a renewal that starts the day the last year ends is the next year of
recognition, a later one starts again at year 1. Each year's awards are
capped by the rate row of the recognising region's employment-base-award
policy for that year of recognition (Zhuhai: 200,000 CNY in year 1, 100,000
in year 2), in force on the first day of that year. Amounts count against
the cap from the moment they are proposed; whoever proposed an award cannot
approve it. Every change is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import Employer, ListingPeriod
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from ..engine import add_months
from ..models import BaseAward, EmploymentBase, RateRow, SubsidyPolicy, SubsidyType
from ..money import amount_text

if TYPE_CHECKING:
    from mamagang.accounts.models import User

BASE_AWARD = SubsidyType.BASE_AWARD
BASE_FIELDS = [
    "employer",
    "region",
    "level",
    "year",
    "name",
    "document_number",
    "valid_from",
    "valid_until",
    "status",
    "revoked_reason",
]
AWARD_FIELDS = ["base", "amount", "cap", "basis", "status", "decision_note", "paid_at"]


@dataclass(frozen=True)
class AwardCap:
    """The cap of a base's year of recognition and how much of it is taken."""

    policy: SubsidyPolicy
    rate_row: RateRow
    cap: Decimal
    used: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.cap - self.used, Decimal("0.00"))


def _level_for(region: Region) -> str:
    if region.level == Region.Level.PROVINCE:
        return EmploymentBase.Level.PROVINCE
    if region.level == Region.Level.CITY:
        return EmploymentBase.Level.CITY
    raise DomainError(_("就业基地由市或省认定，请选择市或省。"), code="base_region_level")


def _employer_in_region(employer: Employer, region: Region) -> bool:
    return employer.district.code.startswith(region_code_prefix(region))


@transaction.atomic
def base_recognise(
    *,
    employer: Employer,
    region: Region,
    valid_from: datetime.date,
    document_number: str,
    by: User,
    name: str = "",
) -> EmploymentBase:
    """
    Record that `region` (a city or the province) recognised `employer` as
    a 妈妈岗 employment base for the year from `valid_from`.
    """
    level = _level_for(region)
    if not user_may_act_on_region(user=by, region_code=region.code):
        raise DomainError(
            _("您的工作范围不包括{region}，不能以其名义认定就业基地。").format(region=region.name),
            code="base_out_of_scope",
        )
    if not _employer_in_region(employer, region):
        raise DomainError(
            _("{employer}不在{region}辖区内。").format(employer=employer.name, region=region.name),
            code="base_employer_outside_region",
        )
    document_number = document_number.strip()
    if not document_number:
        raise DomainError(_("请填写认定文号。"), code="base_document_required")
    listed = ListingPeriod.objects.filter(
        Q(listed_until__isnull=True) | Q(listed_until__gt=valid_from),
        employer=employer,
        listed_from__lte=valid_from,
    ).exists()
    if not listed:
        raise DomainError(
            _("{employer}在{day}不在妈妈岗用人单位名录中，不能认定为就业基地。").format(
                employer=employer.name, day=valid_from.isoformat()
            ),
            code="base_employer_not_listed",
        )
    # Lock the employer's earlier recognitions by this region to number the year.
    earlier = list(
        EmploymentBase.objects.select_for_update()
        .filter(employer=employer, region=region, status=EmploymentBase.Status.ACTIVE)
        .order_by("-valid_from")
    )
    previous = earlier[0] if earlier else None
    year = previous.year + 1 if previous and previous.valid_until == valid_from else 1
    base = EmploymentBase(
        employer=employer,
        region=region,
        level=level,
        year=year,
        name=name.strip() or _("{employer}妈妈岗就业基地").format(employer=employer.name),
        document_number=document_number,
        valid_from=valid_from,
        valid_until=add_months(valid_from, 12),
        recognised_by=by,
    )
    try:
        with transaction.atomic():
            base.save()
    except IntegrityError as exc:
        if "employmentbase_no_overlap" not in str(exc):
            raise
        raise DomainError(
            _("{employer}在这一年已是{region}认定的就业基地，认定期不能重叠。").format(
                employer=employer.name, region=region.name
            ),
            code="base_overlap",
        ) from exc
    audit_record(
        actor=by, action="employment_base.recognised", obj=base, after=snapshot(base, BASE_FIELDS)
    )
    return base


@transaction.atomic
def base_revoke(*, base: EmploymentBase, reason: str, by: User) -> EmploymentBase:
    """Revoke a recognition (with a reason); its proposed awards can no longer be approved."""
    base = EmploymentBase.objects.select_for_update().get(pk=base.pk)
    if base.status != EmploymentBase.Status.ACTIVE:
        raise DomainError(_("该认定已撤销。"), code="base_not_active")
    if not reason.strip():
        raise DomainError(_("请填写撤销原因。"), code="base_reason_required")
    before = snapshot(base, BASE_FIELDS)
    base.status = EmploymentBase.Status.REVOKED
    base.revoked_reason = reason.strip()
    base.revoked_at = timezone.now()
    base.save(update_fields=["status", "revoked_reason", "revoked_at", "updated_at"])
    audit_record(
        actor=by,
        action="employment_base.revoked",
        obj=base,
        before=before,
        after=snapshot(base, BASE_FIELDS),
        reason=base.revoked_reason,
    )
    return base


def base_award_cap(*, base: EmploymentBase) -> AwardCap:
    """
    The cap of `base`'s year of recognition: the recognising region's active
    employment-base-award policy, its rate row for that year in force on the
    first day of the year (a row without a year applies to every year).
    """
    policy = (
        SubsidyPolicy.objects.select_related("subsidy_type")
        .filter(region_id=base.region_id, subsidy_type__code=BASE_AWARD, active=True)
        .first()
    )
    if policy is None:
        raise DomainError(
            _("认定地区没有启用的就业基地奖补政策，不能核定奖补。"), code="no_base_policy"
        )
    rate = (
        policy.rates.filter(
            Q(recognition_year=base.year) | Q(recognition_year__isnull=True),
            Q(valid_until__isnull=True) | Q(valid_until__gt=base.valid_from),
            valid_from__lte=base.valid_from,
        )
        .order_by("recognition_year")  # a row for the year wins over a general one
        .first()
    )
    if rate is None or rate.amount is None:
        raise DomainError(
            _("第{year}年认定在{day}没有适用的奖补标准，不能核定奖补。").format(
                year=base.year, day=base.valid_from.isoformat()
            ),
            code="no_rate_in_force",
        )
    used = base.awards.exclude(status=BaseAward.Status.REJECTED).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0.00")
    return AwardCap(policy=policy, rate_row=rate, cap=rate.amount, used=used)


@transaction.atomic
def base_award_propose(*, base: EmploymentBase, amount: Decimal, basis: str, by: User) -> BaseAward:
    """Propose an award for `base`'s year; refused when it would pass the year's cap."""
    base = EmploymentBase.objects.select_for_update().get(pk=base.pk)
    if base.status != EmploymentBase.Status.ACTIVE:
        raise DomainError(_("该基地认定已撤销，不能核定奖补。"), code="base_not_active")
    if amount is None or amount <= 0:
        raise DomainError(_("奖补金额须大于0。"), code="award_amount")
    if not basis.strip():
        raise DomainError(_("请写明核定依据（如吸纳妈妈就业人数、带动情况）。"), code="award_basis")
    cap = base_award_cap(base=base)
    if amount > cap.remaining:
        raise DomainError(
            _(
                "第{year}年认定的奖补最高{cap}元，已核定（含待审批）{used}元，"
                "本次最多{remaining}元。"
            ).format(
                year=base.year,
                cap=amount_text(cap.cap),
                used=amount_text(cap.used),
                remaining=amount_text(cap.remaining),
            ),
            code="award_over_cap",
        )
    award = BaseAward.objects.create(
        base=base,
        policy=cap.policy,
        rate_row=cap.rate_row,
        cap=cap.cap,
        amount=amount,
        basis=basis.strip(),
        proposed_by=by,
    )
    audit_record(
        actor=by, action="base_award.proposed", obj=award, after=snapshot(award, AWARD_FIELDS)
    )
    return award


@transaction.atomic
def base_award_decide(*, award: BaseAward, approve: bool, note: str, by: User) -> BaseAward:
    """Approve or reject a proposed award; the proposer may not decide it."""
    base = EmploymentBase.objects.select_for_update().get(pk=award.base_id)
    award = BaseAward.objects.select_for_update().get(pk=award.pk)
    if award.status != BaseAward.Status.PROPOSED:
        raise DomainError(_("该奖补已审批。"), code="award_not_proposed")
    if award.proposed_by_id == by.pk:
        raise DomainError(
            _("提出奖补的人不能审批同一笔奖补，请由另一位工作人员审批。"), code="four_eyes"
        )
    if approve and base.status != EmploymentBase.Status.ACTIVE:
        raise DomainError(_("该基地认定已撤销，只能不予批准。"), code="base_not_active")
    if not approve and not note.strip():
        raise DomainError(_("不予批准时请写明原因。"), code="award_note_required")
    before = snapshot(award, AWARD_FIELDS)
    award.status = BaseAward.Status.APPROVED if approve else BaseAward.Status.REJECTED
    award.decided_by = by
    award.decided_at = timezone.now()
    award.decision_note = note.strip()
    award.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_record(
        actor=by,
        action="base_award.approved" if approve else "base_award.rejected",
        obj=award,
        before=before,
        after=snapshot(award, AWARD_FIELDS),
        reason=award.decision_note,
    )
    return award


@transaction.atomic
def base_award_mark_paid(*, award: BaseAward, by: User) -> BaseAward:
    """Record that an approved award was paid."""
    award = BaseAward.objects.select_for_update().get(pk=award.pk)
    if award.status != BaseAward.Status.APPROVED:
        raise DomainError(_("只有已批准的奖补可以登记发放。"), code="award_not_approved")
    before = snapshot(award, AWARD_FIELDS)
    award.status = BaseAward.Status.PAID
    award.paid_at = timezone.now()
    award.paid_by = by
    award.save(update_fields=["status", "paid_at", "paid_by", "updated_at"])
    audit_record(
        actor=by,
        action="base_award.paid",
        obj=award,
        before=before,
        after=snapshot(award, AWARD_FIELDS),
    )
    return award
