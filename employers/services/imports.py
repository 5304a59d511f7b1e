"""
Bulk import of employers already known to the bureau (DOMAIN.md §2.4): one
CSV or XLSX file, every row checked, and either all rows land as listed
employers or none do.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from employers.models import Employer, ListingPeriod, RegistryEntry, RegistryEvent
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record_many, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import normalize_uscc, uscc_entity_type, validate_uscc
from mamagang.core.tabular import TabularError, read_rows
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from mamagang.accounts.models import User

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
IMPORT_REASON = "批量导入"
# Batches keep each INSERT statement a reasonable size for 5,000 rows.
_BATCH_SIZE = 500


@dataclass(frozen=True)
class ImportColumn:
    key: str
    # The Chinese header, untranslated: files always carry it, whatever the
    # page language (gettext_noop only marks it for the catalogue).
    header: str
    required: bool
    help: Any = ""
    aliases: tuple[str, ...] = ()


_YES_NO = gettext_lazy("是/否，可不填（不填视为否）")

IMPORT_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("name", gettext_noop("单位名称"), True),
    ImportColumn("uscc", gettext_noop("统一社会信用代码"), True, gettext_lazy("18位")),
    ImportColumn(
        "district", gettext_noop("所属区县代码"), True, gettext_lazy("6位代码，须在您的辖区内")
    ),
    ImportColumn("street", gettext_noop("所属街道代码"), False, gettext_lazy("9位代码，可不填")),
    ImportColumn("sector", gettext_noop("行业"), True, gettext_lazy("填写名称或代码")),
    ImportColumn("address", gettext_noop("经营地址"), True),
    ImportColumn("contact_name", gettext_noop("联系人"), True),
    ImportColumn("contact_phone", gettext_noop("联系电话"), True),
    ImportColumn("size", gettext_noop("单位规模"), True, gettext_lazy("填写名称或代码")),
    ImportColumn("has_nursing_room", gettext_noop("母婴室"), False, _YES_NO, ("设有母婴室",)),
    ImportColumn("has_women_home", gettext_noop("妇女之家"), False, _YES_NO, ("设有妇女之家",)),
    ImportColumn("has_childcare", gettext_noop("托育"), False, _YES_NO, ("提供托育或课后托管",)),
    ImportColumn(
        "has_school_run_arrangement",
        gettext_noop("接送安排"),
        False,
        _YES_NO,
        ("安排接送孩子时间",),
    ),
    ImportColumn("description", gettext_noop("单位简介"), False, gettext_lazy("可不填")),
    ImportColumn(
        "facilities_note", gettext_noop("家庭友好设施说明"), False, gettext_lazy("可不填")
    ),
)
_COLUMNS_BY_KEY = {column.key: column for column in IMPORT_COLUMNS}
# Header cells that carry no data and are skipped (a row number column).
_IGNORED_HEADERS = {"序号", "no", "no."}

_BOOLEAN_VALUES = {
    **dict.fromkeys(("是", "有", "y", "yes", "true", "1", "√", "✓"), True),
    **dict.fromkeys(("否", "无", "没有", "n", "no", "false", "0", "×", ""), False),
}
# Spreadsheet users type "10-99人" for the "10–99人" label.
_DASHES_RE = re.compile(r"[-‐‑‒—―－~～]")
_HEADER_NOTE_RE = re.compile(r"[（(][^）)]*[）)]")
_DISTRICT_CODE_RE = re.compile(r"[0-9]{6}")
_STREET_CODE_RE = re.compile(r"[0-9]{9}")


@dataclass(frozen=True)
class RowError:
    """One problem in the file; `row` counts as a spreadsheet does (header = 1)."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int
    employer_ids: list[int] = field(default_factory=list)


class ImportFailed(DomainError):  # noqa: N818 (the name the callers were promised)
    """The file was refused as a whole; `errors` says where and why."""

    def __init__(self, message: str | None = None, *, errors: list[RowError] | None = None):
        self.errors = sorted(errors or [], key=lambda e: e.row)
        if message is None:
            message = _("文件中有%(n)s处错误，没有导入任何单位。请修改后重新上传。") % {
                "n": len(self.errors)
            }
        super().__init__(message, code="import_failed")


def import_template_csv() -> bytes:
    """
    Return the import template: a CSV with the Chinese headers, UTF-8 with a
    BOM so that Excel opens it without garbling the characters.
    """
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.header for column in IMPORT_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


# Reading the file ----------------------------------------------------------


def _read_bytes(file: IO[bytes] | UploadedFile) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportFailed(_("文件超过5 MB，请拆分后分批导入。"))
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportFailed(_("文件超过5 MB，请拆分后分批导入。"))
    return data


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # Codes typed into a numeric cell come back as 440306.0.
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _normalise_header(value: str) -> str:
    value = _HEADER_NOTE_RE.sub("", value.replace("\ufeff", ""))
    return value.strip().strip("*＊").strip().lower()


def _header_map(header: list[str]) -> tuple[dict[int, str], list[RowError]]:
    """Map column positions to field keys; report unknown and missing columns."""
    lookup: dict[str, str] = {}
    for column in IMPORT_COLUMNS:
        for name in (column.header, _(column.header), column.key, *column.aliases):
            lookup[_normalise_header(name)] = column.key
    positions: dict[int, str] = {}
    errors: list[RowError] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        name = _normalise_header(cell)
        if not name or name in _IGNORED_HEADERS:
            continue
        key = lookup.get(name)
        if key is None:
            errors.append(RowError(1, cell, _("无法识别的列“%(c)s”。") % {"c": cell}))
        elif key in seen:
            errors.append(RowError(1, cell, _("列“%(c)s”重复出现。") % {"c": cell}))
        else:
            seen.add(key)
            positions[index] = key
    for column in IMPORT_COLUMNS:
        if column.required and column.key not in seen:
            errors.append(RowError(1, column.header, _("缺少“%(c)s”列。") % {"c": column.header}))
    return positions, errors


# Checking the rows ----------------------------------------------------------


def _choice_lookup(choices: list[tuple[str, str]]) -> dict[str, str]:
    """Map codes and labels, in Chinese and in the page language, to the code."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[value.lower()] = value
        lookup[_DASHES_RE.sub("–", str(label)).lower()] = value
        # Files are written in Chinese even when the page is shown in English.
        with translation.override("zh-hans"):
            lookup[_DASHES_RE.sub("–", str(label)).lower()] = value
    return lookup


class _RowChecker:
    """Turn raw rows into unsaved Employers, collecting every error."""

    def __init__(self, *, rows: list[tuple[int, dict[str, str]]], imported_by: User) -> None:
        self.rows = rows
        self.imported_by = imported_by
        self.errors: list[RowError] = []
        self.sectors = _choice_lookup(Employer.Sector.choices)
        self.sizes = _choice_lookup(Employer.Size.choices)
        self._load_regions()

    def _load_regions(self) -> None:
        # Two queries for the whole file, not one per row.
        districts = {raw.get("district", "") for _n, raw in self.rows}
        streets = {raw.get("street", "") for _n, raw in self.rows}
        self.districts = {
            r.code: r
            # Districts, and cities without districts (东莞, 中山), which stand in for one.
            for r in Region.objects.current().filter(county_level_q(), code__in=districts - {""})
        }
        self.streets = {
            r.code: r
            for r in Region.objects.current().filter(
                level=Region.Level.STREET, code__in=streets - {""}
            )
        }

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, _COLUMNS_BY_KEY[key].header, message))

    def check(self) -> list[Employer]:
        usccs = {number: normalize_uscc(raw.get("uscc", "")) for number, raw in self.rows}
        # One query for the whole file.
        registered = set(
            Employer.objects.filter(uscc__in=set(usccs.values()) - {""}).values_list(
                "uscc", flat=True
            )
        )
        employers: list[Employer] = []
        first_row_of: dict[str, int] = {}
        for number, raw in self.rows:
            employer = self._check_row(number, raw)
            uscc = usccs[number]
            if not uscc:
                continue
            if uscc in first_row_of:
                employer = None
                self.error(
                    number,
                    "uscc",
                    _("与第%(n)s行的统一社会信用代码重复。") % {"n": first_row_of[uscc]},
                )
            else:
                first_row_of[uscc] = number
            if uscc in registered:
                employer = None
                self.error(number, "uscc", _("该统一社会信用代码已登记。"))
            if employer is not None:
                employers.append(employer)
        return employers

    def _check_row(self, number: int, raw: dict[str, str]) -> Employer | None:
        failed: set[str] = set()

        def fail(key: str, message: str) -> None:
            failed.add(key)
            self.error(number, key, message)

        uscc = normalize_uscc(raw.get("uscc", ""))
        if not uscc:
            fail("uscc", _("请填写统一社会信用代码。"))
        else:
            try:
                validate_uscc(uscc)
            except ValidationError as exc:
                fail("uscc", " ".join(exc.messages))

        district = self._district(raw.get("district", ""), fail)
        street = self._street(raw.get("street", ""), district, fail)

        values: dict[str, Any] = {
            key: raw.get(key, "")
            for key in ("name", "address", "contact_name", "contact_phone", "description")
        }
        values["facilities_note"] = raw.get("facilities_note", "")
        for key, lookup in (("sector", self.sectors), ("size", self.sizes)):
            text = raw.get(key, "")
            code = lookup.get(_DASHES_RE.sub("–", text).lower())
            if code is None and text:
                labels = "、".join(
                    str(label)
                    for label in (Employer.Sector if key == "sector" else Employer.Size).labels
                )
                message = _("“%(v)s”不是可选值，可选：%(labels)s。")
                fail(key, message % {"v": text, "labels": labels})
            values[key] = code or ""
        for key in (
            "has_nursing_room",
            "has_women_home",
            "has_childcare",
            "has_school_run_arrangement",
        ):
            flag = _BOOLEAN_VALUES.get(raw.get(key, "").lower())
            if flag is None:
                fail(key, _("请填写“是”或“否”。"))
            values[key] = bool(flag)

        if district is not None:
            values["district"] = district
        employer = Employer(
            uscc=uscc,
            entity_type=uscc_entity_type(uscc),
            street=street,
            created_by=self.imported_by,
            **values,
        )
        try:
            # The same field rules as employer_build (employers.py), minus the
            # per-row queries: regions were resolved above and the USCC's
            # uniqueness is checked for the whole file at once.
            employer.full_clean(
                exclude=["uscc", "district", "street", "created_by", "specialist", *failed],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key in _COLUMNS_BY_KEY:
                    fail(key, " ".join(messages))
                else:
                    failed.add(key)
                    self.errors.append(RowError(number, "", " ".join(messages)))
        return None if failed else employer

    def _district(self, code: str, fail) -> Region | None:
        if not code:
            fail("district", _("请填写所属区县代码。"))
            return None
        if not _DISTRICT_CODE_RE.fullmatch(code):
            fail("district", _("区县代码应为6位数字。"))
            return None
        district = self.districts.get(code)
        if district is None:
            fail("district", _("“%(c)s”不是现行的区县代码。") % {"c": code})
            return None
        if not user_may_act_on_region(user=self.imported_by, region_code=code):
            fail("district", _("%(name)s（%(c)s）不在您的辖区内。") % {"name": district, "c": code})
            return None
        return district

    def _street(self, code: str, district: Region | None, fail) -> Region | None:
        if not code:
            return None
        if not _STREET_CODE_RE.fullmatch(code):
            fail("street", _("街道代码应为9位数字。"))
            return None
        street = self.streets.get(code)
        if street is None:
            fail("street", _("“%(c)s”不是现行的街道/乡镇代码。") % {"c": code})
            return None
        if district is not None and street.parent_id != district.pk:
            fail("street", _("所选街道/乡镇不属于该区县。"))
            return None
        return street


def _parse(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """Return (row number, {key: text}) for every non-blank data row."""
    try:
        rows = read_rows(data, filename, cell_text=_cell_text, max_rows=MAX_ROWS)
    except TabularError as exc:
        raise ImportFailed(exc.message) from exc
    positions, errors = _header_map(rows[0])
    if errors:
        raise ImportFailed(errors=errors)
    records: list[tuple[int, dict[str, str]]] = []
    for offset, row in enumerate(rows[1:]):
        if not any(row):
            continue
        records.append(
            (offset + 2, {key: row[i] if i < len(row) else "" for i, key in positions.items()})
        )
    if not records:
        raise ImportFailed(_("文件中没有数据行。"))
    if len(records) > MAX_ROWS:
        raise ImportFailed(_("文件超过%(max)s行数据，请拆分后分批导入。") % {"max": MAX_ROWS})
    return records


# Writing ---------------------------------------------------------------------


def _save(*, employers: list[Employer], imported_by: User, listed_from: datetime.date) -> list[int]:
    now = timezone.now()
    Employer.objects.bulk_create(employers, batch_size=_BATCH_SIZE)
    entries = RegistryEntry.objects.bulk_create(
        [
            RegistryEntry(
                employer=employer,
                district=employer.district,
                status=RegistryEntry.Status.APPROVED,
                source=RegistryEntry.Source.IMPORT,
                declaration_confirmed=True,
                decided_by=imported_by,
                decided_at=now,
                decision_reason=IMPORT_REASON,
            )
            for employer in employers
        ],
        batch_size=_BATCH_SIZE,
    )
    RegistryEvent.objects.bulk_create(
        [
            RegistryEvent(
                entry=entry,
                from_status="",
                to_status=RegistryEntry.Status.APPROVED,
                actor=imported_by,
                reason=IMPORT_REASON,
                occurred_at=now,
            )
            for entry in entries
        ],
        batch_size=_BATCH_SIZE,
    )
    ListingPeriod.objects.bulk_create(
        [
            ListingPeriod(employer=entry.employer, entry=entry, listed_from=listed_from)
            for entry in entries
        ],
        batch_size=_BATCH_SIZE,
    )
    audit_record_many(
        actor=imported_by,
        action="employer.imported",
        reason=IMPORT_REASON,
        changes=[
            (
                employer,
                None,
                {
                    **snapshot(employer, ["uscc", "name", "district", "sector"]),
                    "registry_entry": entry.pk,
                    "listed_from": listed_from.isoformat(),
                },
            )
            for employer, entry in zip(employers, entries, strict=True)
        ],
        batch_size=_BATCH_SIZE,
    )
    return [employer.pk for employer in employers]


def employers_import(
    *,
    file: IO[bytes] | UploadedFile,
    filename: str,
    imported_by: User,
    listed_from: datetime.date | None = None,
) -> ImportResult:
    """
    Import employers from a CSV (UTF-8, or GB18030 as Excel saves it) or an
    XLSX file and list each at once: an approved registry entry (source
    "import"), its event, an open listing period from `listed_from` (default
    today) and an audit row.

    Every row is checked first. Raise ImportFailed, carrying all row errors,
    and write nothing if any row is bad, the file is unreadable, over
    MAX_BYTES or over MAX_ROWS. Raise DomainError without the permission.
    Queries do not grow per row: regions and registered USCCs are looked up
    once for the file and the rows are written with bulk_create.
    """
    if not imported_by.has_perm("employers.import_employer"):
        raise DomainError(_("您没有批量导入用人单位的权限。"), code="import_no_permission")
    records = _parse(_read_bytes(file), filename)
    checker = _RowChecker(rows=records, imported_by=imported_by)
    employers = checker.check()
    if checker.errors:
        raise ImportFailed(errors=checker.errors)

    listed_from = listed_from or timezone.localdate()
    try:
        with transaction.atomic():
            ids = _save(employers=employers, imported_by=imported_by, listed_from=listed_from)
    except IntegrityError as exc:
        # Someone registered one of these USCCs between the check and the insert.
        raise ImportFailed(_("导入时有单位被同时登记，没有导入任何单位。请重新上传。")) from exc
    return ImportResult(created=len(ids), employer_ids=ids)
