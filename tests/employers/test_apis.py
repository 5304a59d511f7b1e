from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from employers.models import (
    Employer,
    EmployerMembership,
    ListingPeriod,
    RegistryEdition,
    RegistryEntry,
)
from employers.services import (
    registry_edition_publish,
    registry_entry_approve,
    registry_entry_return,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.models import AuditEvent
from tests.employers.factories import (
    EmployerFactory,
    MembershipFactory,
    RegistryEntryFactory,
    district,
    make_uscc,
)

pytestmark = pytest.mark.django_db

CONTACT_PHONE = "13912345678"  # EmployerFactory's contact phone
Status = RegistryEntry.Status


@pytest.fixture
def baoan_staff(staff_user, shenzhen_guangzhou):
    """A bureau staff member whose region is 宝安区 (440306)."""
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def membership(employer_member, shenzhen_guangzhou):
    return MembershipFactory(user=employer_member)


def _queries_for(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == HTTPStatus.OK, response.content
    return len(ctx.captured_queries)


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def _make_edition(region, number: int, employers=(), diff=None) -> RegistryEdition:
    """Store an edition directly (diff shaped as services/editions.py writes it)."""
    content = [{"uscc": e.uscc, "name": e.name} for e in employers]
    default_diff = {"added": [row["uscc"] for row in content], "removed": [], "changed": []}
    return RegistryEdition.objects.create(
        region=region,
        number=number,
        employer_count=len(content),
        content=content,
        content_sha256=f"{number:064d}",
        diff=diff if diff is not None else default_diff,
    )


# ---------------------------------------------------------------------------
# Public registry
# ---------------------------------------------------------------------------


def test_employer_list_public_shows_only_listed_employers(api_client, shenzhen_guangzhou):
    listed = RegistryEntryFactory(approved=True).employer
    RegistryEntryFactory(submitted=True)
    RegistryEntryFactory()  # a draft
    RegistryEntryFactory(approved=True, status=Status.SUSPENDED)
    EmployerFactory()  # never applied

    response = api_client.get(reverse("api:employer-list"))

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == {listed.pk}
    row = response.json()["results"][0]
    assert row["uscc"] == listed.uscc
    assert row["district"] == {"code": "440306", "name": "宝安区"}
    assert row["facilities"] == ["nursing_room"]
    assert row["listed_from"] == listed.listing_periods.get().listed_from.isoformat()


def test_employer_list_public_never_exposes_contact_data(api_client, shenzhen_guangzhou):
    RegistryEntryFactory.create_batch(2, approved=True)

    body = api_client.get(reverse("api:employer-list")).content.decode()

    assert CONTACT_PHONE not in body
    assert "王经理" not in body
    assert "contact" not in body


@pytest.mark.parametrize(
    ("district_param", "expected"),
    [
        ("440306", {"baoan"}),
        ("440305", {"nanshan"}),
        ("4403", {"baoan", "nanshan"}),
        ("440300", {"baoan", "nanshan"}),
        ("44", {"baoan", "nanshan", "tianhe"}),
        ("440106", {"tianhe"}),
    ],
)
def test_employer_list_public_filters_by_district_code_or_prefix(
    api_client, shenzhen_guangzhou, district_param, expected
):
    employers = {
        "baoan": RegistryEntryFactory(approved=True).employer,
        "nanshan": RegistryEntryFactory(
            approved=True, employer__district=district("440305")
        ).employer,
        "tianhe": RegistryEntryFactory(
            approved=True, employer__district=district("440106")
        ).employer,
    }

    response = api_client.get(reverse("api:employer-list"), {"district": district_param})

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == {employers[key].pk for key in expected}


def test_employer_list_public_filters_by_sector_and_name(api_client, shenzhen_guangzhou):
    shop = RegistryEntryFactory(approved=True, employer__name="宝安电商直播基地").employer
    factory = RegistryEntryFactory(
        approved=True, employer__name="宝安手工坊", employer__sector=Employer.Sector.HANDCRAFT
    ).employer
    url = reverse("api:employer-list")

    assert _ids(api_client.get(url, {"sector": "handcraft"})) == {factory.pk}
    assert _ids(api_client.get(url, {"q": "直播"})) == {shop.pk}
    assert _ids(api_client.get(url, {"q": "宝安", "sector": "ecommerce"})) == {shop.pk}


@pytest.mark.parametrize(
    "params",
    [{"district": "44030"}, {"district": "4403a6"}, {"district": "440306017"}, {"sector": "x"}],
)
def test_employer_list_public_rejects_invalid_filters_with_400(
    api_client, shenzhen_guangzhou, params
):
    response = api_client.get(reverse("api:employer-list"), params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    assert set(response.json()["detail"]) == set(params)


def test_employer_list_public_query_count_is_independent_of_row_count(
    api_client, shenzhen_guangzhou, django_assert_num_queries
):
    url = reverse("api:employer-list")
    RegistryEntryFactory(approved=True, employer__street=district("440306017"))
    one_row = _queries_for(api_client, url)

    RegistryEntryFactory.create_batch(15, approved=True, employer__street=district("440306018"))

    assert _queries_for(api_client, url) == one_row
    with django_assert_num_queries(3):  # count + page (regions joined) + listing periods
        api_client.get(url)


def test_employer_detail_public_shows_profile_and_listing_history(api_client, shenzhen_guangzhou):
    entry = RegistryEntryFactory(
        approved=True, employer__description="直播电商，弹性排班。", employer__has_childcare=True
    )
    employer = entry.employer
    ListingPeriod.objects.create(
        employer=employer, entry=entry, listed_from="2024-01-01", listed_until="2024-03-01"
    )

    response = api_client.get(reverse("api:employer-detail", args=[employer.pk]))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["description"] == "直播电商，弹性排班。"
    assert data["size"] == "small"
    assert data["facilities"] == ["nursing_room", "childcare"]
    assert data["listing_periods"][0] == {"listed_from": "2024-01-01", "listed_until": "2024-03-01"}
    assert data["listing_periods"][1]["listed_until"] is None
    assert CONTACT_PHONE not in response.content.decode()


def test_employer_detail_public_is_404_unless_listed(api_client, shenzhen_guangzhou):
    submitted = RegistryEntryFactory(submitted=True).employer
    suspended = RegistryEntryFactory(approved=True, status=Status.SUSPENDED).employer

    for employer in (submitted, suspended):
        response = api_client.get(reverse("api:employer-detail", args=[employer.pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert api_client.get(reverse("api:employer-detail", args=[999_999])).status_code == 404


def test_registry_edition_list_shows_counts_without_content(api_client, shenzhen_guangzhou):
    employers = EmployerFactory.create_batch(3)
    _make_edition(shenzhen_guangzhou["440306"], 1, employers[:2])
    second = _make_edition(
        shenzhen_guangzhou["440306"],
        2,
        employers,
        diff={
            "added": [employers[2].uscc],
            "removed": [],
            "changed": [
                {"uscc": employers[0].uscc, "fields": ["name"]},
                {"uscc": employers[1].uscc, "fields": ["facilities"]},
            ],
        },
    )
    _make_edition(shenzhen_guangzhou["440300"], 1, employers)

    response = api_client.get(reverse("api:registry-edition-list"), {"region": "440306"})

    assert response.status_code == HTTPStatus.OK
    rows = response.json()["results"]
    assert [row["number"] for row in rows] == [2, 1]
    assert rows[0]["region"] == {"code": "440306", "name": "宝安区", "level": "district"}
    assert rows[0]["employer_count"] == 3
    assert rows[0]["content_sha256"] == second.content_sha256
    assert rows[0]["diff_counts"] == {"added": 1, "removed": 0, "changed": 2}
    assert "employers" not in rows[0]
    assert "diff" not in rows[0]
    assert employers[0].uscc not in response.content.decode()


def test_registry_edition_list_rejects_an_invalid_region_with_400(api_client):
    response = api_client.get(reverse("api:registry-edition-list"), {"region": "宝安"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "region" in response.json()["detail"]


def test_registry_edition_list_query_count_is_independent_of_row_count(
    api_client, shenzhen_guangzhou, django_assert_num_queries
):
    url = reverse("api:registry-edition-list")
    _make_edition(shenzhen_guangzhou["440306"], 1)
    one_row = _queries_for(api_client, url)

    for number in range(2, 17):
        _make_edition(shenzhen_guangzhou["440306"], number)

    assert _queries_for(api_client, url) == one_row
    with django_assert_num_queries(2):  # count + page (region joined)
        api_client.get(url)


def test_registry_edition_detail_returns_content_and_full_diff(api_client, shenzhen_guangzhou):
    employers = EmployerFactory.create_batch(2)
    edition = _make_edition(shenzhen_guangzhou["440306"], 1, employers)

    response = api_client.get(reverse("api:registry-edition-detail", args=["440306", 1]))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["employers"] == edition.content
    assert data["diff"] == edition.diff
    assert data["diff_counts"] == {"added": 2, "removed": 0, "changed": 0}


def test_registry_edition_detail_serves_a_published_edition(api_client, shenzhen_guangzhou):
    first = RegistryEntryFactory(approved=True).employer
    registry_edition_publish(region=shenzhen_guangzhou["440306"], published_by=None)
    second = RegistryEntryFactory(approved=True).employer
    registry_edition_publish(region=shenzhen_guangzhou["440306"], published_by=None)

    response = api_client.get(reverse("api:registry-edition-detail", args=["440306", 2]))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert {row["uscc"] for row in data["employers"]} == {first.uscc, second.uscc}
    assert data["employer_count"] == 2
    assert data["diff"]["added"] == [second.uscc]
    assert data["diff_counts"] == {"added": 1, "removed": 0, "changed": 0}
    assert CONTACT_PHONE not in response.content.decode()
    listed = api_client.get(reverse("api:registry-edition-list"), {"region": "440306"}).json()
    assert [row["diff_counts"]["added"] for row in listed["results"]] == [1, 1]


def test_registry_edition_detail_is_404_for_an_unknown_edition(api_client, shenzhen_guangzhou):
    _make_edition(shenzhen_guangzhou["440306"], 1)

    for args in (["440306", 2], ["440305", 1]):
        response = api_client.get(reverse("api:registry-edition-detail", args=args))
        assert response.status_code == HTTPStatus.NOT_FOUND


# ---------------------------------------------------------------------------
# Employer members
# ---------------------------------------------------------------------------


def test_my_employer_list_shows_own_employers_with_contact_and_role(
    api_client, membership, employer_member
):
    MembershipFactory(user=employer_member, role=EmployerMembership.Role.MEMBER)
    other = EmployerFactory()
    api_client.force_login(employer_member)

    response = api_client.get(reverse("api:my-employer-list"))

    assert response.status_code == HTTPStatus.OK
    rows = response.json()["results"]
    assert other.pk not in {row["id"] for row in rows}
    by_id = {row["id"]: row for row in rows}
    assert by_id[membership.employer.pk]["role"] == "admin"
    assert by_id[membership.employer.pk]["contact_phone"] == CONTACT_PHONE
    assert sorted(row["role"] for row in rows) == ["admin", "member"]


def test_my_employer_list_requires_authentication(api_client):
    assert api_client.get(reverse("api:my-employer-list")).status_code == HTTPStatus.UNAUTHORIZED


def test_my_employer_list_query_count_is_independent_of_row_count(
    api_client, employer_member, shenzhen_guangzhou
):
    url = reverse("api:my-employer-list")
    MembershipFactory(user=employer_member)
    api_client.force_login(employer_member)
    one_row = _queries_for(api_client, url)

    MembershipFactory.create_batch(15, user=employer_member)

    assert _queries_for(api_client, url) == one_row
    assert one_row == 4  # session + user + count + page (role is a subquery)


def test_my_employer_detail_shows_full_data_to_a_member(api_client, membership, employer_member):
    api_client.force_login(employer_member)

    response = api_client.get(reverse("api:my-employer-detail", args=[membership.employer.pk]))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["contact_name"] == "王经理"
    assert response.json()["address"] == "新安街道创业路1号"


def test_my_employer_detail_is_404_for_a_non_member(api_client, membership, make_user):
    api_client.force_login(make_user("employer_member"))
    url = reverse("api:my-employer-detail", args=[membership.employer.pk])

    assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert api_client.patch(url, {"name": "x"}, format="json").status_code == 404
    assert Employer.objects.get(pk=membership.employer.pk).name != "x"


def test_my_employer_detail_requires_authentication(api_client, membership):
    url = reverse("api:my-employer-detail", args=[membership.employer.pk])

    assert api_client.get(url).status_code == HTTPStatus.UNAUTHORIZED


def test_my_employer_patch_changes_data_and_writes_an_audit_event(
    api_client, membership, employer_member
):
    employer = membership.employer
    api_client.force_login(employer_member)

    response = api_client.patch(
        reverse("api:my-employer-detail", args=[employer.pk]),
        {
            "name": "宝安妈妈岗示范企业",
            "street": "440306017",
            "facilities": ["women_home", "school_run"],
            "uscc": make_uscc(777),  # read-only: ignored
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    data = response.json()
    assert data["name"] == "宝安妈妈岗示范企业"
    assert data["street"] == {"code": "440306017", "name": "新安街道"}
    assert data["facilities"] == ["women_home", "school_run"]
    assert data["uscc"] == employer.uscc
    employer.refresh_from_db()
    assert (employer.has_nursing_room, employer.has_women_home) == (False, True)
    event = AuditEvent.objects.get(action="employer.updated", object_id=str(employer.pk))
    assert event.actor == employer_member
    assert event.after["name"] == "宝安妈妈岗示范企业"


def test_my_employer_patch_rejects_a_street_outside_the_district(
    api_client, membership, employer_member
):
    api_client.force_login(employer_member)

    response = api_client.patch(
        reverse("api:my-employer-detail", args=[membership.employer.pk]),
        {"street": "440305001"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "street" in response.json()["detail"]


def _registration(**overrides) -> dict:
    data = {
        "uscc": make_uscc(900_001),
        "name": "宝安暖心家政服务有限公司",
        "sector": "housekeeping",
        "district": "440306",
        "street": "440306018",
        "address": "西乡街道1号",
        "contact_name": "李女士",
        "contact_phone": "13800001111",
        "size": "micro",
        "facilities": ["nursing_room"],
    }
    return {**data, **overrides}


def test_employer_register_creates_employer_with_user_as_admin(
    api_client, employer_member, shenzhen_guangzhou
):
    api_client.force_login(employer_member)

    response = api_client.post(reverse("api:employer-register"), _registration(), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    data = response.json()
    assert data["role"] == "admin"
    assert data["entity_type"] == "enterprise"
    assert data["district"]["code"] == "440306"
    assert data["facilities"] == ["nursing_room"]
    employer = Employer.objects.get(pk=data["id"])
    assert employer.memberships.get().user == employer_member


def test_employer_register_rejects_an_invalid_uscc_with_a_field_error(
    api_client, employer_member, shenzhen_guangzhou
):
    api_client.force_login(employer_member)
    bad = make_uscc(900_001)[:-1] + ("0" if make_uscc(900_001)[-1] != "0" else "1")

    response = api_client.post(
        reverse("api:employer-register"), _registration(uscc=bad), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    assert "uscc" in response.json()["detail"]
    assert not Employer.objects.exists()


def test_employer_register_rejects_an_unknown_district(
    api_client, employer_member, shenzhen_guangzhou
):
    api_client.force_login(employer_member)

    response = api_client.post(
        reverse("api:employer-register"), _registration(district="440300"), format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "district" in response.json()["detail"]


def test_employer_register_is_403_for_an_applicant(api_client, applicant, shenzhen_guangzhou):
    api_client.force_login(applicant)

    response = api_client.post(reverse("api:employer-register"), _registration(), format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Employer.objects.exists()


def test_my_registry_entry_start_update_submit_flow(api_client, membership, employer_member):
    employer = membership.employer
    api_client.force_login(employer_member)

    started = api_client.post(reverse("api:my-registry-start", args=[employer.pk]))
    assert started.status_code == HTTPStatus.CREATED, started.content
    assert started.json()["status"] == "draft"
    assert started.json()["editable"] is True

    updated = api_client.post(
        reverse("api:my-registry-update", args=[employer.pk]),
        {"declared_posts": 5, "declaration": "上午9点到下午3点，可带娃请假。"},
        format="json",
    )
    assert updated.status_code == HTTPStatus.OK, updated.content
    assert updated.json()["declared_posts"] == 5

    unconfirmed = api_client.post(
        reverse("api:my-registry-submit", args=[employer.pk]),
        {"declaration_confirmed": False},
        format="json",
    )
    assert unconfirmed.status_code == HTTPStatus.BAD_REQUEST
    assert unconfirmed.json()["code"] == "registry_entry_not_confirmed"

    submitted = api_client.post(
        reverse("api:my-registry-submit", args=[employer.pk]),
        {"declaration_confirmed": True},
        format="json",
    )
    assert submitted.status_code == HTTPStatus.OK, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] is not None

    entry = api_client.get(reverse("api:my-registry-entry", args=[employer.pk])).json()
    assert entry["status"] == "submitted"
    assert entry["declaration"] == "上午9点到下午3点，可带娃请假。"
    assert entry["events"] == [
        {
            "from_status": "draft",
            "to_status": "submitted",
            "reason": "",
            "occurred_at": entry["events"][0]["occurred_at"],
        }
    ]
    assert entry["listing_periods"] == []

    late_edit = api_client.post(
        reverse("api:my-registry-update", args=[employer.pk]),
        {"declared_posts": 1},
        format="json",
    )
    assert late_edit.status_code == HTTPStatus.BAD_REQUEST
    assert late_edit.json()["code"] == "registry_entry_not_editable"


def test_my_registry_start_refuses_a_second_live_entry(api_client, membership, employer_member):
    RegistryEntryFactory(employer=membership.employer)
    api_client.force_login(employer_member)

    response = api_client.post(reverse("api:my-registry-start", args=[membership.employer.pk]))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "registry_entry_exists"


def test_my_registry_entry_hides_staff_identity_and_shows_listing_periods(
    api_client, membership, employer_member, baoan_staff
):
    entry = RegistryEntryFactory(employer=membership.employer, submitted=True)
    registry_entry_approve(entry=entry, decided_by=baoan_staff)
    api_client.force_login(employer_member)

    response = api_client.get(reverse("api:my-registry-entry", args=[membership.employer.pk]))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["status"] == "approved"
    assert data["events"][-1]["to_status"] == "approved"
    assert all(
        set(event) == {"from_status", "to_status", "reason", "occurred_at"}
        for event in data["events"]
    )
    assert baoan_staff.display_name not in response.content.decode()
    assert len(data["listing_periods"]) == 1
    assert data["listing_periods"][0]["listed_until"] is None


def test_my_registry_entry_is_404_without_an_entry_or_membership(
    api_client, membership, employer_member, make_user
):
    api_client.force_login(employer_member)
    url = reverse("api:my-registry-entry", args=[membership.employer.pk])
    assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND

    RegistryEntryFactory(employer=membership.employer)
    api_client.force_login(make_user("employer_member"))
    assert api_client.get(url).status_code == HTTPStatus.NOT_FOUND
    start = reverse("api:my-registry-start", args=[membership.employer.pk])
    assert api_client.post(start).status_code == HTTPStatus.NOT_FOUND


# ---------------------------------------------------------------------------
# District staff
# ---------------------------------------------------------------------------


def test_staff_registry_entry_list_is_scoped_to_the_staff_regions(api_client, baoan_staff):
    baoan = RegistryEntryFactory(submitted=True)
    nanshan = RegistryEntryFactory(submitted=True, employer__district=district("440305"))
    api_client.force_login(baoan_staff)

    response = api_client.get(reverse("api:staff-registry-entry-list"))

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == {baoan.pk}
    row = response.json()["results"][0]
    assert row["employer_name"] == baoan.employer.name
    assert row["employer_uscc"] == baoan.employer.uscc
    assert row["district"] == {"code": "440306", "name": "宝安区"}
    assert row["status"] == "submitted"
    detail = reverse("api:staff-registry-entry-detail", args=[nanshan.pk])
    assert api_client.get(detail).status_code == HTTPStatus.NOT_FOUND
    approve = reverse("api:staff-registry-entry-approve", args=[nanshan.pk])
    assert api_client.post(approve).status_code == HTTPStatus.NOT_FOUND
    nanshan.refresh_from_db()
    assert nanshan.status == Status.SUBMITTED


def test_staff_registry_entry_list_filters(api_client, baoan_staff):
    waiting = RegistryEntryFactory(submitted=True, employer__name="宝安直播电商")
    listed = RegistryEntryFactory(approved=True, employer__name="宝安手工坊")
    url = reverse("api:staff-registry-entry-list")
    api_client.force_login(baoan_staff)

    assert _ids(api_client.get(url, {"status": "submitted"})) == {waiting.pk}
    assert _ids(api_client.get(url, {"q": "手工"})) == {listed.pk}
    assert _ids(api_client.get(url, {"q": listed.employer.uscc[-8:].lower()})) == {listed.pk}
    assert _ids(api_client.get(url, {"district": "440306"})) == {waiting.pk, listed.pk}
    assert _ids(api_client.get(url, {"district": "440305"})) == set()
    assert api_client.get(url, {"status": "nonsense"}).status_code == HTTPStatus.BAD_REQUEST


def test_staff_registry_entry_list_is_403_for_an_applicant_and_401_anonymous(api_client, applicant):
    url = reverse("api:staff-registry-entry-list")
    assert api_client.get(url).status_code == HTTPStatus.UNAUTHORIZED

    api_client.force_login(applicant)
    assert api_client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_staff_registry_entry_list_query_count_is_independent_of_row_count(api_client, baoan_staff):
    url = reverse("api:staff-registry-entry-list")
    RegistryEntryFactory(submitted=True)
    api_client.force_login(baoan_staff)
    one_row = _queries_for(api_client, url)

    RegistryEntryFactory.create_batch(15, submitted=True)

    assert _queries_for(api_client, url) == one_row
    # session + user + 2 permission look-ups + region scopes + count + page
    assert one_row == 7


def test_staff_registry_entry_detail_shows_contact_history_and_actors(api_client, baoan_staff):
    entry = RegistryEntryFactory(submitted=True)
    registry_entry_return(entry=entry, decided_by=baoan_staff, reason="请补充岗位时间安排。")
    api_client.force_login(baoan_staff)

    response = api_client.get(reverse("api:staff-registry-entry-detail", args=[entry.pk]))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["employer"]["contact_phone"] == CONTACT_PHONE
    assert data["status"] == "returned"
    assert data["decided_by_name"] == baoan_staff.display_name
    assert data["events"][-1]["actor_name"] == baoan_staff.display_name
    assert data["events"][-1]["reason"] == "请补充岗位时间安排。"
    assert data["listing_periods"] == []
    assert data["can_decide"] is True


def test_staff_registry_entry_approve_lists_the_employer(api_client, baoan_staff):
    entry = RegistryEntryFactory(submitted=True)
    api_client.force_login(baoan_staff)

    response = api_client.post(
        reverse("api:staff-registry-entry-approve", args=[entry.pk]), {}, format="json"
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "approved"
    entry.refresh_from_db()
    assert entry.decided_by == baoan_staff
    assert ListingPeriod.objects.filter(employer=entry.employer, listed_until=None).exists()
    assert entry.employer.pk in _ids(api_client.get(reverse("api:employer-list")))


@pytest.mark.parametrize(
    ("action", "trait", "expected"),
    [
        ("return", "submitted", Status.RETURNED),
        ("reject", "submitted", Status.REJECTED),
        ("suspend", "approved", Status.SUSPENDED),
        ("remove", "approved", Status.REMOVED),
    ],
)
def test_staff_registry_entry_decision_with_reason(
    api_client, baoan_staff, action, trait, expected
):
    entry = RegistryEntryFactory(**{trait: True})
    api_client.force_login(baoan_staff)

    response = api_client.post(
        reverse(f"api:staff-registry-entry-{action}", args=[entry.pk]),
        {"reason": "材料与实际不符。"},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == expected
    assert response.json()["decision_reason"] == "材料与实际不符。"
    entry.refresh_from_db()
    assert entry.status == expected
    assert entry.events.get().actor == baoan_staff


def test_staff_registry_entry_reinstate_lists_the_employer_again(api_client, baoan_staff):
    entry = RegistryEntryFactory(approved=True)
    api_client.force_login(baoan_staff)
    suspend = reverse("api:staff-registry-entry-suspend", args=[entry.pk])
    assert api_client.post(suspend, {"reason": "整改"}, format="json").status_code == 200

    response = api_client.post(
        reverse("api:staff-registry-entry-reinstate", args=[entry.pk]),
        {"reason": "整改完成"},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "approved"
    assert entry.employer.listing_periods.filter(listed_until=None).count() == 1


@pytest.mark.parametrize("action", ["return", "reject"])
def test_staff_registry_entry_decision_requires_a_reason(api_client, baoan_staff, action):
    entry = RegistryEntryFactory(submitted=True)
    api_client.force_login(baoan_staff)

    response = api_client.post(
        reverse(f"api:staff-registry-entry-{action}", args=[entry.pk]),
        {"reason": "  "},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "registry_entry_reason_required"
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_staff_registry_entry_decision_refuses_a_wrong_transition_with_400(api_client, baoan_staff):
    entry = RegistryEntryFactory(submitted=True)
    api_client.force_login(baoan_staff)

    response = api_client.post(
        reverse("api:staff-registry-entry-suspend", args=[entry.pk]),
        {"reason": "x"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "registry_entry_transition_not_allowed"


def test_staff_registry_entry_approve_is_403_for_the_submitter(api_client, baoan_staff):
    entry = RegistryEntryFactory(submitted=True, submitted_by=baoan_staff)
    api_client.force_login(baoan_staff)

    response = api_client.post(reverse("api:staff-registry-entry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    detail = api_client.get(reverse("api:staff-registry-entry-detail", args=[entry.pk]))
    assert detail.json()["can_decide"] is False


def test_staff_registry_entry_approve_is_403_for_a_member_of_the_employer(api_client, baoan_staff):
    entry = RegistryEntryFactory(submitted=True)
    MembershipFactory(employer=entry.employer, user=baoan_staff)
    api_client.force_login(baoan_staff)

    response = api_client.post(reverse("api:staff-registry-entry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_staff_registry_entry_approve_is_403_for_an_applicant(
    api_client, applicant, shenzhen_guangzhou
):
    entry = RegistryEntryFactory(submitted=True)
    api_client.force_login(applicant)

    response = api_client.post(reverse("api:staff-registry-entry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_staff_registry_entry_approve_requires_authentication(api_client, shenzhen_guangzhou):
    entry = RegistryEntryFactory(submitted=True)

    response = api_client.post(reverse("api:staff-registry-entry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


# ---------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------


def test_openapi_schema_lists_the_employer_endpoints(api_client):
    response = api_client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == HTTPStatus.OK
    paths = response.json()["paths"]
    for path, method in [
        ("/api/v1/employers/", "get"),
        ("/api/v1/employers/{employer_id}/", "get"),
        ("/api/v1/employers/register/", "post"),
        ("/api/v1/registry/editions/", "get"),
        ("/api/v1/registry/editions/{region_code}/{number}/", "get"),
        ("/api/v1/me/employers/", "get"),
        ("/api/v1/me/employers/{employer_id}/", "patch"),
        ("/api/v1/me/employers/{employer_id}/registry/", "get"),
        ("/api/v1/me/employers/{employer_id}/registry/start/", "post"),
        ("/api/v1/me/employers/{employer_id}/registry/update/", "post"),
        ("/api/v1/me/employers/{employer_id}/registry/submit/", "post"),
        ("/api/v1/staff/registry/entries/", "get"),
        ("/api/v1/staff/registry/entries/{entry_id}/", "get"),
        *(
            (f"/api/v1/staff/registry/entries/{{entry_id}}/{action}/", "post")
            for action in ("approve", "return", "reject", "suspend", "remove", "reinstate")
        ),
    ]:
        assert method in paths.get(path, {}), path
    public = response.json()["components"]["schemas"]["EmployerPublic"]["properties"]
    assert not {"contact_name", "contact_phone", "address"} & set(public)
