import csv
import io
from datetime import date
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from employers.models import Employer, ListingPeriod, RegistryEntry, RegistryEvent
from employers.services import imports
from employers.services.imports import ImportFailed, employers_import
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from tests.employers.factories import EmployerFactory, make_uscc

pytestmark = pytest.mark.django_db

HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "所属区县代码",
    "所属街道代码",
    "行业",
    "经营地址",
    "联系人",
    "联系电话",
    "单位规模",
    "母婴室",
    "妇女之家",
    "托育",
    "接送安排",
    "单位简介",
]


@pytest.fixture
def importer(staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def baoan_street(shenzhen_guangzhou):
    return next(
        code for code in sorted(shenzhen_guangzhou) if code.startswith("440306") and len(code) == 9
    )


@pytest.fixture
def other_street(shenzhen_guangzhou):
    return next(
        code for code in sorted(shenzhen_guangzhou) if code.startswith("440307") and len(code) == 9
    )


def _row(n: int, **overrides) -> list[str]:
    values = {
        "单位名称": f"宝安示范电商有限公司{n}",
        "统一社会信用代码": make_uscc(700000 + n),
        "所属区县代码": "440306",
        "所属街道代码": "",
        "行业": "电商",
        "经营地址": f"新安街道创业路{n}号",
        "联系人": "李女士",
        "联系电话": "0755-12345678",
        "单位规模": "10–99人",
        "母婴室": "是",
        "妇女之家": "否",
        "托育": "",
        "接送安排": "是",
        "单位简介": "直播电商，上午班。",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def _csv(rows: list[list[str]], *, encoding: str = "utf-8", headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(data: bytes, user, filename: str = "单位.csv", **kwargs):
    return employers_import(file=io.BytesIO(data), filename=filename, imported_by=user, **kwargs)


def _errors(exc_info) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in exc_info.value.errors]


# --- good files ----------------------------------------------------------------


def test_employers_import_csv_creates_listed_employers(importer, baoan_street):
    data = _csv(
        [_row(1), _row(2, 所属街道代码=baoan_street, 行业="manufacturing", 单位规模="micro")]
    )

    result = _import(data, importer, listed_from=date(2025, 3, 1))

    assert result.created == 2
    employers = Employer.objects.filter(pk__in=result.employer_ids).order_by("name")
    assert [e.uscc for e in employers] == [make_uscc(700001), make_uscc(700002)]
    first, second = employers
    assert first.sector == Employer.Sector.ECOMMERCE
    assert first.size == Employer.Size.SMALL
    assert first.has_nursing_room
    assert first.has_school_run_arrangement
    assert not first.has_women_home
    assert not first.has_childcare
    assert first.entity_type == Employer.EntityType.ENTERPRISE
    assert first.created_by == importer
    assert second.street.code == baoan_street
    assert second.sector == Employer.Sector.MANUFACTURING
    assert second.size == Employer.Size.MICRO

    for employer in employers:
        entry = RegistryEntry.objects.get(employer=employer)
        assert entry.status == RegistryEntry.Status.APPROVED
        assert entry.source == RegistryEntry.Source.IMPORT
        assert entry.district == employer.district
        assert entry.decided_by == importer
        assert entry.decided_at is not None
        assert entry.declaration_confirmed
        event = RegistryEvent.objects.get(entry=entry)
        assert (event.from_status, event.to_status, event.reason) == ("", "approved", "批量导入")
        assert event.actor == importer
        period = ListingPeriod.objects.get(employer=employer)
        assert (period.entry, period.listed_from, period.listed_until) == (
            entry,
            date(2025, 3, 1),
            None,
        )
        audit = AuditEvent.objects.get(action="employer.imported", object_id=str(employer.pk))
        assert audit.actor == importer
        assert audit.after["uscc"] == employer.uscc
    assert set(Employer.objects.listed_now().values_list("pk", flat=True)) == set(
        result.employer_ids
    )


def test_employers_import_lists_from_today_by_default(importer):
    result = _import(_csv([_row(1)]), importer)

    period = ListingPeriod.objects.get(employer_id=result.employer_ids[0])
    assert period.listed_from == timezone.localdate()


def test_employers_import_xlsx_creates_listed_employers(importer):
    # Numeric cells as Excel stores them: codes and phones as numbers.
    row = _row(1)
    row[HEADERS.index("所属区县代码")] = 440306
    row[HEADERS.index("联系电话")] = 13912345678
    row[HEADERS.index("母婴室")] = True
    data = _xlsx([row, _row(2, 单位规模="10-99人")])

    result = _import(data, importer, filename="名录导入.xlsx")

    assert result.created == 2
    employers = Employer.objects.filter(pk__in=result.employer_ids).order_by("name")
    assert employers[0].contact_phone == "13912345678"
    assert employers[0].has_nursing_room
    assert employers[1].size == Employer.Size.SMALL
    assert (
        RegistryEntry.objects.filter(
            employer__in=employers, status="approved", source="import"
        ).count()
        == 2
    )
    assert ListingPeriod.objects.filter(employer__in=employers, listed_until=None).count() == 2


def test_employers_import_reads_gb18030_csv(importer):
    data = _csv([_row(1, 单位名称="深圳市宝安区龍華妈妈工坊")], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    result = _import(data, importer)

    assert Employer.objects.get(pk=result.employer_ids[0]).name == "深圳市宝安区龍華妈妈工坊"


def test_employers_import_reads_utf8_with_bom_and_english_headers(importer):
    english = [
        "name",
        "uscc",
        "district",
        "street",
        "sector",
        "address",
        "contact_name",
        "contact_phone",
        "size",
        "has_nursing_room",
        "has_women_home",
        "has_childcare",
        "has_school_run_arrangement",
        "description",
    ]
    data = _csv([_row(1)], encoding="utf-8-sig", headers=english)

    assert _import(data, importer).created == 1


def test_employers_import_accepts_uploaded_file(importer):
    upload = SimpleUploadedFile("a.csv", _csv([_row(1)]), content_type="text/csv")

    result = employers_import(file=upload, filename=upload.name, imported_by=importer)

    assert result.created == 1


def test_employers_import_skips_blank_rows_and_keeps_row_numbers(importer):
    data = _csv([_row(1), [""] * len(HEADERS), _row(2, 联系人="")])

    with pytest.raises(ImportFailed) as exc_info:
        _import(data, importer)

    assert [(row, column) for row, column, _m in _errors(exc_info)] == [(4, "联系人")]


# --- refused files: nothing is written ----------------------------------------


def test_employers_import_imports_nothing_when_one_row_is_bad(importer):
    data = _csv([_row(1), _row(2, 统一社会信用代码="91440300MA5XXXXX0X"), _row(3)])

    with pytest.raises(ImportFailed) as exc_info:
        _import(data, importer)

    assert exc_info.value.code == "import_failed"
    errors = _errors(exc_info)
    assert len(errors) == 1
    row, column, message = errors[0]
    assert (row, column) == (3, "统一社会信用代码")
    assert "校验位" in message or "字符" in message
    assert Employer.objects.count() == 0
    assert RegistryEntry.objects.count() == 0
    assert ListingPeriod.objects.count() == 0
    assert not AuditEvent.objects.filter(action="employer.imported").exists()


def test_employers_import_reports_every_error_in_every_row(importer):
    data = _csv(
        [
            _row(1, 单位名称="", 行业="挖矿"),
            _row(2),
            _row(3, 单位规模="很大", 母婴室="也许", 所属区县代码="4403"),
        ]
    )

    with pytest.raises(ImportFailed) as exc_info:
        _import(data, importer)

    errors = _errors(exc_info)
    assert {(row, column) for row, column, _m in errors} == {
        (2, "单位名称"),
        (2, "行业"),
        (4, "单位规模"),
        (4, "母婴室"),
        (4, "所属区县代码"),
    }
    sector_message = next(m for r, c, m in errors if c == "行业")
    assert "挖矿" in sector_message
    assert "电商" in sector_message
    assert Employer.objects.count() == 0


def test_employers_import_refuses_duplicate_uscc_within_file(importer):
    uscc = make_uscc(700001)
    data = _csv([_row(1), _row(2), _row(3, 统一社会信用代码=uscc.lower())])

    with pytest.raises(ImportFailed) as exc_info:
        _import(data, importer)

    errors = _errors(exc_info)
    assert [(row, column) for row, column, _m in errors] == [(4, "统一社会信用代码")]
    assert "第2行" in errors[0][2]
    assert Employer.objects.count() == 0


def test_employers_import_refuses_uscc_already_registered(importer):
    existing = EmployerFactory(uscc=make_uscc(700002))

    with pytest.raises(ImportFailed) as exc_info:
        _import(_csv([_row(1), _row(2)]), importer)

    assert _errors(exc_info) == [(3, "统一社会信用代码", "该统一社会信用代码已登记。")]
    assert list(Employer.objects.all()) == [existing]


def test_employers_import_refuses_district_out_of_scope(importer):
    # 440106 天河区 exists but belongs to another bureau.
    with pytest.raises(ImportFailed) as exc_info:
        _import(_csv([_row(1), _row(2, 所属区县代码="440106")]), importer)

    errors = _errors(exc_info)
    assert [(row, column) for row, column, _m in errors] == [(3, "所属区县代码")]
    assert "不在您的辖区内" in errors[0][2]
    assert Employer.objects.count() == 0


def test_employers_import_refuses_unknown_or_non_district_codes(importer):
    data = _csv([_row(1, 所属区县代码="440300"), _row(2, 所属区县代码="449999")])

    with pytest.raises(ImportFailed) as exc_info:
        _import(data, importer)

    assert [(r, c) for r, c, _m in _errors(exc_info)] == [(2, "所属区县代码"), (3, "所属区县代码")]


def test_employers_import_refuses_street_of_another_district(importer, other_street):
    with pytest.raises(ImportFailed) as exc_info:
        _import(_csv([_row(1, 所属街道代码=other_street)]), importer)

    assert _errors(exc_info) == [(2, "所属街道代码", "所选街道/乡镇不属于该区县。")]


def test_employers_import_reports_missing_and_unknown_columns(importer):
    headers = [h for h in HEADERS if h != "联系电话"] + ["备注"]
    rows = [[*_row(1)[: len(HEADERS) - 1], "x"]]

    with pytest.raises(ImportFailed) as exc_info:
        _import(_csv(rows, headers=headers), importer)

    errors = _errors(exc_info)
    assert {(row, column) for row, column, _m in errors} == {(1, "备注"), (1, "联系电话")}


def test_employers_import_refuses_unsupported_format(importer):
    with pytest.raises(ImportFailed, match=r"\.xlsx"):
        _import(b"whatever", importer, filename="单位.xls")
    with pytest.raises(ImportFailed):
        _import(b"whatever", importer, filename="单位.txt")


def test_employers_import_refuses_corrupt_xlsx(importer):
    with pytest.raises(ImportFailed, match="Excel"):
        _import(b"not a zip file", importer, filename="单位.xlsx")


def test_employers_import_refuses_file_over_row_limit(importer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)

    with pytest.raises(ImportFailed, match="超过2行"):
        _import(_csv([_row(1), _row(2), _row(3)]), importer)
    assert Employer.objects.count() == 0


def test_employers_import_refuses_file_over_size_limit(importer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)

    with pytest.raises(ImportFailed, match="5 MB"):
        _import(_csv([_row(1), _row(2)]), importer)


def test_employers_import_refuses_empty_file(importer):
    with pytest.raises(ImportFailed):
        _import(b"", importer)
    with pytest.raises(ImportFailed, match="没有数据行"):
        _import(_csv([]), importer)


def test_employers_import_requires_permission(make_user, shenzhen_guangzhou):
    user = make_user("employer_member")

    with pytest.raises(DomainError) as exc_info:
        _import(_csv([_row(1)]), user)

    assert exc_info.value.code == "import_no_permission"
    assert Employer.objects.count() == 0


def test_employers_import_query_count_does_not_grow_with_rows(importer):
    def queries_for(first: int, count: int) -> int:
        data = _csv([_row(n) for n in range(first, first + count)])
        user = type(importer).objects.get(pk=importer.pk)  # no cached permissions or scopes
        with CaptureQueriesContext(connection) as ctx:
            assert _import(data, user).created == count
        return len(ctx.captured_queries)

    ten = queries_for(1, 10)
    hundred = queries_for(100, 100)

    assert hundred == ten
    # 2× permissions, scope, districts, streets, registered USCCs, savepoint,
    # 5 bulk INSERTs (employers, entries, events, periods, audit), release:
    # 12 when measured, for 10 or 100 rows alike.
    assert hundred <= 15


def test_import_template_csv_has_the_headers():
    text = imports.import_template_csv().decode("utf-8-sig")

    header = next(csv.reader(io.StringIO(text)))
    assert header[:9] == HEADERS[:9]
    assert "母婴室" in header
    assert "单位简介" in header


def test_import_template_csv_round_trips_through_import(importer):
    header = next(csv.reader(io.StringIO(imports.import_template_csv().decode("utf-8-sig"))))
    values = dict(zip(HEADERS, _row(5), strict=True))
    row = [values.get(h, "") for h in header]
    data = imports.import_template_csv() + _csv([row], headers=[])[2:]  # drop the empty header

    assert _import(data, importer).created == 1


# --- the import page ------------------------------------------------------------


def test_employer_import_page_lists_columns(client, importer):
    client.force_login(importer)

    response = client.get(reverse("employers:staff-employer-import"))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "统一社会信用代码" in content
    assert reverse("employers:staff-employer-import-template") in content


def test_employer_import_page_upload_success_redirects_with_message(client, importer):
    client.force_login(importer)
    upload = SimpleUploadedFile("单位.csv", _csv([_row(1), _row(2)]), content_type="text/csv")

    response = client.post(
        reverse("employers:staff-employer-import"), {"file": upload}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("employers:staff-employer-import")
    content = response.content.decode()
    assert "已导入2家用人单位" in content
    assert f'href="{reverse("employers:staff-employer-list")}"' in content
    assert Employer.objects.count() == 2


def test_employer_import_page_shows_row_errors_and_imports_nothing(client, importer):
    client.force_login(importer)
    data = _csv([_row(1), _row(2, 所属区县代码="440106"), _row(3)])
    upload = SimpleUploadedFile("单位.csv", data, content_type="text/csv")

    response = client.post(reverse("employers:staff-employer-import"), {"file": upload})

    assert response.status_code == HTTPStatus.OK
    failure = response.context["failure"]
    assert [(e.row, e.column) for e in failure.errors] == [(3, "所属区县代码")]
    content = response.content.decode()
    assert "<td>3</td>" in content
    assert "不在您的辖区内" in content
    assert Employer.objects.count() == 0


def test_employer_import_template_download_parses(client, importer):
    client.force_login(importer)

    response = client.get(reverse("employers:staff-employer-import-template"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == ["单位名称", "统一社会信用代码", "所属区县代码"]


@pytest.mark.parametrize("url_name", ["staff-employer-import", "staff-employer-import-template"])
def test_employer_import_pages_refuse_non_staff(client, make_user, url_name):
    url = reverse(f"employers:{url_name}")
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("accounts:login"))

    for role in ("applicant", "employer_member"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
        assert client.post(url).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_employers_import_reads_chinese_headers_whatever_the_page_language(importer, language):
    from django.utils import translation

    with translation.override(language):
        result = _import(_csv([_row(1), _row(2)]), importer)

    assert result.created == 2


def test_employers_import_template_has_chinese_headers_in_english_too(client, importer):
    from django.urls import reverse
    from django.utils import translation

    client.force_login(importer)
    with translation.override("en"):
        body = client.get(
            reverse("employers:staff-employer-import-template"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode("utf-8-sig")

    assert body.splitlines()[0].startswith("单位名称,统一社会信用代码,所属区县代码")
