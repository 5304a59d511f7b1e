"""
Serializers of the claimant APIs (`apis_claims.py`): claims with their
counts and lines, each line with its decision and reasons as {code, label}.
People appear masked (name and masked ID number); no serializer here
carries a birth date, a full ID number or anything about children.

Codes (decision, status, subsidy type) are plain strings documented in
their help text, not enums, so the schema has no clashing enum components.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Claim, ClaimLine
from .reasons import reason_explanations
from .selectors_claims import claim_counts

Decision = ClaimLine.Decision
Status = ClaimLine.Status
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _codes(values: list[str]) -> str:
    return ", ".join(values)


class MonthField(serializers.CharField):
    """A month as "YYYY-MM", read as the 1st of that month."""

    default_error_messages = {"invalid_month": _("月份格式应为 YYYY-MM，例如 2026-09。")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("月份，格式 YYYY-MM"))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime.date:
        text = super().to_internal_value(data)
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            self.fail("invalid_month")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"


class ClaimReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    next_step = serializers.CharField(help_text="What the claimant can do next; may be empty.")

    class Meta:
        ref_name = "SubsidyClaimReason"


class ClaimPersonSerializer(serializers.Serializer):
    """The person of a line, masked."""

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    id_number_masked = serializers.CharField(help_text=_("脱敏的身份证号码"))

    class Meta:
        ref_name = "SubsidyClaimPerson"


class ClaimEmployerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "SubsidyClaimEmployerRef"


class ClaimLineSerializer(serializers.Serializer):
    """One person, subsidy type and month: its decision with reasons, amount and status."""

    id = serializers.IntegerField()
    person = ClaimPersonSerializer(source="applicant")
    subsidy_type = serializers.CharField(source="subsidy_type.code", help_text=_("补贴类型代码"))
    subsidy_type_name = serializers.CharField(source="subsidy_type.name")
    month = MonthField()
    employer_id = serializers.IntegerField(allow_null=True)
    decision = serializers.CharField(
        help_text=_("判定代码：%(codes)s") % {"codes": _codes(Decision.values)}
    )
    decision_label = serializers.CharField(source="get_decision_display")
    reasons = serializers.SerializerMethodField()
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text=_("金额（元），仅符合时有值")
    )
    status = serializers.CharField(
        help_text=_("状态代码：%(codes)s") % {"codes": _codes(Status.values)}
    )
    status_label = serializers.CharField(source="get_status_display")
    status_reason = serializers.CharField(help_text=_("审核意见或不予受理的说明"))
    decided_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "SubsidyClaimLine"

    @extend_schema_field(ClaimReasonSerializer(many=True))
    def get_reasons(self, line: ClaimLine) -> list[dict[str, str]]:
        # The employer's endpoints pass employer=True: the step is told about its employee.
        return reason_explanations(line.reasons, employer=self.context.get("employer", False))


class ClaimDecisionCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    eligible = serializers.IntegerField()
    ineligible = serializers.IntegerField()
    needs_review = serializers.IntegerField()

    class Meta:
        ref_name = "SubsidyClaimDecisionCounts"


class ClaimStatusCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    paid = serializers.IntegerField()

    class Meta:
        ref_name = "SubsidyClaimStatusCounts"


class ClaimCountsSerializer(serializers.Serializer):
    decision = ClaimDecisionCountsSerializer()
    status = ClaimStatusCountsSerializer()

    class Meta:
        ref_name = "SubsidyClaimCounts"


class ClaimSerializer(serializers.Serializer):
    """A claim with its months, line counts by decision and status, and the eligible total."""

    id = serializers.IntegerField()
    source = serializers.CharField(
        help_text=_("来源代码：%(codes)s") % {"codes": _codes(Claim.Source.values)}
    )
    employer = ClaimEmployerRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField()
    months = serializers.ListField(child=MonthField())
    subsidy_types = serializers.ListField(child=serializers.CharField(), source="type_names")
    line_count = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    eligible_amount = serializers.SerializerMethodField(
        help_text=_("符合条件且未驳回的明细金额合计（元）")
    )

    class Meta:
        ref_name = "SubsidyClaim"

    @extend_schema_field(ClaimCountsSerializer)
    def get_counts(self, claim: Claim) -> dict[str, dict[str, int]]:
        return claim_counts(claim)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_eligible_amount(self, claim: Claim) -> str:
        amount = claim.eligible_amount
        return f"{amount:.2f}" if amount is not None else "0.00"


class ClaimDetailSerializer(ClaimSerializer):
    """A claim with all its lines (prefetched)."""

    lines = ClaimLineSerializer(many=True)

    class Meta:
        ref_name = "SubsidyClaimDetail"
