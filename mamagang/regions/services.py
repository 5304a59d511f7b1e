"""Write use-cases for administrative divisions: loading a versioned data file."""

from __future__ import annotations

import csv
import datetime
import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .models import Region, RegionDataset
from .selectors import CODE_PREFIX_LENGTH

SHIPPED_FILE = Path(__file__).resolve().parent / "data" / "regions-2023.csv.gz"
HEADER = ["code", "name", "level", "parent_code"]
BATCH_SIZE = 5_000

_CODE_LENGTH: dict[str, int] = {
    Region.Level.PROVINCE: 6,
    Region.Level.CITY: 6,
    Region.Level.DISTRICT: 6,
    Region.Level.STREET: 9,
}
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(Region.Level)}
# Level.values is rebuilt on every access; this runs once per row.
_LEVELS = frozenset(Region.Level.values)
_NAME_MAX = Region._meta.get_field("name").max_length
_DIGITS = re.compile(r"[0-9]+")


class RegionDataError(Exception):
    """A data file that cannot be loaded; `errors` holds (row number, reason)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        rows = len({line for line, _reason in errors})
        super().__init__(f"{rows} bad row(s) in the region data file")


@dataclass(frozen=True)
class LoadResult:
    version: str
    sha256: str
    row_count: int
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    skipped: bool = False


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


def regions_load(
    *,
    path: Path,
    version: str,
    valid_from: datetime.date,
    retire_missing: bool = True,
    force: bool = False,
) -> LoadResult:
    """
    Load a division data file (CSV, optionally gzip: code,name,level,
    parent_code) as `version`, all or nothing.

    Insert new codes with `valid_from`, update changed names, levels and
    parents, clear `valid_to` on codes that reappear and, unless
    `retire_missing` is False, retire current codes absent from the file by
    setting `valid_to` to the day before `valid_from`. Nothing is deleted.
    Return at once, changing nothing, when the latest load was the same
    version and file (by SHA-256), unless `force`.

    Raise RegionDataError, having written nothing, if any row is invalid.
    """
    content = path.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()

    with transaction.atomic():
        # Serialise loads; readers are not blocked.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_table(Region)} IN SHARE ROW EXCLUSIVE MODE")
        latest = RegionDataset.objects.order_by("-loaded_at", "-pk").first()
        if not force and latest and (latest.version, latest.sha256) == (version, sha256):
            return LoadResult(
                version=version,
                sha256=sha256,
                row_count=latest.row_count,
                unchanged=latest.row_count,
                skipped=True,
            )

        rows = _parse(content)
        existing = {
            code: (name, level, parent_code, valid_to)
            for code, name, level, parent_code, valid_to in Region.objects.values_list(
                "code", "name", "level", "parent__code", "valid_to"
            )
        }
        _validate(rows, existing=existing, retire_missing=retire_missing)

        now = timezone.now()
        written: list[_Row] = []
        to_write: list[Region] = []
        created = updated = 0
        for row in rows:
            before = existing.get(row.code)
            if before is None:
                created += 1
            elif before == (row.name, row.level, row.parent_code or None, None):
                continue
            else:
                updated += 1
            written.append(row)
            to_write.append(
                Region(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    valid_from=valid_from,
                    valid_to=None,
                    source_version=version,
                    created_at=now,
                    updated_at=now,
                )
            )
        # valid_from and created_at are left alone on conflict: an existing
        # code keeps the date it was first seen.
        Region.objects.bulk_create(
            to_write,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "valid_to", "source_version", "updated_at"],
        )
        _link_parents(written)

        retired = 0
        if retire_missing:
            file_codes = {r.code for r in rows}
            gone = [c for c, v in existing.items() if v[3] is None and c not in file_codes]
            retired = _retire(gone, last_day=valid_from - datetime.timedelta(days=1), now=now)

        RegionDataset.objects.create(
            version=version, sha256=sha256, row_count=len(rows), valid_from=valid_from
        )
    return LoadResult(
        version=version,
        sha256=sha256,
        row_count=len(rows),
        created=created,
        updated=updated,
        retired=retired,
        unchanged=len(rows) - created - updated,
    )


def _table(model: type[Region] | type[RegionDataset]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _parse(content: bytes) -> list[_Row]:
    try:
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
        text = content.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise RegionDataError([(0, f"unreadable file: {exc}")]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != HEADER:
        raise RegionDataError([(1, f"header must be {','.join(HEADER)}, got {header}")])
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    for record in reader:
        line = reader.line_num
        if len(record) != len(HEADER):
            errors.append((line, f"expected {len(HEADER)} columns, got {len(record)}"))
            continue
        code, name, level, parent_code = (value.strip() for value in record)
        rows.append(_Row(line, code, name, level, parent_code))
    if errors:
        raise RegionDataError(errors)
    return rows


def _validate(
    rows: list[_Row],
    *,
    existing: dict[str, tuple[str, str, str | None, datetime.date | None]],
    retire_missing: bool,
) -> None:
    """Raise RegionDataError listing every bad row, or return None."""
    errors: list[tuple[int, str]] = []
    levels = {r.code: r.level for r in rows}
    seen: dict[str, int] = {}
    for row in rows:
        problems: list[str] = []
        if row.code in seen:
            problems.append(f"duplicate code {row.code} (first on row {seen[row.code]})")
        seen.setdefault(row.code, row.line)
        if not row.name:
            problems.append("empty name")
        elif len(row.name) > _NAME_MAX:
            problems.append(f"name longer than {_NAME_MAX} characters")
        if row.level not in _LEVELS:
            problems.append(f"unknown level {row.level!r}")
            errors.extend((row.line, p) for p in problems)
            continue
        level = row.level
        if not _DIGITS.fullmatch(row.code) or len(row.code) != _CODE_LENGTH[level]:
            problems.append(f"code {row.code!r} must be {_CODE_LENGTH[level]} digits for a {level}")
        problems.extend(_parent_problems(row, level, levels, existing, retire_missing))
        errors.extend((row.line, p) for p in problems)
    if errors:
        raise RegionDataError(errors)


def _parent_problems(
    row: _Row,
    level: str,
    levels: dict[str, str],
    existing: dict[str, tuple[str, str, str | None, datetime.date | None]],
    retire_missing: bool,
) -> list[str]:
    if level == Region.Level.PROVINCE:
        return [f"a province has no parent, got {row.parent_code}"] if row.parent_code else []
    if not row.parent_code:
        return [f"a {level} needs a parent_code"]
    parent_level = levels.get(row.parent_code)
    if parent_level is None and row.parent_code in existing:
        if retire_missing:
            # The parent would be retired by this very load.
            return [f"parent {row.parent_code} is not in the file"]
        parent_level = existing[row.parent_code][1]
    if parent_level is None:
        return [f"parent {row.parent_code} is neither in the file nor loaded"]
    if parent_level not in _LEVELS:
        return []  # reported on the parent's own row
    if _RANK[parent_level] >= _RANK[level]:
        return [f"parent {row.parent_code} is a {parent_level}, not above a {level}"]
    # Prefix scoping (selectors.region_code_prefix) relies on this.
    prefix = row.parent_code[: CODE_PREFIX_LENGTH[parent_level]]
    if not row.code.startswith(prefix):
        return [f"code {row.code} does not start with its parent's prefix {prefix}"]
    return []


def _link_parents(rows: list[_Row]) -> None:
    """Point each row at its parent by code in one set-based UPDATE."""
    if not rows:
        return
    table = _table(Region)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS child
               SET parent_id = parent.id
              FROM unnest(%s::varchar[], %s::varchar[]) AS link(code, parent_code)
              LEFT JOIN {table} AS parent ON parent.code = link.parent_code
             WHERE child.code = link.code
               AND child.parent_id IS DISTINCT FROM parent.id
            """,  # noqa: S608 (identifiers only; values are bound)
            [[r.code for r in rows], [r.parent_code or None for r in rows]],
        )


def _retire(codes: list[str], *, last_day: datetime.date, now: datetime.datetime) -> int:
    """Set `valid_to` on current `codes`; return how many were retired."""
    if not codes:
        return 0
    with connection.cursor() as cursor:
        # GREATEST keeps valid_to >= valid_from when a code is retired by a
        # file with the same (or an earlier) valid_from as the one that added it.
        cursor.execute(
            f"""
            UPDATE {_table(Region)}
               SET valid_to = GREATEST(valid_from, %s::date), updated_at = %s
             WHERE code = ANY(%s::varchar[]) AND valid_to IS NULL
            """,  # noqa: S608 (identifiers only; values are bound)
            [last_day, now, codes],
        )
        return cursor.rowcount
