"""Reason codes of claim-line decisions, spelled as issue 6 spells them, with labels."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Reason(StrEnum):
    EMPLOYER_NOT_LISTED = "employer_not_listed"
    NOT_EMPLOYED = "not_employed"
    NOT_DECLARED = "not_declared"
    NO_LABOUR_CONTRACT = "no_labour_contract"
    NOT_WORKING_AGE = "not_working_age"
    NO_QUALIFYING_CHILD = "no_qualifying_child"
    CHILD_NOT_VERIFIED = "child_not_verified"
    CATEGORY_NOT_ADMITTED = "category_not_admitted"
    NO_CARE_DUTY = "no_care_duty"
    NO_CONTRIBUTION_RECORD = "no_contribution_record"
    ENTITLEMENT_EXHAUSTED = "entitlement_exhausted"
    OUTSIDE_CLAIM_WINDOW = "outside_claim_window"
    NO_RATE_IN_FORCE = "no_rate_in_force"
    DUPLICATE_PERSON_MONTH = "duplicate_person_month"


LABELS: dict[str, object] = {
    Reason.EMPLOYER_NOT_LISTED: _("判定日用人单位不在妈妈岗名录内"),
    Reason.NOT_EMPLOYED: _("判定日没有在该单位的有效就业登记"),
    Reason.NOT_DECLARED: _("就业登记未申明为妈妈岗"),
    Reason.NO_LABOUR_CONTRACT: _("未签订劳动合同或合同期限不足"),
    Reason.NOT_WORKING_AGE: _("判定日不在法定劳动年龄内"),
    Reason.NO_QUALIFYING_CHILD: _("判定日没有符合年龄条件的子女"),
    Reason.CHILD_NOT_VERIFIED: _("子女证明材料尚未核验"),
    Reason.CATEGORY_NOT_ADMITTED: _("该人员类别不在本地政策范围内"),
    Reason.NO_CARE_DUTY: _("未登记相应的照护责任"),
    Reason.NO_CONTRIBUTION_RECORD: _("没有当月社会保险缴费记录"),
    Reason.ENTITLEMENT_EXHAUSTED: _("已达到最长享受月数"),
    Reason.OUTSIDE_CLAIM_WINDOW: _("超过申领期限"),
    Reason.NO_RATE_IN_FORCE: _("该月没有有效的补贴标准"),
    Reason.DUPLICATE_PERSON_MONTH: _("该人员当月的同类补贴已由其他申报提出"),
}

# Reasons that staff can clear by checking evidence: the line waits for review.
REVIEW_REASONS = frozenset({Reason.CHILD_NOT_VERIFIED})


def reason_labels(codes) -> list[str]:
    return [str(LABELS.get(code, code)) for code in codes]
