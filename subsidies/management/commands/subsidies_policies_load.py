"""
manage.py subsidies_policies_load: load subsidy policies and their dated rate
rows from YAML (the shipped subsidies/data/policies.yaml; sources in
subsidies/data/SOURCES.md).

All or nothing: every entry is validated and nothing is written unless all are
valid. Upsert: a policy is keyed by (region, subsidy type), a rate row by
(policy, valid_from); loading the same file twice changes nothing. Rate rows
not in the file (added in the admin) are kept. Regions that are not loaded are
skipped with a warning. Each created or changed policy is audited as
"subsidy_policy.loaded".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction

from mamagang.core.audit import audit_record, snapshot
from mamagang.regions.models import Region
from subsidies.models import RateRow, SubsidyPolicy, SubsidyType
from subsidies.services.policies import RATE_FIELDS as AUDITED_RATE_FIELDS

SHIPPED_FILE = Path(__file__).resolve().parents[2] / "data" / "policies.yaml"

# Optional policy fields and their YAML types; left out, the model default applies.
_INT, _OPT_INT, _BOOL, _OPT_MONEY = "int", "int or null", "bool", "amount or null"
POLICY_FIELDS: dict[str, str] = {
    "reference_day": _INT,
    "max_months": _OPT_INT,
    "retirement_extension_years": _OPT_INT,
    "claim_window_months": _INT,
    "requires_listing": _BOOL,
    "requires_declaration": _BOOL,
    "requires_labour_contract": _BOOL,
    "min_contract_months": _OPT_INT,
    "requires_contribution": _BOOL,
    "second_approval_above": _OPT_MONEY,
    "publicity_days": _INT,
    "auto_generate": _BOOL,
    "active": _BOOL,
}
RATE_FIELDS = [f for f in AUDITED_RATE_FIELDS if f != "policy"]
AUDITED_POLICY_FIELDS = ["region", "subsidy_type", "legal_reference", *POLICY_FIELDS]


class PolicyDataError(Exception):
    """The file has problems: one message per problem; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_regions: list[str] = field(default_factory=list)


@dataclass
class _Rate:
    values: dict[str, Any]


@dataclass
class _Policy:
    where: str
    region_code: str
    type_code: str
    values: dict[str, Any]
    rates: list[_Rate]


def _default(name: str) -> Any:
    return SubsidyPolicy._meta.get_field(name).get_default()


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ValueError("a date, not a date and time")
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip())


def _amount(value: Any, places: int) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a number")
    number = Decimal(str(value).strip())
    if not number.is_finite():
        raise ValueError("a number")
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise ValueError(f"at most {places} decimal places")
    return number.quantize(step)


def _typed(kind: str, value: Any) -> Any:
    if kind == _BOOL:
        if not isinstance(value, bool):
            raise ValueError("true or false")
        return value
    if value is None and kind in (_OPT_INT, _OPT_MONEY):
        return None
    if kind in (_INT, _OPT_INT):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("a whole number, 0 or more")
        return value
    return _amount(value, 2)


def _parse_rate(raw: Any, where: str, errors: list[str]) -> _Rate | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: a rate row must be a mapping")
        return None
    unknown = sorted(set(raw) - set(RATE_FIELDS))
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}")
        return None
    values: dict[str, Any] = dict.fromkeys(RATE_FIELDS)
    values["legal_reference"] = str(raw.get("legal_reference") or "").strip()
    try:
        values["valid_from"] = _date(raw.get("valid_from"))
        if raw.get("valid_until") is not None:
            values["valid_until"] = _date(raw["valid_until"])
        if values["valid_until"] is not None and values["valid_until"] <= values["valid_from"]:
            raise ValueError("valid_until must be after valid_from")
        values["kind"] = raw.get("kind")
        if values["kind"] not in RateRow.Kind.values:
            raise ValueError(f"kind must be one of {', '.join(RateRow.Kind.values)}")
        for name, places in (("amount", 2), ("share", 4), ("cap", 2)):
            if raw.get(name) is not None:
                values[name] = _amount(raw[name], places)
        if raw.get("recognition_year") is not None:
            year = raw["recognition_year"]
            if not isinstance(year, int) or isinstance(year, bool) or year < 1:
                raise ValueError("recognition_year must be a whole number from 1")
            values["recognition_year"] = year
        _check_kind(values)
    except (ValueError, InvalidOperation, TypeError) as exc:
        errors.append(f"{where}: {exc}")
        return None
    return _Rate(values)


def _check_kind(values: dict[str, Any]) -> None:
    """The fields each kind of rate needs (the raterow_kind_fields constraint, spelled out)."""
    amount, share, cap = values["amount"], values["share"], values["cap"]
    if values["kind"] == RateRow.Kind.CONTRIBUTION_SHARE:
        if amount is not None or share is None or cap is None:
            raise ValueError("contribution_share takes share and cap, not amount")
        if not (0 < share <= 1) or cap <= 0:
            raise ValueError("share must be above 0 and at most 1, cap above 0")
    else:
        if amount is None or share is not None or cap is not None:
            raise ValueError(f"{values['kind']} takes amount only")
        if amount <= 0:
            raise ValueError("amount must be above 0")


def _parse_policy(raw: Any, where: str, errors: list[str]) -> _Policy | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: a policy must be a mapping")
        return None
    known = {"region", "subsidy_type", "legal_reference", "rates", *POLICY_FIELDS}
    unknown = sorted(set(raw) - known)
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}")
        return None
    region = str(raw.get("region") or "").strip()
    type_code = str(raw.get("subsidy_type") or "").strip()
    where = f"{where} ({region} {type_code})"
    if not (len(region) == 6 and region.isdigit()):
        errors.append(f"{where}: region must be a 6-digit code (quote it in YAML)")
        return None
    values: dict[str, Any] = {"legal_reference": str(raw.get("legal_reference") or "").strip()}
    for name, kind in POLICY_FIELDS.items():
        if name not in raw:
            values[name] = _default(name)
            continue
        try:
            values[name] = _typed(kind, raw[name])
        except (ValueError, InvalidOperation) as exc:
            errors.append(f"{where}: {name} must be {kind} ({exc})")
    raw_rates = raw.get("rates")
    if not isinstance(raw_rates, list) or not raw_rates:
        errors.append(f"{where}: rates must be a non-empty list")
        return None
    rates = [
        rate
        for n, item in enumerate(raw_rates, start=1)
        if (rate := _parse_rate(item, f"{where} rate {n}", errors)) is not None
    ]
    _check_overlaps(rates, where, errors)
    return _Policy(where, region, type_code, values, rates)


def _check_overlaps(rates: list[_Rate], where: str, errors: list[str]) -> None:
    """Rate rows of one policy (and recognition year) may not overlap (nor repeat a valid_from)."""
    far = datetime.date.max
    spans = sorted(
        (r.values["recognition_year"] or 0, r.values["valid_from"], r.values["valid_until"] or far)
        for r in rates
    )
    for n, (year, start, end) in enumerate(spans):
        for other_year, other_start, _other_end in spans[n + 1 :]:
            if year == other_year and other_start < end:
                errors.append(f"{where}: rate rows from {start} and {other_start} overlap")


def policies_parse(data: Any) -> list[_Policy]:
    """Validate the structure of a loaded YAML document; raise PolicyDataError."""
    policies, errors = _parse_all(data)
    if errors:
        raise PolicyDataError(errors)
    return policies


def _parse_all(data: Any) -> tuple[list[_Policy], list[str]]:
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
        return [], ["the file must have a top-level list `policies`"]
    unknown = sorted(set(data) - {"policies"})
    if unknown:
        errors.append(f"unknown top-level key(s) {', '.join(unknown)}")
    policies: list[_Policy] = []
    seen: dict[tuple[str, str], str] = {}
    for n, raw in enumerate(data["policies"], start=1):
        policy = _parse_policy(raw, f"policy {n}", errors)
        if policy is None:
            continue
        key = (policy.region_code, policy.type_code)
        if key in seen:
            errors.append(f"{policy.where}: the same region and type as {seen[key]}")
            continue
        seen[key] = policy.where
        policies.append(policy)
    if not policies and not errors:
        errors.append("the file has no policies")
    return policies, errors


def _state(policy: SubsidyPolicy) -> dict[str, Any]:
    """The audited picture of a policy: its fields and its rate rows."""
    data = snapshot(policy, AUDITED_POLICY_FIELDS)
    data["rates"] = [
        snapshot(rate, RATE_FIELDS) for rate in policy.rates.order_by("valid_from", "pk")
    ]
    return data


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(m for e in errs for m in e.messages)}"
            for name, errs in exc.error_dict.items()
        )
    return " ".join(exc.messages)


def _apply(spec: _Policy, policy: SubsidyPolicy, errors: list[str]) -> bool:
    """Write `spec` into `policy` (saved or not) and its rate rows; return whether it changed."""
    is_new = policy._state.adding
    changed = is_new
    for name, value in spec.values.items():
        if getattr(policy, name) != value:
            setattr(policy, name, value)
            changed = True
    try:
        policy.full_clean()
    except ValidationError as exc:
        errors.append(f"{spec.where}: {_messages(exc)}")
        return False
    if changed:
        policy.save()
    existing = (
        {}
        if is_new
        else {(rate.valid_from, rate.recognition_year): rate for rate in policy.rates.all()}
    )
    for spec_rate in spec.rates:
        values = spec_rate.values
        key = (values["valid_from"], values["recognition_year"])
        rate = existing.get(key) or RateRow(policy=policy)
        dirty = rate._state.adding
        for name, value in values.items():
            if getattr(rate, name) != value:
                setattr(rate, name, value)
                dirty = True
        if not dirty:
            continue
        try:
            # The overlap constraint is checked against the database when saved.
            rate.full_clean(exclude=["policy"])
            with transaction.atomic():
                rate.save()
        except ValidationError as exc:
            errors.append(f"{spec.where} rate from {values['valid_from']}: {_messages(exc)}")
            continue
        except IntegrityError:
            errors.append(
                f"{spec.where} rate from {values['valid_from']}: overlaps a rate row "
                "already in the database (entered in the admin?)"
            )
            continue
        changed = True
    return changed


@transaction.atomic
def policies_load(
    *, path: Path = SHIPPED_FILE, data: Any = None, update: bool = True
) -> LoadResult:
    """
    Validate the policies in `data` (or the YAML file at `path`) and upsert
    them with their rate rows, all or nothing; audit each created or changed
    policy. With update=False, policies that exist are left untouched
    (create-only). Raise PolicyDataError listing every problem.
    """
    source = "inline data" if data is not None else path.name
    if data is None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PolicyDataError([f"not valid YAML: {exc}"]) from exc
    specs, errors = _parse_all(data)
    result = LoadResult()
    regions = {r.code: r for r in Region.objects.filter(code__in={s.region_code for s in specs})}
    types = {t.code: t for t in SubsidyType.objects.all()}
    for spec in specs:
        if spec.type_code not in types:
            errors.append(f"{spec.where}: unknown subsidy type {spec.type_code!r}")
        region = regions.get(spec.region_code)
        if region is not None and region.level not in (Region.Level.CITY, Region.Level.DISTRICT):
            errors.append(f"{spec.where}: a policy's region is a city or a district")
    if errors:
        raise PolicyDataError(errors)
    current = {
        (p.region.code, p.subsidy_type.code): p
        for p in SubsidyPolicy.objects.select_for_update(of=("self",))
        .select_related("region", "subsidy_type")
        .filter(region__code__in=list(regions))
    }
    for spec in specs:
        region = regions.get(spec.region_code)
        if region is None:
            if spec.region_code not in result.skipped_regions:
                result.skipped_regions.append(spec.region_code)
            continue
        policy = current.get((spec.region_code, spec.type_code))
        if policy is not None and not update:
            result.unchanged += 1
            continue
        before = _state(policy) if policy is not None else None
        if policy is None:
            policy = SubsidyPolicy(region=region, subsidy_type=types[spec.type_code])
        if not _apply(spec, policy, errors):
            result.unchanged += 1
            continue
        audit_record(
            actor=None,
            action="subsidy_policy.loaded",
            obj=policy,
            before=before,
            after=_state(policy),
            reason=source,
        )
        if before is None:
            result.created += 1
        else:
            result.updated += 1
    if errors:
        raise PolicyDataError(errors)
    return result


class Command(BaseCommand):
    help = (
        "Load subsidy policies and their dated rate rows from YAML (default: the shipped "
        "subsidies/data/policies.yaml). All or nothing; safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SHIPPED_FILE, help="YAML file (default: shipped)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = policies_load(path=path)
        except PolicyDataError as exc:
            raise CommandError(
                f"{path.name}: {len(exc.errors)} problem(s); nothing was loaded.\n"
                + "\n".join(f"  {error}" for error in exc.errors)
            ) from exc
        for code in result.skipped_regions:
            self.stderr.write(
                self.style.WARNING(f"Region {code} is not loaded (run regions_load): skipped.")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Subsidy policies from {path.name}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
