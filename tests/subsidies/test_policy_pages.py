"""The bureau's policy pages: policies and dated rate rows, scoped, audited, protected."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.services import employment_create
from employers.models import ListingPeriod
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import ClaimLine, RateRow, SubsidyPolicy, SubsidyType
from subsidies.services import claim_submit_for_employer
from subsidies.services.policies import (
    rate_row_create,
    rate_row_update,
    subsidy_policy_create,
)
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

SINCE = datetime.date(2022, 1, 1)


def today() -> datetime.date:
    return timezone.localdate()


def admin_in(make_user, code: str, role: str = "bureau_admin"):
    """A bureau user (admin by default) whose scope is the region `code`."""
    user = make_user(role)
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


def text_of(response) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def policy_post(**overrides) -> dict:
    data = {
        "region": str(Region.objects.get(code="440306").pk),
        "subsidy_type": str(SubsidyType.objects.get(code="employer_post").pk),
        "legal_reference": "宝府办〔2025〕12号",
        "reference_day": "1",
        "max_months": "12",
        "retirement_extension_years": "5",
        "claim_window_months": "3",
        "requires_listing": "on",
        "requires_declaration": "on",
        "min_contract_months": "",
        "requires_contribution": "on",
        "second_approval_above": "",
        "publicity_days": "5",
        "active": "on",
        "reason": "",
    }
    data.update(overrides)
    return data


def rate_post(**overrides) -> dict:
    data = {
        "valid_from": "2026-01-01",
        "valid_until": "",
        "kind": "per_month",
        "amount": "400.00",
        "share": "",
        "cap": "",
        "legal_reference": "",
        "reason": "",
    }
    data.update(overrides)
    return data


def decided_line(policy: SubsidyPolicy, make_user) -> ClaimLine:
    """A claim line of `policy`'s district decided with its rate row (last month)."""
    employer = listed_employer(employer=EmployerFactory(district=policy.region))
    ListingPeriod.objects.filter(employer=employer).update(listed_from=SINCE)
    member = make_user("employer_member")
    MembershipFactory(user=member, employer=employer)
    mother = make_mother(
        full_name="李晓梅",
        id_number=make_ric(datetime.date(1990, 6, 15), policy.region.code),
        district=policy.region.code,
        children=[(2019, 3, True)],
    )
    employment_create(
        employer=employer,
        applicant=mother,
        registered_by=member,
        start_date=SINCE,
        employment_form="part_time_hourly",
    )
    month = add_months(today().replace(day=1), -1)
    claim = claim_submit_for_employer(employer=employer, submitted_by=member, months=[month])
    line = ClaimLine.objects.get(claim=claim, policy=policy)
    assert line.rate_row_id is not None
    return line


@pytest.fixture
def baoan_policy(shenzhen_guangzhou) -> SubsidyPolicy:
    """宝安区 employer social-insurance subsidy: 300 CNY a month since 2022."""
    return make_policy(requires_contribution=False, max_months=12, valid_from=SINCE)


@pytest.fixture
def baoan_admin(shenzhen_guangzhou, make_user):
    return admin_in(make_user, "440306")


@pytest.fixture
def tianhe_admin(shenzhen_guangzhou, make_user):
    return admin_in(make_user, "440106")


# ---------------------------------------------------------------------------
# Permissions and scope


def _page_urls(policy: SubsidyPolicy) -> dict[str, str]:
    row = policy.rates.get()
    return {
        "list": reverse("subsidies:staff-policy-list"),
        "create": reverse("subsidies:staff-policy-create"),
        "detail": reverse("subsidies:staff-policy-detail", args=[policy.pk]),
        "edit": reverse("subsidies:staff-policy-edit", args=[policy.pk]),
        "rate-create": reverse("subsidies:staff-rate-create", args=[policy.pk]),
        "rate-edit": reverse("subsidies:staff-rate-edit", args=[row.pk]),
    }


@pytest.mark.parametrize("page", ["list", "create", "detail", "edit", "rate-create", "rate-edit"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bureau_admin", HTTPStatus.OK),
        # Bureau staff of the same district hold no policy permission.
        ("bureau_staff", HTTPStatus.FORBIDDEN),
        ("employer_member", HTTPStatus.FORBIDDEN),
    ],
)
def test_policy_pages_permission_matrix(client, baoan_policy, make_user, page, role, expected):
    user = make_user(role)
    if role != "employer_member":
        staff_scope_grant(user=user, region=baoan_policy.region, granted_by=None)
    client.force_login(user)

    assert client.get(_page_urls(baoan_policy)[page]).status_code == expected


def test_policy_pages_redirect_anonymous_to_login(client, baoan_policy):
    response = client.get(_page_urls(baoan_policy)["list"])

    assert response.status_code == HTTPStatus.FOUND
    assert "/login" in response["Location"]


@pytest.mark.parametrize("page", ["detail", "edit", "rate-create", "rate-edit"])
def test_policy_pages_are_404_for_an_admin_of_another_region(
    client, baoan_policy, tianhe_admin, page
):
    client.force_login(tianhe_admin)

    assert client.get(_page_urls(baoan_policy)[page]).status_code == HTTPStatus.NOT_FOUND


def test_policy_edit_post_of_another_region_is_404_and_changes_nothing(
    client, baoan_policy, tianhe_admin
):
    client.force_login(tianhe_admin)
    url = reverse("subsidies:staff-policy-edit", args=[baoan_policy.pk])

    response = client.post(url, policy_post(legal_reference="篡改"))

    assert response.status_code == HTTPStatus.NOT_FOUND
    baoan_policy.refresh_from_db()
    assert baoan_policy.legal_reference == "中府函〔2022〕226号"


def test_district_admin_views_the_city_policy_read_only(client, baoan_policy, baoan_admin):
    city = make_policy(region="440300", type_code="employer_post", amount="500.00")
    client.force_login(baoan_admin)

    listing = client.get(reverse("subsidies:staff-policy-list"))
    detail = client.get(reverse("subsidies:staff-policy-detail", args=[city.pk]))
    edit = client.get(reverse("subsidies:staff-policy-edit", args=[city.pk]))
    add_rate = client.post(reverse("subsidies:staff-rate-create", args=[city.pk]), rate_post())

    assert {p.pk for p in listing.context["policies"]} == {baoan_policy.pk, city.pk}
    assert reverse("subsidies:staff-policy-edit", args=[city.pk]) not in listing.content.decode()
    assert reverse("subsidies:staff-policy-edit", args=[baoan_policy.pk]) in (
        listing.content.decode()
    )
    assert detail.status_code == HTTPStatus.OK
    assert 'data-scope="read-only"' in detail.content.decode()
    assert "您只能查看" in text_of(detail)
    assert reverse("subsidies:staff-rate-create", args=[city.pk]) not in detail.content.decode()
    assert edit.status_code == HTTPStatus.NOT_FOUND
    assert add_rate.status_code == HTTPStatus.NOT_FOUND
    assert city.rates.count() == 1


def test_city_admin_edits_a_district_policy(client, baoan_policy, make_user):
    city_admin = admin_in(make_user, "440300")
    client.force_login(city_admin)

    response = client.post(
        reverse("subsidies:staff-policy-edit", args=[baoan_policy.pk]),
        policy_post(legal_reference="深人社规〔2025〕3号", max_months="24"),
    )

    assert response.status_code == HTTPStatus.FOUND
    baoan_policy.refresh_from_db()
    assert baoan_policy.legal_reference == "深人社规〔2025〕3号"
    assert baoan_policy.max_months == 24


def test_policy_list_hides_policies_of_other_regions(client, baoan_policy, tianhe_admin):
    tianhe = make_policy(region="440106")
    client.force_login(tianhe_admin)

    response = client.get(reverse("subsidies:staff-policy-list"))

    assert [p.pk for p in response.context["policies"]] == [tianhe.pk]


def test_staff_nav_links_the_policy_pages_for_admins_only(client, baoan_policy, make_user):
    url = reverse("subsidies:staff-policy-list")
    client.force_login(admin_in(make_user, "440306"))
    admin_page = client.get(reverse("subsidies:staff-line-queue")).content.decode()
    client.force_login(admin_in(make_user, "440306", role="bureau_staff"))
    staff_page = client.get(reverse("subsidies:staff-line-queue")).content.decode()

    assert f'href="{url}"' in admin_page
    assert f'href="{url}"' not in staff_page


# ---------------------------------------------------------------------------
# The list


def test_policy_list_shows_the_rate_in_force_today_and_filters(client, baoan_policy, make_user):
    now = today()
    RateRow.objects.filter(policy=baoan_policy).update(valid_until=now)
    RateRow.objects.create(
        policy=baoan_policy, valid_from=now, kind=RateRow.Kind.PER_MONTH, amount=Decimal("350")
    )
    inactive = make_policy(
        region="440305", type_code="employer_post", amount="500.00", active=False
    )
    tianhe = make_policy(region="440106", type_code="employer_post", amount="500.00")
    client.force_login(admin_in(make_user, "440000"))  # the province sees all three
    url = reverse("subsidies:staff-policy-list")

    everything = client.get(url)
    by_type = client.get(url, {"subsidy_type": "employer_post"})
    nanshan = client.get(url, {"region": "440305"})
    inactive_only = client.get(url, {"active": "no"})
    invalid = client.get(url, {"subsidy_type": "nope"})

    def pks(response):
        return [p.pk for p in response.context["policies"]]

    assert pks(everything) == [tianhe.pk, inactive.pk, baoan_policy.pk]  # by region code
    assert "每人每月 350.00 元" in text_of(everything)
    assert "每人每月 300.00 元" not in text_of(everything)
    assert pks(by_type) == [tianhe.pk, inactive.pk]
    assert pks(nanshan) == [inactive.pk]
    assert pks(inactive_only) == [inactive.pk]
    assert pks(invalid) == []
    assert "筛选条件无效" in text_of(invalid)


def test_policy_list_region_filter_offers_regions_with_policies(client, baoan_policy, make_user):
    make_policy(region="440300", type_code="employer_post")
    make_policy(region="440305", type_code="employer_post")
    client.force_login(admin_in(make_user, "440300"))
    url = reverse("subsidies:staff-policy-list")

    response = client.get(url, {"region": "440300"})
    district = client.get(url, {"region": "440305"})

    offered = [r.code for r in response.context["filter_form"].fields["region"].queryset]
    assert offered == ["440300", "440305", "440306"]
    assert len(response.context["policies"]) == 3  # the city and its two districts
    assert [p.region.code for p in district.context["policies"]] == ["440305"]


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_policy_list_query_count_is_independent_of_row_count(client, baoan_policy, make_user):
    client.force_login(admin_in(make_user, "440300"))
    url = reverse("subsidies:staff-policy-list")
    filtered_url = url + "?subsidy_type=employer_post&region=440300&active=yes"
    make_policy(region="440300", type_code="employer_post")
    # session, user, 2 × permissions, scope regions, count, page, today's rates,
    # unread notifications, the type and region options of the filter form
    assert _queries_for(client, url) == 11
    # + looking up the chosen type and region
    assert _queries_for(client, filtered_url) == 13

    for code in ("440303", "440304", "440305", "440307"):
        for type_code in ("employer_post", "flexible_social_insurance"):
            policy = make_policy(region=code, type_code=type_code, valid_from=SINCE)
            RateRow.objects.filter(policy=policy).update(valid_until=today())
            RateRow.objects.create(
                policy=policy, valid_from=today(), kind="per_month", amount=Decimal("320")
            )
    assert SubsidyPolicy.objects.count() == 10

    assert _queries_for(client, url) == 11
    assert _queries_for(client, filtered_url) == 13
    assert len(client.get(filtered_url).context["policies"]) == 5


# ---------------------------------------------------------------------------
# Create, detail and edit


def test_policy_create_then_detail_round_trip(client, baoan_admin):
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-policy-create"),
        policy_post(second_approval_above="2000", reason="宝安区妈妈岗岗位补贴试点"),
    )

    policy = SubsidyPolicy.objects.get(subsidy_type__code="employer_post", region__code="440306")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("subsidies:staff-policy-detail", args=[policy.pk])
    detail = client.get(response["Location"])
    text = text_of(detail)
    assert "用人单位岗位补贴 · 宝安区" in text
    for fact in (
        "深圳市 宝安区（440306）",
        "宝府办〔2025〕12号",
        "每月 1 日",
        "12 个月",
        "首次享受时距法定退休年龄不足 5 年的，可延长享受至退休",
        "所属月份结束后 3 个月内",
        "单条明细超过 2000.00 元 须两人先后审核",
        "5 天",
    ):
        assert fact in text
    assert "这项政策还没有补贴标准" in text
    assert "python manage.py subsidy_scenario FILE" in text
    assert "重新判定近12个月内尚未发放的明细" in text
    event = AuditEvent.objects.get(action="subsidy_policy.created")
    assert event.actor == baoan_admin
    assert event.object_id == str(policy.pk)
    assert event.after["legal_reference"] == "宝府办〔2025〕12号"
    assert event.reason == "宝安区妈妈岗岗位补贴试点"
    assert "新建政策" in text
    assert baoan_admin.display_name in text


def test_policy_create_refuses_a_region_outside_the_scope_and_a_second_policy(
    client, baoan_policy, baoan_admin
):
    client.force_login(baoan_admin)
    url = reverse("subsidies:staff-policy-create")
    nanshan = Region.objects.get(code="440305")

    outside = client.post(url, policy_post(region=str(nanshan.pk)))
    duplicate = client.post(
        url,
        policy_post(subsidy_type=str(SubsidyType.objects.get(code="employer_social_insurance").pk)),
    )

    assert outside.status_code == HTTPStatus.OK
    assert outside.context["form"].errors["region"] == ["请选择您辖区内的地区。"]
    assert duplicate.status_code == HTTPStatus.OK
    assert (
        "宝安区已有“用人单位社会保险补贴”政策"
        in duplicate.context["form"].errors["subsidy_type"][0]
    )
    assert SubsidyPolicy.objects.count() == 1
    assert not AuditEvent.objects.filter(action="subsidy_policy.created").exists()


def test_policy_create_allows_a_province_only_for_base_awards(make_user, shenzhen_guangzhou):
    province_admin = admin_in(make_user, "440000")
    guangdong = Region.objects.get(code="440000")
    post = SubsidyType.objects.get(code="employer_post")
    award = SubsidyType.objects.get(code="employment_base_award")

    with pytest.raises(ValidationError) as excinfo:
        subsidy_policy_create(
            created_by=province_admin, region=guangdong, subsidy_type=post, legal_reference="x"
        )
    policy = subsidy_policy_create(
        created_by=province_admin, region=guangdong, subsidy_type=award, legal_reference="粤"
    )

    assert "region" in excinfo.value.message_dict
    assert policy.region == guangdong


def test_policy_edit_audits_before_and_after_and_shows_them_in_the_history(
    client, baoan_policy, baoan_admin
):
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-policy-edit", args=[baoan_policy.pk]),
        policy_post(
            legal_reference=baoan_policy.legal_reference,
            max_months="24",
            requires_contribution="",
            active="",
            reason="新文件延长期限",
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    event = AuditEvent.objects.get(action="subsidy_policy.changed")
    assert event.actor == baoan_admin
    assert (event.before["max_months"], event.after["max_months"]) == (12, 24)
    assert (event.before["active"], event.after["active"]) == (True, False)
    # Region and type cannot change on the edit page.
    assert event.after["region"] == baoan_policy.region_id
    detail = client.get(reverse("subsidies:staff-policy-detail", args=[baoan_policy.pk]))
    entry = next(e for e in detail.context["history"] if e["event"] == event)
    changes = {c["label"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes == {"每人最长享受月数": ("12", "24"), "启用": ("是", "否")}
    assert "新文件延长期限" in text_of(detail)


def test_policy_edit_that_changes_nothing_writes_no_event(client, baoan_policy, baoan_admin):
    client.force_login(baoan_admin)
    baoan_policy.refresh_from_db()

    client.post(
        reverse("subsidies:staff-policy-edit", args=[baoan_policy.pk]),
        policy_post(
            legal_reference=baoan_policy.legal_reference,
            retirement_extension_years="5",
            requires_contribution="",
        ),
    )

    assert not AuditEvent.objects.filter(action="subsidy_policy.changed").exists()


def test_policy_detail_groups_rates_as_past_in_force_and_future(client, baoan_policy, baoan_admin):
    now = today()
    first = baoan_policy.rates.get()
    RateRow.objects.filter(pk=first.pk).update(valid_until=now - datetime.timedelta(days=10))
    current = RateRow.objects.create(
        policy=baoan_policy,
        valid_from=now - datetime.timedelta(days=10),
        valid_until=now + datetime.timedelta(days=30),
        kind="contribution_share",
        share=Decimal("0.5"),
        cap=Decimal("600"),
        legal_reference="宝人社〔2025〕5号",
    )
    future = RateRow.objects.create(
        policy=baoan_policy,
        valid_from=now + datetime.timedelta(days=30),
        kind="per_year",
        amount=Decimal("3600"),
    )
    client.force_login(baoan_admin)

    response = client.get(reverse("subsidies:staff-policy-detail", args=[baoan_policy.pk]))

    groups = {g["key"]: [r.pk for r in g["rows"]] for g in response.context["timeline"]}
    assert groups == {"past": [first.pk], "current": [current.pk], "future": [future.pk]}
    text = text_of(response)
    assert "按实际缴费的 50%，每月最多 600.00 元" in text
    assert "每年 3600.00 元（按月计发十二分之一）" in text
    assert "依据：宝人社〔2025〕5号" in text
    html = response.content.decode()
    assert html.index("正在执行") < html.index("将来执行") < html.index("已经失效")


# ---------------------------------------------------------------------------
# Rate rows


def test_rate_create_adds_a_row_and_audits_it(client, baoan_policy, baoan_admin):
    first = baoan_policy.rates.get()
    RateRow.objects.filter(pk=first.pk).update(valid_until=datetime.date(2026, 1, 1))
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-create", args=[baoan_policy.pk]),
        rate_post(legal_reference="宝人社〔2025〕9号", reason="2026年起提高标准"),
    )

    assert response.status_code == HTTPStatus.FOUND
    row = baoan_policy.rates.get(valid_from=datetime.date(2026, 1, 1))
    assert (row.kind, row.amount, row.share, row.cap) == (
        "per_month",
        Decimal("400.00"),
        None,
        None,
    )
    event = AuditEvent.objects.get(action="rate_row.created")
    assert event.object_id == str(row.pk)
    assert event.actor == baoan_admin
    assert event.after["amount"] == "400.00"
    assert event.after["policy"] == baoan_policy.pk
    assert event.reason == "2026年起提高标准"
    detail = client.get(reverse("subsidies:staff-policy-detail", args=[baoan_policy.pk]))
    entry = next(e for e in detail.context["history"] if e["event"] == event)
    assert entry["action"] == "新增标准"
    assert entry["subject"] == "2026-01-01起的标准"
    assert ("金额（元）", "", "400.00 元") in [
        (c["label"], c["before"], c["after"]) for c in entry["changes"]
    ]


def test_rate_create_refuses_an_overlap_naming_the_other_row(client, baoan_policy, baoan_admin):
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-create", args=[baoan_policy.pk]), rate_post()
    )

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors["valid_from"]
    assert len(errors) == 1
    assert "有效期与2022年1月1日起的标准重叠" in errors[0]
    assert "请先设置那一条的失效日期" in errors[0]
    assert baoan_policy.rates.count() == 1
    assert not AuditEvent.objects.filter(action="rate_row.created").exists()


def test_rate_row_overlap_found_only_by_the_constraint_is_still_a_clear_error(
    baoan_policy, baoan_admin, mocker
):
    # A concurrent edit: the pre-checks saw nothing, the exclusion constraint refuses.
    mocker.patch("subsidies.services.policies.rate_row_find_overlap", return_value=None)
    mocker.patch.object(RateRow, "validate_constraints")

    with pytest.raises(DomainError) as excinfo:
        rate_row_create(
            policy=baoan_policy,
            created_by=baoan_admin,
            valid_from=datetime.date(2026, 1, 1),
            kind="per_month",
            amount=Decimal("400"),
        )

    assert excinfo.value.code == "rate_row_overlaps"
    assert "没有保存" in excinfo.value.message
    assert baoan_policy.rates.count() == 1
    assert not AuditEvent.objects.filter(action="rate_row.created").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "", "share": "0.5"}, "amount", "固定金额的标准须填写大于0的金额"),
        ({"share": "0.5"}, "share", "固定金额的标准不填比例"),
        ({"cap": "500"}, "cap", "固定金额的标准不填每月上限"),
        ({"kind": "contribution_share", "amount": "", "share": ""}, "share", "须填写大于0"),
        ({"kind": "contribution_share", "share": "0.5", "cap": "600"}, "amount", "不填固定金额"),
        (
            {"kind": "contribution_share", "amount": "", "share": "1.5", "cap": "1"},
            "share",
            "不超过1",
        ),
        ({"valid_until": "2025-12-31"}, "valid_until", "失效日期须晚于生效日期"),
        ({"kind": "per_year", "amount": ""}, "amount", "须填写大于0的金额"),
    ],
)
def test_rate_form_checks_the_fields_of_each_kind(
    client, baoan_policy, baoan_admin, overrides, field, message
):
    RateRow.objects.filter(policy=baoan_policy).update(valid_until=datetime.date(2025, 1, 1))
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-create", args=[baoan_policy.pk]), rate_post(**overrides)
    )

    assert response.status_code == HTTPStatus.OK
    assert message in " ".join(response.context["form"].errors[field])
    assert baoan_policy.rates.count() == 1


def test_rate_create_accepts_a_share_with_a_cap(client, baoan_policy, baoan_admin):
    RateRow.objects.filter(policy=baoan_policy).update(valid_until=datetime.date(2025, 1, 1))
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-create", args=[baoan_policy.pk]),
        rate_post(kind="contribution_share", amount="", share="0.6666666667", cap="700"),
    )

    assert response.status_code == HTTPStatus.FOUND
    row = baoan_policy.rates.get(valid_from=datetime.date(2026, 1, 1))
    assert (row.share, row.cap, row.amount) == (Decimal("0.6666666667"), Decimal("700"), None)


def test_used_rate_row_refuses_a_new_amount_and_says_to_add_a_dated_row(
    client, baoan_policy, baoan_admin, make_user
):
    line = decided_line(baoan_policy, make_user)
    row = baoan_policy.rates.get()
    assert line.rate_row_id == row.pk
    client.force_login(baoan_admin)
    url = reverse("subsidies:staff-rate-edit", args=[row.pk])

    page = client.get(url)
    response = client.post(url, rate_post(valid_from="2022-01-01", amount="350.00"))

    assert 'data-used="true"' in page.content.decode()
    assert response.status_code == HTTPStatus.OK
    errors = " ".join(response.context["form"].non_field_errors())
    assert "已用于 1 条补贴明细或基地奖补的判定" in errors
    assert "再新增一条有日期的新标准" in errors
    row.refresh_from_db()
    assert row.amount == Decimal("300.00")
    assert not AuditEvent.objects.filter(action="rate_row.changed").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "per_year"},
        {"valid_from": datetime.date(2022, 2, 1)},
        {"amount": Decimal("299.99")},
    ],
)
def test_rate_row_update_protects_what_a_decided_line_used(
    baoan_policy, baoan_admin, make_user, change
):
    decided_line(baoan_policy, make_user)
    row = baoan_policy.rates.get()

    with pytest.raises(DomainError) as excinfo:
        rate_row_update(row=row, changed_by=baoan_admin, **change)

    assert excinfo.value.code == "rate_row_in_use"
    row.refresh_from_db()
    assert (row.kind, row.valid_from, row.amount) == ("per_month", SINCE, Decimal("300.00"))


def test_used_rate_row_may_be_ended_and_its_reference_corrected(
    client, baoan_policy, baoan_admin, make_user
):
    decided_line(baoan_policy, make_user)
    row = baoan_policy.rates.get()
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-edit", args=[row.pk]),
        rate_post(
            valid_from="2022-01-01",
            valid_until="2027-01-01",
            amount="300.00",
            legal_reference="中府函〔2022〕226号 第三条",
            reason="新标准自2027年起执行",
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    row.refresh_from_db()
    assert row.valid_until == datetime.date(2027, 1, 1)
    assert row.legal_reference == "中府函〔2022〕226号 第三条"
    event = AuditEvent.objects.get(action="rate_row.changed")
    assert event.actor == baoan_admin
    assert (event.before["valid_until"], event.after["valid_until"]) == (None, "2027-01-01")
    assert event.before["legal_reference"] == ""
    assert event.reason == "新标准自2027年起执行"
    # The row is history now; a new dated row carries the next amount.
    added = client.post(
        reverse("subsidies:staff-rate-create", args=[baoan_policy.pk]),
        rate_post(valid_from="2027-01-01", amount="360.00"),
    )
    assert added.status_code == HTTPStatus.FOUND
    assert list(baoan_policy.rates.order_by("valid_from").values_list("amount", flat=True)) == [
        Decimal("300.00"),
        Decimal("360.00"),
    ]


def test_unused_rate_row_may_change_its_amount(client, baoan_policy, baoan_admin):
    row = baoan_policy.rates.get()
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-edit", args=[row.pk]),
        rate_post(valid_from="2022-01-01", amount="310.00"),
    )

    assert response.status_code == HTTPStatus.FOUND
    row.refresh_from_db()
    assert row.amount == Decimal("310.00")
    event = AuditEvent.objects.get(action="rate_row.changed")
    assert (event.before["amount"], event.after["amount"]) == ("300.00", "310.00")


def test_rate_edit_refuses_moving_a_row_onto_another(client, baoan_policy, baoan_admin):
    first = baoan_policy.rates.get()
    RateRow.objects.filter(pk=first.pk).update(valid_until=datetime.date(2026, 1, 1))
    later = RateRow.objects.create(
        policy=baoan_policy,
        valid_from=datetime.date(2026, 1, 1),
        kind="per_month",
        amount=Decimal("400"),
    )
    client.force_login(baoan_admin)

    response = client.post(
        reverse("subsidies:staff-rate-edit", args=[later.pk]),
        rate_post(valid_from="2025-06-01", amount="400.00"),
    )

    assert response.status_code == HTTPStatus.OK
    assert (
        "2022年1月1日起、2026年1月1日失效的标准"
        in (response.context["form"].errors["valid_from"][0])
    )
    later.refresh_from_db()
    assert later.valid_from == datetime.date(2026, 1, 1)


# ---------------------------------------------------------------------------
# Recognition years (employment-base awards)


@pytest.fixture
def base_award_policy(shenzhen_guangzhou) -> SubsidyPolicy:
    policy = SubsidyPolicy.objects.create(
        region=Region.objects.get(code="440300"),
        subsidy_type=SubsidyType.objects.get(code="employment_base_award"),
        legal_reference="深圳市妈妈岗就业基地奖补",
    )
    RateRow.objects.create(
        policy=policy,
        valid_from=datetime.date(2024, 1, 1),
        kind="per_year",
        amount=Decimal("200000"),
        recognition_year=1,
    )
    return policy


def test_base_award_rates_take_a_recognition_year_and_overlap_only_within_it(
    client, base_award_policy, make_user
):
    client.force_login(admin_in(make_user, "440300"))
    url = reverse("subsidies:staff-rate-create", args=[base_award_policy.pk])

    form_page = client.get(url)
    second = client.post(
        url,
        rate_post(valid_from="2024-01-01", kind="per_year", amount="100000", recognition_year="2"),
    )
    same_year = client.post(
        url,
        rate_post(valid_from="2025-01-01", kind="per_year", amount="150000", recognition_year="1"),
    )

    assert "recognition_year" in form_page.context["form"].fields
    assert second.status_code == HTTPStatus.FOUND
    assert same_year.status_code == HTTPStatus.OK
    assert "（认定第1年）的标准重叠" in same_year.context["form"].errors["valid_from"][0]
    assert sorted(base_award_policy.rates.values_list("recognition_year", flat=True)) == [1, 2]
    detail = client.get(reverse("subsidies:staff-policy-detail", args=[base_award_policy.pk]))
    assert "认定第2年：每年 100000.00 元" in text_of(detail)


def test_recognition_year_is_only_for_base_awards(client, baoan_policy, baoan_admin):
    client.force_login(baoan_admin)
    url = reverse("subsidies:staff-rate-create", args=[baoan_policy.pk])

    page = client.get(url)

    assert "recognition_year" not in page.context["form"].fields
    with pytest.raises(ValidationError) as excinfo:
        rate_row_create(
            policy=baoan_policy,
            created_by=baoan_admin,
            valid_from=datetime.date(2030, 1, 1),
            kind="per_month",
            amount=Decimal("1"),
            recognition_year=1,
        )
    assert "认定年度只用于就业基地奖补" in str(excinfo.value)


# ---------------------------------------------------------------------------
# Services


def test_policy_services_refuse_an_actor_outside_the_region(baoan_policy, tianhe_admin):
    with pytest.raises(DomainError) as excinfo:
        rate_row_create(
            policy=baoan_policy,
            created_by=tianhe_admin,
            valid_from=datetime.date(2030, 1, 1),
            kind="per_month",
            amount=Decimal("1"),
        )

    assert excinfo.value.code == "policy_out_of_scope"
    assert baoan_policy.rates.count() == 1


def test_policy_history_includes_rows_deleted_in_the_admin(client, baoan_policy, baoan_admin):
    from mamagang.core.audit import audit_record

    gone = RateRow(pk=987654, policy=baoan_policy, valid_from=datetime.date(2020, 1, 1))
    audit_record(
        actor=None,
        action="rate_row.deleted",
        obj=gone,
        before={"policy": baoan_policy.pk, "valid_from": "2020-01-01", "amount": "200.00"},
    )
    other = make_policy(region="440305")
    audit_record(
        actor=None,
        action="rate_row.deleted",
        obj=RateRow(pk=987655, policy=other, valid_from=datetime.date(2020, 1, 1)),
        before={"policy": other.pk, "valid_from": "2020-01-01", "amount": "100.00"},
    )
    client.force_login(baoan_admin)

    response = client.get(reverse("subsidies:staff-policy-detail", args=[baoan_policy.pk]))

    entries = response.context["history"]
    assert [(e["action"], e["subject"], e["actor"]) for e in entries] == [
        ("删除标准", "2020-01-01起的标准", "系统")
    ]
    assert ("金额（元）", "200.00 元") in [(c["label"], c["before"]) for c in entries[0]["changes"]]


def test_the_history_of_a_policy_loaded_from_the_data_file_reads_its_rate_rows(client, make_user):
    """The loader audits a policy with its rate rows as a list (a reverse relation)."""
    from subsidies.management.commands.subsidies_policies_load import policies_load
    from tests.conftest import load_shipped_regions

    load_shipped_regions("4420", "4404")
    policies_load()
    policy = SubsidyPolicy.objects.get(region__code="440400")
    client.force_login(admin_in(make_user, "440400"))

    response = client.get(reverse("subsidies:staff-policy-detail", args=[policy.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "补贴标准" in page
    assert "认定第2年" in page
