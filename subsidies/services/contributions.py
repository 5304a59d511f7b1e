"""
Monthly social-insurance contribution files (社保缴费数据导入, issue 6 item 2).

Staff upload what the social-insurance agency hands over each month: one row
per person, month and payer (an employer's USCC, or none for a flexible
worker), with the insurance types and the amounts paid. The file is checked
row by row and lands whole or not at all. Only the keyed hash of the ID
number is stored: the clear number never reaches the database, the audit
trail or an error message.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from mamagang.accounts.selectors import region_prefixes_for_user, user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.crypto import keyed_hash
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import validate_resident_id, validate_uscc
from mamagang.core.tabular import TabularError, read_rows
from mamagang.regions.models import Region

from ..models import ContributionImport, ContributionRecord

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

IMPORT_PERMISSION = "subsidies.import_contributions"
# A district's month is a few thousand rows; a city's fits too.
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
# Rows per INSERT statement; also why 10 and 100 rows cost the same queries.
BATCH_SIZE = 1000
# Social insurance as it is known today began in the 1990s; an earlier
# month is a typing error (0225-01, 1925-01).
EARLIEST_MONTH = datetime.date(1990, 1, 1)
# DecimalField(max_digits=10, decimal_places=2).
MAX_AMOUNT = Decimal("99999999.99")

# The five insurances (五险), in the order they are stored.
INSURANCE_TYPES: dict[str, Any] = {
    "pension": gettext_lazy("养老"),
    "medical": gettext_lazy("医疗"),
    "unemployment": gettext_lazy("失业"),
    "work_injury": gettext_lazy("工伤"),
    "maternity": gettext_lazy("生育"),
}
_INSURANCE_WORDS: dict[str, str] = {
    **dict.fromkeys(("养老", "pension", "endowment"), "pension"),
    **dict.fromkeys(("医疗", "医保", "medical", "health"), "medical"),
    **dict.fromkeys(("失业", "unemployment"), "unemployment"),
    **dict.fromkeys(("工伤", "work_injury", "injury", "employment_injury"), "work_injury"),
    **dict.fromkeys(("生育", "maternity"), "maternity"),
}
# "企业职工基本养老保险" and "职工基本医疗保险" name the same two insurances.
_INSURANCE_NOISE_RE = re.compile(r"企业|城镇|职工|基本|社会|保险|险$")
_INSURANCE_SPLIT_RE = re.compile(r"[、,，;；/|\s]+")
_MONTH_RE = re.compile(r"([0-9]{4})\s*(?:[-/.年]\s*([0-9]{1,2})\s*月?|([0-9]{2}))")
_HEADER_NOTE_RE = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class Column:
    key: str
    # The Chinese header, untranslated: files carry it whatever the page
    # language (gettext_noop only marks it for the catalogue).
    header: str
    required: bool
    help: Any = ""
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "id_number",
        gettext_noop("身份证号码"),
        True,
        gettext_lazy("18位公民身份号码；系统只保存其加密摘要，不保存号码本身"),
        ("身份证号", "公民身份号码", "证件号码", "id_number"),
    ),
    Column(
        "employer_uscc",
        gettext_noop("单位统一社会信用代码"),
        False,
        gettext_lazy("18位；灵活就业人员留空"),
        ("统一社会信用代码", "单位社会信用代码", "employer_uscc", "uscc"),
    ),
    Column(
        "month",
        gettext_noop("所属月份"),
        True,
        gettext_lazy("YYYY-MM 或 YYYYMM，如 2025-03、202503；不能晚于本月"),
        ("缴费月份", "费款所属期", "费款所属月份", "month"),
    ),
    Column(
        "insurance_types",
        gettext_noop("险种"),
        True,
        gettext_lazy("养老、医疗、失业、工伤、生育中的一项或多项，用“、”或逗号分隔"),
        ("参保险种", "缴费险种", "insurance_types"),
    ),
    Column(
        "employer_amount",
        gettext_noop("单位缴费"),
        False,
        gettext_lazy("单位缴纳金额（元），不小于0，最多两位小数；灵活就业人员可留空"),
        ("单位缴费金额", "单位缴纳", "employer_amount"),
    ),
    Column(
        "person_amount",
        gettext_noop("个人缴费"),
        True,
        gettext_lazy("个人缴纳金额（元），不小于0，最多两位小数"),
        ("个人缴费金额", "个人缴纳", "person_amount"),
    ),
)
_COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}


class RowError(NamedTuple):
    """
    One problem in the file: `row` counts as a spreadsheet does (the header
    is row 1); 0 means the file as a whole. `column` is the Chinese header.
    """

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """
    What an import did. With `errors` nothing was written; with
    `duplicate_file` the same file had been imported before (`batch` is
    that import) and nothing was written either.
    """

    created: int = 0
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    duplicate_file: bool = False
    # Rows already stored, with the same amounts, by an earlier file.
    skipped: int = 0
    # The import written, or with `duplicate_file` the earlier one.
    batch: ContributionImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.duplicate_file


class _FileError(Exception):
    """The file cannot be read at all; carries the one error to report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Reading the file -------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            # Numbers typed into a numeric cell come back as 202503.0.
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime | datetime.date):
        # Excel turns a typed "2025-03" into the date 2025-03-01.
        if value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _normalise_header(value: str) -> str:
    value = _HEADER_NOTE_RE.sub("", value.replace("\ufeff", ""))
    return re.sub(r"\s+", "", value).strip("*＊").lower()


_HEADER_LOOKUP: dict[str, str] = {
    _normalise_header(name): column.key
    for column in COLUMNS
    for name in (column.header, column.key, *column.aliases)
}


def _header_map(header: list[str]) -> tuple[dict[int, str], list[RowError]]:
    """
    Map column positions to keys. Other columns (序号, 姓名, …) are ignored
    and never stored; a known column twice or a required one missing is an
    error.
    """
    positions: dict[int, str] = {}
    errors: list[RowError] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        key = _HEADER_LOOKUP.get(_normalise_header(cell))
        if key is None:
            continue
        if key in seen:
            errors.append(RowError(1, cell, _("列“%(c)s”重复出现。") % {"c": cell}))
            continue
        seen.add(key)
        positions[index] = key
    for column in COLUMNS:
        if column.required and column.key not in seen:
            errors.append(RowError(1, column.header, _("缺少“%(c)s”列。") % {"c": column.header}))
    return positions, errors


def _parse(data: bytes, file_name: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Return (row number, {key: text}) for every non-blank data row, or the file's errors."""
    try:
        rows = read_rows(data, file_name, cell_text=_cell_text, max_rows=MAX_ROWS)
    except TabularError as exc:
        raise _FileError(exc.message) from exc
    positions, errors = _header_map(rows[0])
    if errors:
        return [], errors
    records = [
        (number, {key: row[i] if i < len(row) else "" for i, key in positions.items()})
        for number, row in enumerate(rows[1:], start=2)
        if any(row)
    ]
    if not records:
        raise _FileError(_("文件中没有数据行。"))
    if len(records) > MAX_ROWS:
        raise _FileError(_("文件超过%(max)s行数据，请拆分后分批导入。") % {"max": MAX_ROWS})
    return records, []


# Checking the rows --------------------------------------------------------------


def parse_month(text: str) -> datetime.date | None:
    """Return the 1st of the month written as YYYY-MM, YYYYMM, YYYY/MM or YYYY年M月."""
    match = _MONTH_RE.fullmatch(text.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2) or match.group(3))
    if not 1 <= month <= 12:
        return None
    return datetime.date(year, month, 1)


def parse_insurance_types(text: str) -> tuple[list[str], list[str]]:
    """Return (codes in storage order, words not understood) of a 险种 cell."""
    codes: set[str] = set()
    unknown: list[str] = []
    for word in _INSURANCE_SPLIT_RE.split(text.strip()):
        if not word:
            continue
        code = _INSURANCE_WORDS.get(word.lower()) or _INSURANCE_WORDS.get(
            _INSURANCE_NOISE_RE.sub("", word)
        )
        if code is None:
            unknown.append(word)
        else:
            codes.add(code)
    return [code for code in INSURANCE_TYPES if code in codes], unknown


def _canonical_types(codes: list[str]) -> list[str]:
    """Return insurance type codes in storage order (unknown codes last)."""
    order = list(INSURANCE_TYPES)
    return sorted(codes, key=lambda c: (order.index(c) if c in order else len(order), c))


def _parse_amount(text: str) -> Decimal | str:
    """Return the amount, or the message saying what is wrong with it."""
    cleaned = text.replace(",", "").replace("，", "").removesuffix("元").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return _("“%(v)s”不是金额，请填写数字，如 512.30。") % {"v": text}
    if not amount.is_finite():
        return _("“%(v)s”不是金额，请填写数字，如 512.30。") % {"v": text}
    if amount < 0:
        return _("金额不能为负数。")
    if amount != amount.quantize(Decimal("0.01")):
        return _("金额最多保留两位小数。")
    if amount > MAX_AMOUNT:
        return _("金额过大，请核对。")
    return amount.quantize(Decimal("0.01"))


@dataclass
class _Row:
    number: int
    person_hash: str
    month: datetime.date
    employer_uscc: str
    insurance_types: list[str]
    employer_amount: Decimal
    person_amount: Decimal

    @property
    def key(self) -> tuple[str, datetime.date, str]:
        return (self.person_hash, self.month, self.employer_uscc)


def _check_row(
    number: int,
    raw: dict[str, str],
    *,
    today: datetime.date,
    errors: list[RowError],
    usccs: dict[str, str | list[str]],
) -> _Row | None:
    failed = False

    def fail(key: str, message: str) -> None:
        nonlocal failed
        failed = True
        errors.append(RowError(number, _COLUMNS_BY_KEY[key].header, message))

    person_hash = ""
    id_number = raw.get("id_number", "")
    if not id_number:
        fail("id_number", _("请填写身份证号码。"))
    else:
        try:
            person_hash = keyed_hash(validate_resident_id(id_number, today=today))
        except ValidationError as exc:
            fail("id_number", " ".join(exc.messages))

    uscc = raw.get("employer_uscc", "")
    if uscc:
        # A file repeats a few hundred employers' codes: check each once.
        if uscc not in usccs:
            try:
                usccs[uscc] = validate_uscc(uscc)
            except ValidationError as exc:
                usccs[uscc] = exc.messages
        checked = usccs[uscc]
        if isinstance(checked, list):
            fail("employer_uscc", " ".join(checked))
        else:
            uscc = checked

    month = parse_month(raw.get("month", ""))
    if not raw.get("month"):
        fail("month", _("请填写所属月份。"))
    elif month is None:
        fail("month", _("所属月份应写作 YYYY-MM 或 YYYYMM，如 2025-03 或 202503。"))
    elif month > today.replace(day=1):
        fail("month", _("所属月份不能晚于本月。"))
    elif month < EARLIEST_MONTH:
        fail("month", _("所属月份早于1990年，请核对。"))

    types: list[str] = []
    if not raw.get("insurance_types"):
        fail("insurance_types", _("请填写险种。"))
    else:
        types, unknown = parse_insurance_types(raw["insurance_types"])
        if unknown:
            fail(
                "insurance_types",
                _("无法识别的险种：%(words)s。可填：%(labels)s。")
                % {
                    "words": "、".join(unknown),
                    "labels": "、".join(str(label) for label in INSURANCE_TYPES.values()),
                },
            )
        elif not types:
            fail("insurance_types", _("请填写险种。"))

    amounts: dict[str, Decimal] = {}
    for key in ("employer_amount", "person_amount"):
        text = raw.get(key, "")
        if not text:
            # A flexible worker pays everything herself: no employer share.
            if key == "employer_amount" and not raw.get("employer_uscc"):
                amounts[key] = Decimal("0.00")
            else:
                fail(key, _("请填写%(c)s金额，没有则填0。") % {"c": _COLUMNS_BY_KEY[key].header})
            continue
        parsed = _parse_amount(text)
        if isinstance(parsed, Decimal):
            amounts[key] = parsed
        else:
            fail(key, parsed)

    if failed:
        return None
    return _Row(
        number=number,
        person_hash=person_hash,
        month=month,  # type: ignore[arg-type]
        employer_uscc=uscc,
        insurance_types=types,
        employer_amount=amounts["employer_amount"],
        person_amount=amounts["person_amount"],
    )


def _stored_records(rows: list[_Row]) -> dict[tuple[str, datetime.date, str], tuple]:
    """
    Return the stored (employer amount, person amount, insurance types) of
    every row's (person, month, payer), in one query whatever the file's
    size: the keys travel as three arrays joined with unnest.
    """
    if not rows:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.person_hash, r.month, r.employer_uscc,
                   r.employer_amount, r.person_amount, r.insurance_types
              FROM subsidies_contributionrecord r
              JOIN unnest(%s::varchar[], %s::date[], %s::varchar[]) AS k(h, m, u)
                ON r.person_hash = k.h AND r.month = k.m AND r.employer_uscc = k.u
            """,
            [
                [row.person_hash for row in rows],
                [row.month for row in rows],
                [row.employer_uscc for row in rows],
            ],
        )
        return {
            (h, m, u): (ea, pa, _canonical_types(types))
            for h, m, u, ea, pa, types in cursor.fetchall()
        }


def _check_rows(
    records: list[tuple[int, dict[str, str]]], *, today: datetime.date
) -> tuple[list[_Row], int, list[RowError]]:
    """Return (rows to create, rows skipped as already stored, errors)."""
    errors: list[RowError] = []
    rows: list[_Row] = []
    first_row_of: dict[tuple[str, datetime.date, str], int] = {}
    usccs: dict[str, str | list[str]] = {}
    for number, raw in records:
        row = _check_row(number, raw, today=today, errors=errors, usccs=usccs)
        if row is None:
            continue
        if row.key in first_row_of:
            errors.append(
                RowError(
                    number,
                    _COLUMNS_BY_KEY["id_number"].header,
                    _("与第%(n)s行重复：同一人员、所属月份和缴费单位只能有一行。")
                    % {"n": first_row_of[row.key]},
                )
            )
            continue
        first_row_of[row.key] = number
        rows.append(row)

    stored = _stored_records(rows)
    new_rows: list[_Row] = []
    skipped = 0
    for row in rows:
        existing = stored.get(row.key)
        if existing is None:
            new_rows.append(row)
        elif existing == (row.employer_amount, row.person_amount, row.insurance_types):
            skipped += 1
        else:
            ea, pa, types = existing
            if ea != row.employer_amount:
                column = "employer_amount"
            elif pa != row.person_amount:
                column = "person_amount"
            else:
                column = "insurance_types"
            errors.append(
                RowError(
                    row.number,
                    _COLUMNS_BY_KEY[column].header,
                    _(
                        "与已导入记录不一致（已导入：单位缴费%(ea)s元，个人缴费%(pa)s元，"
                        "险种%(types)s）。如需更正，请联系系统管理员。"
                    )
                    % {
                        "ea": ea,
                        "pa": pa,
                        "types": "、".join(str(INSURANCE_TYPES.get(t, t)) for t in types),
                    },
                )
            )
    errors.sort(key=lambda e: e.row)
    return new_rows, skipped, errors


# The service ----------------------------------------------------------------------


def contributions_import(
    *,
    file_name: str,
    data: bytes,
    region: Region,
    imported_by: User,
    now: datetime.datetime | None = None,
) -> ImportResult:
    """
    Import a month's social-insurance contributions for `region` (a city or
    a district in the user's scope) from a CSV (UTF-8 with or without BOM,
    or GB18030 as Excel saves it) or an XLSX file (first sheet).

    All or nothing: every row is checked (ID number and USCC with their
    check characters, month not after the current one, insurance types,
    amounts ≥ 0 with at most 2 decimals, no two rows for one person, month
    and payer) and if any is bad nothing is written and `errors` lists each
    problem with its row number.

    Idempotency: the same file (same SHA-256) imported again returns
    `duplicate_file=True` and writes nothing. A different file may repeat
    records already stored (same person, month and payer USCC): a row with
    the same amounts and insurance types is skipped, not an error; a row
    that differs is an error ("与已导入记录不一致") and, as with any error,
    the file is not imported. Stored records are never overwritten here.

    Store each person by the keyed hash of her normalised ID number, never
    the number. Record an audit event "contributions.imported" (counts
    only). Raise DomainError without the permission or outside the user's
    regions. Queries do not grow per row: existing records are looked up
    in one query and rows are written with bulk_create in batches.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not imported_by.has_perm(IMPORT_PERMISSION):
        raise DomainError(_("您没有导入社保缴费数据的权限。"), code="contributions_no_permission")
    if region.level not in (Region.Level.CITY, Region.Level.DISTRICT):
        raise DomainError(_("请选择地市或区县。"), code="contributions_region_level")
    if not user_may_act_on_region(user=imported_by, region_code=region.code):
        raise DomainError(
            _("%(region)s不在您的辖区内。") % {"region": region.name},
            code="contributions_region_out_of_scope",
        )
    if len(data) > MAX_BYTES:
        return ImportResult(errors=[RowError(0, "", _("文件超过20 MB，请拆分后分批导入。"))])

    digest = hashlib.sha256(data).hexdigest()
    earlier = ContributionImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        return ImportResult(row_count=earlier.row_count, duplicate_file=True, batch=earlier)

    try:
        records, errors = _parse(data, file_name)
    except _FileError as exc:
        return ImportResult(errors=[RowError(0, "", exc.message)])
    if errors:
        return ImportResult(errors=errors)
    rows, skipped, errors = _check_rows(records, today=today)
    if errors:
        return ImportResult(row_count=len(records), errors=errors)

    try:
        with transaction.atomic():
            batch = ContributionImport.objects.create(
                region=region,
                file_name=file_name[:200],
                sha256=digest,
                row_count=len(records),
                created_count=len(rows),
                imported_by=imported_by,
                created_at=now,
            )
            ContributionRecord.objects.bulk_create(
                [
                    ContributionRecord(
                        person_hash=row.person_hash,
                        month=row.month,
                        employer_uscc=row.employer_uscc,
                        insurance_types=row.insurance_types,
                        employer_amount=row.employer_amount,
                        person_amount=row.person_amount,
                        source=batch,
                    )
                    for row in rows
                ],
                batch_size=BATCH_SIZE,
            )
            audit_record(
                actor=imported_by,
                action="contributions.imported",
                obj=batch,
                after={
                    "rows": len(records),
                    "created": len(rows),
                    "skipped": skipped,
                    "region": region.code,
                    "sha256": digest,
                },
            )
    except IntegrityError:
        # Another upload stored the same file, or some of these records,
        # between the checks above and the insert.
        earlier = ContributionImport.objects.filter(sha256=digest).first()
        if earlier is not None:
            return ImportResult(row_count=earlier.row_count, duplicate_file=True, batch=earlier)
        message = _("导入时有相同记录被同时导入，没有导入任何数据。请重新上传。")
        return ImportResult(row_count=len(records), errors=[RowError(0, "", message)])
    if rows:
        from ..tasks import contribution_lines_redecide

        transaction.on_commit(lambda: contribution_lines_redecide.delay(import_id=batch.pk))
    return ImportResult(created=len(rows), row_count=len(records), skipped=skipped, batch=batch)


def lines_redecide_after_import(*, import_id: int) -> int:
    """
    Re-decide, set-based, every unsettled line of the imported months that waited for
    a contribution record (`no_contribution_record`): files arrive monthly and often
    late (DOMAIN.md §5.4, §5.6), so the line becomes eligible without anyone clicking.
    Return how many lines changed. Safe to run twice (unchanged lines are not written).
    """
    from ..engine import lines_decide
    from ..models import ClaimLine, SubsidyPolicy
    from ..reasons import Reason

    months = (
        ContributionRecord.objects.filter(source_id=import_id)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    groups = sorted(
        ClaimLine.objects.filter(
            status__in=[ClaimLine.Status.OPEN, ClaimLine.Status.APPROVED],
            month__in=months,
            reasons__contains=[Reason.NO_CONTRIBUTION_RECORD.value],
        )
        .order_by()
        .values_list("month", "policy_id")
        .distinct()
    )
    policies = SubsidyPolicy.objects.select_related("region", "subsidy_type").in_bulk(
        {policy_id for _month, policy_id in groups}
    )
    return sum(
        lines_decide(policy=policies[policy_id], month=month).changed for month, policy_id in groups
    )


def contribution_import_list_for_user(
    *, user: User | AnonymousUser, limit: int = 20
) -> QuerySet[ContributionImport]:
    """
    Return the latest `limit` imports of regions in `user`'s scope, newest
    first, with region and importer loaded (one query).
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return ContributionImport.objects.none()
    imports = ContributionImport.objects.all()
    if "" not in prefixes:
        scope = Q()
        for prefix in prefixes:
            scope |= Q(region__code__startswith=prefix)
        imports = imports.filter(scope)
    return imports.select_related("region", "region__parent", "imported_by").order_by(
        "-created_at", "-pk"
    )[:limit]


def sample_file_path() -> str:
    """Return the path of the shipped sample file (synthetic people and employers)."""
    return str(Path(__file__).resolve().parent.parent / "data" / "contributions-sample.csv")
