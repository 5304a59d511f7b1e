"""The bureau's subsidy dashboard (补贴统计): figures, scope, permissions, queries, CSV."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant
from employers.models import Employer
from mamagang.accounts.services import staff_scope_grant
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import Claim, ClaimLine, PaymentBatch, SubsidyPolicy, SubsidyType
from subsidies.selectors_dashboard import dashboard_for_staff
from tests.accounts.factories import UserFactory
from tests.applicants.factories import make_mother
from tests.employers.factories import EmployerFactory
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

URL = "subsidies:staff-dashboard"
SI = "employer_social_insurance"
POST = "employer_post"
FLEX = "flexible_social_insurance"
BAOAN, NANSHAN, TIANHE, SHENZHEN = "440306", "440305", "440106", "440300"

Status = ClaimLine.Status


def months_ago(n: int) -> datetime.date:
    """The 1st of the month `n` months before the current one."""
    return add_months(timezone.localdate().replace(day=1), -n)


def staff_in(make_user, code: str):
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


@dataclass
class Ledger:
    """Hand-made claim lines, written straight to the tables (no engine)."""

    reviewer: object
    payer: object
    policies: dict[tuple[str, str], SubsidyPolicy] = field(default_factory=dict)
    batches: dict[str, PaymentBatch] = field(default_factory=dict)

    def policy(self, region: str, type_code: str) -> SubsidyPolicy:
        key = (region, type_code)
        if key not in self.policies:
            self.policies[key] = make_policy(region=region, type_code=type_code)
        return self.policies[key]

    def batch(self, region: Region) -> PaymentBatch:
        if region.code not in self.batches:
            today = timezone.localdate()
            self.batches[region.code] = PaymentBatch.objects.create(
                region=region,
                number=1,
                status=PaymentBatch.Status.PAID,
                publicity_from=today,
                publicity_until=today,
                declared_count=0,
                declared_amount=Decimal("0.00"),
                created_by=self.payer,
                approved_by=self.reviewer,
                approved_at=timezone.now(),
                paid_at=timezone.now(),
            )
        return self.batches[region.code]

    def line(
        self,
        *,
        mother: Applicant,
        month: datetime.date,
        status: str,
        amount: str,
        type_code: str = SI,
        employer: Employer | None = None,
    ) -> ClaimLine:
        """One line of `employer`'s claim, or of the mother's own claim when None."""
        region = employer.district if employer else mother.residence_district
        if employer is not None:
            claim = Claim.objects.create(
                source=Claim.Source.EMPLOYER,
                region=region,
                employer=employer,
                submitted_at=timezone.now(),
            )
        else:
            claim = Claim.objects.create(
                source=Claim.Source.PERSON,
                region=region,
                applicant=mother,
                submitted_at=timezone.now(),
            )
        supported = status in (Status.APPROVED, Status.PAID)
        return ClaimLine.objects.create(
            claim=claim,
            applicant=mother,
            subsidy_type=SubsidyType.objects.get(code=type_code),
            month=month,
            employer=employer,
            policy=self.policy(region.code[:4] + "00", type_code),
            decision=ClaimLine.Decision.ELIGIBLE,
            amount=Decimal(amount),
            decided_at=timezone.now(),
            status=status,
            status_reason="不符合" if status == Status.REJECTED else "",
            approved_by=self.reviewer if supported else None,
            approved_at=timezone.now() if supported else None,
            batch=self.batch(region) if status == Status.PAID else None,
            paid_at=timezone.now() if status == Status.PAID else None,
        )


@dataclass
class World:
    ledger: Ledger
    baoan: Employer
    nanshan: Employer
    tianhe: Employer
    mothers: dict[str, Applicant]


def district(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def world(shenzhen_guangzhou) -> World:
    """
    In Shenzhen: a Bao'an employer claiming the social-insurance subsidy
    (paid, approved, rejected, one paid line 13 months ago), a Nanshan
    employer claiming the post subsidy (paid, approved, open) and a Bao'an
    mother's own flexible-worker claim (paid). In Guangzhou's Tianhe: one
    paid line of 999.00 that Shenzhen staff must never see.
    """
    ledger = Ledger(reviewer=UserFactory(), payer=UserFactory())
    baoan = EmployerFactory(district=district(BAOAN), name="宝安示例电商有限公司")
    nanshan = EmployerFactory(district=district(NANSHAN), name="南山示例科技有限公司")
    tianhe = EmployerFactory(district=district(TIANHE), name="天河示例商贸有限公司")
    mothers = {
        "m1": make_mother(full_name="李晓梅", district=BAOAN),
        "m2": make_mother(full_name="王芳", district=BAOAN),
        "m3": make_mother(full_name="陈静", district=BAOAN),
        "m4": make_mother(full_name="刘丽", district=NANSHAN),
        "m5": make_mother(full_name="张敏", district=NANSHAN),
        "m6": make_mother(full_name="黄燕", district=BAOAN),
        "m7": make_mother(full_name="周婷", district=TIANHE),
    }
    m = mothers
    line = ledger.line
    line(mother=m["m1"], month=months_ago(1), status=Status.PAID, amount="300", employer=baoan)
    line(mother=m["m2"], month=months_ago(1), status=Status.APPROVED, amount="300", employer=baoan)
    line(mother=m["m3"], month=months_ago(1), status=Status.REJECTED, amount="300", employer=baoan)
    line(mother=m["m1"], month=months_ago(2), status=Status.PAID, amount="300", employer=baoan)
    line(mother=m["m1"], month=months_ago(13), status=Status.PAID, amount="300", employer=baoan)
    line(
        mother=m["m4"],
        month=months_ago(2),
        status=Status.PAID,
        amount="500",
        employer=nanshan,
        type_code=POST,
    )
    line(
        mother=m["m4"],
        month=months_ago(3),
        status=Status.APPROVED,
        amount="500",
        employer=nanshan,
        type_code=POST,
    )
    line(
        mother=m["m5"],
        month=months_ago(3),
        status=Status.OPEN,
        amount="500",
        employer=nanshan,
        type_code=POST,
    )
    line(mother=m["m6"], month=months_ago(1), status=Status.PAID, amount="200", type_code=FLEX)
    line(mother=m["m7"], month=months_ago(1), status=Status.PAID, amount="999", employer=tianhe)
    return World(ledger=ledger, baoan=baoan, nanshan=nanshan, tianhe=tianhe, mothers=mothers)


@pytest.fixture
def shenzhen_staff(world, make_user):
    return staff_in(make_user, SHENZHEN)


@pytest.fixture
def baoan_staff(world, make_user):
    return staff_in(make_user, BAOAN)


@pytest.fixture
def tianhe_staff(world, make_user):
    return staff_in(make_user, TIANHE)


def default_period() -> tuple[datetime.date, datetime.date]:
    return months_ago(11), months_ago(0)


def dashboard(user, **filters):
    month_from, month_to = default_period()
    filters.setdefault("month_from", month_from)
    filters.setdefault("month_to", month_to)
    return dashboard_for_staff(user=user, **filters)


def amounts(row) -> tuple[Decimal, Decimal, int, int]:
    return (row.paid, row.approved_unpaid, row.people, row.employers)


class Tables(HTMLParser):
    """Collect the text of each table row (by data-table and data-row) and chart labels."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, list[str]]] = {}
        self.charts: dict[str, str] = {}
        self._table = self._row = None
        self._cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("role") == "img" and "data-chart" in attrs:
            self.charts[attrs["data-chart"]] = attrs.get("aria-label", "")
        if tag == "table":
            self._table = attrs.get("data-table")
            self.rows.setdefault(self._table, {})
        elif tag == "tr" and self._table:
            self._row, self._cells = attrs.get("data-row"), []
        elif tag in ("th", "td") and self._row:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows[self._table][self._row] = self._cells
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(response) -> Tables:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser


# ---------------------------------------------------------------------------
# Figures


def test_dashboard_headline_counts_paid_approved_people_employers_and_pending(shenzhen_staff):
    headline = dashboard(shenzhen_staff).headline

    # Paid: 300 + 300 (Bao'an) + 500 (Nanshan) + 200 (own claim); the paid line
    # 13 months ago lies outside the default period, the rejected one is no money.
    assert headline.paid == Decimal("1300.00")
    assert headline.approved_unpaid == Decimal("800.00")
    assert headline.people == 4  # m1, m2, m4, m6: not the rejected m3 nor the open m5
    assert headline.employers == 2
    assert headline.pending == 1


def test_dashboard_spending_by_month_fills_every_month_of_the_period(shenzhen_staff):
    by_month = dashboard(shenzhen_staff).by_month

    assert [row.month for row in by_month] == [months_ago(n) for n in range(11, -1, -1)]
    rows = {row.month: amounts(row) for row in by_month}
    assert rows[months_ago(1)] == (Decimal("500.00"), Decimal("300.00"), 3, 1)
    assert rows[months_ago(2)] == (Decimal("800.00"), Decimal("0.00"), 2, 2)
    assert rows[months_ago(3)] == (Decimal("0.00"), Decimal("500.00"), 1, 1)
    assert rows[months_ago(4)] == (Decimal("0.00"), Decimal("0.00"), 0, 0)
    assert sum(row.paid for row in by_month) == Decimal("1300.00")


def test_dashboard_spending_by_type_largest_first(shenzhen_staff):
    by_type = dashboard(shenzhen_staff).by_type

    assert [(row.key, *amounts(row)) for row in by_type] == [
        (POST, Decimal("500.00"), Decimal("500.00"), 1, 1),
        (SI, Decimal("600.00"), Decimal("300.00"), 2, 1),
        (FLEX, Decimal("200.00"), Decimal("0.00"), 1, 0),
    ]
    assert by_type[0].label == "用人单位岗位补贴"


def test_dashboard_spending_by_district_uses_employer_district_else_claim_region(
    shenzhen_staff,
):
    by_district = dashboard(shenzhen_staff).by_district

    # The flexible worker's own claim (no employer) counts in her claim's district, Bao'an.
    assert [(row.key, row.label, *amounts(row)) for row in by_district] == [
        (NANSHAN, "南山区", Decimal("500.00"), Decimal("500.00"), 1, 1),
        (BAOAN, "宝安区", Decimal("800.00"), Decimal("300.00"), 3, 1),
    ]


def test_dashboard_filters_by_type_district_and_period(shenzhen_staff):
    post = SubsidyType.objects.get(code=POST)

    by_type = dashboard(shenzhen_staff, subsidy_type=post).headline
    by_district = dashboard(shenzhen_staff, district=district(BAOAN)).headline
    longer = dashboard(shenzhen_staff, month_from=months_ago(13)).headline

    assert (by_type.paid, by_type.approved_unpaid, by_type.pending) == (
        Decimal("500.00"),
        Decimal("500.00"),
        1,
    )
    assert (by_district.paid, by_district.approved_unpaid, by_district.people) == (
        Decimal("800.00"),
        Decimal("300.00"),
        3,
    )
    assert by_district.pending == 0
    assert longer.paid == Decimal("1600.00")


def test_dashboard_page_shows_figures_tables_and_a_chart_per_section(client, shenzhen_staff):
    client.force_login(shenzhen_staff)

    response = client.get(reverse(URL))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "1,300.00 元" in content
    assert "800.00 元" in content
    page = parse(response)
    assert set(page.charts) == {"month", "type", "district"}
    assert all(label for label in page.charts.values())
    assert "2,100.00 元" in page.charts["month"]  # the total, spoken
    assert content.count('role="img"') == 3
    # Each table holds the chart's numbers: label, paid, approved, total, people, employers.
    assert page.rows["month"][f"{months_ago(1):%Y-%m}"][1:] == [
        "500.00 元",
        "300.00 元",
        "800.00 元",
        "3",
        "1",
    ]
    assert page.rows["type"][SI][1:] == ["600.00 元", "300.00 元", "900.00 元", "2", "1"]
    assert page.rows["district"][BAOAN][0] == f"宝安区 {BAOAN}"
    assert page.rows["district"][BAOAN][1:4] == ["800.00 元", "300.00 元", "1,100.00 元"]
    assert page.rows["district"]["total"][1:] == [
        "1,300.00 元",
        "800.00 元",
        "2,100.00 元",
        "4",
        "2",
    ]
    assert len(page.rows["month"]) == 12 + 1  # the months and the total row
    assert "css/subsidies-dashboard.css" in content
    assert 'href="?format=csv"' in content
    # The period defaults to the last 12 months, filled in the form.
    assert f'value="{months_ago(11):%Y-%m}"' in content
    assert f'value="{months_ago(0):%Y-%m}"' in content


def test_dashboard_page_applies_district_filter_by_code(client, shenzhen_staff):
    client.force_login(shenzhen_staff)

    response = client.get(reverse(URL), {"district": NANSHAN, "subsidy_type": POST})

    assert response.status_code == HTTPStatus.OK
    page = parse(response)
    assert list(page.rows["district"]) == [NANSHAN, "total"]
    assert list(page.rows["type"]) == [POST, "total"]
    assert response.context["dashboard"].headline.paid == Decimal("500.00")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month_from": "2026-05", "month_to": "2026-01"}, "起始月份不能晚于截止月份"),
        ({"month_from": "2020-01", "month_to": "2026-01"}, "一次最多统计 36 个月"),
        ({"month_from": "2026-13"}, "请按“2026-10”的格式填写月份"),
    ],
)
def test_dashboard_page_refuses_invalid_periods(client, shenzhen_staff, params, message):
    client.force_login(shenzhen_staff)

    response = client.get(reverse(URL), params)

    assert response.status_code == HTTPStatus.OK
    assert response.context["dashboard"] is None
    assert message in response.content.decode()
    assert 'role="img"' not in response.content.decode()


# ---------------------------------------------------------------------------
# Scope and permissions


def test_dashboard_staff_of_another_region_sees_none_of_it(client, tianhe_staff):
    client.force_login(tianhe_staff)

    response = client.get(reverse(URL))

    headline = response.context["dashboard"].headline
    assert (headline.paid, headline.approved_unpaid, headline.people) == (
        Decimal("999.00"),
        Decimal("0.00"),
        1,
    )
    assert headline.pending == 0
    content = response.content.decode()
    assert "宝安" not in content
    assert "南山" not in content
    assert "1,300.00" not in content
    assert [row.key for row in response.context["dashboard"].by_district] == [TIANHE]


def test_dashboard_staff_without_regions_sees_zeros(client, world, make_user):
    client.force_login(make_user("bureau_staff"))

    response = client.get(reverse(URL))

    assert response.status_code == HTTPStatus.OK
    headline = response.context["dashboard"].headline
    assert (headline.paid, headline.approved_unpaid, headline.people, headline.pending) == (
        Decimal("0.00"),
        Decimal("0.00"),
        0,
        0,
    )
    assert 'role="img"' not in response.content.decode()
    assert "所选条件下没有已审核或已发放的补贴" in response.content.decode()


def test_dashboard_district_scope_sees_only_her_district(baoan_staff):
    data = dashboard(baoan_staff)

    assert data.headline.paid == Decimal("800.00")
    assert data.headline.approved_unpaid == Decimal("300.00")
    assert [row.key for row in data.by_district] == [BAOAN]
    assert POST not in [row.key for row in data.by_type]


@pytest.mark.parametrize("code", [TIANHE, NANSHAN, SHENZHEN, "999999", "宝安区"])
def test_dashboard_refuses_a_district_outside_her_regions(client, baoan_staff, code):
    client.force_login(baoan_staff)

    response = client.get(reverse(URL), {"district": code})
    csv_response = client.get(reverse(URL), {"district": code, "format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["dashboard"] is None
    content = response.content.decode()
    assert "请选择您辖区内的地市或区县" in content
    assert "999.00" not in content
    assert "500.00" not in content
    assert csv_response["Content-Type"].startswith("text/html")


def test_dashboard_district_choices_are_her_regions_only(client, baoan_staff, shenzhen_staff):
    client.force_login(baoan_staff)
    baoan_choices = client.get(reverse(URL)).context["form"].fields["district"].queryset
    client.force_login(shenzhen_staff)
    shenzhen_choices = client.get(reverse(URL)).context["form"].fields["district"].queryset

    assert [r.code for r in baoan_choices] == [BAOAN]
    codes = [r.code for r in shenzhen_choices]
    assert SHENZHEN in codes
    assert {BAOAN, NANSHAN} <= set(codes)
    assert all(code.startswith("4403") for code in codes)


@pytest.mark.parametrize("role", ["employer_member", "applicant"])
def test_dashboard_refuses_employer_and_applicant_users(client, world, make_user, role):
    client.force_login(make_user(role))

    assert client.get(reverse(URL)).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse(URL), {"format": "csv"}).status_code == HTTPStatus.FORBIDDEN


def test_dashboard_sends_anonymous_users_to_login(client, world):
    response = client.get(reverse(URL))

    assert response.status_code == HTTPStatus.FOUND
    assert "login" in response["Location"]


def test_dashboard_link_shows_in_staff_nav(client, shenzhen_staff):
    client.force_login(shenzhen_staff)

    content = client.get(reverse(URL)).content.decode()

    assert f'href="{reverse(URL)}" aria-current="page"' in content


# ---------------------------------------------------------------------------
# Query count


def _grow(world: World, *, people: int) -> None:
    """Add `people` mothers with paid and approved lines of three types in two districts."""
    for i in range(people):
        employer = world.baoan if i % 2 else world.nanshan
        mother = make_mother(full_name=f"新员工{i}", district=employer.district.code)
        for n, status in ((1, Status.PAID), (2, Status.APPROVED), (4, Status.OPEN)):
            world.ledger.line(
                mother=mother,
                month=months_ago(n + i % 3),
                status=status,
                amount="300",
                employer=employer,
                type_code=(SI, POST)[(i // 2) % 2],
            )
        world.ledger.line(
            mother=mother, month=months_ago(5), status=Status.PAID, amount="200", type_code=FLEX
        )


@pytest.mark.parametrize("fmt", ["", "csv"])
def test_dashboard_runs_a_constant_number_of_queries(
    client, world, shenzhen_staff, django_assert_num_queries, fmt
):
    client.force_login(shenzhen_staff)
    params = {"district": BAOAN, "subsidy_type": SI, "format": fmt}
    expected = 14 if fmt == "" else 11

    with django_assert_num_queries(expected):
        small = client.get(reverse(URL), params)
    _grow(world, people=6)
    with django_assert_num_queries(expected):
        large = client.get(reverse(URL), params)

    assert small.status_code == large.status_code == HTTPStatus.OK
    assert large.content != small.content


# ---------------------------------------------------------------------------
# CSV


def test_dashboard_csv_holds_the_three_tables_with_a_bom(client, shenzhen_staff):
    client.force_login(shenzhen_staff)

    response = client.get(reverse(URL), {"format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "补贴统计"
    assert f"所属月份：{months_ago(11):%Y-%m} 至 {months_ago(0):%Y-%m}" in rows[0]
    sections = {row[0]: i for i, row in enumerate(rows) if len(row) == 1}
    assert set(sections) >= {"按所属月份", "按补贴类型"}
    month_header = sections["按所属月份"] + 1
    assert rows[month_header] == [
        "所属月份",
        "已发放（元）",
        "已审核待发放（元）",
        "合计（元）",
        "受益人数",
        "受益单位数",
    ]
    months = {row[0]: row[1:] for row in rows[month_header + 1 : month_header + 13]}
    assert len(months) == 12
    assert months[f"{months_ago(1):%Y-%m}"] == ["500.00", "300.00", "800.00", "3", "1"]
    assert months[f"{months_ago(3):%Y-%m}"] == ["0.00", "500.00", "500.00", "1", "1"]
    types = {row[0]: row[1:] for row in rows if row and row[0] in (SI, POST, FLEX)}
    assert types[POST] == ["用人单位岗位补贴", "500.00", "500.00", "1000.00", "1", "1"]
    assert types[FLEX] == ["灵活就业社会保险补贴", "200.00", "0.00", "200.00", "1", "0"]
    districts = {row[0]: row[1:] for row in rows if row and row[0] in (BAOAN, NANSHAN, TIANHE)}
    assert districts == {
        NANSHAN: ["南山区", "500.00", "500.00", "1000.00", "1", "1"],
        BAOAN: ["宝安区", "800.00", "300.00", "1100.00", "3", "1"],
    }


def test_dashboard_csv_keeps_the_filters(client, shenzhen_staff):
    client.force_login(shenzhen_staff)

    response = client.get(reverse(URL), {"format": "csv", "district": BAOAN})

    text = response.content.decode("utf-8-sig")
    assert "区县：宝安区（440306）" in text
    assert NANSHAN not in text
    assert "南山" not in text
