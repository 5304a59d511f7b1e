import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mamagang.regions.models import Region, RegionDataset

from .factories import V2023

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("regions_load", *args, stdout=out)
    return out.getvalue()


def test_regions_load_command_loads_file_with_version_and_date_from_name(write_regions):
    path = write_regions(V2023, "regions-2024.csv.gz")

    output = _run("--file", str(path))

    assert "Loaded regions 2024" in output
    assert "7 created, 0 updated, 0 retired, 0 unchanged" in output
    dataset = RegionDataset.objects.get()
    assert (dataset.version, dataset.valid_from) == ("2024", datetime.date(2024, 1, 1))
    assert Region.objects.get(code="440306").source_version == "2024"


def test_regions_load_command_uses_given_version_and_valid_from(write_regions):
    path = write_regions(V2023, "divisions.csv")

    _run("--file", str(path), "--version", "2023-07", "--valid-from", "2023-06-30")

    region = Region.objects.get(code="440306")
    assert (region.source_version, region.valid_from) == ("2023-07", datetime.date(2023, 6, 30))


def test_regions_load_command_reports_file_already_loaded(write_regions):
    path = write_regions(V2023)
    _run("--file", str(path))

    output = _run("--file", str(path))

    assert "already loaded: 7 rows unchanged" in output
    assert RegionDataset.objects.count() == 1


def test_regions_load_command_raises_command_error_naming_bad_rows(write_regions):
    rows = [*V2023, ("440306999", "", "street", "440306"), ("4403069", "x", "street", "440306")]

    with pytest.raises(CommandError) as excinfo:
        _run("--file", str(write_regions(rows)))

    message = str(excinfo.value)
    assert "nothing was loaded" in message
    assert "row 9: empty name" in message
    assert "row 10: code '4403069' must be 9 digits for a street" in message
    assert not Region.objects.exists()


def test_regions_load_command_requires_version_when_name_has_none(write_regions):
    with pytest.raises(CommandError, match="pass --version"):
        _run("--file", str(write_regions(V2023, "divisions.csv")))


def test_regions_load_command_requires_valid_from_when_version_is_not_a_year(write_regions):
    with pytest.raises(CommandError, match="pass --valid-from"):
        _run("--file", str(write_regions(V2023, "regions-2023-07.csv.gz")))


def test_regions_load_command_raises_command_error_when_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _run("--file", str(tmp_path / "regions-2023.csv.gz"))


def test_regions_load_command_keeps_missing_codes_when_asked(write_regions):
    _run("--file", str(write_regions(V2023)))
    extra = write_regions([("440306019", "航城街道", "street", "440306")], "regions-2024.csv")

    output = _run("--file", str(extra), "--keep-missing")

    assert "1 created, 0 updated, 0 retired" in output
    assert Region.objects.current(on=datetime.date(2024, 1, 1)).count() == 8
