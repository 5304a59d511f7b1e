import csv
import datetime
import gzip
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from mamagang.regions.models import Region
from tests.conftest import SHIPPED_REGIONS

from .factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("4403", Region.Level.CITY),
        ("44030A", Region.Level.DISTRICT),
        ("440306", Region.Level.STREET),
        ("440306017", Region.Level.DISTRICT),
        ("４４０３０６", Region.Level.DISTRICT),  # full-width digits
    ],
)
def test_region_full_clean_rejects_code_not_matching_level(code, level):
    region = RegionFactory.build(code=code, level=level)

    with pytest.raises(ValidationError) as excinfo:
        region.full_clean()

    assert "region_code_matches_level" in str(excinfo.value)


def test_region_save_raises_integrity_error_when_code_is_malformed():
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(code="44030X", level=Region.Level.DISTRICT)


def test_region_save_raises_integrity_error_when_valid_to_precedes_valid_from():
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(valid_from=datetime.date(2024, 1, 1), valid_to=datetime.date(2023, 12, 31))


def test_region_full_clean_accepts_well_formed_street():
    district = RegionFactory(code="440306", level=Region.Level.DISTRICT)
    street = RegionFactory.build(code="440306017", level=Region.Level.STREET, parent=district)

    street.full_clean()


def test_region_str_returns_name():
    assert str(RegionFactory.build(name="宝安区")) == "宝安区"


def test_region_code_has_pattern_ops_index_for_prefix_lookups():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Region._meta.db_table]
        )
        definitions = [row[0] for row in cursor.fetchall()]

    assert any("(code varchar_pattern_ops)" in d for d in definitions), definitions


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


def test_region_prefix_lookup_reads_only_the_prefix_range_of_the_full_division_table():
    # given every division of the shipped file (about 44,700 rows: a realistic
    # table, not a nearly empty one) and fresh planner statistics
    with gzip.open(Path(settings.BASE_DIR) / SHIPPED_REGIONS, "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    Region.objects.bulk_create(
        [
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                valid_from="2023-01-01",
                source_version="test",
            )
            for row in rows
        ],
        batch_size=5000,
    )
    shenzhen = sum(row["code"].startswith("4403") for row in rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Region._meta.db_table}")

        # when the prefix lookup ("everything in 深圳市") is run and measured,
        # with the planner free to choose (no enable_seqscan tricks)
        queryset = Region.objects.filter(code__startswith="4403")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        explained = cursor.fetchone()[0]
    plan = explained[0]["Plan"] if isinstance(explained, list) else json.loads(explained)[0]["Plan"]
    nodes = list(_plan_nodes(plan))

    # then it returns Shenzhen's rows by reading an index range on the code: no
    # node scans the table and no row is read only to be thrown away, whichever
    # index or scan the server version prefers (PostgreSQL 15 and 18 alike).
    # (Blocks touched are not compared: rows rolled back by earlier tests leave
    # dead index entries that a long test run legitimately visits.)
    assert plan["Actual Rows"] == shenzhen > 50
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], plan
    index_conditions = [n.get("Index Cond", "") for n in nodes]
    assert any("code" in cond for cond in index_conditions), plan
    discarded = sum(
        n.get("Rows Removed by Filter", 0) + n.get("Rows Removed by Index Recheck", 0)
        for n in nodes
    )
    assert discarded == 0, plan
