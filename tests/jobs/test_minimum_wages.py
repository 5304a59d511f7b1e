import csv
import datetime
import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jobs.management.commands.jobs_minimum_wages_load import (
    SHIPPED_FILE,
    MinimumWageDataError,
    minimum_wages_load,
)
from jobs.models import MinimumWage
from jobs.selectors import minimum_hourly_wage
from mamagang.regions.models import Region
from tests.conftest import SHIPPED_REGIONS, load_shipped_regions

pytestmark = pytest.mark.django_db


def _shipped_codes() -> set[str]:
    with SHIPPED_FILE.open(encoding="utf-8") as fh:
        return {row["region_code"] for row in csv.DictReader(fh)}


def load_wage_regions() -> None:
    """Create the regions the shipped wage table names (cities) and their province."""
    with gzip.open(Path(settings.BASE_DIR) / SHIPPED_REGIONS, "rt", encoding="utf-8") as fh:
        rows = {row["code"]: row for row in csv.DictReader(fh)}
    for code in sorted(_shipped_codes()):
        parent_code = rows[code]["parent_code"]
        parent, _ = Region.objects.get_or_create(
            code=parent_code,
            defaults={
                "name": rows[parent_code]["name"],
                "level": rows[parent_code]["level"],
                "valid_from": "2023-01-01",
                "source_version": "test",
            },
        )
        Region.objects.get_or_create(
            code=code,
            defaults={
                "name": rows[code]["name"],
                "level": rows[code]["level"],
                "parent": parent,
                "valid_from": "2023-01-01",
                "source_version": "test",
            },
        )


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "wages.csv"
    path.write_text("\n".join(["region_code,valid_from,monthly,hourly,source", *lines]) + "\n")
    return path


def test_shipped_minimum_wage_file_names_only_guangdong_cities_with_sources():
    with gzip.open(Path(settings.BASE_DIR) / SHIPPED_REGIONS, "rt", encoding="utf-8") as fh:
        levels = {row["code"]: row["level"] for row in csv.DictReader(fh)}
    with SHIPPED_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    assert {levels[row["region_code"]] for row in rows} == {"city"}
    assert all(row["source"].strip() for row in rows)
    assert len({row["region_code"] for row in rows}) == 21  # every Guangdong city


def test_minimum_wages_load_creates_every_row_then_changes_nothing():
    load_wage_regions()

    first = minimum_wages_load()
    second = minimum_wages_load()

    assert first.created == MinimumWage.objects.count() > 0
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)


def test_minimum_hourly_wage_of_a_shenzhen_district_follows_the_dated_table():
    regions = load_shipped_regions("440306")
    load_wage_regions()
    minimum_wages_load()
    baoan = regions["440306"]

    assert minimum_hourly_wage(district=baoan, on=datetime.date(2021, 11, 30)) is None
    assert minimum_hourly_wage(district=baoan, on=datetime.date(2024, 1, 1)) == Decimal("22.2")
    assert minimum_hourly_wage(district=baoan, on=datetime.date(2025, 3, 1)) == Decimal("23.7")
    assert minimum_hourly_wage(district=baoan, on=datetime.date(2026, 9, 1)) == Decimal("25.4")


def test_minimum_wages_load_updates_a_corrected_figure(tmp_path):
    load_wage_regions()
    minimum_wages_load(path=_write(tmp_path, ["440300,2025-03-01,2520,23.0,old"]))

    result = minimum_wages_load(path=_write(tmp_path, ["440300,2025-03-01,2520,23.7,fixed"]))

    wage = MinimumWage.objects.get(region__code="440300")
    assert (result.updated, wage.hourly, wage.source) == (1, Decimal("23.70"), "fixed")


def test_minimum_wages_load_writes_nothing_when_a_row_is_bad(tmp_path):
    load_wage_regions()
    path = _write(
        tmp_path,
        [
            "440300,2025-03-01,2520,23.7,ok",
            "440100,2025-13-01,2500,23.7,bad date",
            "440100,2025-03-01,2500,2600,hourly above monthly",
            "440300,2025-03-01,2520,23.7,duplicate",
            "4401,2025-03-01,2500,23.7,short code",
            "440400,2025-03-01,2080,19.8,",
        ],
    )

    with pytest.raises(MinimumWageDataError) as excinfo:
        minimum_wages_load(path=path)

    assert [line for line, _reason in excinfo.value.errors] == [3, 4, 5, 6, 7]
    assert MinimumWage.objects.count() == 0


def test_minimum_wages_load_command_names_missing_regions():
    Region.objects.create(
        code="440000", name="广东省", level="province", valid_from="2023-01-01", source_version="t"
    )

    with pytest.raises(CommandError, match=r"regions not loaded.*440100"):
        call_command("jobs_minimum_wages_load")

    assert MinimumWage.objects.count() == 0
