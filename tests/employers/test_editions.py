import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from employers.models import Employer, RegistryEdition, RegistrySchedule
from employers.services import editions as editions_module
from employers.services import (
    registry_edition_content,
    registry_edition_diff,
    registry_edition_hash,
    registry_edition_publish,
    registry_editions_publish_due,
    registry_entry_approve,
    registry_entry_suspend,
    registry_regions_due,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from tests.employers.factories import EmployerFactory, RegistryEntryFactory, district, make_uscc

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 5, tzinfo=SHANGHAI)


def _listed(**employer_fields):
    """Return an employer with an approved registry entry (and open listing period)."""
    employer = EmployerFactory(**employer_fields)
    RegistryEntryFactory(employer=employer, approved=True)
    return employer


def _scoped_staff(staff_user, code="440306"):
    staff_scope_grant(user=staff_user, region=district(code), granted_by=None)
    return staff_user


@pytest.fixture
def baoan(shenzhen_guangzhou):
    return shenzhen_guangzhou["440306"]


@pytest.fixture
def shenzhen(shenzhen_guangzhou):
    return shenzhen_guangzhou["440300"]


# registry_edition_content


def test_registry_edition_content_lists_approved_employers_of_the_district_sorted_by_uscc(
    shenzhen_guangzhou, baoan
):
    second = _listed(uscc=make_uscc(20), street=shenzhen_guangzhou["440306017"])
    first = _listed(uscc=make_uscc(10), has_women_home=True, has_school_run_arrangement=True)
    _listed(uscc=make_uscc(30, division="440304"), district=shenzhen_guangzhou["440304"])
    RegistryEntryFactory(employer=EmployerFactory(uscc=make_uscc(40)), submitted=True)
    RegistryEntryFactory(employer=EmployerFactory(uscc=make_uscc(50)))  # draft

    content = registry_edition_content(region=baoan, now=NOW)

    assert [item["uscc"] for item in content] == [first.uscc, second.uscc]
    assert content[0] == {
        "uscc": first.uscc,
        "name": first.name,
        "entity_type": "enterprise",
        "district_code": "440306",
        "district_name": "宝安区",
        "street_code": None,
        "street_name": None,
        "sector": "ecommerce",
        "facilities": ["nursing_room", "school_run", "women_home"],
        "listed_from": first.listing_periods.get().listed_from.isoformat(),
        "open_posts": 0,
    }
    assert content[1]["street_code"] == "440306017"
    assert content[1]["street_name"] == "新安街道"


def test_registry_edition_content_of_a_city_combines_its_districts(shenzhen_guangzhou, shenzhen):
    baoan_employer = _listed(uscc=make_uscc(1))
    futian_employer = _listed(
        uscc=make_uscc(2, division="440304"), district=shenzhen_guangzhou["440304"]
    )
    _listed(uscc=make_uscc(3, division="440106"), district=shenzhen_guangzhou["440106"])

    content = registry_edition_content(region=shenzhen, now=NOW)

    assert {item["uscc"] for item in content} == {baoan_employer.uscc, futian_employer.uscc}


def test_registry_edition_content_never_contains_contact_fields(baoan):
    _listed(contact_name="联系人甲乙", contact_phone="13800001111", address="保密路9号")

    content = registry_edition_content(region=baoan, now=NOW)

    assert set(content[0]) == set(editions_module.CONTENT_FIELDS)
    dumped = json.dumps(content, ensure_ascii=False)
    assert "13800001111" not in dumped
    assert "联系人甲乙" not in dumped
    assert "保密路9号" not in dumped


def test_registry_edition_content_leaves_out_suspended_employers(baoan, staff_user):
    employer = _listed()
    registry_entry_suspend(
        entry=employer.registry_entries.get(),
        decided_by=_scoped_staff(staff_user),
        reason="核查中",
    )

    assert registry_edition_content(region=baoan, now=NOW) == []


@pytest.mark.parametrize("rows", [1, 15])
def test_registry_edition_content_runs_one_query_whatever_the_size(
    baoan, rows, django_assert_num_queries
):
    for n in range(rows):
        _listed(uscc=make_uscc(100 + n))

    with django_assert_num_queries(2):  # content + open post counts
        content = registry_edition_content(region=baoan, now=NOW)

    assert len(content) == rows


# registry_edition_hash / registry_edition_diff


def test_registry_edition_hash_matches_fixed_vector():
    content = [
        {
            "uscc": "91440306MA5F00001X",
            "name": "深圳示例科技有限公司",
            "facilities": ["nursing_room", "school_run"],
            "street_name": None,
            "open_posts": 0,
        }
    ]

    assert (
        registry_edition_hash(content)
        == "198d7ed461e54f9a382db8f48f86807e910b087e3c03fd58d457c43b86fcfbbc"
    )


def test_registry_edition_hash_ignores_key_order():
    assert registry_edition_hash([{"a": 1, "b": "二"}]) == registry_edition_hash(
        [{"b": "二", "a": 1}]
    )


def test_registry_edition_diff_marks_everything_added_without_previous():
    current = [{"uscc": "B", "name": "b"}, {"uscc": "A", "name": "a"}]

    assert registry_edition_diff(None, current) == {
        "added": ["A", "B"],
        "removed": [],
        "changed": [],
    }


def test_registry_edition_diff_reports_added_removed_and_changed_fields():
    previous = [
        {"uscc": "A", "name": "a", "sector": "x", "open_posts": 0},
        {"uscc": "B", "name": "b", "sector": "x", "open_posts": 0},
        {"uscc": "C", "name": "c", "sector": "x", "open_posts": 0},
    ]
    current = [
        {"uscc": "D", "name": "d", "sector": "x", "open_posts": 0},
        {"uscc": "C", "name": "c2", "sector": "y", "open_posts": 0},
        {"uscc": "A", "name": "a", "sector": "x", "open_posts": 0},
    ]

    assert registry_edition_diff(previous, current) == {
        "added": ["D"],
        "removed": ["B"],
        "changed": [{"uscc": "C", "fields": ["name", "sector"]}],
    }


# registry_edition_publish


def test_registry_edition_publish_creates_first_edition_with_everything_added(baoan):
    employers = [_listed(uscc=make_uscc(n)) for n in (2, 1)]

    edition = registry_edition_publish(region=baoan, published_by=None, now=NOW)

    assert edition.number == 1
    assert edition.region == baoan
    assert edition.published_at == NOW
    assert edition.published_by is None
    assert edition.employer_count == 2
    assert edition.diff == {
        "added": sorted(e.uscc for e in employers),
        "removed": [],
        "changed": [],
    }
    edition.refresh_from_db()
    assert edition.content_sha256 == registry_edition_hash(edition.content)
    assert edition.content == registry_edition_content(region=baoan, now=NOW)
    event = AuditEvent.objects.get(action="registry_edition.published")
    assert event.object_id == str(edition.pk)
    assert event.after["number"] == 1


def test_registry_edition_publish_returns_none_when_nothing_changed(baoan):
    _listed()
    registry_edition_publish(region=baoan, published_by=None, now=NOW)

    again = registry_edition_publish(region=baoan, published_by=None, now=NOW)

    assert again is None
    assert RegistryEdition.objects.count() == 1
    assert AuditEvent.objects.filter(action="registry_edition.published").count() == 1


def test_registry_edition_publish_publishes_no_empty_first_edition(baoan):
    RegistryEntryFactory(submitted=True)

    assert registry_edition_publish(region=baoan, published_by=None, now=NOW) is None
    assert not RegistryEdition.objects.exists()


def test_registry_edition_publish_publishes_an_edition_emptied_by_removals(baoan, staff_user):
    employer = _listed()
    registry_edition_publish(region=baoan, published_by=None, now=NOW)
    registry_entry_suspend(
        entry=employer.registry_entries.get(), decided_by=_scoped_staff(staff_user), reason="核查"
    )

    edition = registry_edition_publish(region=baoan, published_by=None, now=NOW)

    assert edition.number == 2
    assert edition.employer_count == 0
    assert edition.content == []
    assert edition.diff == {"added": [], "removed": [employer.uscc], "changed": []}


def test_registry_edition_publish_records_the_changes_in_edition_2(baoan, staff_user):
    # given
    staff = _scoped_staff(staff_user)
    kept = _listed(uscc=make_uscc(1))
    renamed = _listed(uscc=make_uscc(2))
    suspended = _listed(uscc=make_uscc(3))
    first = registry_edition_publish(region=baoan, published_by=None, now=NOW)
    newcomer_entry = RegistryEntryFactory(
        employer=EmployerFactory(uscc=make_uscc(4)), submitted=True
    )

    # when
    registry_entry_approve(entry=newcomer_entry, decided_by=staff)
    registry_entry_suspend(
        entry=suspended.registry_entries.get(), decided_by=staff, reason="核查中"
    )
    Employer.objects.filter(pk=renamed.pk).update(name="改名后的公司")
    second = registry_edition_publish(region=baoan, published_by=None, now=NOW)

    # then
    assert second.number == first.number + 1 == 2
    assert second.employer_count == 3
    assert second.diff == {
        "added": [newcomer_entry.employer.uscc],
        "removed": [suspended.uscc],
        "changed": [{"uscc": renamed.uscc, "fields": ["name"]}],
    }
    assert {item["uscc"] for item in second.content} == {
        kept.uscc,
        renamed.uscc,
        newcomer_entry.employer.uscc,
    }


def test_registry_edition_publish_numbers_each_region_separately(baoan, shenzhen):
    _listed()

    district_edition = registry_edition_publish(region=baoan, published_by=None, now=NOW)
    city_edition = registry_edition_publish(region=shenzhen, published_by=None, now=NOW)

    assert (district_edition.number, city_edition.number) == (1, 1)
    assert city_edition.content == district_edition.content


@pytest.mark.parametrize("code", ["440000", "440306017"])
def test_registry_edition_publish_refuses_provinces_and_streets(shenzhen_guangzhou, code):
    with pytest.raises(DomainError) as excinfo:
        registry_edition_publish(region=shenzhen_guangzhou[code], published_by=None, now=NOW)

    assert excinfo.value.code == "registry_edition_region_level"
    assert not RegistryEdition.objects.exists()


def test_registry_edition_publish_records_staff_publisher_in_scope(baoan, staff_user):
    staff = _scoped_staff(staff_user)
    _listed()

    edition = registry_edition_publish(region=baoan, published_by=staff, now=NOW)

    assert edition.published_by == staff
    assert AuditEvent.objects.get(action="registry_edition.published").actor == staff


@pytest.mark.parametrize(
    ("who", "region_code", "error_code"),
    [
        ("staff_in_scope", "440300", "registry_edition_out_of_scope"),  # district staff, city
        ("staff_elsewhere", "440306", "registry_edition_out_of_scope"),
        ("staff_unscoped", "440306", "registry_edition_out_of_scope"),
        ("employer_member", "440306", "registry_edition_no_permission"),
        ("applicant", "440306", "registry_edition_no_permission"),
    ],
)
def test_registry_edition_publish_refuses_staff_without_permission_or_scope(
    shenzhen_guangzhou, staff_user, employer_member, applicant, who, region_code, error_code
):
    users = {
        "staff_in_scope": lambda: _scoped_staff(staff_user),
        "staff_elsewhere": lambda: _scoped_staff(staff_user, "440304"),
        "staff_unscoped": lambda: staff_user,
        "employer_member": lambda: employer_member,
        "applicant": lambda: applicant,
    }
    user = users[who]()
    _listed()  # something to publish, so only the refusal can stop it

    with pytest.raises(DomainError) as excinfo:
        registry_edition_publish(region=shenzhen_guangzhou[region_code], published_by=user, now=NOW)

    assert excinfo.value.code == error_code
    assert not RegistryEdition.objects.exists()


def test_registry_edition_publish_lets_city_staff_publish_the_city(
    shenzhen_guangzhou, shenzhen, staff_user
):
    staff_scope_grant(user=staff_user, region=shenzhen, granted_by=None)
    _listed()

    edition = registry_edition_publish(region=shenzhen, published_by=staff_user, now=NOW)

    assert edition.number == 1


# registry_regions_due


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), True),
        (datetime(2026, 12, 1, 9, 59, tzinfo=SHANGHAI), True),
        # 01:30 UTC is 09:30 in Beijing: compared in local time.
        (datetime(2026, 12, 1, 1, 30, tzinfo=ZoneInfo("UTC")), True),
        (datetime(2026, 12, 1, 8, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI), False),
        # 09:30 UTC on the 1st is 17:30 in Beijing.
        (datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("UTC")), False),
    ],
)
def test_registry_regions_due_follows_default_schedule_in_local_time(
    shenzhen_guangzhou, moment, due
):
    _listed()

    codes = [region.code for region in registry_regions_due(now=moment)]

    assert codes == (["440300", "440306"] if due else [])


def test_registry_regions_due_includes_only_districts_with_entries_and_their_cities(
    shenzhen_guangzhou,
):
    RegistryEntryFactory(employer=EmployerFactory())  # a draft in 宝安 is enough
    _listed(uscc=make_uscc(9, division="440106"), district=shenzhen_guangzhou["440106"])

    codes = [region.code for region in registry_regions_due(now=NOW)]

    assert codes == ["440100", "440106", "440300", "440306"]


def test_registry_regions_due_honours_overrides_and_disabled_rows(shenzhen_guangzhou, baoan):
    _listed()
    _listed(uscc=make_uscc(9, division="440304"), district=shenzhen_guangzhou["440304"])
    RegistrySchedule.objects.create(region=baoan, day_of_month=15, hour=14)
    RegistrySchedule.objects.create(region=shenzhen_guangzhou["440300"], enabled=False)

    on_default = [r.code for r in registry_regions_due(now=NOW)]
    on_override = [
        r.code for r in registry_regions_due(now=datetime(2026, 12, 15, 14, 30, tzinfo=SHANGHAI))
    ]

    assert on_default == ["440304"]
    assert on_override == ["440306"]


def test_registry_regions_due_never_includes_disabled_row_at_its_own_time(baoan):
    _listed()
    RegistrySchedule.objects.create(region=baoan, enabled=False, day_of_month=1, hour=9)

    assert [r.code for r in registry_regions_due(now=NOW)] == ["440300"]


def test_registry_regions_due_runs_two_queries_whatever_the_number_of_regions(
    shenzhen_guangzhou,
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            registry_regions_due(now=NOW)
        return len(ctx.captured_queries)

    _listed()
    one = queries()
    for n, code in enumerate(["440303", "440304", "440305", "440307", "440106"]):
        _listed(uscc=make_uscc(n + 10, division=code), district=shenzhen_guangzhou[code])
        RegistrySchedule.objects.create(region=shenzhen_guangzhou[code], hour=9)

    assert queries() == one == 2


# registry_editions_publish_due


def test_registry_editions_publish_due_publishes_once_when_run_twice(shenzhen_guangzhou):
    _listed()

    first = registry_editions_publish_due(now=NOW)
    second = registry_editions_publish_due(now=NOW.replace(minute=40))

    assert sorted(e.region.code for e in first) == ["440300", "440306"]
    assert second == []
    assert RegistryEdition.objects.count() == 2


def test_registry_editions_publish_due_skips_regions_that_are_not_due(shenzhen_guangzhou):
    _listed()

    assert registry_editions_publish_due(now=NOW.replace(hour=10)) == []
    assert not RegistryEdition.objects.exists()


def test_registry_editions_publish_due_carries_on_after_a_failing_region(
    shenzhen_guangzhou, mocker, caplog
):
    _listed()
    _listed(uscc=make_uscc(9, division="440304"), district=shenzhen_guangzhou["440304"])
    real_publish = editions_module.registry_edition_publish

    def publish(*, region, published_by, now):
        if region.code == "440304":
            raise RuntimeError("boom")
        return real_publish(region=region, published_by=published_by, now=now)

    mocker.patch.object(editions_module, "registry_edition_publish", side_effect=publish)

    with caplog.at_level(logging.ERROR, logger="employers.services.editions"):
        published = registry_editions_publish_due(now=NOW)

    assert sorted(e.region.code for e in published) == ["440300", "440306"]
    assert not RegistryEdition.objects.filter(region__code="440304").exists()
    assert "440304" in caplog.text
    assert "boom" in caplog.text


def test_registry_edition_publish_locks_the_region_and_runs_constant_queries(baoan):
    def publish() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            registry_edition_publish(region=baoan, published_by=None, now=NOW)
        return [q["sql"] for q in ctx.captured_queries]

    _listed(uscc=make_uscc(1))
    first = publish()
    for n in range(15):
        _listed(uscc=make_uscc(100 + n))
    second = publish()

    assert any("FOR NO KEY UPDATE" in sql for sql in first)
    assert len(second) == len(first)
