import datetime

import pytest

from mamagang.regions.models import Region, RegionDataset
from mamagang.regions.services import RegionDataError, regions_load

from .factories import V2023

pytestmark = pytest.mark.django_db

JAN_2023 = datetime.date(2023, 1, 1)
JAN_2024 = datetime.date(2024, 1, 1)
JAN_2025 = datetime.date(2025, 1, 1)

# 2024: 西乡 renamed, 航城 added, 东莞 and its street gone.
V2024 = [
    row if row[0] != "440306018" else ("440306018", "西乡街道办事处", "street", "440306")
    for row in V2023
    if not row[0].startswith("4419")
] + [("440306019", "航城街道", "street", "440306")]


def _load(path, version="2023", valid_from=JAN_2023, **kwargs):
    return regions_load(path=path, version=version, valid_from=valid_from, **kwargs)


def _parents() -> dict[str, str | None]:
    return dict(Region.objects.values_list("code", "parent__code"))


def test_regions_load_creates_levels_and_parent_links(write_regions):
    result = _load(write_regions(V2023))

    assert (result.created, result.updated, result.retired, result.unchanged) == (7, 0, 0, 0)
    assert result.row_count == 7
    assert not result.skipped
    assert {r.code: r.level for r in Region.objects.all()} == {c: lv for c, _n, lv, _p in V2023}
    assert _parents() == {c: p or None for c, _n, _l, p in V2023}
    baoan = Region.objects.get(code="440306")
    assert baoan.name == "宝安区"
    assert (baoan.valid_from, baoan.valid_to, baoan.source_version) == (JAN_2023, None, "2023")
    assert Region.objects.get(code="441900003").parent.level == Region.Level.CITY


def test_regions_load_records_dataset(write_regions):
    result = _load(write_regions(V2023))

    dataset = RegionDataset.objects.get()
    assert (dataset.version, dataset.sha256, dataset.row_count) == ("2023", result.sha256, 7)
    assert dataset.valid_from == JAN_2023


def test_regions_load_updates_renamed_region_when_newer_version(write_regions):
    _load(write_regions(V2023))
    untouched_before = Region.objects.get(code="440306017").updated_at

    result = _load(write_regions(V2024, "regions-2024.csv.gz"), "2024", JAN_2024)

    assert (result.created, result.updated, result.retired, result.unchanged) == (1, 1, 2, 4)
    xixiang = Region.objects.get(code="440306018")
    assert xixiang.name == "西乡街道办事处"
    assert (xixiang.source_version, xixiang.valid_from) == ("2024", JAN_2023)
    hangcheng = Region.objects.get(code="440306019")
    assert (hangcheng.parent.code, hangcheng.valid_from) == ("440306", JAN_2024)
    untouched = Region.objects.get(code="440306017")
    assert (untouched.updated_at, untouched.source_version) == (untouched_before, "2023")


def test_regions_load_retires_vanished_codes_and_keeps_their_links(write_regions):
    _load(write_regions(V2023))

    _load(write_regions(V2024, "regions-2024.csv.gz"), "2024", JAN_2024)

    dongguan = Region.objects.get(code="441900")
    dongcheng = Region.objects.get(code="441900003")
    assert dongguan.valid_to == dongcheng.valid_to == datetime.date(2023, 12, 31)
    assert dongcheng.parent == dongguan
    assert list(dongguan.children.all()) == [dongcheng]
    assert not Region.objects.current(on=JAN_2024).filter(code__startswith="4419").exists()
    assert Region.objects.current(on=datetime.date(2023, 12, 31)).filter(code="441900").exists()


def test_regions_load_unretires_code_when_it_returns(write_regions):
    _load(write_regions(V2023))
    _load(write_regions(V2024, "regions-2024.csv.gz"), "2024", JAN_2024)

    result = _load(write_regions(V2023, "regions-2025.csv.gz"), "2025", JAN_2025)

    # 东莞 and 东城 return, 西乡 gets its old name back, 航城 vanishes.
    assert (result.created, result.updated, result.retired) == (0, 3, 1)
    dongguan = Region.objects.get(code="441900")
    assert (dongguan.valid_to, dongguan.valid_from, dongguan.source_version) == (
        None,
        JAN_2023,
        "2025",
    )
    assert Region.objects.get(code="440306019").valid_to == datetime.date(2024, 12, 31)
    assert set(Region.objects.current(on=JAN_2025).values_list("code", flat=True)) == {
        c for c, *_ in V2023
    }


def test_regions_load_keeps_valid_to_not_before_valid_from_when_dates_collide(write_regions):
    _load(write_regions(V2024, "regions-2024.csv.gz"), "2024", JAN_2024)

    _load(write_regions(V2023), "2023b", JAN_2024)

    assert Region.objects.get(code="440306019").valid_to == JAN_2024


def test_regions_load_skips_same_file_loaded_last(write_regions, django_assert_max_num_queries):
    path = write_regions(V2023)
    first = _load(path)
    stamps = dict(Region.objects.values_list("code", "updated_at"))

    with django_assert_max_num_queries(4):
        again = _load(path)

    assert again.skipped
    assert (again.created, again.updated, again.retired, again.unchanged) == (0, 0, 0, 7)
    assert again.sha256 == first.sha256
    assert RegionDataset.objects.count() == 1
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps


def test_regions_load_writes_no_row_when_forced_on_same_file(write_regions):
    path = write_regions(V2023)
    _load(path)
    stamps = dict(Region.objects.values_list("code", "updated_at"))

    result = _load(path, force=True)

    assert not result.skipped
    assert (result.created, result.updated, result.retired, result.unchanged) == (0, 0, 0, 7)
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps
    assert RegionDataset.objects.count() == 2


def test_regions_load_reloads_when_another_version_came_between(write_regions):
    path_2023 = write_regions(V2023)
    _load(path_2023)
    _load(write_regions(V2024, "regions-2024.csv.gz"), "2024", JAN_2024)

    result = _load(path_2023, valid_from=JAN_2025)

    assert not result.skipped
    assert Region.objects.get(code="441900").valid_to is None


def test_regions_load_reads_plain_csv(write_regions):
    result = _load(write_regions(V2023, "regions-2023.csv"))

    assert result.created == 7


def test_regions_load_accepts_parent_already_loaded_when_keeping_missing(write_regions):
    _load(write_regions(V2023))

    result = _load(
        write_regions([("440306019", "航城街道", "street", "440306")], "regions-extra.csv"),
        version="extra",
        valid_from=JAN_2024,
        retire_missing=False,
    )

    assert (result.created, result.retired) == (1, 0)
    assert Region.objects.get(code="440306019").parent.code == "440306"
    assert not Region.objects.filter(valid_to__isnull=False).exists()


def test_regions_load_refuses_parent_only_in_database_when_retiring_missing(write_regions):
    _load(write_regions(V2023))

    with pytest.raises(RegionDataError) as excinfo:
        _load(
            write_regions([("440306019", "航城街道", "street", "440306")], "regions-x.csv"),
            version="x",
            valid_from=JAN_2024,
        )

    assert excinfo.value.errors == [(2, "parent 440306 is not in the file")]
    assert not Region.objects.filter(valid_to__isnull=False).exists()


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (("4403060", "宝安区", "district", "440300"), "code '4403060' must be 6 digits"),
        (("44030A", "宝安区", "district", "440300"), "code '44030A' must be 6 digits"),
        (("440306", "", "district", "440300"), "empty name"),
        (("440306", "宝安区", "county", "440300"), "unknown level 'county'"),
        (("440306", "宝安区", "district", "440400"), "parent 440400 is neither in the file"),
        (("440306", "宝安区", "district", ""), "a district needs a parent_code"),
        (("440306", "宝安区", "street", "440300"), "code '440306' must be 9 digits"),
        (("440306", "宝安区", "district", "440306017"), "parent 440306017 is a street"),
        (("450306", "宝安区", "district", "440300"), "does not start with its parent's prefix"),
        (("440300", "深圳市", "city", "440000"), "duplicate code 440300 (first on row 3)"),
        (("440300", "深圳市", "province", "440000"), "a province has no parent"),
        (("440306", "宝安区", "district", "440300", "x"), "expected 4 columns, got 5"),
    ],
)
def test_regions_load_loads_nothing_when_a_row_is_bad(write_regions, bad_row, reason):
    rows = [r for r in V2023 if r[0] != "440306"]
    rows.insert(3, bad_row)  # file row 5 (row 1 is the header)

    with pytest.raises(RegionDataError) as excinfo:
        _load(write_regions(rows))

    assert any(line == 5 and reason in text for line, text in excinfo.value.errors), (
        excinfo.value.errors
    )
    assert not Region.objects.exists()
    assert not RegionDataset.objects.exists()


def test_regions_load_lists_every_bad_row(write_regions):
    rows = [*V2023, ("9", "", "street", "440306"), ("440306099", "x", "town", "440306")]

    with pytest.raises(RegionDataError) as excinfo:
        _load(write_regions(rows))

    assert sorted({line for line, _reason in excinfo.value.errors}) == [9, 10]
    assert len(excinfo.value.errors) == 4
    assert str(excinfo.value) == "2 bad row(s) in the region data file"


def test_regions_load_rejects_wrong_header(tmp_path):
    path = tmp_path / "regions-2023.csv"
    path.write_text("code,name,level\n440000,广东省,province\n", encoding="utf-8")

    with pytest.raises(RegionDataError) as excinfo:
        _load(path)

    assert excinfo.value.errors[0][0] == 1
    assert not Region.objects.exists()


def test_regions_load_rejects_truncated_gzip(write_regions):
    path = write_regions(V2023)
    path.write_bytes(path.read_bytes()[:-20])

    with pytest.raises(RegionDataError) as excinfo:
        _load(path)

    assert excinfo.value.errors[0][0] == 0
    assert not Region.objects.exists()
