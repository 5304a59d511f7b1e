import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from employers.models import ListingPeriod, RegistryEntry, RegistryEvent
from employers.services import (
    registry_entry_approve,
    registry_entry_create,
    registry_entry_reinstate,
    registry_entry_reject,
    registry_entry_remove,
    registry_entry_return,
    registry_entry_submit,
    registry_entry_suspend,
    registry_entry_update,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent, Notification
from tests.employers.factories import EmployerFactory, MembershipFactory, RegistryEntryFactory

pytestmark = pytest.mark.django_db

Status = RegistryEntry.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reviewer(staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def member(make_user, shenzhen_guangzhou):
    membership = MembershipFactory(user=make_user("employer_member"))
    return membership.user


def _entry(status: str, **kwargs) -> RegistryEntry:
    traits = {
        Status.DRAFT: {},
        Status.SUBMITTED: {"submitted": True},
        Status.APPROVED: {"approved": True},
    }
    if status in traits:
        return RegistryEntryFactory(**traits[status], **kwargs)
    entry = RegistryEntryFactory(approved=True, **kwargs)
    RegistryEntry.objects.filter(pk=entry.pk).update(status=status)
    if status in (Status.SUSPENDED, Status.REMOVED, Status.REJECTED, Status.RETURNED):
        ListingPeriod.objects.filter(entry=entry).update(
            listed_until=timezone.localdate(entry.decided_at)
        )
    entry.refresh_from_db()
    return entry


# --- the employer's side -----------------------------------------------------


def test_registry_entry_create_starts_a_draft_in_the_employers_district(member):
    employer = member.employer_memberships.get().employer

    entry = registry_entry_create(employer=employer, created_by=member)

    assert entry.status == Status.DRAFT
    assert entry.district == employer.district
    with pytest.raises(DomainError) as excinfo:
        registry_entry_create(employer=employer, created_by=member)
    assert excinfo.value.code == "registry_entry_exists"


def test_registry_entry_create_allowed_again_after_rejection(shenzhen_guangzhou, member):
    rejected = _entry(Status.REJECTED)

    entry = registry_entry_create(employer=rejected.employer, created_by=member)

    assert entry.pk != rejected.pk


def test_registry_entry_submit_requires_confirmation(member, shenzhen_guangzhou):
    entry = _entry(Status.DRAFT)

    with pytest.raises(DomainError) as excinfo:
        registry_entry_submit(entry=entry, submitted_by=member, declaration_confirmed=False)

    assert excinfo.value.code == "registry_entry_not_confirmed"
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_registry_entry_submit_records_who_and_when_and_an_event(member, shenzhen_guangzhou):
    entry = _entry(Status.DRAFT)

    entry = registry_entry_submit(entry=entry, submitted_by=member, declaration_confirmed=True)

    assert entry.status == Status.SUBMITTED
    assert entry.submitted_by == member
    assert entry.submitted_at is not None
    event = entry.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("draft", "submitted", member)
    assert AuditEvent.objects.filter(action="registry_entry.submitted", object_id=str(entry.pk))


def test_registry_entry_update_refused_once_submitted(member, shenzhen_guangzhou):
    entry = _entry(Status.SUBMITTED)

    with pytest.raises(DomainError) as excinfo:
        registry_entry_update(entry=entry, updated_by=member, declared_posts=5, declaration="x")

    assert excinfo.value.code == "registry_entry_not_editable"


# --- decisions -----------------------------------------------------------------


def test_registry_entry_approve_lists_from_today_and_notifies_members(
    reviewer, django_capture_on_commit_callbacks
):
    entry = _entry(Status.SUBMITTED)
    MembershipFactory(employer=entry.employer)
    now = datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)

    with django_capture_on_commit_callbacks(execute=True):
        entry = registry_entry_approve(entry=entry, decided_by=reviewer, now=now)

    assert entry.status == Status.APPROVED
    assert (entry.decided_by, entry.decided_at) == (reviewer, now)
    period = ListingPeriod.objects.get(employer=entry.employer)
    # The listing date is the Beijing date, not the UTC one (2026-11-30 15:30 UTC).
    assert (period.listed_from, period.listed_until) == (now.date(), None)
    assert Notification.objects.filter(kind="registry_entry.approved").count() == 1


@pytest.mark.parametrize(
    ("service", "to_status"),
    [(registry_entry_return, Status.RETURNED), (registry_entry_reject, Status.REJECTED)],
)
def test_registry_entry_return_and_reject_need_a_reason(reviewer, service, to_status):
    entry = _entry(Status.SUBMITTED)

    with pytest.raises(DomainError) as excinfo:
        service(entry=entry, decided_by=reviewer, reason="  ")
    assert excinfo.value.code == "registry_entry_reason_required"

    entry = service(entry=entry, decided_by=reviewer, reason="营业执照地址与经营地址不一致")
    assert entry.status == to_status
    assert entry.decision_reason == "营业执照地址与经营地址不一致"
    assert not ListingPeriod.objects.filter(employer=entry.employer).exists()


def test_returned_entry_can_be_edited_and_resubmitted(reviewer, member):
    entry = _entry(Status.SUBMITTED)
    registry_entry_return(entry=entry, decided_by=reviewer, reason="请补充岗位说明")

    registry_entry_update(entry=entry, updated_by=member, declared_posts=5, declaration="补充说明")
    entry = registry_entry_submit(entry=entry, submitted_by=member, declaration_confirmed=True)

    assert entry.status == Status.SUBMITTED
    assert [e.to_status for e in entry.events.all()] == ["returned", "submitted"]


def test_suspend_remove_reinstate_keep_a_dated_listing_history(reviewer):
    entry = _entry(Status.SUBMITTED)
    day = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)

    registry_entry_approve(entry=entry, decided_by=reviewer, now=day)
    registry_entry_suspend(
        entry=entry, decided_by=reviewer, reason="核查中", now=day + timedelta(days=30)
    )
    registry_entry_reinstate(
        entry=entry, decided_by=reviewer, reason="核查通过", now=day + timedelta(days=40)
    )
    registry_entry_remove(
        entry=entry, decided_by=reviewer, reason="单位注销", now=day + timedelta(days=100)
    )

    periods = list(
        ListingPeriod.objects.filter(employer=entry.employer).values_list(
            "listed_from", "listed_until", "end_reason"
        )
    )
    d = day.date()
    assert periods == [
        (d, d + timedelta(days=30), "核查中"),
        (d + timedelta(days=40), d + timedelta(days=100), "单位注销"),
    ]
    employer = entry.employer
    assert employer in type(employer).objects.listed_on(d + timedelta(days=29))
    assert employer not in type(employer).objects.listed_on(d + timedelta(days=30))
    assert employer in type(employer).objects.listed_on(d + timedelta(days=40))
    assert employer not in type(employer).objects.listed_on(d + timedelta(days=100))


def test_removed_entry_can_be_reinstated(reviewer):
    entry = _entry(Status.APPROVED)
    registry_entry_remove(entry=entry, decided_by=reviewer, reason="误操作前的状态")

    entry = registry_entry_reinstate(entry=entry, decided_by=reviewer, reason="恢复")

    assert entry.status == Status.APPROVED
    assert (
        ListingPeriod.objects.filter(employer=entry.employer, listed_until__isnull=True).count()
        == 1
    )


ALL = list(Status)
SERVICES = {
    "approve": (registry_entry_approve, {Status.SUBMITTED}, Status.APPROVED),
    "return": (registry_entry_return, {Status.SUBMITTED}, Status.RETURNED),
    "reject": (registry_entry_reject, {Status.SUBMITTED}, Status.REJECTED),
    "suspend": (registry_entry_suspend, {Status.APPROVED}, Status.SUSPENDED),
    "remove": (registry_entry_remove, {Status.APPROVED, Status.SUSPENDED}, Status.REMOVED),
    "reinstate": (registry_entry_reinstate, {Status.SUSPENDED, Status.REMOVED}, Status.APPROVED),
}


@pytest.mark.parametrize("action", list(SERVICES))
@pytest.mark.parametrize("from_status", ALL)
def test_every_decision_is_allowed_only_from_its_statuses(reviewer, action, from_status):
    service, allowed_from, to_status = SERVICES[action]
    entry = _entry(from_status)

    if from_status in allowed_from:
        assert service(entry=entry, decided_by=reviewer, reason="理由").status == to_status
    else:
        with pytest.raises(DomainError) as excinfo:
            service(entry=entry, decided_by=reviewer, reason="理由")
        assert excinfo.value.code == "registry_entry_transition_not_allowed"
        entry.refresh_from_db()
        assert entry.status == from_status
        assert not RegistryEvent.objects.filter(entry=entry).exists()


@pytest.mark.parametrize("from_status", ALL)
def test_submit_is_allowed_only_from_draft_or_returned(member, shenzhen_guangzhou, from_status):
    entry = _entry(from_status)

    if from_status in (Status.DRAFT, Status.RETURNED):
        registry_entry_submit(entry=entry, submitted_by=member, declaration_confirmed=True)
        entry.refresh_from_db()
        assert entry.status == Status.SUBMITTED
    else:
        with pytest.raises(DomainError):
            registry_entry_submit(entry=entry, submitted_by=member, declaration_confirmed=True)


# --- who may decide --------------------------------------------------------------


def test_four_eyes_submitter_cannot_decide_own_entry(reviewer):
    entry = _entry(Status.SUBMITTED, submitted_by=reviewer)

    with pytest.raises(DomainError) as excinfo:
        registry_entry_approve(entry=entry, decided_by=reviewer)

    assert excinfo.value.code == "registry_entry_four_eyes"
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_four_eyes_staff_member_of_the_employer_cannot_decide(reviewer):
    entry = _entry(Status.SUBMITTED)
    MembershipFactory(employer=entry.employer, user=reviewer)

    with pytest.raises(DomainError) as excinfo:
        registry_entry_approve(entry=entry, decided_by=reviewer)

    assert excinfo.value.code == "registry_entry_four_eyes"


def test_staff_of_another_district_cannot_decide(make_user, shenzhen_guangzhou):
    other = make_user("bureau_staff")
    staff_scope_grant(user=other, region=shenzhen_guangzhou["440106"], granted_by=None)
    entry = _entry(Status.SUBMITTED)

    with pytest.raises(DomainError) as excinfo:
        registry_entry_approve(entry=entry, decided_by=other)

    assert excinfo.value.code == "registry_entry_out_of_scope"


def test_city_scope_covers_the_districts_entries(make_user, shenzhen_guangzhou):
    city_staff = make_user("bureau_admin")
    staff_scope_grant(user=city_staff, region=shenzhen_guangzhou["440300"], granted_by=None)

    entry = registry_entry_approve(entry=_entry(Status.SUBMITTED), decided_by=city_staff)

    assert entry.status == Status.APPROVED


def test_employer_member_without_permission_cannot_decide(member, shenzhen_guangzhou):
    with pytest.raises(DomainError) as excinfo:
        registry_entry_approve(entry=_entry(Status.SUBMITTED), decided_by=member)

    assert excinfo.value.code == "registry_entry_no_permission"


def test_decisions_are_audited_with_reason(reviewer):
    entry = _entry(Status.SUBMITTED)

    registry_entry_reject(entry=entry, decided_by=reviewer, reason="不符合条件")

    event = AuditEvent.objects.get(action="registry_entry.rejected")
    assert (event.actor, event.before, event.after, event.reason) == (
        reviewer,
        {"status": "submitted"},
        {"status": "rejected"},
        "不符合条件",
    )


def test_one_live_entry_per_employer_is_a_database_rule(shenzhen_guangzhou):
    from django.db import IntegrityError, transaction

    employer = EmployerFactory()
    RegistryEntry.objects.create(employer=employer, district=employer.district)

    with pytest.raises(IntegrityError), transaction.atomic():
        RegistryEntry.objects.create(employer=employer, district=employer.district)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_one_wins_the_other_gets_a_clear_error(
    make_user, shenzhen_guangzhou
):
    first, second = make_user("bureau_staff"), make_user("bureau_staff")
    for user in (first, second):
        staff_scope_grant(user=user, region=shenzhen_guangzhou["440306"], granted_by=None)
    entry = _entry(Status.SUBMITTED)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(user, name):
        try:
            barrier.wait(timeout=10)
            registry_entry_approve(entry=entry, decided_by=user)
            outcomes[name] = "approved"
        except DomainError as exc:
            outcomes[name] = exc.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(u, n)) for u, n in ((first, "a"), (second, "b"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes.values()) == ["approved", "registry_entry_transition_not_allowed"]
    assert ListingPeriod.objects.filter(employer=entry.employer).count() == 1
    assert RegistryEvent.objects.filter(entry=entry, to_status="approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publications_of_one_region_create_one_edition(shenzhen_guangzhou):
    from employers.models import RegistryEdition
    from employers.services.editions import registry_edition_publish

    _entry(Status.APPROVED)
    region = shenzhen_guangzhou["440306"]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def publish():
        try:
            barrier.wait(timeout=10)
            results.append(registry_edition_publish(region=region, published_by=None))
        except Exception as exc:  # the assertion below reports it
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(type(r).__name__ for r in results) == ["NoneType", "RegistryEdition"]
    assert list(RegistryEdition.objects.values_list("number", flat=True)) == [1]


# ---------------------------------------------------------------------------
# The one-screen application


def test_apply_starts_fills_and_submits_in_one_step(member):
    from employers.services import registry_entry_apply

    employer = member.employer_memberships.get().employer
    entry = registry_entry_apply(
        employer=employer,
        entry=None,
        by=member,
        declared_posts=3,
        declaration="上午班，方便接送孩子。",
        submit=True,
        declaration_confirmed=True,
    )
    assert (entry.status, entry.declared_posts) == (Status.SUBMITTED, 3)
    assert entry.submitted_by == member


def test_apply_is_all_or_nothing(member):
    from employers.services import registry_entry_apply

    employer = member.employer_memberships.get().employer
    with pytest.raises(DomainError):
        registry_entry_apply(
            employer=employer,
            entry=None,
            by=member,
            declared_posts=3,
            declaration="x",
            submit=True,
            declaration_confirmed=False,  # the submission fails: no draft is left behind
        )
    assert not RegistryEntry.objects.filter(employer=employer).exists()


def test_apply_without_content_and_without_an_application_is_refused(member):
    from employers.services import registry_entry_apply

    employer = member.employer_memberships.get().employer
    with pytest.raises(DomainError) as exc:
        registry_entry_apply(
            employer=employer, entry=None, by=member, submit=True, declaration_confirmed=True
        )
    assert exc.value.code == "registry_entry_no_content"
