import csv
import hashlib
import io
import json
from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from employers.models import Employer, RegistryEdition
from employers.services import registry_edition_hash, registry_edition_publish
from employers.views.public import EXPORT_HEADERS
from tests.employers.factories import EmployerFactory, RegistryEntryFactory, make_uscc

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


def _listed(**employer_fields) -> Employer:
    employer = EmployerFactory(**employer_fields)
    RegistryEntryFactory(employer=employer, approved=True)
    return employer


def _publish(region) -> RegistryEdition:
    edition = registry_edition_publish(region=region, published_by=None, now=NOW)
    assert edition is not None
    edition.refresh_from_db()
    return edition


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def _download(client, edition: RegistryEdition, fmt: str):
    url = reverse(
        f"employers:registry-edition-{fmt}",
        kwargs={"region_code": edition.region.code, "number": edition.number},
    )
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response


@pytest.fixture
def baoan(shenzhen_guangzhou):
    return shenzhen_guangzhou["440306"]


@pytest.fixture
def edition(shenzhen_guangzhou, baoan):
    _listed(
        uscc=make_uscc(1),
        name="宝安妈妈岗示范企业",
        street=shenzhen_guangzhou["440306017"],
        has_women_home=True,
        contact_name="联系人甲乙",
        contact_phone="13800001111",
    )
    _listed(uscc=make_uscc(2), name="深圳家政服务中心", sector=Employer.Sector.HOUSEKEEPING)
    return _publish(baoan)


# Index


def test_registry_index_lists_cities_and_their_districts_latest_editions(
    client, shenzhen_guangzhou, edition
):
    _publish(shenzhen_guangzhou["440300"])

    response = client.get(reverse("employers:registry-index"))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "广东省 深圳市" in content
    assert "宝安区" in content
    assert reverse("employers:registry-region", args=["440306"]) in content
    assert reverse("employers:registry-region", args=["440300"]) in content
    assert "天河区" not in content  # no edition there


def test_registry_index_says_when_nothing_is_published(client, shenzhen_guangzhou):
    response = client.get(reverse("employers:registry-index"))

    assert response.status_code == HTTPStatus.OK
    assert "尚未发布名录" in response.content.decode()


def test_registry_index_query_count_is_independent_of_region_count(client, shenzhen_guangzhou):
    url = reverse("employers:registry-index")
    _listed(uscc=make_uscc(1))
    _publish(shenzhen_guangzhou["440306"])
    one = _queries(client, url)

    for n, code in enumerate(["440303", "440304", "440305", "440307", "440106"]):
        _listed(uscc=make_uscc(10 + n, division=code), district=shenzhen_guangzhou[code])
        _publish(shenzhen_guangzhou[code])
    _publish(shenzhen_guangzhou["440300"])

    assert _queries(client, url) == one == 1


# Region page


def test_registry_region_shows_latest_edition_with_profile_links(client, baoan, edition):
    response = client.get(reverse("employers:registry-region", args=["440306"]))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    employer = Employer.objects.get(uscc=make_uscc(1))
    assert "宝安妈妈岗示范企业" in content
    assert make_uscc(1) in content
    assert "新安街道" in content
    assert "家政" in content  # sector label, not the code
    assert "妇女之家" in content
    assert reverse("employers:employer-public", args=[employer.pk]) in content
    assert reverse("employers:registry-edition-csv", args=["440306", 1]) in content
    assert "13800001111" not in content


def test_registry_region_lists_every_edition_with_change_counts(client, baoan, edition):
    _listed(uscc=make_uscc(3))
    _publish(baoan)

    response = client.get(reverse("employers:registry-region", args=["440306"]))

    editions = response.context["editions"]
    assert [e.number for e in editions] == [2, 1]
    assert (editions[0].added_count, editions[0].removed_count) == (1, 0)
    assert reverse("employers:registry-edition", args=["440306", 2]) in response.content.decode()


def test_registry_region_does_not_link_employers_no_longer_listed(client, baoan, edition):
    Employer.objects.get(uscc=make_uscc(1)).registry_entries.update(status="suspended")

    response = client.get(reverse("employers:registry-region", args=["440306"]))

    rows = {row["uscc"]: row for row in response.context["rows"]}
    assert rows[make_uscc(1)]["employer_id"] is None
    assert rows[make_uscc(2)]["employer_id"] is not None


@pytest.mark.parametrize("code", ["440304", "999999", "abc"])
def test_registry_region_404s_without_edition(client, edition, code):
    response = client.get(reverse("employers:registry-region", args=[code]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_registry_region_query_count_is_independent_of_row_count(client, baoan):
    url = reverse("employers:registry-region", args=["440306"])
    _listed(uscc=make_uscc(1))
    _publish(baoan)
    one = _queries(client, url)

    for n in range(15):
        _listed(uscc=make_uscc(100 + n))
    _publish(baoan)

    assert _queries(client, url) == one == 3


# Edition page


def test_registry_edition_shows_changes_with_field_labels_and_hash(client, baoan, edition):
    # given
    renamed = Employer.objects.get(uscc=make_uscc(1))
    removed = Employer.objects.get(uscc=make_uscc(2))
    Employer.objects.filter(pk=renamed.pk).update(name="改名后的示范企业")
    removed.registry_entries.update(status="removed")
    _listed(uscc=make_uscc(3), name="新入录的公司")
    second = _publish(baoan)

    # when
    response = client.get(reverse("employers:registry-edition", args=["440306", 2]))

    # then
    assert response.status_code == HTTPStatus.OK
    changes = response.context["changes"]
    assert [row["name"] for row in changes["added"]] == ["新入录的公司"]
    assert [row["name"] for row in changes["removed"]] == ["深圳家政服务中心"]
    assert [c["row"]["name"] for c in changes["changed"]] == ["改名后的示范企业"]
    assert changes["changed"][0]["fields"] == ["单位名称"]
    content = response.content.decode()
    assert "单位名称" in content
    assert second.content_sha256 in content
    assert reverse("employers:registry-edition-json", args=["440306", 2]) in content


def test_registry_edition_first_says_first_edition(client, edition):
    response = client.get(reverse("employers:registry-edition", args=["440306", 1]))

    assert response.status_code == HTTPStatus.OK
    assert "这是首期名录" in response.content.decode()


def test_registry_edition_404s_for_unknown_number(client, edition):
    response = client.get(reverse("employers:registry-edition", args=["440306", 2]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_registry_edition_query_count_is_independent_of_row_count(client, baoan):
    _listed(uscc=make_uscc(1))
    _publish(baoan)
    _listed(uscc=make_uscc(2))
    _publish(baoan)
    one = _queries(client, reverse("employers:registry-edition", args=["440306", 2]))

    for n in range(15):
        _listed(uscc=make_uscc(100 + n))
    _publish(baoan)

    assert _queries(client, reverse("employers:registry-edition", args=["440306", 3])) == one
    assert one == 3


# Downloads


def test_registry_edition_csv_parses_back_to_the_content(client, edition):
    response = _download(client, edition, "csv")

    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="registry-440306-1.csv"')
    assert "filename*=UTF-8''" in disposition
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_HEADERS
    data = [dict(zip(EXPORT_HEADERS, row, strict=True)) for row in rows[1:]]
    assert [row["统一社会信用代码"] for row in data] == [i["uscc"] for i in edition.content]
    assert [row["单位名称"] for row in data] == [i["name"] for i in edition.content]
    assert [row["区划代码"] for row in data] == ["440306", "440306"]
    assert [row["入录日期"] for row in data] == [i["listed_from"] for i in edition.content]
    assert data[0]["所属街道/乡镇"] == "新安街道"
    assert data[0]["家庭友好设施"] == "母婴室、妇女之家"
    assert data[1]["行业"] == "家政"
    assert data[0]["主体类型"] == "企业"
    assert [row["在招妈妈岗数"] for row in data] == ["0", "0"]


def test_registry_edition_xlsx_parses_back_to_the_content(client, edition):
    response = _download(client, edition, "xlsx")

    assert response["Content-Disposition"].startswith(
        'attachment; filename="registry-440306-1.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADERS
    assert sheet.freeze_panes == "A2"
    data = [dict(zip(EXPORT_HEADERS, row, strict=True)) for row in rows[1:]]
    assert [row["统一社会信用代码"] for row in data] == [i["uscc"] for i in edition.content]
    assert [row["单位名称"] for row in data] == [i["name"] for i in edition.content]
    assert [row["入录日期"].date().isoformat() for row in data] == [
        i["listed_from"] for i in edition.content
    ]
    assert [row["在招妈妈岗数"] for row in data] == [0, 0]
    assert data[0]["所属街道/乡镇"] == "新安街道"


def test_registry_edition_json_hashes_to_the_published_sha256(client, edition):
    response = _download(client, edition, "json")

    payload = json.loads(response.content)
    canonical = json.dumps(
        payload["employers"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == payload["content_sha256"]
    assert payload["content_sha256"] == edition.content_sha256
    assert registry_edition_hash(payload["employers"]) == edition.content_sha256
    assert payload["employers"] == edition.content
    assert payload["number"] == 1
    assert payload["region"]["code"] == "440306"
    assert datetime.fromisoformat(payload["published_at"]) == NOW
    assert response["Content-Disposition"].startswith(
        'attachment; filename="registry-440306-1.json"'
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_registry_edition_downloads_never_contain_contact_fields(client, edition, fmt):
    response = _download(client, edition, fmt)

    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        text = repr(list(sheet.iter_rows(values_only=True)))
    else:
        text = response.content.decode("utf-8-sig")
    assert "13800001111" not in text
    assert "联系人甲乙" not in text


def test_registry_edition_downloads_keep_formula_like_names_as_text(client, baoan):
    _listed(name='=HYPERLINK("http://example.invalid")公司')
    edition = _publish(baoan)

    csv_text = _download(client, edition, "csv").content.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(_download(client, edition, "xlsx").content)).active

    assert list(csv.reader(io.StringIO(csv_text)))[1][0].startswith("'=HYPERLINK")
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("=HYPERLINK")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_registry_edition_download_404s_for_unknown_edition(client, edition, fmt):
    url = reverse(f"employers:registry-edition-{fmt}", args=["440306", 9])

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_registry_edition_download_runs_one_query(client, edition, fmt, django_assert_num_queries):
    url = reverse(f"employers:registry-edition-{fmt}", args=["440306", 1])

    with django_assert_num_queries(1):
        assert client.get(url).status_code == HTTPStatus.OK


# Employer profile


def test_employer_public_shows_public_fields_and_no_contact(client, shenzhen_guangzhou):
    employer = _listed(
        street=shenzhen_guangzhou["440306017"],
        description="电商直播，上午9点到下午3点弹性上班。",
        has_childcare=True,
        facilities_note="二楼设有母婴室。",
        contact_name="联系人甲乙",
        contact_phone="13800001111",
        address="保密路9号",
    )

    response = client.get(reverse("employers:employer-public", args=[employer.pk]))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    for text in (employer.name, employer.uscc, "深圳市 宝安区", "新安街道", "电商", "10–99人"):
        assert text in content
    assert "电商直播" in content
    assert "托育/课后托管" in content
    assert "二楼设有母婴室" in content
    assert "暂无在招妈妈岗" in content
    assert employer.listing_periods.get().listed_from.strftime("%Y-%m-%d") in content
    assert "13800001111" not in content
    assert "联系人甲乙" not in content
    assert "保密路9号" not in content


@pytest.mark.parametrize("trait", [{}, {"submitted": True}])
def test_employer_public_404s_for_employer_never_listed(client, shenzhen_guangzhou, trait):
    entry = RegistryEntryFactory(**trait)

    response = client.get(reverse("employers:employer-public", args=[entry.employer.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("status", ["suspended", "removed"])
def test_employer_public_404s_for_employer_no_longer_listed(client, shenzhen_guangzhou, status):
    employer = _listed()
    employer.registry_entries.update(status=status)

    response = client.get(reverse("employers:employer-public", args=[employer.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_employer_public_404s_for_unknown_pk(client, shenzhen_guangzhou):
    assert client.get(reverse("employers:employer-public", args=[999999])).status_code == 404


def test_employer_public_query_count_is_pinned(client, shenzhen_guangzhou):
    employer = _listed()
    url = reverse("employers:employer-public", args=[employer.pk])

    # employer with districts and street + listing periods + open post counts
    assert _queries(client, url) == 3
