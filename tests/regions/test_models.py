import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from mamagang.regions.models import Region

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


def test_region_prefix_lookup_uses_an_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Region.objects.filter(code__startswith="4403").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # Django's automatic regions_region_code_<hash>_like index.
    assert re.search(r"Index Scan (using|on) regions_region_code_\w+_like", plan), plan
