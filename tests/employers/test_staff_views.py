from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers.models import Employer, ListingPeriod, RegistryEdition, RegistryEntry, RegistryEvent
from employers.selectors_staff import specialist_candidate_list
from mamagang.accounts.services import staff_scope_grant
from tests.employers.factories import EmployerFactory, MembershipFactory, RegistryEntryFactory

pytestmark = pytest.mark.django_db

Status = RegistryEntry.Status

ENTRY_POSTS = [
    "staff-registry-approve",
    "staff-registry-return",
    "staff-registry-reject",
    "staff-registry-suspend",
    "staff-registry-remove",
    "staff-registry-reinstate",
    "staff-registry-specialist",
]
PAGES = [
    "staff-registry-queue",
    "staff-employer-list",
    "staff-employer-import",
    "staff-employer-import-template",
]


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


@pytest.fixture
def reviewer(staff_user, regions):
    """A bureau user whose scope is 宝安区 (440306), where the factories put employers."""
    staff_scope_grant(user=staff_user, region=regions["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def tianhe_reviewer(make_user, regions):
    """A bureau user of 天河区 (440106), Guangzhou."""
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=regions["440106"], granted_by=None)
    return user


@pytest.fixture
def entry(regions):
    return RegistryEntryFactory(submitted=True)


def _entry(status: str, **kwargs) -> RegistryEntry:
    if status == Status.SUBMITTED:
        return RegistryEntryFactory(submitted=True, **kwargs)
    entry = RegistryEntryFactory(approved=True, **kwargs)
    if status != Status.APPROVED:
        RegistryEntry.objects.filter(pk=entry.pk).update(status=status)
        ListingPeriod.objects.filter(entry=entry).update(
            listed_until=timezone.localdate(entry.decided_at)
        )
        entry.refresh_from_db()
    return entry


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


# --- permission matrix ------------------------------------------------------------


@pytest.mark.parametrize("url_name", PAGES)
def test_staff_pages_redirect_anonymous_to_login(client, url_name):
    response = client.get(reverse(f"employers:{url_name}"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_entry_page_and_posts_redirect_anonymous_to_login(client, entry):
    urls = [reverse("employers:staff-registry-entry", args=[entry.pk])]
    urls += [reverse(f"employers:{name}", args=[entry.pk]) for name in ENTRY_POSTS]
    urls.append(reverse("employers:staff-registry-publish"))
    for url in urls:
        response = client.post(url) if url != urls[0] else client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith(reverse("accounts:login"))
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


@pytest.mark.parametrize("role", ["applicant", "employer_member"])
def test_staff_pages_forbid_applicants_and_employer_members(client, make_user, entry, role):
    user = make_user(role)
    # Even a member of this very employer may not open the staff side.
    MembershipFactory(employer=entry.employer, user=user)
    client.force_login(user)

    for name in PAGES:
        assert client.get(reverse(f"employers:{name}")).status_code == HTTPStatus.FORBIDDEN
    detail = reverse("employers:staff-registry-entry", args=[entry.pk])
    assert client.get(detail).status_code == HTTPStatus.FORBIDDEN
    for name in ENTRY_POSTS:
        url = reverse(f"employers:{name}", args=[entry.pk])
        assert client.post(url, {"reason": "x"}).status_code == HTTPStatus.FORBIDDEN
    publish = reverse("employers:staff-registry-publish")
    assert client.post(publish, {"region": "440306"}).status_code == HTTPStatus.FORBIDDEN
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_staff_pages_open_for_staff_in_scope(client, reviewer, entry):
    client.force_login(reviewer)

    for name in PAGES:
        assert client.get(reverse(f"employers:{name}")).status_code == HTTPStatus.OK, name
    detail = reverse("employers:staff-registry-entry", args=[entry.pk])
    assert client.get(detail).status_code == HTTPStatus.OK


def test_staff_entry_page_and_posts_are_404_for_staff_of_another_district(
    client, tianhe_reviewer, entry
):
    client.force_login(tianhe_reviewer)

    detail = reverse("employers:staff-registry-entry", args=[entry.pk])
    assert client.get(detail).status_code == HTTPStatus.NOT_FOUND
    for name in ENTRY_POSTS:
        url = reverse(f"employers:{name}", args=[entry.pk])
        assert client.post(url, {"reason": "越权"}).status_code == HTTPStatus.NOT_FOUND, name
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_staff_entry_page_is_404_for_missing_entry(client, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-entry", args=[999999]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_staff_decision_views_refuse_get(client, reviewer, entry):
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


# --- transitions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "start", "reason", "end"),
    [
        ("approve", Status.SUBMITTED, "", Status.APPROVED),
        ("approve", Status.SUBMITTED, "材料齐全", Status.APPROVED),
        ("return", Status.SUBMITTED, "请补充岗位时间安排", Status.RETURNED),
        ("reject", Status.SUBMITTED, "不属于本区单位", Status.REJECTED),
        ("suspend", Status.APPROVED, "核查中", Status.SUSPENDED),
        ("remove", Status.APPROVED, "单位已注销", Status.REMOVED),
        ("remove", Status.SUSPENDED, "核查不通过", Status.REMOVED),
        ("reinstate", Status.SUSPENDED, "核查完毕", Status.APPROVED),
        ("reinstate", Status.REMOVED, "重新符合条件", Status.APPROVED),
    ],
)
def test_staff_decision_post_moves_entry(client, reviewer, regions, action, start, reason, end):
    entry = _entry(start)
    client.force_login(reviewer)

    response = client.post(
        reverse(f"employers:staff-registry-{action}", args=[entry.pk]), {"reason": reason}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("employers:staff-registry-entry", args=[entry.pk])
    entry.refresh_from_db()
    assert entry.status == end
    assert entry.decided_by == reviewer
    assert entry.decision_reason == reason
    event = RegistryEvent.objects.filter(entry=entry).latest("occurred_at", "pk")
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        start,
        end,
        reviewer,
        reason,
    )
    open_period = ListingPeriod.objects.filter(employer=entry.employer, listed_until=None)
    assert open_period.exists() == (end == Status.APPROVED)
    assert any(entry.employer.name in m for m in _messages(response))


@pytest.mark.parametrize(
    ("action", "start"),
    [
        ("return", Status.SUBMITTED),
        ("reject", Status.SUBMITTED),
        ("suspend", Status.APPROVED),
        ("remove", Status.APPROVED),
        ("reinstate", Status.SUSPENDED),
    ],
)
def test_staff_decision_post_without_reason_changes_nothing(
    client, reviewer, regions, action, start
):
    entry = _entry(start)
    events_before = RegistryEvent.objects.filter(entry=entry).count()
    client.force_login(reviewer)

    response = client.post(
        reverse(f"employers:staff-registry-{action}", args=[entry.pk]), {"reason": "   "}
    )

    assert response.status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.status == start
    assert RegistryEvent.objects.filter(entry=entry).count() == events_before
    assert "请填写原因，单位会看到这段说明。" in _messages(response)


def test_staff_decision_post_not_allowed_in_status_shows_error(client, reviewer, regions):
    entry = _entry(Status.APPROVED)
    client.force_login(reviewer)

    response = client.post(reverse("employers:staff-registry-approve", args=[entry.pk]))

    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    assert any("不能变为" in m for m in _messages(response))


def test_staff_approve_is_forbidden_to_the_submitter(client, reviewer, regions):
    entry = RegistryEntryFactory(submitted=True, submitted_by=reviewer)
    client.force_login(reviewer)

    response = client.post(reverse("employers:staff-registry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert entry.decided_by is None
    assert not ListingPeriod.objects.filter(employer=entry.employer).exists()


def test_staff_entry_page_explains_four_eyes_rule_to_the_submitter(client, reviewer, regions):
    entry = RegistryEntryFactory(submitted=True, submitted_by=reviewer)
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-entry", args=[entry.pk]))

    content = response.content.decode()
    assert "您提交了此申报，不能自行审核" in content
    assert reverse("employers:staff-registry-approve", args=[entry.pk]) not in content


def test_staff_approve_is_forbidden_to_a_member_of_the_employer(client, reviewer, entry):
    MembershipFactory(employer=entry.employer, user=reviewer)
    client.force_login(reviewer)

    response = client.post(reverse("employers:staff-registry-approve", args=[entry.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    detail = client.get(reverse("employers:staff-registry-entry", args=[entry.pk]))
    assert "您是该单位的成员" in detail.content.decode()


# --- the entry page -----------------------------------------------------------------


def test_staff_entry_page_shows_employer_data_history_and_allowed_actions(
    client, reviewer, regions
):
    entry = _entry(Status.SUSPENDED)
    RegistryEvent.objects.create(
        entry=entry, from_status="approved", to_status="suspended", actor=reviewer, reason="核查中"
    )
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-entry", args=[entry.pk]))

    content = response.content.decode()
    employer = entry.employer
    for text in (employer.name, employer.uscc, employer.contact_name, employer.contact_phone):
        assert text in content
    assert entry.declaration in content
    assert "母婴室" in content  # the factory's facility
    assert "核查中" in content
    assert reviewer.display_name in content
    assert [a["name"] for a in response.context["actions"]] == ["reinstate", "remove"]
    assert reverse("employers:staff-registry-reinstate", args=[entry.pk]) in content
    assert reverse("employers:staff-registry-approve", args=[entry.pk]) not in content
    assert len(response.context["listing_periods"]) == 1


def test_staff_entry_page_offers_decisions_for_submitted_entry(client, reviewer, entry):
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-entry", args=[entry.pk]))

    assert [a["name"] for a in response.context["actions"]] == ["approve", "return", "reject"]
    assert response.context["blocked_reason"] == ""


# --- the queue -------------------------------------------------------------------------


def test_staff_queue_counts_by_status_and_default_oldest_first(
    client, reviewer, tianhe_reviewer, regions
):
    now = timezone.now()
    middle = RegistryEntryFactory(submitted=True, submitted_at=now - timedelta(days=5))
    newest = RegistryEntryFactory(submitted=True, submitted_at=now)
    oldest = RegistryEntryFactory(submitted=True, submitted_at=now - timedelta(days=20))
    _entry(Status.APPROVED)
    _entry(Status.SUSPENDED)
    RegistryEntryFactory()  # draft
    # Another district's entry is neither listed nor counted.
    RegistryEntryFactory(submitted=True, employer=EmployerFactory(district=regions["440106"]))
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-queue"))

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["entries"]) == [oldest, middle, newest]
    assert [e.waiting_days for e in response.context["entries"]] == [20, 5, 0]
    assert [e.is_stale for e in response.context["entries"]] == [True, False, False]
    counts = {tab["value"]: tab["count"] for tab in response.context["status_tabs"]}
    assert counts == {
        "submitted": 3,
        "returned": 0,
        "approved": 1,
        "suspended": 1,
        "removed": 0,
        "rejected": 0,
        "draft": 1,
    }
    assert next(tab["value"] for tab in response.context["status_tabs"]) == "submitted"


def test_staff_queue_filters_by_status_search_and_district(client, make_user, regions):
    city_reviewer = make_user("bureau_staff")
    staff_scope_grant(user=city_reviewer, region=regions["440300"], granted_by=None)
    baoan = RegistryEntryFactory(
        submitted=True, employer=EmployerFactory(name="宝安直播基地有限公司")
    )
    nanshan = RegistryEntryFactory(
        submitted=True, employer=EmployerFactory(name="南山手工坊", district=regions["440305"])
    )
    approved = _entry(Status.APPROVED)
    client.force_login(city_reviewer)
    url = reverse("employers:staff-registry-queue")

    def listed(params):
        return list(client.get(url, params).context["entries"])

    assert listed({}) == sorted([baoan, nanshan], key=lambda e: e.submitted_at)
    assert listed({"status": "approved"}) == [approved]
    assert listed({"q": "直播"}) == [baoan]
    assert listed({"q": nanshan.employer.uscc[8:].lower()}) == [nanshan]
    assert listed({"district": "440305"}) == [nanshan]
    # A district outside the scope is not a valid choice: nothing is listed.
    response = client.get(url, {"district": "440106"})
    assert list(response.context["entries"]) == []
    assert response.context["filter_form"].errors


def test_staff_queue_paginates_by_20(client, reviewer, regions):
    RegistryEntryFactory.create_batch(21, submitted=True)
    client.force_login(reviewer)

    first = client.get(reverse("employers:staff-registry-queue"))
    second = client.get(reverse("employers:staff-registry-queue"), {"page": 2})

    assert len(first.context["entries"]) == 20
    assert len(second.context["entries"]) == 1


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_staff_queue_query_count_is_independent_of_row_count(client, reviewer, regions, status):
    url = reverse("employers:staff-registry-queue") + f"?status={status}"
    _entry(status)
    client.force_login(reviewer)
    one_row = _queries_for(client, url)

    for _n in range(15):
        _entry(status)

    assert _queries_for(client, url) == one_row
    # session, user, 2× permissions, scope, count, status counts, page, unread
    # count, district choices, 3× publish regions (13 when measured).
    assert one_row <= 15


# --- the employer list ------------------------------------------------------------------


def test_staff_employer_list_filters_and_scopes(client, reviewer, regions):
    listed = _entry(Status.APPROVED, employer=EmployerFactory(name="宝安家政服务公司")).employer
    applied = RegistryEntryFactory(
        submitted=True,
        employer=EmployerFactory(name="宝安制衣厂", sector=Employer.Sector.MANUFACTURING),
    ).employer
    never = EmployerFactory(name="宝安餐饮店", sector=Employer.Sector.CATERING)
    # Rejected once, then applied again: the live entry is the one that counts.
    again = EmployerFactory(name="宝安电商二厂")
    _entry(Status.REJECTED, employer=again)
    RegistryEntryFactory(submitted=True, employer=again)
    EmployerFactory(name="天河公司", district=regions["440106"])
    client.force_login(reviewer)
    url = reverse("employers:staff-employer-list")

    def names(params):
        response = client.get(url, params)
        assert response.status_code == HTTPStatus.OK
        return sorted(e.name for e in response.context["employers"])

    assert names({}) == sorted([listed.name, applied.name, never.name, again.name])
    assert names({"status": "approved"}) == [listed.name]
    assert names({"status": "submitted"}) == sorted([applied.name, again.name])
    assert names({"status": "rejected"}) == []
    assert names({"status": "none"}) == [never.name]
    assert names({"sector": "manufacturing"}) == [applied.name]
    assert names({"q": "餐饮"}) == [never.name]
    assert names({"q": applied.uscc}) == [applied.name]
    assert names({"district": "440306"}) == sorted(
        [listed.name, applied.name, never.name, again.name]
    )
    response = client.get(url, {"status": "approved"})
    content = response.content.decode()
    entry = RegistryEntry.objects.get(employer=listed)
    assert reverse("employers:staff-registry-entry", args=[entry.pk]) in content


def test_staff_employer_list_query_count_is_independent_of_row_count(client, reviewer, regions):
    url = reverse("employers:staff-employer-list")
    _entry(Status.APPROVED)
    EmployerFactory()
    client.force_login(reviewer)
    one_row = _queries_for(client, url)

    for _n in range(8):
        _entry(Status.APPROVED)
        RegistryEntryFactory(submitted=True)

    assert _queries_for(client, url) == one_row
    # session, user, 2× permissions, scope, count, page, unread count,
    # district choices (9 when measured).
    assert one_row <= 11


# --- specialist -------------------------------------------------------------------------


def test_specialist_candidate_list_covers_district_by_scope(make_user, reviewer, regions):
    city = make_user("bureau_staff", display_name="市局")
    staff_scope_grant(user=city, region=regions["440300"], granted_by=None)
    province = make_user("bureau_admin", display_name="省厅")
    staff_scope_grant(user=province, region=regions["440000"], granted_by=None)
    nanshan = make_user("bureau_staff", display_name="南山")
    staff_scope_grant(user=nanshan, region=regions["440305"], granted_by=None)
    make_user("bureau_staff", display_name="无辖区")
    inactive = make_user("bureau_staff", display_name="离职", is_active=True)
    staff_scope_grant(user=inactive, region=regions["440306"], granted_by=None)
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)

    candidates = set(specialist_candidate_list(district=regions["440306"]))

    assert candidates == {reviewer, city, province}


def test_staff_specialist_post_assigns_and_clears(client, reviewer, make_user, entry, regions):
    colleague = make_user("bureau_staff")
    staff_scope_grant(user=colleague, region=regions["440306"], granted_by=None)
    client.force_login(reviewer)
    url = reverse("employers:staff-registry-specialist", args=[entry.pk])

    response = client.post(url, {"specialist": colleague.pk})

    assert response.status_code == HTTPStatus.FOUND
    entry.employer.refresh_from_db()
    assert entry.employer.specialist == colleague

    client.post(url, {"specialist": ""})
    entry.employer.refresh_from_db()
    assert entry.employer.specialist is None


def test_staff_specialist_post_refuses_staff_outside_the_district(
    client, reviewer, tianhe_reviewer, entry
):
    client.force_login(reviewer)

    response = client.post(
        reverse("employers:staff-registry-specialist", args=[entry.pk]),
        {"specialist": tianhe_reviewer.pk},
    )

    entry.employer.refresh_from_db()
    assert entry.employer.specialist is None
    assert _messages(response)


def test_staff_entry_page_offers_specialist_choices(client, reviewer, entry):
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-entry", args=[entry.pk]))

    form = response.context["specialist_form"]
    assert list(form.fields["specialist"].queryset) == [reviewer]


# --- publish ------------------------------------------------------------------------------


def test_staff_publish_publishes_then_reports_no_change(client, reviewer, regions):
    _entry(Status.APPROVED)
    client.force_login(reviewer)
    url = reverse("employers:staff-registry-publish")

    response = client.post(url, {"region": "440306"})

    assert response.status_code == HTTPStatus.FOUND
    edition = RegistryEdition.objects.get(region=regions["440306"])
    assert edition.number == 1
    assert edition.published_by == reviewer
    assert any("第1期" in m for m in _messages(response))

    response = client.post(url, {"region": "440306"})

    assert RegistryEdition.objects.filter(region=regions["440306"]).count() == 1
    assert any("没有变化，未发布新一期" in m for m in _messages(response))


def test_staff_publish_refuses_region_out_of_scope(client, reviewer, regions):
    client.force_login(reviewer)

    response = client.post(reverse("employers:staff-registry-publish"), {"region": "440106"})

    assert response.status_code == HTTPStatus.FOUND
    assert not RegistryEdition.objects.exists()
    assert _messages(response)


def test_staff_queue_shows_publish_form_with_regions_in_scope(client, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("employers:staff-registry-queue"))

    regions = response.context["publish_form"].fields["region"].queryset
    assert [r.code for r in regions] == ["440306"]
    assert reverse("employers:staff-registry-publish") in response.content.decode()
