import csv
import datetime
import io
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from mamagang.accounts.services import staff_scope_grant
from mamagang.core.crypto import keyed_hash
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from subsidies.models import ContributionImport, ContributionRecord
from subsidies.services.contributions import contributions_import, sample_file_path
from tests.applicants.factories import make_ric
from tests.employers.factories import make_uscc

pytestmark = pytest.mark.django_db

# Mid-June 2025 in Shanghai: June is the latest month a file may carry.
NOW = datetime.datetime(2025, 6, 15, 10, 0, tzinfo=datetime.UTC)
HEADERS = ["身份证号码", "单位统一社会信用代码", "所属月份", "险种", "单位缴费", "个人缴费"]
ALL_FIVE = "养老、医疗、失业、工伤、生育"
EMPLOYER = make_uscc(810001)
OTHER_EMPLOYER = make_uscc(810002, division="440305")


def person(n: int) -> str:
    return make_ric(datetime.date(1990, 1, 1) + datetime.timedelta(days=n), "440306", n)


def row(n: int, **overrides) -> list[str]:
    values = {
        "身份证号码": person(n),
        "单位统一社会信用代码": EMPLOYER,
        "所属月份": "2025-03",
        "险种": ALL_FIVE,
        "单位缴费": "812.30",
        "个人缴费": "281.20",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def as_csv(rows, *, encoding="utf-8-sig", headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_xlsx(rows, *, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def importer(staff_user, regions):
    """Bureau staff of 宝安区 (440306)."""
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    return staff_user


def run(data: bytes, user, region, file_name="2025-03.csv", now=NOW):
    return contributions_import(
        file_name=file_name, data=data, region=region, imported_by=user, now=now
    )


def records() -> list[tuple]:
    return sorted(
        ContributionRecord.objects.values_list(
            "person_hash",
            "month",
            "employer_uscc",
            "insurance_types",
            "employer_amount",
            "person_amount",
        )
    )


# --- good files -------------------------------------------------------------------


def test_contributions_import_csv_stores_records_by_hash(importer, regions):
    data = as_csv(
        [
            row(1),
            row(2, 所属月份="202504", 险种="养老,医疗", 单位缴费="1,000.5", 个人缴费="0"),
            # A flexible worker: no USCC, no employer share.
            row(3, 单位统一社会信用代码="", 单位缴费="", 险种="医疗保险、基本养老保险"),
        ]
    )

    result = run(data, importer, regions["440306"])

    assert (result.created, result.row_count, result.errors, result.duplicate_file) == (
        3,
        3,
        [],
        False,
    )
    assert records() == sorted(
        [
            (
                keyed_hash(person(1)),
                datetime.date(2025, 3, 1),
                EMPLOYER,
                ["pension", "medical", "unemployment", "work_injury", "maternity"],
                Decimal("812.30"),
                Decimal("281.20"),
            ),
            (
                keyed_hash(person(2)),
                datetime.date(2025, 4, 1),
                EMPLOYER,
                ["pension", "medical"],
                Decimal("1000.50"),
                Decimal("0.00"),
            ),
            (
                keyed_hash(person(3)),
                datetime.date(2025, 3, 1),
                "",
                ["pension", "medical"],
                Decimal("0.00"),
                Decimal("281.20"),
            ),
        ]
    )
    batch = ContributionImport.objects.get()
    assert (batch.region, batch.file_name, batch.row_count, batch.created_count) == (
        regions["440306"],
        "2025-03.csv",
        3,
        3,
    )
    assert batch.imported_by == importer
    assert set(ContributionRecord.objects.values_list("source", flat=True)) == {batch.pk}
    event = AuditEvent.objects.get(action="contributions.imported")
    assert event.object_id == str(batch.pk)
    assert event.actor == importer
    assert event.after["rows"] == 3
    assert event.after["created"] == 3


def test_contributions_import_hash_matches_applicant_lookup_for_lower_case_x(importer, regions):
    number = next(person(n) for n in range(1, 200) if person(n).endswith("X"))

    run(as_csv([row(1, 身份证号码=number.lower())]), importer, regions["440306"])

    # The engine joins on Applicant.id_number_hash = keyed_hash(normalised number).
    assert ContributionRecord.objects.get().person_hash == keyed_hash(number)


def test_contributions_import_xlsx_with_typed_cells(importer, regions):
    data = as_xlsx(
        [
            # Excel turns "2025-03" into a date and amounts into numbers.
            [person(1), EMPLOYER, datetime.date(2025, 3, 1), ALL_FIVE, 812.3, 281.2],
            [person(2), OTHER_EMPLOYER, 202505, "养老", 100, 0.5],
            [person(3), None, "2025年6月", "医疗", None, 300],
        ]
    )

    result = run(data, importer, regions["440306"], file_name="缴费.xlsx")

    assert result.errors == []
    assert result.created == 3
    assert records() == sorted(
        [
            (
                keyed_hash(person(1)),
                datetime.date(2025, 3, 1),
                EMPLOYER,
                ["pension", "medical", "unemployment", "work_injury", "maternity"],
                Decimal("812.30"),
                Decimal("281.20"),
            ),
            (
                keyed_hash(person(2)),
                datetime.date(2025, 5, 1),
                OTHER_EMPLOYER,
                ["pension"],
                Decimal("100.00"),
                Decimal("0.50"),
            ),
            (
                keyed_hash(person(3)),
                datetime.date(2025, 6, 1),
                "",
                ["medical"],
                Decimal("0.00"),
                Decimal("300.00"),
            ),
        ]
    )


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_contributions_import_csv_encodings(importer, regions, encoding):
    data = as_csv([row(1), row(2, 险种="养老、生育")], encoding=encoding)

    result = run(data, importer, regions["440306"])

    assert result.errors == []
    assert result.created == 2
    assert ContributionRecord.objects.get(person_hash=keyed_hash(person(2))).insurance_types == [
        "pension",
        "maternity",
    ]


def test_contributions_import_accepts_english_headers_and_ignores_other_columns(importer, regions):
    headers = [
        "序号",
        "姓名",
        "id_number",
        "employer_uscc",
        "month",
        "insurance_types",
        "employer_amount",
        "person_amount",
    ]
    data = as_csv([["1", "王芳", *row(1)]], headers=headers)

    result = run(data, importer, regions["440306"])

    assert result.errors == []
    assert result.created == 1
    assert ContributionRecord.objects.get().person_hash == keyed_hash(person(1))


def test_contributions_import_city_staff_may_import_for_the_city(make_user, regions):
    city_staff = make_user("bureau_staff")
    staff_scope_grant(user=city_staff, region=regions["440300"], granted_by=None)

    result = run(as_csv([row(1)]), city_staff, regions["440300"])

    assert result.created == 1


def test_contributions_import_sample_file_imports_cleanly(importer, regions):
    with open(sample_file_path(), "rb") as fh:
        data = fh.read()

    result = contributions_import(
        file_name="contributions-sample.csv",
        data=data,
        region=regions["440306"],
        imported_by=importer,
    )

    assert result.errors == []
    assert result.created == result.row_count == 8
    assert ContributionRecord.objects.filter(employer_uscc="").count() == 2


# --- row errors ---------------------------------------------------------------------


def test_contributions_import_reports_every_row_error_and_imports_nothing(importer, regions):
    bad_checksum = person(2)[:-1] + ("0" if person(2)[-1] != "0" else "1")
    bad_uscc = EMPLOYER[:-1] + ("0" if EMPLOYER[-1] != "0" else "1")
    data = as_csv(
        [
            row(1),  # row 2: fine
            row(2, 身份证号码=bad_checksum),  # 3
            row(3, 身份证号码=""),  # 4
            row(4, 单位统一社会信用代码=bad_uscc),  # 5
            row(5, 所属月份="2025.3.1"),  # 6
            row(6, 所属月份="2025-07"),  # 7: after June
            row(7, 所属月份=""),  # 8
            row(8, 险种="养老、住房公积金"),  # 9
            row(9, 险种=""),  # 10
            row(10, 单位缴费="-1"),  # 11
            row(11, 个人缴费="abc"),  # 12
            row(12, 个人缴费="1.234"),  # 13
            row(13, 单位缴费=""),  # 14: an employer row needs its share
            row(14, 个人缴费=""),  # 15
            row(1),  # 16: the same person, month and employer as row 2
            row(15, 所属月份="202513"),  # 17
            row(16, 所属月份="1989-12"),  # 18
        ]
    )

    result = run(data, importer, regions["440306"])

    assert result.created == 0
    assert result.row_count == 17
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "身份证号码"),
        (4, "身份证号码"),
        (5, "单位统一社会信用代码"),
        (6, "所属月份"),
        (7, "所属月份"),
        (8, "所属月份"),
        (9, "险种"),
        (10, "险种"),
        (11, "单位缴费"),
        (12, "个人缴费"),
        (13, "个人缴费"),
        (14, "单位缴费"),
        (15, "个人缴费"),
        (16, "身份证号码"),
        (17, "所属月份"),
        (18, "所属月份"),
    ]
    messages = {e.row: e.message for e in result.errors}
    assert messages[3] == "身份证号码校验位不正确，请核对后重新输入。"
    assert messages[7] == "所属月份不能晚于本月。"
    assert "住房公积金" in messages[9]
    assert messages[11] == "金额不能为负数。"
    assert messages[13] == "金额最多保留两位小数。"
    assert "第2行" in messages[16]
    # No message repeats the ID number.
    assert not any(bad_checksum in e.message for e in result.errors)
    assert not ContributionRecord.objects.exists()
    assert not ContributionImport.objects.exists()
    assert not AuditEvent.objects.filter(action="contributions.imported").exists()


@pytest.mark.parametrize(
    ("data", "file_name", "expected"),
    [
        (b"", "a.csv", (0, "", "文件是空的，或第1行不是表头。")),
        (
            b"\xff\xfe\x00garbage\x81",
            "a.csv",
            (0, "", "无法识别文件编码，请另存为 UTF-8 编码的 CSV 文件。"),
        ),
        (b"whatever", "a.xls", (0, "", "不支持旧版 Excel 文件，请另存为 .xlsx 或 .csv 后上传。")),
        (b"not a zip", "a.xlsx", (0, "", "无法读取该 Excel 文件，请确认是 .xlsx 格式。")),
        (as_csv([]), "a.csv", (0, "", "文件中没有数据行。")),
        (
            as_csv(
                [["x", "2025-03", "养老", "1"]],
                headers=["身份证号码", "所属月份", "险种", "单位缴费"],
            ),
            "a.csv",
            (1, "个人缴费", "缺少“个人缴费”列。"),
        ),
    ],
)
def test_contributions_import_reports_file_errors(importer, regions, data, file_name, expected):
    result = run(data, importer, regions["440306"], file_name=file_name)

    assert [tuple(e) for e in result.errors] == [expected]
    assert not ContributionImport.objects.exists()


# --- idempotency --------------------------------------------------------------------


def test_contributions_import_same_file_twice_changes_nothing(importer, regions):
    data = as_csv([row(1), row(2)])
    first = run(data, importer, regions["440306"])
    before = records()

    second = run(data, importer, regions["440306"], file_name="again.csv")

    assert second.duplicate_file
    assert second.created == 0
    assert second.batch == first.batch
    assert records() == before
    assert ContributionImport.objects.count() == 1
    assert AuditEvent.objects.filter(action="contributions.imported").count() == 1


def test_contributions_import_overlapping_file_skips_identical_rows(importer, regions):
    run(as_csv([row(1), row(2)]), importer, regions["440306"])

    # Another file (a later export) repeating row 1 in other words, plus a new row.
    result = run(
        as_csv([row(1, 险种="生育、工伤、失业、医疗、养老", 单位缴费="812.3"), row(3)]),
        importer,
        regions["440306"],
        file_name="2025-03-later.csv",
    )

    assert result.errors == []
    assert (result.created, result.skipped, result.row_count) == (1, 1, 2)
    assert ContributionRecord.objects.count() == 3
    assert ContributionImport.objects.get(file_name="2025-03-later.csv").created_count == 1


def test_contributions_import_refuses_file_conflicting_with_stored_records(importer, regions):
    run(as_csv([row(1), row(2)]), importer, regions["440306"])
    before = records()

    result = run(
        as_csv([row(1), row(2, 个人缴费="300.00"), row(3), row(4)]),
        importer,
        regions["440306"],
        file_name="corrected.csv",
    )

    assert result.created == 0
    assert [(e.row, e.column) for e in result.errors] == [(3, "个人缴费")]
    assert result.errors[0].message.startswith("与已导入记录不一致")
    assert records() == before
    assert ContributionImport.objects.count() == 1


def test_contributions_import_same_person_month_for_two_payers_is_not_a_duplicate(
    importer, regions
):
    data = as_csv([row(1), row(1, 单位统一社会信用代码=OTHER_EMPLOYER), row(1, 所属月份="2025-04")])

    result = run(data, importer, regions["440306"])

    assert result.errors == []
    assert result.created == 3


# --- privacy ------------------------------------------------------------------------


def test_contributions_import_database_holds_no_clear_id_number(importer, regions):
    numbers = [person(n) for n in range(1, 6)]
    run(as_csv([row(n) for n in range(1, 6)]), importer, regions["440306"], file_name="f.csv")

    dump = []
    with connection.cursor() as cursor:
        for table in (
            "subsidies_contributionrecord",
            "subsidies_contributionimport",
            "core_auditevent",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            dump.extend(str(value) for values in cursor.fetchall() for value in values)
    text = "\n".join(dump)
    assert len(text) > 0
    for number in numbers:
        assert number not in text
        # Nor the part after the birthplace (birth date + sequence + check).
        assert number[6:] not in text
    assert {keyed_hash(n) for n in numbers} <= set(dump)


# --- permission and scope ----------------------------------------------------------


def test_contributions_import_refuses_region_out_of_scope(importer, regions):
    with pytest.raises(DomainError) as excinfo:
        run(as_csv([row(1)]), importer, regions["440305"])

    assert excinfo.value.code == "contributions_region_out_of_scope"
    assert not ContributionRecord.objects.exists()


def test_contributions_import_refuses_district_staff_for_their_city(importer, regions):
    with pytest.raises(DomainError) as excinfo:
        run(as_csv([row(1)]), importer, regions["440300"])

    assert excinfo.value.code == "contributions_region_out_of_scope"


def test_contributions_import_refuses_user_without_permission(make_user, regions):
    member = make_user("employer_member")

    with pytest.raises(DomainError) as excinfo:
        run(as_csv([row(1)]), member, regions["440306"])

    assert excinfo.value.code == "contributions_no_permission"
    assert not ContributionRecord.objects.exists()


def test_contributions_import_refuses_street_level_region(importer, regions):
    street = next(
        r for code, r in sorted(regions.items()) if code.startswith("440306") and len(code) == 9
    )

    with pytest.raises(DomainError) as excinfo:
        run(as_csv([row(1)]), importer, street)

    assert excinfo.value.code == "contributions_region_level"


# --- queries ------------------------------------------------------------------------


def _queries_for(rows: int, importer, region, offset: int) -> int:
    data = as_csv([row(offset + n) for n in range(rows)])
    importer = type(importer).objects.get(pk=importer.pk)  # fresh permission caches
    with CaptureQueriesContext(connection) as ctx:
        result = run(data, importer, region, file_name=f"{rows}.csv")
    assert result.created == rows
    return len(ctx.captured_queries)


def test_contributions_import_query_count_does_not_grow_per_row(importer, regions):
    # A stored record makes the existing-row look-up find something, too.
    run(as_csv([row(1000)]), importer, regions["440306"])

    assert _queries_for(10, importer, regions["440306"], 1) == _queries_for(
        100, importer, regions["440306"], 100
    )


# --- the page -------------------------------------------------------------------------


@pytest.fixture
def page(client, importer):
    client.force_login(importer)
    return reverse("subsidies:staff-contribution-import")


def _upload(data: bytes, name: str = "2025-03.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_contribution_import_page_imports_and_redirects(client, page):
    response = client.post(page, {"region": "440306", "file": _upload(as_csv([row(1), row(2)]))})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == page
    assert ContributionRecord.objects.count() == 2
    followed = client.get(page)
    text = followed.content.decode()
    assert "新增2条缴费记录" in text
    assert "2025-03.csv" in text


def test_contribution_import_page_shows_row_errors(client, page):
    data = as_csv([row(1), row(2, 所属月份="2099-01"), row(3, 个人缴费="-5")])

    response = client.post(page, {"region": "440306", "file": _upload(data)})

    assert response.status_code == HTTPStatus.OK
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [(3, "所属月份"), (4, "个人缴费")]
    text = response.content.decode()
    assert "导入失败" in text
    assert "所属月份不能晚于本月。" in text
    assert not ContributionRecord.objects.exists()


def test_contribution_import_page_reports_duplicate_file(client, page):
    data = as_csv([row(1)])
    client.post(page, {"region": "440306", "file": _upload(data)})

    response = client.post(
        page, {"region": "440306", "file": _upload(data, "copy.csv")}, follow=True
    )

    assert "本次没有任何改动" in response.content.decode()
    assert ContributionImport.objects.count() == 1


def test_contribution_import_page_refuses_region_out_of_scope(client, page):
    response = client.post(page, {"region": "440305", "file": _upload(as_csv([row(1)]))})

    assert response.status_code == HTTPStatus.OK
    assert "region" in response.context["form"].errors
    assert not ContributionImport.objects.exists()


def test_contribution_import_page_region_choices_are_the_users(client, page):
    response = client.get(page)

    codes = [r.code for r in response.context["form"].fields["region"].queryset]
    assert codes == ["440306"]


@pytest.mark.parametrize("role", ["employer_member", "applicant"])
def test_contribution_import_pages_forbidden_without_permission(client, make_user, regions, role):
    client.force_login(make_user(role))

    for name in ("staff-contribution-import", "staff-contribution-sample"):
        url = reverse(f"subsidies:{name}")
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    response = client.post(
        reverse("subsidies:staff-contribution-import"),
        {"region": "440306", "file": _upload(as_csv([row(1)]))},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ContributionImport.objects.exists()


def test_contribution_sample_download_is_the_sample_file(client, page):
    response = client.get(reverse("subsidies:staff-contribution-sample"))

    assert response.status_code == HTTPStatus.OK
    assert "attachment" in response["Content-Disposition"]
    with open(sample_file_path(), "rb") as fh:
        assert b"".join(response.streaming_content) == fh.read()


def test_contribution_import_page_lists_imports_in_scope_with_constant_queries(
    client, page, importer, make_user, regions, django_assert_num_queries
):
    other = make_user("bureau_staff")
    staff_scope_grant(user=other, region=regions["440305"], granted_by=None)
    run(as_csv([row(500)]), other, regions["440305"], file_name="南山.csv")

    def imported(count: int, start: int) -> None:
        for n in range(start, start + count):
            run(as_csv([row(n)]), importer, regions["440306"], file_name=f"宝安-{n}.csv")

    imported(2, 1)
    client.get(page)  # warm the session and permission look-ups
    with CaptureQueriesContext(connection) as two:
        response = client.get(page)
    listed = [b.file_name for b in response.context["imports"]]
    assert listed == ["宝安-2.csv", "宝安-1.csv"]

    imported(4, 10)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(page)
    assert len(response.context["imports"]) == 6
    assert "南山.csv" not in response.content.decode()
