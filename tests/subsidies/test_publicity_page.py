"""The public notice of subsidy payments (公示): no login, no personal data."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mamagang.regions.models import Region
from subsidies.models import PaymentBatch
from subsidies.services.payments import batch_approve, batch_create
from tests.subsidies.test_payments import build_world, days, months_ago, today

pytestmark = pytest.mark.django_db

URL = "/publicity/"


def test_publicity_url_is_named():
    assert reverse("subsidies:publicity") == URL


@pytest.fixture
def baoan(shenzhen_guangzhou, make_user):
    from tests.subsidies.factories import make_policy

    world = build_world(make_user)
    world.hire("宝安甲科技有限公司", "李晓梅", "王芳")
    world.hire("宝安乙贸易有限公司", "赵敏")
    make_policy(
        region="440306",
        type_code="flexible_social_insurance",
        requires_contribution=False,
        max_months=12,
    )
    return world


def batch_on(world, *, made_on, lines=None) -> PaymentBatch:
    return batch_create(
        region=Region.objects.get(code=world.region),
        by=world.maker,
        line_ids=[line.pk for line in lines] if lines is not None else None,
        today=made_on,
    )


def test_publicity_page_shows_batches_in_publicity_without_personal_data(client, baoan):
    baoan.approved_lines("宝安甲科技有限公司")
    baoan.approved_lines("宝安乙贸易有限公司")
    baoan.approved_person_line("陈静")
    baoan.approved_person_line("周红")
    batch = batch_on(baoan, made_on=today() - days(2))

    response = client.get(URL)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    [item] = response.context["notice"].current
    assert item.batch == batch
    assert {(e.name, e.people, e.amount) for e in item.employers} == {
        ("宝安甲科技有限公司", 2, Decimal("600.00")),
        ("宝安乙贸易有限公司", 1, Decimal("300.00")),
    }
    assert (item.person_lines, item.person_people, item.person_amount) == (
        2,
        2,
        Decimal("600.00"),
    )
    assert "宝安区第1批" in html
    assert "宝安甲科技有限公司" in html
    assert "1500.00 元" in html  # the batch total
    assert "个人补贴：2 人，2 笔，合计 600.00 元" in html
    for person in baoan.mothers.values():
        assert person.full_name not in html
        assert person.id_number_masked not in html
        assert person.test_id_number not in html
    for employer, _ in baoan.employers.values():
        assert employer.uscc not in html


def test_publicity_page_lists_only_batches_in_or_lately_out_of_publicity(client, baoan):
    lines = baoan.approved_lines("宝安甲科技有限公司", months_ago(2)) + baoan.approved_lines(
        "宝安甲科技有限公司", months_ago(1)
    )
    current = batch_on(baoan, made_on=today() - days(1), lines=lines[:1])
    not_yet = batch_on(baoan, made_on=today(), lines=lines[1:2])
    lately = batch_on(baoan, made_on=today() - days(10), lines=lines[2:3])
    long_ago = batch_on(baoan, made_on=today() - days(60), lines=lines[3:4])
    batch_approve(batch=lately, by=baoan.checker)

    response = client.get(URL)

    notice = response.context["notice"]
    assert [item.batch for item in notice.current] == [current]
    assert [item.batch for item in notice.ended] == [lately]
    html = response.content.decode()
    assert f"宝安区第{current.number}批" in html
    assert f"宝安区第{lately.number}批" in html
    assert f"宝安区第{not_yet.number}批" not in html
    assert f"宝安区第{long_ago.number}批" not in html
    assert "近期公示期满" in html


def test_publicity_page_filters_by_city_or_district(client, shenzhen_guangzhou, make_user, baoan):
    baoan.approved_lines("宝安甲科技有限公司")
    baoan_batch = batch_on(baoan, made_on=today() - days(1))
    tianhe = build_world(make_user, region="440106")
    tianhe.hire("天河丙有限公司", "陈静")
    tianhe.approved_lines("天河丙有限公司")
    tianhe_batch = batch_on(tianhe, made_on=today() - days(1))

    def shown(params) -> list[PaymentBatch]:
        response = client.get(URL, params)
        assert response.status_code == HTTPStatus.OK
        return [item.batch for item in response.context["notice"].current]

    everything = client.get(URL)
    codes = [region.code for region in everything.context["notice"].regions]
    assert codes == ["440100", "440106", "440300", "440306"]
    assert set(shown({})) == {baoan_batch, tianhe_batch}
    assert shown({"region": "440306"}) == [baoan_batch]
    assert shown({"region": "440300"}) == [baoan_batch]  # a city covers its districts
    assert shown({"region": "440106"}) == [tianhe_batch]
    assert shown({"region": "999999"}) == []
    assert "天河丙有限公司" not in client.get(URL, {"region": "440306"}).content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_publicity_page_query_count_is_independent_of_batches_and_employers(client, baoan):
    lines = baoan.approved_lines("宝安甲科技有限公司") + baoan.approved_lines("宝安乙贸易有限公司")
    baoan.approved_person_line("陈静")
    batch_on(baoan, made_on=today() - days(1), lines=lines[:1])
    batch_on(baoan, made_on=today() - days(1))
    two = _queries(client)

    baoan.hire("宝安丙物流有限公司", "孙丽", "吴静")
    baoan.hire("宝安丁餐饮有限公司", "郑洁")
    more = baoan.approved_lines("宝安丙物流有限公司", months_ago(2))
    more += baoan.approved_lines("宝安丁餐饮有限公司", months_ago(2))
    for line in more:
        batch_on(baoan, made_on=today() - days(2), lines=[line])
    batch_on(
        baoan,
        made_on=today() - days(20),
        lines=baoan.approved_lines("宝安甲科技有限公司", months_ago(3)),
    )
    assert PaymentBatch.objects.count() == 6

    assert _queries(client) == two
