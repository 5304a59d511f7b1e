"""The bureau's eligibility policy pages (资格政策): scoped, audited, and the admin opens too."""

from __future__ import annotations

import datetime
import re
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import EligibilityPolicy
from applicants.services import eligibility_policy_create, eligibility_policy_update
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region

pytestmark = pytest.mark.django_db

SHENZHEN, BAOAN, TIANHE, GUANGDONG = "440300", "440306", "440106", "440000"
SINCE = datetime.date(2024, 1, 1)


def admin_in(make_user, code: str, role: str = "bureau_admin", **kwargs):
    """A bureau user (admin by default) whose scope is the region `code`."""
    user = make_user(role, **kwargs)
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


def make_row(code: str, valid_from: datetime.date = SINCE, **fields) -> EligibilityPolicy:
    fields.setdefault("admitted_categories", ["mother"])
    fields.setdefault("legal_reference", "深人社规〔2024〕1号")
    return EligibilityPolicy.objects.create(
        region=Region.objects.get(code=code), valid_from=valid_from, **fields
    )


def text_of(response) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def policy_post(**overrides) -> dict:
    data = {
        "region": str(Region.objects.get(code=SHENZHEN).pk),
        "valid_from": "2026-03-01",
        "child_age_limit": "12",
        "child_age_inclusive": "on",
        "admitted_categories": ["mother"],
        "require_verified_evidence": "on",
        "legal_reference": "深人社规〔2026〕1号",
        "reason": "",
    }
    data.update(overrides)
    return data


def list_url() -> str:
    return reverse("applicants:staff-eligibility-policy-list")


def detail_url(policy: EligibilityPolicy) -> str:
    return reverse("applicants:staff-eligibility-policy-detail", args=[policy.pk])


def edit_url(policy: EligibilityPolicy) -> str:
    return reverse("applicants:staff-eligibility-policy-edit", args=[policy.pk])


def create_url() -> str:
    return reverse("applicants:staff-eligibility-policy-create")


@pytest.fixture
def city_row(shenzhen_guangzhou) -> EligibilityPolicy:
    return make_row(SHENZHEN)


@pytest.fixture
def city_admin(shenzhen_guangzhou, make_user):
    """赵丽华's shape: bureau admin of 深圳市, allowed into /admin/."""
    return admin_in(make_user, SHENZHEN, is_staff=True)


# ---------------------------------------------------------------------------
# Permissions and scope


@pytest.mark.parametrize("page", ["list", "create", "detail", "edit"])
@pytest.mark.parametrize("role", ["applicant", "employer_member"])
def test_eligibility_policy_pages_forbid_applicants_and_employers(
    client, city_row, make_user, page, role
):
    client.force_login(make_user(role))
    urls = {
        "list": list_url(),
        "create": create_url(),
        "detail": detail_url(city_row),
        "edit": edit_url(city_row),
    }

    assert client.get(urls[page]).status_code == HTTPStatus.FORBIDDEN


def test_eligibility_policy_pages_redirect_anonymous_to_login(client, city_row):
    response = client.get(list_url())

    assert response.status_code == HTTPStatus.FOUND
    assert "/login" in response["Location"]


def test_city_admin_lists_her_rows_and_the_province_row_read_only(client, city_row, city_admin):
    baoan = make_row(BAOAN, admitted_categories=["mother", "other_caregiver_child"])
    province = make_row(GUANGDONG)
    make_row(TIANHE)  # Guangzhou: not hers, not above her
    client.force_login(city_admin)

    response = client.get(list_url())

    assert response.status_code == HTTPStatus.OK
    rows = {p.pk: p for p in response.context["policies"]}
    assert [p.pk for p in response.context["policies"]] == [province.pk, city_row.pk, baoan.pk]
    assert {pk: p.editable for pk, p in rows.items()} == {
        province.pk: False,
        city_row.pk: True,
        baoan.pk: True,
    }
    html = response.content.decode()
    assert edit_url(city_row) in html
    assert edit_url(baoan) in html
    assert edit_url(province) not in html
    assert create_url() in html
    text = text_of(response)
    assert "深圳市 宝安区（440306）" in text
    assert "抚育儿童的妇女、其他抚育儿童的照护者" in text
    assert "子女不超过 12 周岁（含），满 13 周岁前均符合" in text


def test_eligibility_policy_list_shows_where_each_row_stands_today(client, city_admin):
    old = make_row(SHENZHEN, datetime.date(2020, 1, 1))
    current = make_row(SHENZHEN, datetime.date(2024, 1, 1))
    future = make_row(SHENZHEN, timezone.localdate() + datetime.timedelta(days=30))
    client.force_login(city_admin)

    response = client.get(list_url())

    status = {p.pk: p.status for p in response.context["policies"]}
    assert status == {old.pk: "superseded", current.pk: "current", future.pk: "future"}
    assert "已被后来的政策取代" in text_of(response)


def test_rows_of_another_region_are_404_and_cannot_be_changed(
    client, shenzhen_guangzhou, city_admin
):
    tianhe = make_row(TIANHE)
    client.force_login(city_admin)

    detail = client.get(detail_url(tianhe))
    edit = client.get(edit_url(tianhe))
    post = client.post(edit_url(tianhe), policy_post(legal_reference="篡改"))

    assert detail.status_code == HTTPStatus.NOT_FOUND
    assert edit.status_code == HTTPStatus.NOT_FOUND
    assert post.status_code == HTTPStatus.NOT_FOUND
    tianhe.refresh_from_db()
    assert tianhe.legal_reference == "深人社规〔2024〕1号"
    assert not AuditEvent.objects.filter(action="eligibility_policy.changed").exists()


def test_create_refuses_a_region_outside_the_scope(client, city_admin):
    client.force_login(city_admin)
    tianhe = Region.objects.get(code=TIANHE)

    response = client.post(create_url(), policy_post(region=str(tianhe.pk)))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["region"] == ["请选择您辖区内的地区。"]
    assert not EligibilityPolicy.objects.exists()
    with pytest.raises(DomainError) as excinfo:
        eligibility_policy_create(
            created_by=city_admin,
            region=tianhe,
            valid_from=SINCE,
            child_age_limit=12,
            child_age_inclusive=True,
            admitted_categories=["mother"],
            require_verified_evidence=True,
        )
    assert excinfo.value.code == "eligibility_policy_out_of_scope"
    assert not EligibilityPolicy.objects.exists()


def test_district_staff_see_the_city_row_read_only(client, city_row, make_user):
    staff = admin_in(make_user, BAOAN, role="bureau_staff")
    client.force_login(staff)

    listing = client.get(list_url())
    detail = client.get(detail_url(city_row))
    edit = client.get(edit_url(city_row))
    post = client.post(edit_url(city_row), policy_post(child_age_limit="14"))
    create = client.get(create_url())

    assert [p.pk for p in listing.context["policies"]] == [city_row.pk]
    assert edit_url(city_row) not in listing.content.decode()
    assert create_url() not in listing.content.decode()
    assert detail.status_code == HTTPStatus.OK
    assert 'data-scope="read-only"' in detail.content.decode()
    assert "您只能查看" in text_of(detail)
    assert edit_url(city_row) not in detail.content.decode()
    # As on the subsidy policy pages: no change permission is a 403.
    assert edit.status_code == HTTPStatus.FORBIDDEN
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert create.status_code == HTTPStatus.FORBIDDEN
    city_row.refresh_from_db()
    assert city_row.child_age_limit == 12


def test_district_admin_may_not_edit_the_city_row(client, city_row, make_user):
    client.force_login(admin_in(make_user, BAOAN))

    detail = client.get(detail_url(city_row))
    edit = client.get(edit_url(city_row))

    assert detail.status_code == HTTPStatus.OK
    assert 'data-scope="read-only"' in detail.content.decode()
    # As on the subsidy policy pages: a row above her regions is a 404 to edit.
    assert edit.status_code == HTTPStatus.NOT_FOUND


def test_staff_nav_links_the_eligibility_policy_list(client, city_row, city_admin):
    client.force_login(city_admin)

    page = client.get(list_url()).content.decode()

    assert f'href="{list_url()}" aria-current="page"' in page


# ---------------------------------------------------------------------------
# Create, edit, history


def test_create_then_detail_round_trip(client, city_admin):
    client.force_login(city_admin)

    response = client.post(
        create_url(),
        policy_post(
            child_age_limit="14",
            child_age_inclusive="",
            admitted_categories=["other_caregiver_child", "mother"],
            require_verified_evidence="",
            reason="深圳市扩大适用人员范围",
        ),
    )

    policy = EligibilityPolicy.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == detail_url(policy)
    assert policy.region.code == SHENZHEN
    assert policy.valid_from == datetime.date(2026, 3, 1)
    assert policy.child_age_limit == 14
    assert policy.child_age_inclusive is False
    assert policy.admitted_categories == ["mother", "other_caregiver_child"]
    assert policy.require_verified_evidence is False
    assert policy.created_by == city_admin
    event = AuditEvent.objects.get(action="eligibility_policy.created")
    assert event.actor == city_admin
    assert event.object_id == str(policy.pk)
    assert event.before is None
    assert event.after["admitted_categories"] == ["mother", "other_caregiver_child"]
    assert event.reason == "深圳市扩大适用人员范围"
    text = text_of(client.get(response["Location"]))
    for fact in (
        "深圳市（440300）",
        "2026年3月1日起执行",
        "子女未满 14 周岁，满 14 周岁起不再符合",
        "抚育儿童的妇女、其他抚育儿童的照护者",
        "深人社规〔2026〕1号",
        "新建资格政策",
        city_admin.display_name,
        "深圳市扩大适用人员范围",
    ):
        assert fact in text


def test_edit_audits_before_and_after_and_shows_them_in_the_history(client, city_row, city_admin):
    client.force_login(city_admin)

    response = client.post(
        edit_url(city_row),
        policy_post(
            valid_from="2024-01-01",
            child_age_limit="14",
            admitted_categories=["mother", "caregiver_disabled"],
            legal_reference=city_row.legal_reference,
            reason="新文件放宽年龄",
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    city_row.refresh_from_db()
    assert city_row.child_age_limit == 14
    assert city_row.admitted_categories == ["mother", "caregiver_disabled"]
    event = AuditEvent.objects.get(action="eligibility_policy.changed")
    assert event.actor == city_admin
    assert (event.before["child_age_limit"], event.after["child_age_limit"]) == (12, 14)
    assert event.after["region"] == city_row.region_id
    assert event.reason == "新文件放宽年龄"
    detail = client.get(detail_url(city_row))
    entry = next(e for e in detail.context["history"] if e["event"] == event)
    changes = {c["label"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes == {
        "子女年龄上限（周岁）": ("12", "14"),
        "适用人员类别": ("抚育儿童的妇女", "抚育儿童的妇女、照护残疾人"),
    }
    text = text_of(detail)
    assert "修改资格政策" in text
    assert "新文件放宽年龄" in text


def test_edit_of_a_row_in_force_is_allowed_and_says_so(client, city_row, city_admin):
    client.force_login(city_admin)

    page = client.get(edit_url(city_row))

    assert page.status_code == HTTPStatus.OK
    assert 'data-started="yes"' in page.content.decode()
    assert page.context["form"].initial["admitted_categories"] == ["mother"]


def test_edit_that_changes_nothing_writes_no_event(client, city_row, city_admin):
    client.force_login(city_admin)

    response = client.post(
        edit_url(city_row),
        policy_post(valid_from="2024-01-01", legal_reference=city_row.legal_reference),
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not AuditEvent.objects.filter(action="eligibility_policy.changed").exists()


def test_create_refuses_a_second_row_of_the_same_day_naming_the_first(client, city_row, city_admin):
    client.force_login(city_admin)

    response = client.post(create_url(), policy_post(valid_from="2024-01-01"))

    assert response.status_code == HTTPStatus.OK
    error = response.context["form"].errors["valid_from"][0]
    assert f"深圳市已有一条2024年1月1日起生效的资格政策（编号 {city_row.pk}，" in error
    assert "深人社规〔2024〕1号" in error
    assert "没有保存" in error
    assert EligibilityPolicy.objects.count() == 1
    assert not AuditEvent.objects.filter(object_type="applicants.eligibilitypolicy").exists()


def test_edit_refuses_moving_a_row_onto_another_of_the_same_day(client, city_row, city_admin):
    later = make_row(SHENZHEN, datetime.date(2025, 1, 1))
    client.force_login(city_admin)

    response = client.post(edit_url(later), policy_post(valid_from="2024-01-01"))

    assert response.status_code == HTTPStatus.OK
    assert (
        "已有一条2024年1月1日起生效的资格政策" in response.context["form"].errors["valid_from"][0]
    )
    later.refresh_from_db()
    assert later.valid_from == datetime.date(2025, 1, 1)
    assert not AuditEvent.objects.filter(object_type="applicants.eligibilitypolicy").exists()


def test_a_duplicate_found_only_by_the_constraint_is_still_a_clear_error(
    city_row, city_admin, mocker
):
    # A concurrent create: the pre-checks saw nothing, the unique constraint refuses.
    mocker.patch(
        "applicants.services.eligibility_policies.eligibility_policy_find_duplicate",
        return_value=None,
    )
    mocker.patch.object(EligibilityPolicy, "validate_constraints")

    with pytest.raises(DomainError) as excinfo:
        eligibility_policy_create(
            created_by=city_admin,
            region=city_row.region,
            valid_from=city_row.valid_from,
            child_age_limit=12,
            child_age_inclusive=True,
            admitted_categories=["mother"],
            require_verified_evidence=True,
        )

    assert excinfo.value.code == "eligibility_policy_duplicate"
    assert "没有保存" in excinfo.value.message
    assert EligibilityPolicy.objects.count() == 1
    assert not AuditEvent.objects.filter(object_type="applicants.eligibilitypolicy").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"child_age_limit": 0}, "child_age_limit"),
        ({"child_age_limit": 19}, "child_age_limit"),
        ({"admitted_categories": []}, "admitted_categories"),
        ({"admitted_categories": ["nobody"]}, "admitted_categories"),
    ],
)
def test_update_refuses_invalid_values(city_row, city_admin, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        eligibility_policy_update(policy=city_row, changed_by=city_admin, **fields)

    assert field in excinfo.value.message_dict
    city_row.refresh_from_db()
    assert city_row.child_age_limit == 12
    assert city_row.admitted_categories == ["mother"]
    assert not AuditEvent.objects.filter(object_type="applicants.eligibilitypolicy").exists()


def test_create_refuses_a_street(city_admin):
    street = Region.objects.filter(code__startswith="440306", level="street").first()

    with pytest.raises(ValidationError) as excinfo:
        eligibility_policy_create(
            created_by=city_admin,
            region=street,
            valid_from=SINCE,
            child_age_limit=12,
            child_age_inclusive=True,
            admitted_categories=["mother"],
            require_verified_evidence=True,
        )

    assert "region" in excinfo.value.message_dict
    assert not EligibilityPolicy.objects.exists()


def test_form_asks_for_at_least_one_category_and_an_age_in_range(client, city_admin):
    client.force_login(city_admin)

    response = client.post(create_url(), policy_post(admitted_categories=[], child_age_limit="19"))

    errors = response.context["form"].errors
    assert errors["admitted_categories"] == ["请至少选择一类适用人员。"]
    assert "child_age_limit" in errors
    assert not EligibilityPolicy.objects.exists()


def test_history_reads_the_admin_snapshots(client, city_row, city_admin):
    # The admin records the categories as the list's repr and the region by id.
    audit_record(
        actor=city_admin,
        action="eligibility_policy.changed",
        obj=city_row,
        before={"region": city_row.region_id, "admitted_categories": "['mother']"},
        after={
            "region": city_row.region_id,
            "admitted_categories": "['mother', 'caregiver_disabled_elderly']",
        },
    )
    client.force_login(city_admin)

    detail = client.get(detail_url(city_row))

    (entry,) = detail.context["history"]
    assert [(c["label"], c["before"], c["after"]) for c in entry["changes"]] == [
        ("适用人员类别", "抚育儿童的妇女", "抚育儿童的妇女、照护失能老人")
    ]


# ---------------------------------------------------------------------------
# Queries and the admin


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_eligibility_policy_list_query_count_is_independent_of_row_count(
    client, city_row, city_admin
):
    client.force_login(city_admin)
    make_row(GUANGDONG)
    small = _queries_for(client, list_url())

    for code in ("440303", "440304", "440305", "440306", "440307"):
        for year in (2021, 2022):
            make_row(code, datetime.date(year, 1, 1))
    assert EligibilityPolicy.objects.count() == 12

    assert _queries_for(client, list_url()) == small
    assert len(client.get(list_url()).context["policies"]) == 12
    # session, user, 2 × permissions, scope regions, count, page, unread notifications
    assert small == 8


def test_the_admin_shows_staff_their_regions_policies_read_only(
    client, city_row, city_admin, make_user
):
    # given a Shenzhen row and a row of another province
    other = EligibilityPolicy.objects.create(
        region=Region.objects.get(code="440000"),
        valid_from=datetime.date(2020, 1, 1),
        admitted_categories=["mother"],
    )
    client.force_login(city_admin)

    # when the city's bureau admin opens the admin
    changelist = client.get(reverse("admin:applicants_eligibilitypolicy_changelist"))
    add = client.get(reverse("admin:applicants_eligibilitypolicy_add"))
    change = client.post(
        reverse("admin:applicants_eligibilitypolicy_change", args=[city_row.pk]),
        {"child_age_limit": 6},
    )

    # then she sees her regions' rows only, and writes on the staff page, not here
    assert changelist.status_code == HTTPStatus.OK
    rows = list(changelist.context["cl"].result_list)
    assert city_row in rows
    assert other not in rows
    assert add.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.FORBIDDEN
    city_row.refresh_from_db()
    assert city_row.child_age_limit != 6
