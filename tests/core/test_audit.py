import pytest

from mamagang.core.audit import audit_record, snapshot
from mamagang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_record_stores_actor_object_and_changes(staff_user, applicant):
    event = audit_record(
        actor=staff_user,
        action="user.checked",
        obj=applicant,
        before={"is_active": True},
        after={"is_active": False},
        reason="测试",
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == staff_user
    assert event.object_type == "accounts.user"
    assert event.object_id == str(applicant.pk)
    assert (event.before, event.after, event.reason) == (
        {"is_active": True},
        {"is_active": False},
        "测试",
    )


def test_audit_record_without_actor_is_a_system_action(applicant):
    from django.contrib.auth.models import AnonymousUser

    assert audit_record(actor=None, action="x", obj=applicant).actor is None
    assert audit_record(actor=AnonymousUser(), action="x", obj=applicant).actor is None


def test_snapshot_is_json_safe(applicant):
    data = snapshot(applicant, ["display_name", "date_joined", "is_active"])

    assert data["is_active"] is True
    assert isinstance(data["date_joined"], str)


def test_audit_record_many_writes_one_event_per_object_in_one_insert(
    staff_user, make_user, django_assert_num_queries
):
    from mamagang.core.audit import audit_record_many

    users = [make_user() for _ in range(3)]

    with django_assert_num_queries(1):
        audit_record_many(
            actor=staff_user,
            action="user.imported",
            changes=[(u, None, {"n": i}) for i, u in enumerate(users)],
            reason="导入",
        )

    events = AuditEvent.objects.filter(action="user.imported").order_by("pk")
    assert [(e.object_id, e.after, e.actor_id) for e in events] == [
        (str(u.pk), {"n": i}, staff_user.pk) for i, u in enumerate(users)
    ]
