"""
manage.py jobs_minimum_wages_load: load the dated minimum-wage table.

The shipped file is jobs/data/minimum_wages.csv (sources in jobs/data/SOURCES.md).
Every row is validated first; nothing is written unless all rows are valid and
every region exists. Rows are upserted by (region, valid_from) and never deleted.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jobs.models import MinimumWage
from mamagang.regions.models import Region

SHIPPED_FILE = Path(__file__).resolve().parents[2] / "data" / "minimum_wages.csv"
COLUMNS = ["region_code", "valid_from", "monthly", "hourly", "source"]
_SOURCE_MAX = MinimumWage._meta.get_field("source").max_length


class MinimumWageDataError(Exception):
    """The file has problems: (line, reason) pairs; nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class _Row:
    line: int
    region_code: str
    valid_from: datetime.date
    monthly: Decimal
    hourly: Decimal
    source: str


def _money(text: str, places: int) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a positive number")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"at most {places} decimal places")
    return value.quantize(Decimal(1).scaleb(-places))


def _parse(path: Path) -> list[_Row]:
    errors: list[tuple[int, str]] = []
    rows: list[_Row] = []
    seen: dict[tuple[str, datetime.date], int] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != COLUMNS:
            raise MinimumWageDataError(
                [(1, f"header must be {','.join(COLUMNS)}, got {reader.fieldnames}")]
            )
        for line, raw in enumerate(reader, start=2):
            code = (raw["region_code"] or "").strip()
            source = (raw["source"] or "").strip()
            try:
                if not (len(code) == 6 and code.isdigit()):
                    raise ValueError(f"region_code {code!r} is not a 6-digit code")
                valid_from = datetime.date.fromisoformat((raw["valid_from"] or "").strip())
                monthly = _money(raw["monthly"] or "", 2)
                hourly = _money(raw["hourly"] or "", 2)
                if hourly >= monthly:
                    raise ValueError("hourly must be below monthly")
                if not source or len(source) > _SOURCE_MAX:
                    raise ValueError(f"source must have 1-{_SOURCE_MAX} characters")
            except (ValueError, InvalidOperation) as exc:
                errors.append((line, str(exc) or "invalid number"))
                continue
            key = (code, valid_from)
            if key in seen:
                errors.append((line, f"duplicate of line {seen[key]} ({code} {valid_from})"))
                continue
            seen[key] = line
            rows.append(_Row(line, code, valid_from, monthly, hourly, source))
    if errors:
        raise MinimumWageDataError(errors)
    if not rows:
        raise MinimumWageDataError([(0, "the file has no rows")])
    return rows


@transaction.atomic
def minimum_wages_load(*, path: Path = SHIPPED_FILE) -> LoadResult:
    """
    Validate `path` and upsert its rows into MinimumWage (all or nothing).
    Raise MinimumWageDataError listing every bad row or missing region.
    """
    rows = _parse(path)
    regions = {r.code: r for r in Region.objects.filter(code__in={row.region_code for row in rows})}
    missing = sorted({row.region_code for row in rows} - set(regions))
    if missing:
        raise MinimumWageDataError(
            [(0, f"regions not loaded (run regions_load first): {', '.join(missing)}")]
        )
    existing = {
        (w.region_id, w.valid_from): w
        for w in MinimumWage.objects.select_for_update().filter(region__in=regions.values())
    }
    created = updated = unchanged = 0
    for row in rows:
        region = regions[row.region_code]
        values = {"monthly": row.monthly, "hourly": row.hourly, "source": row.source}
        current = existing.get((region.pk, row.valid_from))
        if current is None:
            MinimumWage.objects.create(region=region, valid_from=row.valid_from, **values)
            created += 1
        elif any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            current.save(update_fields=list(values))
            updated += 1
        else:
            unchanged += 1
    return LoadResult(created, updated, unchanged)


class Command(BaseCommand):
    help = (
        "Load the dated minimum-wage table (region_code,valid_from,monthly,hourly,source); "
        "by default the shipped jobs/data/minimum_wages.csv. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SHIPPED_FILE, help="CSV file (default: shipped)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = minimum_wages_load(path=path)
        except MinimumWageDataError as exc:
            lines = [
                f"  row {line}: {reason}" if line else f"  {reason}" for line, reason in exc.errors
            ]
            raise CommandError(
                f"{path.name}: {len(exc.errors)} problem(s); nothing was loaded.\n"
                + "\n".join(lines)
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Minimum wages from {path.name}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
