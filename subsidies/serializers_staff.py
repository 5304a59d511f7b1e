"""
Output serializers of the bureau's subsidy API, shared by list and detail
endpoints. A person is shown by name and masked ID number only; the
decision records carry their input snapshot as stored (staff may see the
birth dates and children's birth months it holds).
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Claim, ClaimLine, EligibilityRun, RateRow
from .reasons import LABELS


class MonthField(serializers.DateField):
    """A month as "YYYY-MM" (input and output), stored as its 1st day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m")
        kwargs.setdefault("input_formats", ["%Y-%m"])
        kwargs.setdefault("help_text", "YYYY-MM")
        super().__init__(**kwargs)


def status_code_field(choices, what: str) -> serializers.CharField:
    """
    A status code documented as a plain string listing its values: two
    enums named "status" (lines, runs) would otherwise collide in the schema.
    """
    codes = ", ".join(value for value, _label in choices)
    return serializers.CharField(help_text=f"{what}：{codes}")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "SubsidyReason"


@extend_schema_field(ReasonSerializer(many=True))
class ReasonListField(serializers.Field):
    """Reason codes with their Chinese labels."""

    def to_representation(self, value):
        return [{"code": code, "label": str(LABELS.get(code, code))} for code in value]


class SubsidyTypeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "StaffSubsidyTypeRef"


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    id_number_masked = serializers.CharField()

    class Meta:
        ref_name = "StaffSubsidyPersonRef"


class EmployerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()

    class Meta:
        ref_name = "StaffSubsidyEmployerRef"


class ClaimRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Claim.Source.choices)
    region = serializers.CharField(source="region.code")
    submitted_at = serializers.DateTimeField()
    submitted_by_name = serializers.CharField(
        source="submitted_by.display_name", allow_null=True, default=None
    )

    class Meta:
        ref_name = "StaffSubsidyClaimRef"


class RateRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RateRow.Kind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    share = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    cap = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    legal_reference = serializers.CharField()

    class Meta:
        ref_name = "StaffSubsidyRateRow"


class ClaimLineStaffSerializer(serializers.Serializer):
    """One claim line in the queue."""

    id = serializers.IntegerField()
    month = MonthField()
    subsidy_type = SubsidyTypeRefSerializer()
    person = PersonRefSerializer(source="applicant")
    employer = EmployerRefSerializer(allow_null=True)
    claim = ClaimRefSerializer()
    decision = serializers.ChoiceField(choices=ClaimLine.Decision.choices)
    reasons = ReasonListField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    status = status_code_field(ClaimLine.Status.choices, "明细状态")
    status_reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    approved_by_name = serializers.CharField(
        source="approved_by.display_name", allow_null=True, default=None
    )
    approved_at = serializers.DateTimeField(allow_null=True)
    second_approved_by_name = serializers.CharField(
        source="second_approved_by.display_name", allow_null=True, default=None
    )
    needs_second_approval = serializers.SerializerMethodField(
        help_text="金额超过本政策的二次审批标准，须两名不同工作人员审核"
    )

    class Meta:
        ref_name = "StaffClaimLine"

    def get_needs_second_approval(self, line: ClaimLine) -> bool:
        threshold: Decimal | None = line.policy.second_approval_above
        return threshold is not None and line.amount is not None and line.amount > threshold


class DecisionRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decided_at = serializers.DateTimeField()
    rule_version = serializers.CharField()
    decision = serializers.ChoiceField(choices=ClaimLine.Decision.choices)
    reasons = ReasonListField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    rate_row = RateRowSerializer(allow_null=True)
    run_id = serializers.IntegerField(allow_null=True)
    inputs = serializers.JSONField(
        help_text="判定依据快照：判定日、出生日期、退休日期、子女（出生年、月、是否核验）、"
        "名录、就业登记、社保缴费、已享受月数、申报日期、申领截止日、标准"
    )

    class Meta:
        ref_name = "StaffDecisionRecord"


class ClaimLineStaffDetailSerializer(ClaimLineStaffSerializer):
    """One claim line with its policy, rate row and every decision, newest first."""

    policy_legal_reference = serializers.CharField(source="policy.legal_reference")
    second_approval_above = serializers.DecimalField(
        source="policy.second_approval_above", max_digits=12, decimal_places=2, allow_null=True
    )
    rate_row = RateRowSerializer(allow_null=True)
    decisions = DecisionRecordSerializer(source="decision_list", many=True)

    class Meta:
        ref_name = "StaffClaimLineDetail"


class RunPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    subsidy_type = serializers.CharField(source="subsidy_type.code")

    class Meta:
        ref_name = "StaffRunPolicy"


class RunErrorSerializer(serializers.Serializer):
    chunk = serializers.IntegerField()
    error = serializers.CharField()

    class Meta:
        ref_name = "StaffRunError"


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    policy = RunPolicySerializer()
    month = MonthField()
    kind = serializers.ChoiceField(choices=EligibilityRun.Kind.choices)
    status = status_code_field(EligibilityRun.Status.choices, "判定批次状态")
    percent = serializers.IntegerField()
    total_chunks = serializers.IntegerField()
    done_chunks = serializers.IntegerField()
    lines_created = serializers.IntegerField()
    lines_decided = serializers.IntegerField()
    lines_changed = serializers.IntegerField()
    errors = RunErrorSerializer(many=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    started_by_name = serializers.CharField(
        source="started_by.display_name", allow_null=True, default=None
    )

    class Meta:
        ref_name = "StaffEligibilityRun"
