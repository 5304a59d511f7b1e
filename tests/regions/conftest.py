import csv
import gzip
import io
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

WriteRegions = Callable[..., Path]


def regions_csv(rows: Iterable[tuple[str, ...]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent_code"])
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


@pytest.fixture
def write_regions(tmp_path: Path) -> WriteRegions:
    """Return a function that writes rows as CSV in tmp_path (gzip if named .gz)."""

    def write(rows: Iterable[tuple[str, ...]], name: str = "regions-2023.csv.gz") -> Path:
        path = tmp_path / name
        data = regions_csv(rows)
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        return path

    return write
