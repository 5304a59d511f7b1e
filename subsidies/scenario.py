"""
Subsidy scenario files: policy tests written as data, the way rules-as-code
projects test policy (issue 6 item 5; the format is in
docs/subsidy-scenarios.md).

A YAML file describes policies with dated rates, employers with listing
periods, people with children, employments, contribution months and claims,
then the decision, amount and reason codes expected for each claim line.
`scenario_load` reads and checks a file without touching the database;
`scenario_run` builds everything through the real services inside a
transaction that is always rolled back, submits the claims, and compares
each expectation. `manage.py subsidy_scenario` prints the outcomes.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import re
import secrets
import traceback
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from applicants.models import Applicant, Child, EligibilityPolicy, Employment
from applicants.services import (
    applicant_personal_update,
    applicant_profile_create,
    child_add,
    child_verify,
    employment_create,
)
from employers.models import Employer, ListingPeriod, RegistryEntry
from employers.services import employer_register
from jobs.models import Job
from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.accounts.services import staff_scope_grant, user_role_grant
from mamagang.core.crypto import keyed_hash
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import uscc_check_character
from mamagang.regions.models import Region

from .engine import lines_decide
from .models import (
    Claim,
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    DecisionRecord,
    RateRow,
    SubsidyPolicy,
    SubsidyType,
)
from .services import claim_submit_for_employer, claim_submit_for_person, lines_generate_for_month

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CLAIM_HOUR = datetime.time(10, 0)
BUREAU = "bureau"

# SubsidyPolicy fields a scenario may set (the rest keep the model's defaults).
POLICY_FIELDS = {
    "reference_day": int,
    "max_months": int,
    "retirement_extension_years": int,
    "claim_window_months": int,
    "requires_listing": bool,
    "requires_declaration": bool,
    "requires_labour_contract": bool,
    "min_contract_months": int,
    "requires_contribution": bool,
    "second_approval_above": "money",
    "publicity_days": int,
    "auto_generate": bool,
    "active": bool,
    "legal_reference": str,
    "review_reasons": "reasons",
}
DEFAULT_INSURANCE_TYPES = ["pension", "medical", "unemployment"]
_UNSET = object()


class ScenarioError(Exception):
    """A scenario file that cannot be read or built; the message says where and why."""


# ---------------------------------------------------------------------------
# The parsed file


@dataclass(frozen=True)
class RateSpec:
    valid_from: datetime.date
    valid_until: datetime.date | None
    kind: str
    amount: Decimal | None = None
    share: Decimal | None = None
    cap: Decimal | None = None
    legal_reference: str = ""


@dataclass
class PolicySpec:
    key: str
    region: str
    type_code: str
    fields: dict[str, Any]
    rates: list[RateSpec]


@dataclass
class EligibilitySpec:
    region: str
    valid_from: datetime.date
    child_age_limit: int
    inclusive: bool
    admitted: list[str]
    require_verified: bool


@dataclass
class EmployerSpec:
    key: str
    name: str
    district: str
    listings: list[tuple[datetime.date, datetime.date | None]]


@dataclass
class PersonSpec:
    key: str
    name: str
    born: datetime.date
    district: str
    retirement_category: str
    category: str
    care_duties: list[str]
    children: list[tuple[int, int, bool]]


@dataclass
class EmploymentSpec:
    person: str
    employer: str
    start: datetime.date
    end: datetime.date | None
    declared: bool
    labour_contract: bool
    contract_months: int | None
    form: str


@dataclass
class ContributionSpec:
    person: str
    employer: str | None
    months: list[datetime.date]
    employer_amount: Decimal
    person_amount: Decimal
    insurance_types: list[str]


@dataclass
class ClaimSpec:
    name: str
    kind: str  # "employer", "person" or "bureau"
    claimant: str  # employer key, person key, or policy key for the bureau
    months: list[datetime.date]
    on: datetime.date
    people: list[str] | None


@dataclass
class LineExpectation:
    person: str
    type_code: str
    month: datetime.date
    claimant: str | None
    decision: str
    amount: Any = _UNSET  # Decimal, None, or _UNSET when not checked
    reasons: list[str] | None = None
    status: str | None = None
    rate_from: datetime.date | None = None


@dataclass
class RefusalExpectation:
    claim: str
    code: str


@dataclass
class RerunExpectation:
    policy: str | None
    month: datetime.date | None


@dataclass
class Scenario:
    path: Path
    name: str
    today: datetime.date
    policies: list[PolicySpec]
    eligibility: list[EligibilitySpec]
    employers: list[EmployerSpec]
    people: list[PersonSpec]
    employments: list[EmploymentSpec]
    contributions: list[ContributionSpec]
    claims: list[ClaimSpec]
    expectations: list[LineExpectation | RefusalExpectation | RerunExpectation]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    label: str
    detail: str = ""


@dataclass
class ScenarioResult:
    path: Path
    name: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None
    error_trace: str = ""

    @property
    def passed(self) -> bool:
        return self.error is None and all(o.passed for o in self.outcomes)


# ---------------------------------------------------------------------------
# Reading values


def _fields(value: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    """Return `value` as a mapping after checking its keys (typos fail loudly)."""
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {value!r}")
    missing = required - value.keys()
    if missing:
        raise ScenarioError(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = value.keys() - required - optional
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"allowed: {', '.join(sorted(required | optional))}"
        )
    return value


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected a list, got {value!r}")
    return value


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: Any, where: str) -> datetime.date:
    """Read a month written YYYY-MM (or a date on the 1st) as its first day."""
    if isinstance(value, datetime.date):
        if value.day != 1:
            raise ScenarioError(f"{where}: a month is written YYYY-MM, got {value}")
        return value
    match = _MONTH_RE.match(str(value).strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ScenarioError(f"{where}: {value!r} is not a month (YYYY-MM)")
    return datetime.date(int(match[1]), int(match[2]), 1)


def _months(value: Any, where: str) -> list[datetime.date]:
    """Read a list of months; an item "YYYY-MM..YYYY-MM" is an inclusive range."""
    items = value if isinstance(value, list) else [value]
    months: list[datetime.date] = []
    for item in items:
        if isinstance(item, str) and ".." in item:
            first, last = (_month(part, where) for part in item.split("..", 1))
            if last < first:
                raise ScenarioError(f"{where}: range {item!r} ends before it starts")
            month = first
            while month <= last:
                months.append(month)
                month = (month + datetime.timedelta(days=32)).replace(day=1)
        else:
            months.append(_month(item, where))
    if not months:
        raise ScenarioError(f"{where}: no months")
    return months


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ScenarioError(f"{where}: {value!r} is not an amount") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise ScenarioError(f"{where}: {value!r} has more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _share(value: Any, where: str) -> Decimal:
    """
    Read a share as a decimal or a fraction ("2/3"). RateRow keeps 10 decimal
    places (the engine rounds amounts down to the fen), so a fraction is
    rounded to those.
    """
    try:
        exact = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ScenarioError(f"{where}: {value!r} is not a share (0.5 or 2/3)") from None
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.0000000001"), rounding=ROUND_HALF_UP
    )


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
    return value


def _code(value: Any) -> str:
    """Region codes may be written unquoted (YAML reads them as numbers)."""
    return str(value).strip()


# ---------------------------------------------------------------------------
# Loading


class _Loader(yaml.SafeLoader):
    """
    YAML 1.2 booleans: only true and false. YAML 1.1 also reads on, off, yes
    and no as booleans, which would turn a claim's `on:` key into True.
    """


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def scenario_load(path: Path | str) -> Scenario:
    """
    Read and check a scenario file (no database access). Raise ScenarioError
    naming the entry and key at fault.
    """
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}") from None
    top = _fields(
        data,
        "file",
        {"today", "policies", "claims", "expect"},
        {
            "name",
            "description",
            "eligibility_policies",
            "employers",
            "people",
            "employments",
            "contributions",
        },
    )
    scenario = Scenario(
        path=path,
        name=str(top.get("name") or path.stem),
        today=_date(top["today"], "today"),
        policies=[_policy(p, i) for i, p in enumerate(_list(top["policies"], "policies"), 1)],
        eligibility=[
            _eligibility(e, i)
            for i, e in enumerate(_list(top.get("eligibility_policies"), "eligibility_policies"), 1)
        ],
        employers=[_employer(e, i) for i, e in enumerate(_list(top.get("employers"), "e"), 1)],
        people=[_person(p, i) for i, p in enumerate(_list(top.get("people"), "people"), 1)],
        employments=[
            _employment(e, i) for i, e in enumerate(_list(top.get("employments"), "e"), 1)
        ],
        contributions=[
            _contribution(c, i) for i, c in enumerate(_list(top.get("contributions"), "c"), 1)
        ],
        claims=[],
        expectations=[],
    )
    scenario.claims = [
        _claim(c, i, scenario.today) for i, c in enumerate(_list(top["claims"], "claims"), 1)
    ]
    scenario.expectations = [_expectation(e, i) for i, e in enumerate(_list(top["expect"], "e"), 1)]
    _check_references(scenario)
    return scenario


def _reasons(value: Any, where: str) -> list[str]:
    """A list of reason codes the engine decides (applicants.rules)."""
    from .models import REVIEW_REASON_CHOICES

    known = [code for code, _label in REVIEW_REASON_CHOICES]
    codes = [str(code) for code in _list(value, where)]
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ScenarioError(f"{where}: unknown reason code(s) {unknown}; known: {known}")
    return codes


def _policy(value: Any, index: int) -> PolicySpec:
    where = f"policies[{index}]"
    raw = _fields(value, where, {"region", "type", "rates"}, {"key", *POLICY_FIELDS})
    fields: dict[str, Any] = {}
    for name, kind in POLICY_FIELDS.items():
        if name not in raw:
            continue
        item, at = raw[name], f"{where}.{name}"
        if item is None:
            fields[name] = None
        elif kind is bool:
            fields[name] = _bool(item, at)
        elif kind is int:
            fields[name] = _int(item, at)
        elif kind == "money":
            fields[name] = _money(item, at)
        elif kind == "reasons":
            fields[name] = _reasons(item, at)
        else:
            fields[name] = str(item)
    rates = [_rate(r, f"{where}.rates[{i}]") for i, r in enumerate(_list(raw["rates"], where), 1)]
    if not rates:
        raise ScenarioError(f"{where}: a policy needs at least one rate")
    return PolicySpec(
        key=str(raw.get("key") or raw["type"]),
        region=_code(raw["region"]),
        type_code=str(raw["type"]),
        fields=fields,
        rates=rates,
    )


def _rate(value: Any, where: str) -> RateSpec:
    raw = _fields(
        value,
        where,
        {"from"},
        {"until", "per_month", "per_year", "share", "cap", "legal_reference"},
    )
    kinds = [k for k in ("per_month", "per_year", "share") if k in raw]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: give exactly one of per_month, per_year, share (+cap)")
    common = {
        "valid_from": _date(raw["from"], f"{where}.from"),
        "valid_until": _date(raw["until"], f"{where}.until") if raw.get("until") else None,
        "legal_reference": str(raw.get("legal_reference") or ""),
    }
    if kinds == ["share"]:
        if "cap" not in raw:
            raise ScenarioError(f"{where}: a share needs a cap (the monthly maximum)")
        return RateSpec(
            kind=RateRow.Kind.CONTRIBUTION_SHARE,
            share=_share(raw["share"], f"{where}.share"),
            cap=_money(raw["cap"], f"{where}.cap"),
            **common,
        )
    if "cap" in raw:
        raise ScenarioError(f"{where}: cap goes with share only")
    kind = RateRow.Kind.PER_MONTH if kinds == ["per_month"] else RateRow.Kind.PER_YEAR
    return RateSpec(kind=kind, amount=_money(raw[kinds[0]], f"{where}.{kinds[0]}"), **common)


def _eligibility(value: Any, index: int) -> EligibilitySpec:
    where = f"eligibility_policies[{index}]"
    raw = _fields(
        value,
        where,
        {"region", "from"},
        {"child_age_limit", "inclusive", "admitted", "require_verified"},
    )
    return EligibilitySpec(
        region=_code(raw["region"]),
        valid_from=_date(raw["from"], f"{where}.from"),
        child_age_limit=_int(raw.get("child_age_limit", 12), f"{where}.child_age_limit"),
        inclusive=_bool(raw.get("inclusive", True), f"{where}.inclusive"),
        admitted=[str(c) for c in _list(raw.get("admitted", ["mother"]), f"{where}.admitted")],
        require_verified=_bool(raw.get("require_verified", True), f"{where}.require_verified"),
    )


def _employer(value: Any, index: int) -> EmployerSpec:
    where = f"employers[{index}]"
    raw = _fields(value, where, {"key", "district"}, {"name", "listings"})
    listings = []
    for i, item in enumerate(_list(raw.get("listings"), f"{where}.listings"), 1):
        at = f"{where}.listings[{i}]"
        period = _fields(item, at, {"from"}, {"until"})
        start = _date(period["from"], f"{at}.from")
        until = _date(period["until"], f"{at}.until") if period.get("until") else None
        if until is not None and until <= start:
            raise ScenarioError(f"{at}: until must be after from")
        listings.append((start, until))
    listings.sort()
    for (_start, until), (next_start, _next_until) in itertools.pairwise(listings):
        if until is None or until > next_start:
            raise ScenarioError(f"{where}.listings: periods overlap (only the last may be open)")
    return EmployerSpec(
        key=str(raw["key"]),
        name=str(raw.get("name") or f"情景测试单位{raw['key']}"),
        district=_code(raw["district"]),
        listings=listings,
    )


def _person(value: Any, index: int) -> PersonSpec:
    where = f"people[{index}]"
    raw = _fields(
        value,
        where,
        {"key", "born", "district"},
        {"name", "retirement_category", "category", "care_duties", "children"},
    )
    children = []
    for i, item in enumerate(_list(raw.get("children"), f"{where}.children"), 1):
        at = f"{where}.children[{i}]"
        child = _fields(item, at, {"born"}, {"verified"})
        born = _month(child["born"], f"{at}.born")
        children.append((born.year, born.month, _bool(child.get("verified", True), at)))
    category = str(raw.get("retirement_category") or "")
    if category not in Applicant.RetirementCategory.values:
        raise ScenarioError(f"{where}.retirement_category: one of F50, F55, M60 or empty")
    return PersonSpec(
        key=str(raw["key"]),
        name=str(raw.get("name") or raw["key"]),
        born=_date(raw["born"], f"{where}.born"),
        district=_code(raw["district"]),
        retirement_category=category,
        category=str(raw.get("category") or Applicant.Category.MOTHER),
        care_duties=[str(d) for d in _list(raw.get("care_duties"), f"{where}.care_duties")],
        children=children,
    )


def _employment(value: Any, index: int) -> EmploymentSpec:
    where = f"employments[{index}]"
    raw = _fields(
        value,
        where,
        {"person", "employer", "start"},
        {"end", "declared", "labour_contract", "contract_months", "form"},
    )
    months = raw.get("contract_months")
    months = None if months is None else _int(months, f"{where}.contract_months")
    contract = raw.get("labour_contract", months is not None)
    return EmploymentSpec(
        person=str(raw["person"]),
        employer=str(raw["employer"]),
        start=_date(raw["start"], f"{where}.start"),
        end=_date(raw["end"], f"{where}.end") if raw.get("end") else None,
        declared=_bool(raw.get("declared", True), f"{where}.declared"),
        labour_contract=_bool(contract, f"{where}.labour_contract"),
        contract_months=months,
        form=str(raw.get("form") or Job.EmploymentForm.PART_TIME_HOURLY),
    )


def _contribution(value: Any, index: int) -> ContributionSpec:
    where = f"contributions[{index}]"
    raw = _fields(
        value,
        where,
        {"person", "months"},
        {"employer", "employer_amount", "person_amount", "insurance_types"},
    )
    return ContributionSpec(
        person=str(raw["person"]),
        employer=str(raw["employer"]) if raw.get("employer") else None,
        months=_months(raw["months"], f"{where}.months"),
        employer_amount=_money(raw.get("employer_amount", 0), f"{where}.employer_amount"),
        person_amount=_money(raw.get("person_amount", 0), f"{where}.person_amount"),
        insurance_types=[
            str(t) for t in _list(raw.get("insurance_types", DEFAULT_INSURANCE_TYPES), where)
        ],
    )


def _claim(value: Any, index: int, today: datetime.date) -> ClaimSpec:
    where = f"claims[{index}]"
    raw = _fields(
        value, where, {"months"}, {"employer", "person", "bureau", "on", "people", "name"}
    )
    kinds = [k for k in ("employer", "person", "bureau") if k in raw]
    if len(kinds) != 1:
        raise ScenarioError(
            f"{where}: name exactly one claimant: employer: KEY, person: KEY or bureau: POLICY"
        )
    people = raw.get("people")
    if people is not None and kinds != ["employer"]:
        raise ScenarioError(f"{where}: people narrows an employer's claim only")
    return ClaimSpec(
        name=str(raw.get("name") or index),
        kind=kinds[0],
        claimant=str(raw[kinds[0]]),
        months=_months(raw["months"], f"{where}.months"),
        on=_date(raw["on"], f"{where}.on") if raw.get("on") else today,
        people=None if people is None else [str(p) for p in _list(people, f"{where}.people")],
    )


def _expectation(value: Any, index: int):
    where = f"expect[{index}]"
    if isinstance(value, dict) and "refused" in value:
        raw = _fields(value, where, {"claim", "refused"}, set())
        return RefusalExpectation(claim=str(raw["claim"]), code=str(raw["refused"]))
    if isinstance(value, dict) and "rerun" in value:
        raw = _fields(value, where, {"rerun"}, {"policy", "month"})
        if raw["rerun"] is not True:
            raise ScenarioError(f"{where}: write rerun: true")
        return RerunExpectation(
            policy=str(raw["policy"]) if raw.get("policy") else None,
            month=_month(raw["month"], f"{where}.month") if raw.get("month") else None,
        )
    raw = _fields(
        value,
        where,
        {"person", "type", "month", "decision"},
        {"claimant", "amount", "reasons", "status", "rate_from"},
    )
    decision = str(raw["decision"])
    if decision not in ClaimLine.Decision.values:
        raise ScenarioError(f"{where}.decision: one of {', '.join(ClaimLine.Decision.values)}")
    amount: Any = _UNSET
    if "amount" in raw:
        amount = None if raw["amount"] is None else _money(raw["amount"], f"{where}.amount")
    reasons = raw.get("reasons")
    return LineExpectation(
        person=str(raw["person"]),
        type_code=str(raw["type"]),
        month=_month(raw["month"], f"{where}.month"),
        claimant=str(raw["claimant"]) if raw.get("claimant") else None,
        decision=decision,
        amount=amount,
        reasons=None if reasons is None else [str(r) for r in _list(reasons, where)],
        status=str(raw["status"]) if raw.get("status") else None,
        rate_from=_date(raw["rate_from"], f"{where}.rate_from") if raw.get("rate_from") else None,
    )


def _check_references(s: Scenario) -> None:
    """Every key used is defined once, in its own namespace."""
    policies = _unique([p.key for p in s.policies], "policies")
    employers = _unique([e.key for e in s.employers], "employers")
    people = _unique([p.key for p in s.people], "people")
    _unique([c.name for c in s.claims], "claims")
    clash = (employers & people) | ({BUREAU} & (employers | people))
    if clash:
        raise ScenarioError(f"keys used by both an employer and a person (or 'bureau'): {clash}")

    def known(kind: str, key: str | None, keys: set[str], where: str) -> None:
        if key is not None and key not in keys:
            raise ScenarioError(f"{where}: unknown {kind} {key!r}")

    for i, e in enumerate(s.employments, 1):
        known("person", e.person, people, f"employments[{i}]")
        known("employer", e.employer, employers, f"employments[{i}]")
    for i, c in enumerate(s.contributions, 1):
        known("person", c.person, people, f"contributions[{i}]")
        known("employer", c.employer, employers, f"contributions[{i}]")
    for i, c in enumerate(s.claims, 1):
        keys = {"employer": employers, "person": people, "bureau": policies}[c.kind]
        known(c.kind if c.kind != "bureau" else "policy", c.claimant, keys, f"claims[{i}]")
        for p in c.people or []:
            known("person", p, people, f"claims[{i}].people")
    claims = {c.name for c in s.claims}
    for i, e in enumerate(s.expectations, 1):
        where = f"expect[{i}]"
        if isinstance(e, LineExpectation):
            known("person", e.person, people, where)
            known("claimant", e.claimant, employers | people | {BUREAU}, where)
        elif isinstance(e, RefusalExpectation):
            known("claim", e.claim, claims, where)
        else:
            known("policy", e.policy, policies, where)


def _unique(keys: list[str], where: str) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ScenarioError(f"{where}: key {key!r} is used twice")
        seen.add(key)
    return seen


# ---------------------------------------------------------------------------
# Running


def scenario_run(path: Path | str) -> ScenarioResult:
    """
    Load and run one scenario file in a transaction that is rolled back,
    whatever happens; return the outcome of each expectation, or the error
    that stopped the file.
    """
    result = ScenarioResult(path=Path(path))
    try:
        scenario = scenario_load(path)
        result.name = scenario.name
        with transaction.atomic():
            try:
                result.outcomes = _Runner(scenario).run()
            finally:
                transaction.set_rollback(True)
    except ScenarioError as exc:
        result.error = str(exc)
        if exc.__cause__ is not None:
            result.error_trace = "".join(traceback.format_exception(exc.__cause__))
    except Exception as exc:  # any other failure is reported against the file
        result.error = f"{exc.__class__.__name__}: {exc}".strip()
        result.error_trace = traceback.format_exc()
    return result


def at_ten(day: datetime.date) -> datetime.datetime:
    """10:00 Beijing time on `day`: when a scenario's claims are made."""
    return datetime.datetime.combine(day, CLAIM_HOUR, tzinfo=SHANGHAI)


def make_ric(birth: datetime.date, district: str, seq: int, *, male: bool = False) -> str:
    """Return a valid 18-character resident ID number (GB 11643, ISO 7064 MOD 11-2)."""
    order = seq % 500 * 2 + (1 if male else 0)  # the 17th digit is odd for men
    body = f"{district}{birth:%Y%m%d}{order:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def make_uscc(n: int, division: str) -> str:
    """Return a valid unified social credit code of an enterprise (GB 32100)."""
    body = f"91{division}{n:09d}"
    return body + uscc_check_character(body)


class _Runner:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.setup_at = at_ten(scenario.today)
        self.regions: dict[str, Region] = {}
        self.types: dict[str, SubsidyType] = {}
        self.policies: dict[str, SubsidyPolicy] = {}
        self.employers: dict[str, Employer] = {}
        self.members: dict[str, User] = {}
        self.people: dict[str, Applicant] = {}
        self.id_numbers: dict[str, str] = {}
        self.claims: dict[str, Claim] = {}
        self.refusals: dict[str, DomainError] = {}
        self.staff: User | None = None

    def run(self) -> list[Outcome]:
        self._check_database()
        self.staff = self._staff()
        for spec in self.s.policies:
            self._step(f"policy {spec.key}", self._policy, spec)
        self._eligibility()
        for spec in self.s.employers:
            self._step(f"employer {spec.key}", self._employer, spec)
        for spec in self.s.people:
            self._step(f"person {spec.key}", self._person, spec)
        for i, spec in enumerate(self.s.employments, 1):
            self._step(f"employments[{i}]", self._employment, spec)
        self._contributions()
        for spec in self.s.claims:
            self._claim(spec)
        outcomes = [self._expect(e) for e in self.s.expectations]
        expected_refusals = {
            e.claim for e in self.s.expectations if isinstance(e, RefusalExpectation)
        }
        for name, error in self.refusals.items():
            if name not in expected_refusals:
                outcomes.append(
                    Outcome(False, f"claim {name}", f"refused unexpectedly: {error.code}")
                )
        return outcomes

    def _step(self, where: str, build, spec) -> None:
        """Run one build step; turn a validation or domain error into a ScenarioError."""
        try:
            with transaction.atomic():
                build(spec)
        except ValidationError as exc:
            raise ScenarioError(f"{where}: {'; '.join(exc.messages)}") from None
        except DomainError as exc:
            raise ScenarioError(f"{where}: {exc}") from None

    # -- set-up ---------------------------------------------------------------

    def _check_database(self) -> None:
        codes = {p.region for p in self.s.policies}
        codes |= {e.region for e in self.s.eligibility}
        codes |= {e.district for e in self.s.employers} | {p.district for p in self.s.people}
        self.regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
        missing = sorted(codes - self.regions.keys())
        if missing:
            raise ScenarioError(
                f"region(s) {', '.join(missing)} not in the database: check the code, or load the "
                "administrative divisions first (python manage.py regions_load)"
            )
        wanted = {p.type_code for p in self.s.policies}
        wanted |= {e.type_code for e in self.s.expectations if isinstance(e, LineExpectation)}
        self.types = {t.code: t for t in SubsidyType.objects.filter(code__in=wanted)}
        unknown = sorted(wanted - self.types.keys())
        if unknown:
            known = ", ".join(SubsidyType.objects.order_by("code").values_list("code", flat=True))
            raise ScenarioError(f"unknown subsidy type(s) {', '.join(unknown)}; known: {known}")

    def _user(self, name: str, role: str) -> User:
        phone = _unused(lambda: f"199{secrets.randbelow(10**8):08d}", "phone", User)
        # An unusable password: nobody logs in, and hashing a real one is slow.
        user = User.objects.create_user(phone=phone, password=None, display_name=name)
        return user_role_grant(user=user, role=role, granted_by=None)

    def _staff(self) -> User:
        """A bureau officer who verifies children and imports contributions."""
        staff = self._user("情景测试工作人员", Role.BUREAU_STAFF)
        for code in {p.district for p in self.s.people}:
            staff_scope_grant(user=staff, region=self.regions[code], granted_by=None)
        staff.__dict__.pop("_region_prefixes_cache", None)
        return staff

    def _policy(self, spec: PolicySpec) -> None:
        fields = {"legal_reference": "情景测试", **spec.fields}
        existing = SubsidyPolicy.objects.filter(
            region=self.regions[spec.region], subsidy_type=self.types[spec.type_code]
        ).first()
        if existing is None:
            policy = SubsidyPolicy(
                region=self.regions[spec.region],
                subsidy_type=self.types[spec.type_code],
                **fields,
            )
            policy.full_clean()
            policy.save()
        else:
            # Trying a change to a live policy: the scenario's version replaces it
            # for this run only. Rate rows are removed by SQL because lines point to
            # them (PROTECT); foreign keys are checked at commit, which never comes.
            policy = existing
            for name, value in fields.items():
                setattr(policy, name, value)
            policy.full_clean()
            policy.save(update_fields=[*fields, "updated_at"])
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM subsidies_raterow WHERE policy_id = %s", [policy.pk])
        for rate in spec.rates:
            row = RateRow(
                policy=policy,
                valid_from=rate.valid_from,
                valid_until=rate.valid_until,
                kind=rate.kind,
                amount=rate.amount,
                share=rate.share,
                cap=rate.cap,
                legal_reference=rate.legal_reference,
            )
            row.full_clean()
            row.save()
        self.policies[spec.key] = policy

    def _eligibility(self) -> None:
        # A region's rows in the scenario replace that region's rows in the database.
        regions = {e.region for e in self.s.eligibility}
        EligibilityPolicy.objects.filter(region__code__in=regions).delete()
        for i, spec in enumerate(self.s.eligibility, 1):
            row = EligibilityPolicy(
                region=self.regions[spec.region],
                valid_from=spec.valid_from,
                child_age_limit=spec.child_age_limit,
                child_age_inclusive=spec.inclusive,
                admitted_categories=spec.admitted,
                require_verified_evidence=spec.require_verified,
                legal_reference="情景测试",
                created_by=self.staff,
            )
            self._step(f"eligibility_policies[{i}]", _clean_save, row)

    def _employer(self, spec: EmployerSpec) -> None:
        district = self.regions[spec.district]
        member = self._user(f"{spec.name}经办人", Role.EMPLOYER_MEMBER)
        start = secrets.randbelow(10**8)
        uscc = _unused(
            lambda: make_uscc(start + secrets.randbelow(10**6), spec.district), "uscc", Employer
        )
        employer = employer_register(
            registered_by=member,
            uscc=uscc,
            name=spec.name,
            district=district,
            sector=Employer.Sector.OTHER,
            address="情景测试地址",
            contact_name="经办人",
            contact_phone=member.phone,
            size=Employer.Size.SMALL,
        )
        if spec.listings:
            first = at_ten(spec.listings[0][0])
            open_now = spec.listings[-1][1] is None
            entry = RegistryEntry(
                employer=employer,
                district=district,
                status=RegistryEntry.Status.APPROVED
                if open_now
                else RegistryEntry.Status.SUSPENDED,
                declared_posts=1,
                declaration_confirmed=True,
                submitted_by=member,
                submitted_at=first,
                decided_by=self.staff,
                decided_at=first,
                decision_reason="情景测试",
            )
            entry.full_clean()
            entry.save()
            ListingPeriod.objects.bulk_create(
                ListingPeriod(
                    employer=employer, entry=entry, listed_from=start_on, listed_until=until
                )
                for start_on, until in spec.listings
            )
        self.employers[spec.key] = employer
        self.members[spec.key] = member

    def _person(self, spec: PersonSpec) -> None:
        user = self._user(spec.name, Role.APPLICANT)
        seq = secrets.randbelow(500)
        number = _unused_ric(spec, seq)
        applicant = applicant_profile_create(
            user=user,
            full_name=spec.name,
            id_number=number,
            residence_district=self.regions[spec.district],
            category=spec.category,
            retirement_category=spec.retirement_category,
            sensitive_data_consent=True,
            now=self.setup_at,
        )
        if spec.care_duties:
            applicant_personal_update(
                applicant=applicant, updated_by=user, care_duties=spec.care_duties
            )
        for year, month, verified in spec.children:
            child = child_add(
                applicant=applicant,
                added_by=user,
                birth_year=year,
                birth_month=month,
                relationship=Child.Relationship.PARENT,
                evidence=Child.Evidence.BIRTH_CERTIFICATE,
                guardian_consent=True,
                now=self.setup_at,
            )
            if verified:
                child_verify(child=child, verified_by=self.staff, now=self.setup_at)
        self.people[spec.key] = applicant
        self.id_numbers[spec.key] = number

    def _employment(self, spec: EmploymentSpec) -> Employment:
        return employment_create(
            employer=self.employers[spec.employer],
            applicant=self.people[spec.person],
            registered_by=self.members[spec.employer],
            start_date=spec.start,
            end_date=spec.end,
            employment_form=spec.form,
            has_labour_contract=spec.labour_contract,
            contract_months=spec.contract_months,
            social_insurance=True,
            declared_mamagang=spec.declared,
            now=at_ten(spec.start),
        )

    def _contributions(self) -> None:
        """The scenario's contribution months, as one import per region (as staff would)."""
        records: dict[str, list[ContributionRecord]] = {}
        seen: set[tuple[str, datetime.date, str]] = set()
        for i, spec in enumerate(self.s.contributions, 1):
            employer = self.employers[spec.employer] if spec.employer else None
            region = employer.district if employer else self.people[spec.person].residence_district
            digest = keyed_hash(self.id_numbers[spec.person])
            uscc = employer.uscc if employer else ""
            for month in spec.months:
                if (spec.person, month, uscc) in seen:
                    raise ScenarioError(
                        f"contributions[{i}]: {spec.person} {month:%Y-%m} is given twice "
                        "for the same payer"
                    )
                seen.add((spec.person, month, uscc))
                records.setdefault(region.code, []).append(
                    ContributionRecord(
                        person_hash=digest,
                        month=month,
                        employer_uscc=uscc,
                        insurance_types=spec.insurance_types,
                        employer_amount=spec.employer_amount,
                        person_amount=spec.person_amount,
                    )
                )
        for code, rows in records.items():
            source = ContributionImport.objects.create(
                region=Region.objects.get(code=code),
                file_name=f"{self.s.path.name} (scenario)",
                sha256=hashlib.sha256(f"scenario:{uuid.uuid4()}".encode()).hexdigest(),
                row_count=len(rows),
                created_count=len(rows),
                imported_by=self.staff,
            )
            for row in rows:
                row.source = source
            ContributionRecord.objects.bulk_create(rows)

    def _claim(self, spec: ClaimSpec) -> None:
        now = at_ten(spec.on)
        try:
            if spec.kind == "employer":
                claim = claim_submit_for_employer(
                    employer=self.employers[spec.claimant],
                    submitted_by=self.members[spec.claimant],
                    months=spec.months,
                    applicant_ids=(
                        None if spec.people is None else [self.people[p].pk for p in spec.people]
                    ),
                    now=now,
                )
                self.claims[spec.name] = claim
            elif spec.kind == "person":
                applicant = self.people[spec.claimant]
                claim = claim_submit_for_person(
                    applicant=applicant, submitted_by=applicant.user, months=spec.months, now=now
                )
                self.claims[spec.name] = claim
            else:
                self._bureau_claim(spec, now)
        except DomainError as exc:
            self.refusals[spec.name] = exc
        except ScenarioError:
            raise
        except Exception as exc:
            raise ScenarioError(
                f"claim {spec.name}: {exc.__class__.__name__}: {exc}".strip()
            ) from exc

    def _bureau_claim(self, spec: ClaimSpec, now: datetime.datetime) -> None:
        """免申即享: the bureau generates each month's lines, then decides them."""
        policy = self.policies[spec.claimant]
        if policy.subsidy_type.payee != SubsidyType.Payee.EMPLOYER:
            raise ScenarioError(
                f"claim {spec.name}: the bureau generates lines of employer subsidies only "
                f"({spec.claimant} is paid to the person)"
            )
        for month in spec.months:
            last = Claim.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            lines_generate_for_month(policy=policy, month=month, by=self.staff, now=now)
            lines_decide(policy=policy, month=month, now=now)
            for claim in Claim.objects.filter(source=Claim.Source.BUREAU, pk__gt=last):
                self.claims[f"{spec.name}/{month:%Y-%m}"] = claim

    # -- checking -------------------------------------------------------------

    def _expect(self, expectation) -> Outcome:
        if isinstance(expectation, RefusalExpectation):
            return self._expect_refusal(expectation)
        if isinstance(expectation, RerunExpectation):
            return self._expect_rerun(expectation)
        return self._expect_line(expectation)

    def _expect_refusal(self, e: RefusalExpectation) -> Outcome:
        label = f"claim {e.claim} refused {e.code}"
        error = self.refusals.get(e.claim)
        if error is None:
            return Outcome(False, label, "expected a refusal; the claim was accepted")
        if error.code != e.code:
            return Outcome(False, label, f"refused with {error.code}: {error.message}")
        return Outcome(True, label, error.message)

    def _lines(self):
        return ClaimLine.objects.filter(claim__in=list(self.claims.values()))

    def _expect_line(self, e: LineExpectation) -> Outcome:
        person = self.people[e.person]
        label = f"{person.full_name} ({e.person}) {e.type_code} {e.month:%Y-%m}"
        lines = self._lines().filter(
            applicant=person, subsidy_type__code=e.type_code, month=e.month
        )
        if e.claimant == BUREAU:
            lines = lines.filter(claim__source=Claim.Source.BUREAU)
        elif e.claimant in self.employers:
            lines = lines.filter(
                claim__source=Claim.Source.EMPLOYER, claim__employer=self.employers[e.claimant]
            )
        elif e.claimant in self.people:
            lines = lines.filter(
                claim__source=Claim.Source.PERSON, claim__applicant=self.people[e.claimant]
            )
        if e.claimant:
            label += f" by {e.claimant}"
        found = list(lines.select_related("claim", "rate_row").order_by("pk"))
        if not found:
            return Outcome(False, label, "no such claim line")
        if len(found) > 1:
            return Outcome(False, label, f"{len(found)} lines match; name the claimant")
        line = found[0]
        wanted = _describe(e.decision, e.reasons, e.amount, e.status)
        actual = _describe(
            line.decision,
            line.reasons if e.reasons is not None else None,
            line.amount if e.amount is not _UNSET else _UNSET,
            line.status if e.status else None,
        )
        problems = []
        if line.decision != e.decision:
            problems.append("decision")
        if e.reasons is not None and sorted(line.reasons) != sorted(e.reasons):
            problems.append("reasons")
        if e.amount is not _UNSET and line.amount != e.amount:
            problems.append("amount")
        if e.status and line.status != e.status:
            problems.append("status")
        if e.rate_from and (line.rate_row is None or line.rate_row.valid_from != e.rate_from):
            got = line.rate_row.valid_from if line.rate_row else "none"
            problems.append(f"rate row (expected from {e.rate_from}, got {got})")
        problems += _record_problems(line)
        if problems:
            return Outcome(
                False, label, f"expected {wanted}; got {actual} ({', '.join(problems)} differ)"
            )
        return Outcome(True, label, actual)

    def _expect_rerun(self, e: RerunExpectation) -> Outcome:
        """Deciding the months again must change no line and add no decision record."""
        lines = self._lines()
        if e.policy:
            lines = lines.filter(policy=self.policies[e.policy])
        if e.month:
            lines = lines.filter(month=e.month)
        pairs = sorted(set(lines.values_list("month", "policy_id")))
        label = f"rerun {e.policy or 'every policy'} " + (
            f"{e.month:%Y-%m}" if e.month else "every month"
        )
        if not pairs:
            return Outcome(False, label, "no lines to decide again")
        first_id = self._lines().order_by("pk").values_list("pk", flat=True).first()
        policies = {p.pk: p for p in self.policies.values()}
        records = DecisionRecord.objects.filter(line__in=self._lines())
        before = records.count()
        decided = changed = 0
        later = at_ten(max([self.s.today, *(c.on for c in self.s.claims)]))
        for month, policy_id in pairs:
            policy = policies.get(policy_id) or SubsidyPolicy.objects.get(pk=policy_id)
            result = lines_decide(policy=policy, month=month, first_id=first_id, now=later)
            decided, changed = decided + result.decided, changed + result.changed
        added = records.count() - before
        detail = (
            f"{len(pairs)} policy-month(s), {decided} line(s) decided again: "
            f"{changed} changed, {added} new decision record(s)"
        )
        return Outcome(changed == 0 and added == 0, label, detail)


def _describe(decision: str, reasons, amount, status) -> str:
    parts = [decision]
    if amount is not _UNSET:
        parts.append("no amount" if amount is None else f"{amount}元")
    if reasons is not None:
        parts.append("[" + ", ".join(sorted(reasons)) + "]")
    if status:
        parts.append(f"status {status}")
    return " ".join(parts)


def _record_problems(line: ClaimLine) -> list[str]:
    """A decided line's latest decision record must say what the line says."""
    record = line.decisions.order_by("-decided_at", "-pk").first()
    if record is None:
        # Lines refused at insertion as duplicates are never decided by the engine.
        if line.decision == ClaimLine.Decision.PENDING or line.reasons == [
            "duplicate_person_month"
        ]:
            return []
        return ["no decision record"]
    if (record.decision, sorted(record.reasons), record.amount, record.rate_row_id) != (
        line.decision,
        sorted(line.reasons),
        line.amount,
        line.rate_row_id,
    ):
        return ["decision record"]
    return []


def _clean_save(row) -> None:
    row.full_clean()
    row.save()


def _unused(make, field_name: str, model) -> str:
    for _attempt in range(50):
        value = make()
        if not model.objects.filter(**{field_name: value}).exists():
            return value
    raise ScenarioError(f"could not find an unused {field_name}")


def _unused_ric(spec: PersonSpec, seq: int) -> str:
    male = spec.retirement_category == Applicant.RetirementCategory.M60
    for offset in range(500):
        number = make_ric(spec.born, spec.district, seq + offset, male=male)
        if not Applicant.objects.filter(id_number_hash=keyed_hash(number)).exists():
            return number
    raise ScenarioError(f"person {spec.key}: no unused ID number for this birth date")
