"""The shipped data file: content, provenance and a full load."""

import csv
import gzip
import hashlib
import io
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from mamagang.regions.models import Region, RegionDataset
from mamagang.regions.services import SHIPPED_FILE

PROVENANCE = SHIPPED_FILE.parent / "PROVENANCE.md"


def _shipped_rows() -> list[dict[str, str]]:
    text = gzip.decompress(SHIPPED_FILE.read_bytes()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _provenance_counts() -> dict[str, int]:
    text = PROVENANCE.read_text(encoding="utf-8")
    return {
        level: int(count)
        for level, count in re.findall(
            r"^\| (province|city|district|street) \| (\d+) \|$", text, re.M
        )
    }


def test_shipped_file_counts_match_provenance():
    counts = Counter(row["level"] for row in _shipped_rows())

    assert dict(counts) == _provenance_counts()
    assert 31 <= counts["province"] <= 34
    assert counts["street"] > 41_000


def test_shipped_file_sha256_matches_provenance():
    digest = hashlib.sha256(SHIPPED_FILE.read_bytes()).hexdigest()

    assert f"sha256 of the gzip file: `{digest}`" in PROVENANCE.read_text(encoding="utf-8")


def test_shipped_file_is_sorted_by_code_with_parents_first():
    rows = _shipped_rows()
    codes = [row["code"] for row in rows]
    seen: set[str] = set()
    for row in rows:
        assert row["parent_code"] == "" or row["parent_code"] in seen, row
        seen.add(row["code"])

    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.django_db
def test_shipped_file_loads_with_baoan_streets_under_shenzhen():
    out = StringIO()
    call_command("regions_load", stdout=out)

    assert "Loaded regions 2023" in out.getvalue()
    counts = dict(Counter(Region.objects.values_list("level", flat=True)))
    assert counts == _provenance_counts()
    assert not Region.objects.exclude(level="province").filter(parent__isnull=True).exists()

    baoan_streets = {
        f"440306{n:03d}": street
        for n in range(17, 27)
        for street in Region.objects.select_related("parent__parent__parent").filter(
            code=f"440306{n:03d}"
        )
    }
    assert len(baoan_streets) == 10
    assert baoan_streets["440306017"].name == "新安街道"
    assert baoan_streets["440306026"].name == "石岩街道"
    for street in baoan_streets.values():
        assert street.level == Region.Level.STREET
        district = street.parent
        assert (district.code, district.name, district.level) == ("440306", "宝安区", "district")
        assert (district.parent.code, district.parent.name) == ("440300", "深圳市")
        assert (district.parent.parent.code, district.parent.parent.level) == ("440000", "province")

    # Cities without districts keep their streets directly.
    assert Region.objects.get(code="441900003").parent.code == "441900"
    assert Region.objects.get(code="441900").level == Region.Level.CITY

    out = StringIO()
    call_command("regions_load", stdout=out)
    assert "already loaded" in out.getvalue()
    assert RegionDataset.objects.count() == 1
