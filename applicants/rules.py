"""
Every eligibility condition and reason code, declared once.

Each `Rule` names its reason code, where it comes from (the regulation or the
DOMAIN.md section), what it means to the person or claimant and what they can
do, and the condition under which it FAILS, written as a boolean expression
over named facts (`and`, `or`, `not`, parentheses and fact names only).

Both deciders are built from these declarations:

- the per-person check (`applicants.eligibility.evaluate`) evaluates the
  person-scope rules in Python over facts computed from a `PersonFacts`;
- the engine (`subsidies.engine`) renders every rule into its set-based SQL,
  as `CASE WHEN <condition> THEN '<code>' END` over its facts row `f`, whose
  columns carry the same fact names.

The facts themselves (working age, a qualifying child, a matching care duty)
are computed from the same definitions below (`CHILD_CATEGORIES`,
`CATEGORY_CARE_DUTIES`, `child_cutoff_years`), and the property test
`tests/subsidies/test_rules_agree.py` proves that both deciders agree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Reason(StrEnum):
    EMPLOYER_NOT_LISTED = "employer_not_listed"
    NOT_EMPLOYED = "not_employed"
    NOT_DECLARED = "not_declared"
    NO_LABOUR_CONTRACT = "no_labour_contract"
    NOT_WORKING_AGE = "not_working_age"
    CATEGORY_NOT_ADMITTED = "category_not_admitted"
    NO_QUALIFYING_CHILD = "no_qualifying_child"
    EVIDENCE_WITHDRAWN = "evidence_withdrawn"
    CHILD_NOT_VERIFIED = "child_not_verified"
    NO_CARE_DUTY = "no_care_duty"
    NO_CONTRIBUTION_RECORD = "no_contribution_record"
    ENTITLEMENT_EXHAUSTED = "entitlement_exhausted"
    OUTSIDE_CLAIM_WINDOW = "outside_claim_window"
    NO_RATE_IN_FORCE = "no_rate_in_force"
    DUPLICATE_PERSON_MONTH = "duplicate_person_month"


# Categories whose duty is a child, and the care duty each other category needs
# (DOMAIN.md §1.4: the group is widened beyond mothers, per region).
CHILD_CATEGORIES = frozenset({"mother", "other_caregiver_child"})
CATEGORY_CARE_DUTIES: dict[str, frozenset[str]] = {
    "caregiver_disabled_elderly": frozenset({"disabled_elderly"}),
    "caregiver_disabled": frozenset({"disabled"}),
}

# Reasons a staff member can clear by checking evidence or waiting for a late file:
# the line waits for review instead of being refused. The default of
# SubsidyPolicy.review_reasons (policy data; DOMAIN.md §5.4, §5.6).
DEFAULT_REVIEW_REASONS = (Reason.CHILD_NOT_VERIFIED, Reason.NO_CONTRIBUTION_RECORD)
# Whatever the policy says: a withdrawn consent is never evidence of ineligibility
# (PIPL Art. 15, DOMAIN.md §7), so such a line always waits for a person.
ALWAYS_REVIEW_REASONS = frozenset({Reason.EVIDENCE_WITHDRAWN})
# The reasons about her children: a line decided without any of them before she
# withdrew her children's records keeps that conclusion (subsidies.engine).
CHILD_REASONS = frozenset(
    {Reason.NO_QUALIFYING_CHILD, Reason.CHILD_NOT_VERIFIED, Reason.EVIDENCE_WITHDRAWN}
)


def child_cutoff_years(limit_years: int, inclusive: bool) -> int:
    """
    Years after the birth month at which a child stops qualifying: "12周岁以下"
    includes age 12 (民法典 Art. 1259, DOMAIN.md §1.3), so 13 when inclusive.
    """
    return limit_years + 1 if inclusive else limit_years


@dataclass(frozen=True)
class Rule:
    reason: Reason
    source: str
    label: Promise
    # What the person or claimant can do about it ("" when nothing can be done).
    next_step: Promise | str
    # "person": the per-person check and the engine; "line": the engine only
    # (employment, contributions, the clock, the window, the rate); "claim":
    # decided when a claim's lines are inserted (no condition here).
    scope: str
    fails: str = ""
    # Where on her own pages she can act on it: (URL name, link text).
    link: tuple[str, Promise] | None = None
    # The next step told to an employer about its employee, where it differs.
    employer_step: Promise | str | None = None

    @cached_property
    def tree(self) -> ast.expr:
        return _parse(self.fails)

    def facts_used(self) -> set[str]:
        return {node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name)}

    def failed(self, facts: Mapping[str, bool]) -> bool:
        """Evaluate the condition in Python over `facts` (every fact it names must be given)."""
        return _evaluate(self.tree, facts)

    def sql(self, row: str = "f") -> str:
        """Render the condition as SQL over the columns of `row`."""
        return _render(self.tree, row)


RULES: tuple[Rule, ...] = (
    Rule(
        Reason.EMPLOYER_NOT_LISTED,
        "DOMAIN.md §2 (名录), §5.6; the policy's requires_listing",
        _("判定日用人单位不在妈妈岗名录内"),
        _("请用人单位先申请进入妈妈岗名录；名录审核通过后可再次申报。"),
        "line",
        "employer_line and requires_listing and not listed",
    ),
    Rule(
        Reason.NOT_EMPLOYED,
        "DOMAIN.md §5.4 (就业登记)",
        _("判定日没有在该单位的有效就业登记"),
        _("请用人单位补办或更正该人员的就业登记（入职、离职日期）。"),
        "line",
        "employer_line and not employed",
    ),
    Rule(
        Reason.NOT_DECLARED,
        "DOMAIN.md §5.4 (就业登记标注妈妈岗)",
        _("就业登记未申明为妈妈岗"),
        _("如该岗位确为妈妈岗，请用人单位在就业登记中申明。"),
        "line",
        "employer_line and employed and requires_declaration and not declared",
    ),
    Rule(
        Reason.NO_LABOUR_CONTRACT,
        "DOMAIN.md §5.1 (一年期劳动合同); the policy's minimum contract months",
        _("未签订劳动合同或合同期限不足"),
        _("请用人单位在就业登记中补录劳动合同及期限。"),
        "line",
        "employer_line and employed and requires_contract and not contract_ok",
    ),
    Rule(
        Reason.NOT_WORKING_AGE,
        "DOMAIN.md §1.2(b), §3 (法定退休年龄), §3.8 (劳动法第15条：16周岁)",
        _("判定日不在法定劳动年龄内（未满16周岁或已到法定退休年龄）"),
        "",
        "person",
        "not working_age",
    ),
    Rule(
        Reason.CATEGORY_NOT_ADMITTED,
        "DOMAIN.md §1.4 (适用人员类别由地区政策确定)",
        _("所在地区的政策暂不包括该人员类别"),
        _("请核对个人信息中的人员类别；如有疑问，可咨询居住地区人社局。"),
        "person",
        "not admitted",
        ("applicants:me-personal", _("核对人员类别")),
        _("请该员工在个人资料中核对人员类别；如有疑问，可咨询其居住地区人社局。"),
    ),
    Rule(
        Reason.NO_QUALIFYING_CHILD,
        "DOMAIN.md §1.1, §1.2(c), §1.3 (12周岁以下含12周岁，地区政策可调整)",
        _("判定日没有符合年龄条件的子女"),
        _("请在“子女和家庭照护”中登记孩子的出生年月。"),
        "person",
        "needs_child and not qualifying and not evidence_withdrawn",
        ("applicants:me-children", _("登记子女")),
        _("请该员工在个人资料中登记子女的出生年月。"),
    ),
    Rule(
        Reason.EVIDENCE_WITHDRAWN,
        "DOMAIN.md §7 (个人信息保护法：撤回同意不得作为不利认定的依据)",
        _("本人已撤回子女信息的授权，需人工核实"),
        _("经办人员将人工核实；如需继续享受，请重新授权并补充子女信息。"),
        "person",
        "needs_child and not qualifying and evidence_withdrawn",
        ("applicants:me-children", _("子女信息")),
        _("经办人员将人工核实；如需继续享受，请该员工重新授权并补充子女信息。"),
    ),
    Rule(
        Reason.CHILD_NOT_VERIFIED,
        "DOMAIN.md §1.6 (证明材料须经办人员核验)",
        _("子女证明材料尚未经人社部门核验"),
        _(
            "请带上登记时选择的证明材料原件，到居住地区人社局或街道服务窗口核验一次，"
            "核验后这里会自动更新。"
        ),
        "person",
        "needs_child and qualifying and require_verified and not qualifying_verified",
        ("applicants:me-children", _("查看登记的子女")),
        _("请提醒该员工带上证明材料原件到居住地区人社局或街道服务窗口核验，核验后将重新判定。"),
    ),
    Rule(
        Reason.NO_CARE_DUTY,
        "DOMAIN.md §1.4 (照护失能老人、残疾人须登记相应照护责任)",
        _("未登记与人员类别相应的照护责任"),
        _("请在个人信息中勾选您照护的、与人员类别相符的家人。"),
        "person",
        "not needs_child and not has_care_duty",
        ("applicants:me-personal", _("填写照护责任")),
        _("请该员工在个人资料中登记与人员类别相符的照护责任。"),
    ),
    Rule(
        Reason.NO_CONTRIBUTION_RECORD,
        "DOMAIN.md §5.2, §5.4, §5.6 (当月实际缴费；缴费数据按月导入，常有迟报)",
        _("没有当月社会保险缴费记录"),
        _("缴费数据导入后将自动重新判定；如已缴费，请核对单位和个人信息。"),
        "line",
        "not has_contribution and (requires_contribution or share_rate)",
    ),
    Rule(
        Reason.ENTITLEMENT_EXHAUSTED,
        "DOMAIN.md §5.2 (最长3年，距退休不足5年可延长至退休)",
        _("已达到最长享受月数"),
        "",
        "line",
        "clock_exhausted",
    ),
    Rule(
        Reason.OUTSIDE_CLAIM_WINDOW,
        "DOMAIN.md §5.3 (逾期视为自动放弃)",
        _("超过申领期限"),
        "",
        "line",
        "late",
    ),
    Rule(
        Reason.NO_RATE_IN_FORCE,
        "DOMAIN.md §5.3 (分地区、分期的补贴标准)",
        _("该月没有有效的补贴标准"),
        _("请联系辖区人社部门了解该月的补贴标准。"),
        "line",
        "not has_rate",
    ),
    Rule(
        Reason.DUPLICATE_PERSON_MONTH,
        "DOMAIN.md §5.6 (同一人员同一时期不得重复享受)",
        _("该人员当月的同类补贴已由其他申报提出"),
        _("如有疑问，请联系辖区人社部门核实。"),
        "claim",
    ),
)

RULES_BY_REASON: dict[str, Rule] = {rule.reason: rule for rule in RULES}
REASON_LABELS: dict[str, Promise] = {rule.reason: rule.label for rule in RULES}
PERSON_RULES = tuple(rule for rule in RULES if rule.scope == "person")
ENGINE_RULES = tuple(rule for rule in RULES if rule.fails)


def reason_label(code: str) -> str:
    rule = RULES_BY_REASON.get(code)
    return str(rule.label) if rule else code


def reason_next_step(code: str) -> str:
    rule = RULES_BY_REASON.get(code)
    return str(rule.next_step) if rule else ""


def reason_labels(codes) -> list[str]:
    return [reason_label(code) for code in codes]


def reason_explanations(codes, *, employer: bool = False) -> list[dict[str, str]]:
    """
    Each code with what it means and what can be done next, for the person herself
    or (`employer`) for the employer claiming for her.
    """
    explained = []
    for code in codes:
        rule = RULES_BY_REASON.get(code)
        step = ""
        if rule is not None:
            step = rule.employer_step if employer and rule.employer_step else rule.next_step
        explained.append({"code": code, "label": reason_label(code), "next_step": str(step)})
    return explained


# ---------------------------------------------------------------------------
# The condition language: Python's boolean syntax over fact names, rendered
# to Python values or to SQL. Nothing else is accepted.

_FACT = re.compile(r"^[a-z][a-z_]*$")


def _parse(text: str) -> ast.expr:
    tree = ast.parse(text, mode="eval").body
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not _FACT.match(node.id):
                raise ValueError(f"bad fact name {node.id!r} in {text!r}")
        elif not isinstance(node, ast.BoolOp | ast.UnaryOp | ast.And | ast.Or | ast.Not | ast.Load):
            raise ValueError(f"only and/or/not over fact names: {text!r}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            raise ValueError(f"only and/or/not over fact names: {text!r}")
    return tree


def _evaluate(node: ast.expr, facts: Mapping[str, bool]) -> bool:
    if isinstance(node, ast.Name):
        return bool(facts[node.id])
    if isinstance(node, ast.UnaryOp):
        return not _evaluate(node.operand, facts)
    values = (_evaluate(value, facts) for value in node.values)
    return all(values) if isinstance(node.op, ast.And) else any(values)


def _render(node: ast.expr, row: str) -> str:
    if isinstance(node, ast.Name):
        return f"{row}.{node.id}"
    if isinstance(node, ast.UnaryOp):
        return f"NOT {_render(node.operand, row)}"
    joiner = " AND " if isinstance(node.op, ast.And) else " OR "
    return "(" + joiner.join(_render(value, row) for value in node.values) + ")"


def reasons_sql(rules=ENGINE_RULES, row: str = "f") -> str:
    """`array_remove(ARRAY[CASE WHEN ... THEN 'code' END, ...], NULL)` over `row`'s facts."""
    cases = ",\n".join(
        f"CASE WHEN {rule.sql(row)} THEN '{rule.reason.value}' END" for rule in rules
    )
    return f"array_remove(ARRAY[\n{cases}\n]::varchar[], NULL)"
